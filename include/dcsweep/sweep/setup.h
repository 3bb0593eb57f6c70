/* The collective steps of `dcsweep run` before training and at its close, bounded in time like
 * training is (docs/reliability.md, "Startup and teardown"): a rank that stops answering in one of
 * them ends the job with one line naming the rank and the step, instead of holding it until its
 * wall-time limit.
 *
 * An agreement is point to point, never an MPI collective (those cannot be cancelled, so a
 * stopped rank would hold the others in them for ever). Ranks > 0 send rank 0 their outcome
 * (DC_TAG_SETUP_ARRIVE); rank 0 waits for all of them at most run.heartbeat_timeout, so it knows
 * which rank is missing, and answers every rank with the lowest failing rank's code and message,
 * plus its data when all succeeded (DC_TAG_SETUP_OUTCOME, DC_TAG_SETUP_DATA). While it waits it
 * tells the ranks that have arrived that it is alive (DC_TAG_SETUP_BEAT), so they wait for its
 * silence, not for the slowest rank. Rank 0 gives up after the timeout, rank 1 on a silent rank 0
 * after 1.5 times it, the others after twice it (dc_setup_patience): one line, from the lowest
 * rank that is alive.
 *
 * What cannot be made point to point (MPI_Init, MPI_Finalize, the collective MPI-IO of creating,
 * opening and closing the results file) runs under a watchdog: a thread that, when the step has
 * not returned by its deadline, prints one line and ends the process, which makes mpirun end the
 * job. No rank can say which peer holds such a step; the agreement just before it has shown that
 * all were alive then. A watchdog measures the step's whole time, not a silence, and that time
 * grows with the file and the file system's speed (creating fills every dataset), so its deadline
 * is generous and scales with the file (dc_setup_blocking_limit), not run.heartbeat_timeout.
 *
 * Rank 0 holds the results file's lock through setup: its agreements and its watchdogs refresh
 * it (s->lock), so a long setup does not make a live lock look stale to another host. */
#ifndef DCSWEEP_SWEEP_SETUP_H
#define DCSWEEP_SWEEP_SETUP_H

#include <mpi.h>
#include <pthread.h>

#include "dcsweep/core/error.h"
#include "dcsweep/results/lock.h"

enum { DC_TAG_SETUP_ARRIVE = 111, DC_TAG_SETUP_BEAT = 112, DC_TAG_SETUP_OUTCOME = 113,
       DC_TAG_SETUP_DATA = 114 };

/* run.heartbeat_timeout's default, used before the sweep file is read (and if it cannot be). */
#define DC_SETUP_DEFAULT_TIMEOUT 300.0

typedef struct dc_setup {
    MPI_Comm comm;      /* MPI_COMM_NULL or a communicator of one: alone */
    int rank, size;
    double timeout;     /* run.heartbeat_timeout: the longest silence waited for, seconds */
    int check_stop;     /* a SIGINT/SIGTERM received before an agreement fails it (interrupted) */
    int step;           /* agreements so far, carried by every message as a check */
    dc_lock *lock;      /* rank 0: the results file's lock, refreshed while setup waits; or NULL */
} dc_setup;

int dc_setup_init(dc_setup *s, MPI_Comm comm, double timeout, dc_error *err);

/* How long `rank` waits for a silent peer, given run.heartbeat_timeout. */
double dc_setup_patience(int rank, double timeout);

/* Every rank learns whether any rank failed (rc), and the lowest failing rank's code and message
 * go to all; `step` names the step in errors ("setup: creating the trainer"). When all succeeded,
 * rank 0's len bytes at data go to the other ranks' data (same len). DC_ERR_HUNG: a rank did not
 * answer within the timeout; only ending the job helps (the caller's caller aborts). */
int dc_setup_agree(dc_setup *s, const char *step, int rc, void *data, int len, dc_error *err);

/* An agreement that carries rank 0's string *text (malloc'd) to every rank's *text (allocated). */
int dc_setup_agree_string(dc_setup *s, const char *step, int rc, char **text, dc_error *err);

/* A deadline for a step that blocks in MPI: when it has not been stopped `seconds` after start,
 * its thread prints "dcsweep: <message>" and ends the process with status 1. Time this process
 * did not run (it was stopped: SIGSTOP, a Slurm suspend) does not count: the deadline moves back
 * by it. While it waits it refreshes `lock` (when not NULL). */
typedef struct dc_watchdog {
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int running, stopped;
    double seconds;
    dc_lock *lock;
    char message[DC_ERROR_MAX];
} dc_watchdog;

int dc_watchdog_start(dc_watchdog *w, double seconds, dc_lock *lock, dc_error *err, const char *fmt,
                      ...) __attribute__((format(printf, 5, 6)));

/* The whole time allowed to a step that blocks in MPI, before the per-rank stagger of
 * dc_setup_patience: max(10 x run.heartbeat_timeout, 600 s) plus file_bytes (the results file the
 * step creates, opens or closes; 0 for MPI_Init and MPI_Finalize) at a pessimistic 20 MB/s. The
 * environment variable DC_TEST_WATCHDOG_S, for tests only, replaces the max(...) term. */
double dc_setup_blocking_limit(double timeout, double file_bytes);

/* The watchdog of `step`, which blocks in MPI, on rank `rank` (named rank_name: "?" when unknown):
 * its deadline dc_setup_patience(rank, dc_setup_blocking_limit(timeout, file_bytes)) (rank 0
 * first); its line names the rank, the step, the limit and `cause`, what ended it most likely. */
int dc_watchdog_blocking(dc_watchdog *w, int rank, const char *rank_name, double timeout,
                         double file_bytes, const char *step, const char *cause, dc_lock *lock,
                         dc_error *err);

/* The watchdog of a collective MPI-IO step of s's ranks on the results file (none alone): as
 * dc_watchdog_blocking, refreshing s->lock. */
int dc_setup_watchdog(dc_watchdog *w, const dc_setup *s, const char *step, double file_bytes,
                      dc_error *err);

/* Stops and joins it (nothing when it was not started). */
void dc_watchdog_stop(dc_watchdog *w);

#endif
