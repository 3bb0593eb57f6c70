/* Bounded agreements and the watchdog of the steps that block in MPI (dcsweep/sweep/setup.h). */
#include "dcsweep/sweep/setup.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dcsweep/core/perf.h"
#include "dcsweep/sweep/stop.h"
#include "dcsweep/sweep/worker.h"

/* What a rank > 0 sends on arriving, and what rank 0 answers: under the eager limit of every
 * transport (sent even when the receiver is stopped). */
typedef struct setup_msg {
    int step;
    int code;
    int len;                    /* the answer's data bytes that follow (DC_TAG_SETUP_DATA) */
    char message[DC_ERROR_MAX];
} setup_msg;

double dc_setup_patience(int rank, double timeout)
{
    return rank == 0 ? timeout : rank == 1 ? 1.5 * timeout : 2 * timeout;
}

int dc_setup_init(dc_setup *s, MPI_Comm comm, double timeout, dc_error *err)
{
    memset(s, 0, sizeof *s);
    s->comm = comm;
    s->size = 1;
    s->timeout = timeout > 0 ? timeout : DC_SETUP_DEFAULT_TIMEOUT;
    s->check_stop = 1;
    if (comm != MPI_COMM_NULL && (MPI_Comm_rank(comm, &s->rank) != MPI_SUCCESS ||
                                  MPI_Comm_size(comm, &s->size) != MPI_SUCCESS))
        return dc_error_set(err, DC_ERR_MPI, "MPI_Comm_rank/size failed");
    return DC_OK;
}

static const char *signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

static int silent(const dc_setup *s, int rank, const char *step, double seconds, dc_error *err)
{
    return dc_error_set(err, DC_ERR_HUNG, "rank %d (%s) has been silent for %.0f s "
                        "(run.heartbeat_timeout = %g s): ending the job; finished runs are in the "
                        "file; rerun the same command to resume", rank, step, seconds, s->timeout);
}

/* Seconds this process itself did not run since *last (it was stopped): a wait measures the
 * others' silence, so it does not count them (a rank continued after SIGSTOP blames nobody). */
static double absent(double *last)
{
    double now = dc_perf_seconds(), gap = now - *last;
    *last = now;
    return gap > 1.0 ? gap : 0.0;
}

/* Completes the n requests (each to or from rank peer[i]) or names the first peer still owing
 * one after the timeout. */
static int wait_all(const dc_setup *s, MPI_Request *reqs, const int *peer, int n, const char *step,
                    dc_error *err)
{
    dc_poll poll;
    dc_poll_reset(&poll);
    double start = dc_perf_seconds(), last = start;
    for (;;) {
        start += absent(&last);
        if (s->lock) dc_lock_refresh(s->lock);
        int all = 1;
        for (int i = 0; i < n; i++) {
            int done = 1;
            if (reqs[i] != MPI_REQUEST_NULL && MPI_Test(&reqs[i], &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
                return dc_error_set(err, DC_ERR_MPI, "%s: MPI_Test failed", step);
            all &= done;
        }
        if (all) return DC_OK;
        double waited = dc_perf_seconds() - start;
        if (waited > s->timeout)
            for (int i = 0; i < n; i++)
                if (reqs[i] != MPI_REQUEST_NULL) return silent(s, peer[i], step, waited, err);
        dc_poll_wait(&poll);
    }
}

/* Rank 0: every other rank's arrival (the lowest failing one's outcome kept in *worst), telling
 * those that wait that rank 0 is alive. */
static int gather(dc_setup *s, const char *step, setup_msg *worst, int *worst_rank, dc_error *err)
{
    int rc = DC_OK, n_arrived = 1;
    unsigned char *arrived = NULL;
    DC_ALLOC(arrived, s->size);
    double start = dc_perf_seconds(), beat = start, last = start;
    double every = s->timeout / 10.0 < 1.0 ? s->timeout / 10.0 : 1.0;
    dc_poll poll;
    dc_poll_reset(&poll);
    while (n_arrived < s->size) {
        start += absent(&last);
        if (s->lock) dc_lock_refresh(s->lock);
        int flag = 0;
        MPI_Status st;
        MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, DC_TAG_SETUP_ARRIVE, s->comm, &flag, &st));
        if (flag) {
            setup_msg m;
            MPI_CHECK(MPI_Recv(&m, (int)sizeof m, MPI_BYTE, st.MPI_SOURCE, DC_TAG_SETUP_ARRIVE,
                               s->comm, MPI_STATUS_IGNORE));
            if (m.step != s->step || arrived[st.MPI_SOURCE])
                DC_FAIL(DC_ERR_INTERNAL, "%s: rank %d arrived at setup step %d, rank 0 is at %d",
                        step, st.MPI_SOURCE, m.step, s->step);
            arrived[st.MPI_SOURCE] = 1;
            n_arrived++;
            if (m.code != DC_OK && st.MPI_SOURCE < *worst_rank) {
                *worst = m;
                *worst_rank = st.MPI_SOURCE;
            }
            dc_poll_reset(&poll);
            continue;
        }
        double now = dc_perf_seconds();
        if (now - start > s->timeout) {
            int r = 1;
            while (arrived[r]) r++;
            DC_TRY(silent(s, r, step, now - start, err));
        }
        if (now - beat >= every) {
            for (int r = 1; r < s->size; r++)
                if (arrived[r]) MPI_CHECK(MPI_Send(NULL, 0, MPI_BYTE, r, DC_TAG_SETUP_BEAT, s->comm));
            beat = now;
        }
        dc_poll_wait(&poll);
    }
cleanup:
    free(arrived);
    return rc;
}

/* Rank 0: the outcome (and, when it is success, data) to every other rank. */
static int answer(dc_setup *s, const char *step, const setup_msg *outcome, void *data, dc_error *err)
{
    int rc = DC_OK, n = 0;
    MPI_Request *reqs = NULL;
    int *peer = NULL;
    DC_ALLOC(reqs, 2 * s->size);
    DC_ALLOC(peer, 2 * s->size);
    for (int r = 1; r < s->size; r++) {
        peer[n] = r;
        MPI_CHECK(MPI_Isend(outcome, (int)sizeof *outcome, MPI_BYTE, r, DC_TAG_SETUP_OUTCOME, s->comm,
                            &reqs[n++]));
        if (outcome->code == DC_OK && outcome->len > 0) {
            peer[n] = r;
            MPI_CHECK(MPI_Isend(data, outcome->len, MPI_BYTE, r, DC_TAG_SETUP_DATA, s->comm, &reqs[n++]));
        }
    }
    DC_TRY(wait_all(s, reqs, peer, n, step, err));
cleanup:
    free(reqs);
    free(peer);
    return rc;
}

/* A rank > 0: rank 0's answer, as long as rank 0 is heard from. */
static int await_answer(dc_setup *s, const char *step, setup_msg *outcome, dc_error *err)
{
    int rc = DC_OK;
    double patience = dc_setup_patience(s->rank, s->timeout);
    double heard = dc_perf_seconds(), last = heard;
    dc_poll poll;
    dc_poll_reset(&poll);
    for (;;) {
        heard += absent(&last);
        int flag = 0;
        MPI_Status st;
        MPI_CHECK(MPI_Iprobe(0, MPI_ANY_TAG, s->comm, &flag, &st));
        if (flag && st.MPI_TAG == DC_TAG_SETUP_BEAT) {
            MPI_CHECK(MPI_Recv(NULL, 0, MPI_BYTE, 0, DC_TAG_SETUP_BEAT, s->comm, MPI_STATUS_IGNORE));
            heard = dc_perf_seconds();
            continue;
        }
        if (flag && st.MPI_TAG == DC_TAG_SETUP_OUTCOME) {
            MPI_CHECK(MPI_Recv(outcome, (int)sizeof *outcome, MPI_BYTE, 0, DC_TAG_SETUP_OUTCOME, s->comm,
                               MPI_STATUS_IGNORE));
            if (outcome->step != s->step)
                DC_FAIL(DC_ERR_INTERNAL, "%s: rank 0 answered setup step %d, rank %d is at %d", step,
                        outcome->step, s->rank, s->step);
            break;
        }
        if (flag)
            DC_FAIL(DC_ERR_INTERNAL, "%s: unexpected message tag %d from rank 0", step, st.MPI_TAG);
        double now = dc_perf_seconds();
        if (now - heard > patience) DC_TRY(silent(s, 0, step, now - heard, err));
        dc_poll_wait(&poll);
    }
cleanup:
    return rc;
}

int dc_setup_agree(dc_setup *s, const char *step, int rc, void *data, int len, dc_error *err)
{
    s->step++;
    if (s->lock) dc_lock_refresh(s->lock);  /* also between steps: rank 0's own work is in them */
    if (rc == DC_OK && s->check_stop && dc_stop_signal())
        rc = dc_error_set(err, DC_ERR_INTERRUPTED, "interrupted by %s during %s: no run was "
                          "started; run the same command again to start or resume the sweep",
                          signal_name(dc_stop_signal()), step);
    if (s->comm == MPI_COMM_NULL || s->size == 1) return rc;
    setup_msg m;
    memset(&m, 0, sizeof m);
    m.step = s->step;
    m.code = rc;
    if (rc != DC_OK) snprintf(m.message, sizeof m.message, "%s", err->message);
    int peer0 = 0;
    if (s->rank > 0) {
        MPI_Request req;
        if (MPI_Isend(&m, (int)sizeof m, MPI_BYTE, 0, DC_TAG_SETUP_ARRIVE, s->comm, &req) != MPI_SUCCESS)
            return dc_error_set(err, DC_ERR_MPI, "%s: MPI_Isend failed", step);
        int wrc = wait_all(s, &req, &peer0, 1, step, err);
        if (wrc != DC_OK) return wrc;
        wrc = await_answer(s, step, &m, err);
        if (wrc != DC_OK) return wrc;
        if (m.code != DC_OK) {
            err->code = m.code;
            snprintf(err->message, sizeof err->message, "%s", m.message);
            return m.code;
        }
        if (m.len != len)
            return dc_error_set(err, DC_ERR_INTERNAL, "%s: rank 0 sent %d bytes, rank %d expects %d",
                                step, m.len, s->rank, len);
        if (len == 0) return DC_OK;
        MPI_Request req_data;
        if (MPI_Irecv(data, len, MPI_BYTE, 0, DC_TAG_SETUP_DATA, s->comm, &req_data) != MPI_SUCCESS)
            return dc_error_set(err, DC_ERR_MPI, "%s: MPI_Irecv failed", step);
        return wait_all(s, &req_data, &peer0, 1, step, err);
    }
    int worst_rank = rc != DC_OK ? 0 : s->size;
    setup_msg worst = m;
    int grc = gather(s, step, &worst, &worst_rank, err);
    if (grc != DC_OK) return grc;
    setup_msg outcome = worst_rank < s->size ? worst : m;
    outcome.step = s->step;
    outcome.len = outcome.code == DC_OK ? len : 0;
    int arc = answer(s, step, &outcome, data, err);
    if (arc != DC_OK) return arc;
    if (outcome.code != DC_OK) {
        err->code = outcome.code;
        snprintf(err->message, sizeof err->message, "%s", outcome.message);
    }
    return outcome.code;
}

int dc_setup_agree_string(dc_setup *s, const char *step, int rc, char **text, dc_error *err)
{
    int len = s->rank == 0 && *text ? (int)strlen(*text) + 1 : 0;
    rc = dc_setup_agree(s, step, rc, &len, (int)sizeof len, err);
    if (rc != DC_OK) goto cleanup;
    if (s->rank != 0) {
        free(*text);
        DC_ALLOC(*text, len > 0 ? len : 1);
    }
    if (len > 0) DC_TRY(dc_setup_agree(s, step, DC_OK, *text, len, err));
cleanup:
    return rc;
}

/* ---- the watchdog ---- */

enum { WATCH_EVERY_S = 1 };  /* how often the watchdog wakes: lock refreshes, late wakes */

static struct timespec monotonic_at(double seconds)
{
    struct timespec t;
    t.tv_sec = (time_t)seconds;
    t.tv_nsec = (long)((seconds - (double)t.tv_sec) * 1e9);
    return t;
}

static void *watch(void *arg)
{
    dc_watchdog *w = arg;
    double last = dc_perf_seconds(), deadline = last + w->seconds, late_total = 0;
    pthread_mutex_lock(&w->mutex);
    while (!w->stopped) {
        double now = dc_perf_seconds();
        /* A wake much later than asked: this process was not running (SIGSTOP, a Slurm suspend
         * or gang scheduling), so that time was not the step's, as absent() does for the
         * agreements: the deadline moves back by it. */
        double late = now - last - WATCH_EVERY_S;
        if (late > 1.0) {
            deadline += late;
            late_total += late;
        }
        last = now;
        if (now >= deadline) break;
        if (w->lock) {
            pthread_mutex_unlock(&w->mutex);
            dc_lock_refresh(w->lock);
            pthread_mutex_lock(&w->mutex);
            if (w->stopped) break;
        }
        double next = now + WATCH_EVERY_S < deadline ? now + WATCH_EVERY_S : deadline;
        struct timespec until = monotonic_at(next);
        pthread_cond_timedwait(&w->cond, &w->mutex, &until);
    }
    int fire = !w->stopped;
    pthread_mutex_unlock(&w->mutex);
    if (fire) {
        /* The step blocks in MPI, which cannot be cancelled: ending this process is what ends the
         * job (mpirun then stops the other ranks), as MPI_Abort would; files are left as a kill
         * at this moment leaves them. */
        if (late_total > 0)
            fprintf(stderr, "dcsweep: %s (not counting %.0f s this process was stopped)\n", w->message,
                    late_total);
        else
            fprintf(stderr, "dcsweep: %s\n", w->message);
        fflush(stderr);
        _exit(1);
    }
    return NULL;
}

int dc_watchdog_start(dc_watchdog *w, double seconds, dc_lock *lock, dc_error *err, const char *fmt, ...)
{
    memset(w, 0, sizeof *w);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->message, sizeof w->message, fmt, ap);
    va_end(ap);
    w->seconds = seconds;
    w->lock = lock;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->mutex, NULL);
    pthread_cond_init(&w->cond, &attr);
    pthread_condattr_destroy(&attr);
    /* Signals stay with the main thread: the stop handler's sleeps must be the ones cut short. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int bad = pthread_create(&w->thread, NULL, watch, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (bad) {
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->mutex);
        return dc_error_set(err, DC_ERR_INTERNAL, "cannot start a watchdog thread: %s", strerror(bad));
    }
    w->running = 1;
    return DC_OK;
}

/* A whole step's time, not a silence: a slow but healthy file system (fallocate emulated byte by
 * byte on NFSv3, the NaN fill of a 10 GB /models/params) must never be taken for a hung rank. */
enum { BLOCKING_FLOOR_S = 600, BLOCKING_HEARTBEATS = 10 };
#define BLOCKING_BYTES_PER_S 20e6

static double test_watchdog_base(void)
{
    const char *test = getenv("DC_TEST_WATCHDOG_S");  /* tests only: docs/reliability.md */
    return test ? atof(test) : 0.0;
}

double dc_setup_blocking_limit(double timeout, double file_bytes)
{
    double base = BLOCKING_HEARTBEATS * timeout > BLOCKING_FLOOR_S ? BLOCKING_HEARTBEATS * timeout
                                                                   : BLOCKING_FLOOR_S;
    if (test_watchdog_base() > 0) base = test_watchdog_base();
    return base + (file_bytes > 0 ? file_bytes / BLOCKING_BYTES_PER_S : 0.0);
}

int dc_watchdog_blocking(dc_watchdog *w, int rank, const char *rank_name, double timeout,
                         double file_bytes, const char *step, const char *cause, dc_lock *lock,
                         dc_error *err)
{
    double seconds = dc_setup_patience(rank, dc_setup_blocking_limit(timeout, file_bytes));
    char base[96];
    if (test_watchdog_base() > 0)
        snprintf(base, sizeof base, "DC_TEST_WATCHDOG_S = %g s", test_watchdog_base());
    else
        snprintf(base, sizeof base, "max(%d x run.heartbeat_timeout = %g s, %d s)", BLOCKING_HEARTBEATS,
                 timeout, BLOCKING_FLOOR_S);
    char file[96] = "";
    if (file_bytes > 0)
        snprintf(file, sizeof file, " + the file's %.0f MB at %.0f MB/s", file_bytes / 1e6,
                 BLOCKING_BYTES_PER_S / 1e6);
    return dc_watchdog_start(w, seconds, lock, err, "rank %s: %s took more than %g s (%s%s%s): %s; "
                             "ending the job; rerun the same command to resume", rank_name, step,
                             round(seconds * 10) / 10, base, file, rank == 0 ? "" : rank == 1 ? ", x 1.5 on rank 1"
                             : ", x 2 on ranks > 1", cause);
}

int dc_setup_watchdog(dc_watchdog *w, const dc_setup *s, const char *step, double file_bytes,
                      dc_error *err)
{
    memset(w, 0, sizeof *w);
    if (s->comm == MPI_COMM_NULL || s->size == 1) return DC_OK;
    char name[16];
    snprintf(name, sizeof name, "%d", s->rank);
    return dc_watchdog_blocking(w, s->rank, name, s->timeout, file_bytes, step,
                                "a rank is hung or the file system is too slow", s->lock, err);
}

void dc_watchdog_stop(dc_watchdog *w)
{
    if (!w->running) return;
    pthread_mutex_lock(&w->mutex);
    w->stopped = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mutex);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->mutex);
    w->running = 0;
}
