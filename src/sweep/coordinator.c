/* Rank 0's coordinator (sweep_internal.h): hands out runs in grid order to whichever rank asks,
 * keeps rank 0's own share, prints progress, and watches signals and silent ranks. It never
 * blocks: rank 0 calls dc_coord_serve between its own training steps and while it waits, so a
 * rank asking for work waits at most about one of rank 0's steps. */
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dcsweep/core/perf.h"
#include "dcsweep/sweep/stop.h"
#include "sweep_internal.h"

int dc_coord_init(dc_coord *c, MPI_Comm comm, int size, const dc_run_config *cfg, const int *todo,
                  int n_todo, dc_progress *progress, dc_lock *lock, dc_error *err)
{
    int rc = DC_OK;
    memset(c, 0, sizeof *c);
    c->comm = comm;
    c->size = size;
    c->cfg = cfg;
    c->todo = todo;
    c->n_todo = n_todo;
    c->active = size - 1;
    c->fatal_rank = -1;
    c->progress = progress;
    c->lock = lock;
    DC_ALLOC(c->busy, size);
    DC_ALLOC(c->heard, size);
    DC_ALLOC(c->left, size);
    DC_ALLOC(c->released, size);
    double now = dc_perf_seconds();
    for (int r = 0; r < size; r++) {
        c->busy[r] = -1;
        c->heard[r] = now;
    }
    c->last_serve = now;
    c->wall0 = now;
cleanup:
    return rc;
}

void dc_coord_free(dc_coord *c)
{
    free(c->busy);
    free(c->heard);
    free(c->left);
    free(c->released);
    c->busy = NULL;
    c->heard = NULL;
    c->left = NULL;
    c->released = NULL;
}

void dc_coord_note(void *coord, const char *line)
{
    dc_coord *c = coord;
    dc_progress_note(c->progress, "%s", line);
}

void dc_coord_progress(void *coord, const dc_run_progress *rp)
{
    dc_coord *c = coord;
    dc_progress_epoch(c->progress, rp);
}

static const char *signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

/* A rank that cannot be waited for: the job has to end (the caller aborts it). */
static void hang(dc_coord *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hang(dc_coord *c, const char *fmt, ...)
{
    if (c->hung) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->hung_err.message, sizeof c->hung_err.message, fmt, ap);
    va_end(ap);
    c->hung_err.code = DC_ERR_HUNG;
    c->hung = 1;
    c->stopping = 1;
}

/* The sweep is stopping: the runs in flight on other ranks are checkpointed and stay pending. */
static void abort_busy(dc_coord *c)
{
    if (c->aborts_sent) return;
    c->aborts_sent = 1;
    for (int r = 1; r < c->size; r++)
        if (c->busy[r] >= 0) MPI_Send(NULL, 0, MPI_BYTE, r, DC_TAG_ABORT, c->comm);
}

/* Stopping without a signal of rank 0's own (a worker got one): the stop timeout counts from now. */
static void stop_for_worker(dc_coord *c)
{
    c->stopping = 1;
    if (!c->stop_sig) {
        c->stop_sig = -1;
        c->stop_since = dc_perf_seconds();
    }
    abort_busy(c);
}

static void watch_signals(dc_coord *c)
{
    int n = dc_stop_count();
    if (n == c->signals) return;
    c->signals = n;
    int sig = dc_stop_signal();
    if (n >= 2) {
        hang(c, "%s received again: ending the job now; finished runs are in the file, runs in "
                "flight resume from their last checkpoint", signal_name(sig));
        return;
    }
    c->stopping = 1;
    c->stop_sig = sig;
    c->stop_since = dc_perf_seconds();
    dc_progress_note(c->progress, "%s received: stopping; runs in progress are checkpointed at the "
                     "end of their epoch and stay pending (a second signal, a second or more later, "
                     "ends the job at once)",
                     signal_name(sig));
    abort_busy(c);
}

/* A rank silent for longer than run.heartbeat_timeout, or not stopping within run.stop_timeout:
 * one training a run or not yet asking for one, and also one told to stop that has not said
 * DC_TAG_BYE once the close is called (the closing collectives would wait for it forever). Before
 * the close such a rank is not needed: the others' runs go on, whatever it does. */
static void watch_ranks(dc_coord *c, double now)
{
    for (int r = 1; r < c->size && !c->hung; r++) {
        if (c->left[r] || (c->released[r] && !c->close_sent)) continue;
        char what[32] = "idle";
        if (c->busy[r] >= 0) snprintf(what, sizeof what, "run %d", c->busy[r]);
        double owed_since = c->stop_since;  /* a stop owed since then: a run's end, or the BYE */
        if (c->released[r] && c->close_since > owed_since) owed_since = c->close_since;
        if (now - c->heard[r] > c->cfg->heartbeat_timeout)
            hang(c, "rank %d (%s) has been silent for %.0f s (run.heartbeat_timeout = %g s): "
                    "ending the job; finished runs are in the file; rerun the same command to resume",
                 r, what, now - c->heard[r], c->cfg->heartbeat_timeout);
        else if (c->stopping && c->stop_sig && now - owed_since > c->cfg->stop_timeout)
            hang(c, "rank %d (%s) did not stop within %g s after %s (run.stop_timeout): ending the "
                    "job; finished runs are in the file", r, what, c->cfg->stop_timeout,
                 signal_name(c->stop_sig));
    }
}

static void on_report(dc_coord *c, int from, const dc_worker_report *report)
{
    int stop_this = 0;
    c->busy[from] = -1;
    if (report->kind == DC_REPORT_FINISHED) {
        dc_progress_run(c->progress, &report->row);
    } else if (report->kind == DC_REPORT_ABANDONED) {
        /* Only a signal makes a worker abandon a run: the sweep is being stopped. */
        stop_for_worker(c);
    } else if (report->kind == DC_REPORT_FATAL) {
        dc_progress_run(c->progress, &report->row);
        dc_progress_note(c->progress, "rank %d stopped: %s", from, report->row.error);
        if (c->fatal_rank < 0) {
            c->fatal_rank = from;
            dc_error_set(&c->fatal, DC_ERR_INTERNAL, "worker rank %d failed on run %d: %s", from,
                         report->run, report->row.error);
        }
        stop_this = 1;
    }
    int assign = -1;
    c->handled++;
    if (!c->stopping && !stop_this && c->next < c->n_todo) assign = c->todo[c->next++];
    MPI_Send(&assign, 1, MPI_INT, from, DC_TAG_ASSIGN, c->comm);
    if (assign < 0) {
        c->active--;
        c->released[from] = 1;
    } else {
        c->busy[from] = assign;
    }
}

/* CPU seconds of this thread: what serving costs, whether or not the OS ran us meanwhile. */
static double thread_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One pending message, if any; returns whether there was one. */
static int receive_one(dc_coord *c, double now)
{
    int flag = 0;
    MPI_Status st;
    if (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, c->comm, &flag, &st) != MPI_SUCCESS || !flag) return 0;
    if (c->left[st.MPI_SOURCE]) {
        /* A rank that said DC_TAG_BYE is in the close's agreement (setup.h): its message is the
         * agreement's, to be left queued. Then the others are asked one by one (this happens only
         * while the last ranks come to the close). */
        flag = 0;
        for (int r = 1; r < c->size && !flag; r++)
            if (!c->left[r] && (MPI_Iprobe(r, MPI_ANY_TAG, c->comm, &flag, &st) != MPI_SUCCESS)) return 0;
        if (!flag) return 0;
    }
    int from = st.MPI_SOURCE;
    c->heard[from] = now;
    if (st.MPI_TAG == DC_TAG_REPORT) {
        double cpu0 = thread_cpu_seconds();
        dc_worker_report report;
        MPI_Recv(&report, (int)sizeof report, MPI_BYTE, from, DC_TAG_REPORT, c->comm, MPI_STATUS_IGNORE);
        on_report(c, from, &report);
        c->report_seconds += thread_cpu_seconds() - cpu0;
    } else if (st.MPI_TAG == DC_TAG_NOTE) {
        char line[DC_NOTE_MAX];
        MPI_Recv(line, DC_NOTE_MAX, MPI_CHAR, from, DC_TAG_NOTE, c->comm, MPI_STATUS_IGNORE);
        line[DC_NOTE_MAX - 1] = '\0';
        dc_progress_note(c->progress, "rank %d: %s", from, line);
    } else if (st.MPI_TAG == DC_TAG_PROGRESS) {
        dc_run_progress rp;
        MPI_Recv(&rp, (int)sizeof rp, MPI_BYTE, from, DC_TAG_PROGRESS, c->comm, MPI_STATUS_IGNORE);
        rp.monitor_name[sizeof rp.monitor_name - 1] = '\0';
        rp.rank = from;
        dc_progress_epoch(c->progress, &rp);
    } else if (st.MPI_TAG == DC_TAG_BEAT) {
        int beat[2];
        MPI_Recv(beat, 2, MPI_INT, from, DC_TAG_BEAT, c->comm, MPI_STATUS_IGNORE);
    } else if (st.MPI_TAG == DC_TAG_BYE) {
        MPI_Recv(NULL, 0, MPI_BYTE, from, DC_TAG_BYE, c->comm, MPI_STATUS_IGNORE);
        if (!c->left[from]) c->n_left++;
        c->left[from] = 1;
    } else {
        /* Not ours: take it off the queue so it cannot block the others. */
        MPI_Recv(NULL, 0, MPI_BYTE, from, st.MPI_TAG, c->comm, MPI_STATUS_IGNORE);
    }
    return 1;
}

/* A rank told to stop waits for DC_TAG_CLOSE, maybe for minutes while rank 0 trains its last run:
 * it hears that rank 0 is alive (worker.c gives up on a silent rank 0, as rank 0 does on it). */
static void beat_released(dc_coord *c, double now)
{
    double every = c->cfg->heartbeat_timeout / 10.0 < 1.0 ? c->cfg->heartbeat_timeout / 10.0 : 1.0;
    if (c->comm == MPI_COMM_NULL || c->close_sent || now - c->beat_sent < every) return;
    for (int r = 1; r < c->size; r++)
        if (c->released[r] && !c->left[r]) MPI_Send(NULL, 0, MPI_BYTE, r, DC_TAG_BEAT, c->comm);
    c->beat_sent = now;
}

int dc_coord_serve(void *coord)
{
    dc_coord *c = coord;
    double now = dc_perf_seconds(), cpu0 = thread_cpu_seconds();
    if (c->active > 0 && now - c->last_serve > c->max_gap) c->max_gap = now - c->last_serve;
    c->last_serve = now;
    watch_signals(c);
    if (c->comm != MPI_COMM_NULL)
        while (receive_one(c, now)) {}
    watch_ranks(c, dc_perf_seconds());
    beat_released(c, now);
    if (c->lock) dc_lock_refresh(c->lock);
    c->serve_seconds += thread_cpu_seconds() - cpu0;
    c->serves++;
    return c->stopping;
}

int dc_coord_all_at_close(dc_coord *c)
{
    if (c->active > 0) return 0;
    if (!c->close_sent) {
        for (int r = 1; r < c->size; r++) MPI_Send(NULL, 0, MPI_BYTE, r, DC_TAG_CLOSE, c->comm);
        c->close_since = dc_perf_seconds();
        c->close_sent = 1;
    }
    return c->n_left == c->size - 1;
}

int dc_coord_take(dc_coord *c)
{
    if (c->stopping || c->local_dead || c->next >= c->n_todo) return -1;
    c->busy[0] = c->todo[c->next++];
    return c->busy[0];
}

void dc_coord_local(dc_coord *c, const dc_worker_report *report, int rc, const dc_error *err)
{
    c->busy[0] = -1;
    if (report->kind == DC_REPORT_FINISHED || report->kind == DC_REPORT_FATAL)
        dc_progress_run(c->progress, &report->row);
    if (report->kind == DC_REPORT_ABANDONED) {
        /* Rank 0's own signal (seen at its next serve, which also stamps the time), or the abort
         * that a worker's signal set off. */
        if (dc_stop_signal()) watch_signals(c);
        else stop_for_worker(c);
    }
    if (rc != DC_OK) {
        /* Rank 0's trainer is unusable: it goes on coordinating, the other ranks go on training. */
        c->local_dead = 1;
        dc_progress_note(c->progress, "rank 0 stopped training: %s", err->message);
        if (c->fatal_rank < 0) {
            c->fatal_rank = 0;
            dc_error_set(&c->fatal, DC_ERR_INTERNAL, "worker rank 0 failed on run %d: %s", report->run,
                         err->message);
        }
    }
}

void dc_coord_stats(const dc_coord *c, dc_coord_costs *costs)
{
    double wall = dc_perf_seconds() - c->wall0;
    costs->share = wall > 0 ? c->serve_seconds / wall : -1;
    costs->max_gap = c->max_gap;
    costs->per_report = c->handled > 0 ? c->report_seconds / c->handled : -1;
    costs->per_serve = c->serves > 0 ? (c->serve_seconds - c->report_seconds) / (double)c->serves : -1;
}
