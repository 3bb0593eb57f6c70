/* A worker: trains runs, writes their rows, reports to the coordinator (include/dcsweep/sweep/worker.h). */
#include "dcsweep/sweep/worker.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dcsweep/core/perf.h"
#include "dcsweep/sweep/setup.h"
#include "dcsweep/sweep/stop.h"

#define POLL_MIN_NS 500000L    /* 0.5 ms */
#define POLL_MAX_NS 10000000L  /* 10 ms: short next to any training epoch */

void dc_poll_reset(dc_poll *p) { p->ns = POLL_MIN_NS; }

void dc_poll_wait(dc_poll *p)
{
    if (p->ns < POLL_MIN_NS) p->ns = POLL_MIN_NS;
    struct timespec ts = {0, p->ns};
    nanosleep(&ts, NULL);
    p->ns = p->ns * 2 < POLL_MAX_NS ? p->ns * 2 : POLL_MAX_NS;
}

static int real_create(void **state, const dc_sweep *sweep, dc_error *err)
{
    return dc_trainer_create((dc_trainer **)state, sweep, err);
}

static void real_destroy(void *state) { dc_trainer_destroy(state); }

static const dc_trainer_desc *real_describe(const void *state) { return dc_trainer_describe(state); }

static int real_run(void *state, const dc_run *run, const dc_run_state *resume,
                    dc_run_result *result, const dc_train_hooks *hooks, dc_error *err)
{
    return dc_trainer_run(state, run, resume, result, hooks, err);
}

static int real_rescale(void *state, dc_rescaling method, dc_rescale *out, dc_error *err)
{
    return dc_trainer_rescale(state, method, out, err);
}

const dc_trainer_ops dc_trainer_real_ops = {real_create, real_destroy, real_describe, real_run,
                                            real_rescale};

static double unix_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int dc_worker_init(dc_worker *w, const dc_sweep *sweep, const dc_grid *grid, const dc_trainer_ops *ops,
                   void *trainer, dc_results *results, const char *output, MPI_Comm comm,
                   dc_error *err)
{
    int rc = DC_OK;
    memset(w, 0, sizeof *w);
    w->sweep = sweep;
    w->grid = grid;
    w->ops = ops;
    w->trainer = trainer;
    w->results = results;
    w->output = output;
    w->comm = comm;
    w->run = -1;
    const dc_trainer_desc *d = ops->describe(trainer);
    w->lr_curve = w->monitor_curve = -1;
    for (int k = 0; k < d->n_curves; k++) {
        if (strcmp(d->curves[k], "lr") == 0) w->lr_curve = k;
        if (strcmp(d->curves[k], "monitor") == 0) w->monitor_curve = k;
    }
    w->ckpt_id = (dc_checkpoint_id){.sweep_sha256 = sweep->sha256, .numerics_version = d->numerics_version};
    if (comm != MPI_COMM_NULL) MPI_CHECK(MPI_Comm_rank(comm, &w->rank));
    if (gethostname(w->host, sizeof w->host - 1) != 0) snprintf(w->host, sizeof w->host, "unknown");
    w->host[sizeof w->host - 1] = '\0';
cleanup:
    return rc;
}

/* A line for the progress output: rank 0 prints it itself, the others send it there. */
static void note(dc_worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(dc_worker *w, const char *fmt, ...)
{
    char line[DC_NOTE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (w->note) w->note(w->coordinator, line);
    else if (w->comm != MPI_COMM_NULL) MPI_Send(line, DC_NOTE_MAX, MPI_CHAR, 0, DC_TAG_NOTE, w->comm);
}

/* Often enough for the coordinator's run.heartbeat_timeout (ranks > 0). */
static void heartbeat(dc_worker *w)
{
    double now = dc_perf_seconds(), every = w->sweep->run.heartbeat_timeout / 10.0;
    if (now - w->last_beat >= (every < 1.0 ? every : 1.0)) {
        int beat[2] = {w->run, 0};
        MPI_Send(beat, 2, MPI_INT, 0, DC_TAG_BEAT, w->comm);  /* 8 bytes: sent eagerly */
        w->last_beat = now;
    }
}

/* Between steps: rank 0 serves the sweep; the others look for DC_TAG_ABORT and say they are alive
 * often enough for the coordinator's run.heartbeat_timeout. */
static void on_step(void *ctx)
{
    dc_worker *w = ctx;
    if (w->serve) {
        if (w->serve(w->coordinator)) w->aborted = 1;
        return;
    }
    if (w->comm == MPI_COMM_NULL) return;
    int flag = 0;
    if (!w->aborted && MPI_Iprobe(0, DC_TAG_ABORT, w->comm, &flag, MPI_STATUS_IGNORE) == MPI_SUCCESS && flag) {
        MPI_Recv(NULL, 0, MPI_BYTE, 0, DC_TAG_ABORT, w->comm, MPI_STATUS_IGNORE);
        w->aborted = 1;
    }
    heartbeat(w);
}

static void save_checkpoint(dc_worker *w, const dc_run_state *state)
{
    char path[4300];
    dc_error err = {0};
    int rc = dc_checkpoint_path(w->output, state->run, path, sizeof path, &err);
    if (rc == DC_OK) rc = dc_checkpoint_save(path, &w->ckpt_id, state, &err);
    if (rc == DC_OK) {
        w->last_save = dc_perf_seconds();
    } else if (!w->ckpt_warned) {
        /* The run goes on: a checkpoint only saves time, never a result. */
        note(w, "warning: run %d: no checkpoint at epoch %d: %s", state->run, state->epoch, err.message);
        w->ckpt_warned = 1;
    }
    if (rc != DC_OK && w->ckpt_err.code == DC_OK) w->ckpt_err = err;
}

/* A progress line for a batch log when one is due (never in the run's first progress_seconds):
 * rank 0 prints it itself, the others send it there. Only reads the state: no numerics. */
static void progress_line(dc_worker *w, const double *curve_values, const dc_run_state *state)
{
    double now = dc_perf_seconds();
    if (!dc_run_progress_due(now, w->last_progress, w->progress_seconds)) return;
    if (state->epoch >= state->n_epochs || state->stop_reason != DC_STOP_NONE) return;  /* done line next */
    w->last_progress = now;
    dc_run_progress rp;
    dc_run_progress_fill(&rp, state, curve_values, w->lr_curve, w->monitor_curve, w->sweep->train.monitor,
                         now - w->run_t0, w->epoch0, w->sweep->train.early_stopping.patience > 0);
    rp.rank = w->rank;
    if (w->progress) w->progress(w->coordinator, &rp);
    else if (w->comm != MPI_COMM_NULL)
        MPI_Send(&rp, (int)sizeof rp, MPI_BYTE, 0, DC_TAG_PROGRESS, w->comm);  /* small: eager */
}

/* After every epoch: checkpoint when train.checkpoint_seconds have passed, and always when the run
 * is being stopped (a signal, or the coordinator's DC_TAG_ABORT): the run stays pending and the
 * next `dcsweep run` continues it from there. */
static int on_epoch(void *ctx, const dc_run *run, int epoch, const double *curve_values,
                    const dc_run_state *state)
{
    dc_worker *w = ctx;
    (void)run;
    on_step(w);
    int stop = dc_stop_signal() != 0 || w->aborted;
    if (!state) return stop;  /* a trainer without state to save (the tests' fake) */
    if (!stop) progress_line(w, curve_values, state);
    int last = epoch >= state->n_epochs || state->stop_reason != DC_STOP_NONE;
    int due = dc_perf_seconds() - w->last_save >= w->sweep->train.checkpoint_seconds;
    if (stop || (due && !last)) save_checkpoint(w, state);
    return stop;
}

static void set_text(char *dst, size_t cap, const char *src)
{
    /* Messages longer than the column are cut: the column is fixed-size by design. */
    memset(dst, 0, cap);
    size_t n = src ? strnlen(src, cap - 1) : 0;
    memcpy(dst, src ? src : "", n);
}

/* The run's checkpoint, when there is a usable one: *have = 1 and st filled. A refused one (another
 * sweep or engine, damaged) is set aside with a warning and the run starts over. */
static int load_checkpoint(dc_worker *w, int run, const char *path, dc_run_state *st, int *have,
                           dc_error *err)
{
    dc_error why = {0};
    *have = 0;
    int rc = dc_checkpoint_load(path, &w->ckpt_id, run, st, &why);
    if (rc == DC_OK) {
        *have = 1;
        note(w, "run %d resumes at epoch %d (checkpoint %s)", run, st->epoch + 1, path);
        return DC_OK;
    }
    if (rc == DC_ERR_IO) return DC_OK;  /* none */
    if (rc == DC_ERR_NOMEM) return dc_error_set(err, rc, "%s", why.message);
    char moved[4400];
    dc_error aside = {0};
    if (dc_checkpoint_set_aside(path, moved, sizeof moved, &aside) == DC_OK)
        note(w, "warning: %s; set aside as %s; run %d starts over", why.message, moved, run);
    else
        note(w, "warning: %s; run %d starts over (%s)", why.message, run, aside.message);
    return DC_OK;
}

/* Trains the run, from its checkpoint when there is one; a checkpoint that the trainer finds does
 * not fit the run is set aside like a damaged one, and the run starts over. */
static int train(dc_worker *w, const dc_run *run, const char *path, dc_run_result *result,
                 dc_error *err)
{
    int rc = DC_OK, have = 0;
    dc_run_state resume;
    memset(&resume, 0, sizeof resume);
    dc_train_hooks hooks = {.on_epoch = on_epoch, .on_step = on_step, .ctx = w};
    DC_TRY(load_checkpoint(w, run->index, path, &resume, &have, err));
    w->last_save = w->run_t0 = w->last_progress = dc_perf_seconds();
    w->epoch0 = have ? resume.epoch : 0;
    rc = w->ops->run(w->trainer, run, have ? &resume : NULL, result, &hooks, err);
    if (rc == DC_ERR_INPUT && have) {
        char moved[4400];
        dc_error aside = {0};
        note(w, "warning: %s; set aside; run %d starts over", err->message, run->index);
        dc_checkpoint_set_aside(path, moved, sizeof moved, &aside);
        dc_run_result_free(result);
        dc_error_clear(err);
        w->epoch0 = 0;
        rc = w->ops->run(w->trainer, run, NULL, result, &hooks, err);
    }
cleanup:
    dc_checkpoint_state_free(&resume);
    return rc;
}

int dc_worker_do_run(dc_worker *w, int run_index, dc_worker_report *report, dc_error *err)
{
    int rc = DC_OK;
    dc_run_result result;
    char path[4300];
    memset(&result, 0, sizeof result);
    memset(report, 0, sizeof *report);
    report->run = run_index;
    dc_results_row *row = &report->row;
    if (run_index < 0 || run_index >= w->grid->n_runs)
        DC_FAIL(DC_ERR_INTERNAL, "run %d is not in the grid of %d runs", run_index, w->grid->n_runs);
    const dc_run *run = &w->grid->runs[run_index];
    dc_results_row_init(row, run);
    row->rank = w->rank;
    set_text(row->host, sizeof row->host, w->host);
    w->aborted = 0;
    w->ckpt_warned = 0;
    w->run = run_index;
    DC_TRY(dc_checkpoint_path(w->output, run_index, path, sizeof path, err));

    int epochs = dc_results_epochs(w->results);
    rc = train(w, run, path, &result, err);
    if (rc != DC_OK) {
        /* The worker is unusable; the run itself may be fine, so record it as failed (rerun with
         * --retry-failed) and keep the trainer's message, not whatever recording it says. */
        report->kind = DC_REPORT_FATAL;
        set_text(row->status, sizeof row->status, dc_run_status_name(DC_RUN_FAILED));
        set_text(row->error, sizeof row->error, err->message);
        row->epochs_completed = result.epochs_completed;
        row->wall_seconds = result.wall_seconds;
        row->finished = unix_seconds();
        dc_error ignored = {0};
        dc_results_write_run(w->results, row, NULL, NULL, &ignored);
        goto cleanup;
    }
    if (result.status == DC_RUN_PENDING) {
        report->kind = DC_REPORT_ABANDONED;
        goto cleanup;
    }
    int n_curves = 0;
    dc_results_curves(w->results, &n_curves);
    if (result.curves && (result.n_epochs != epochs || result.n_curves != n_curves))
        DC_FAIL(DC_ERR_INTERNAL, "run %d: the trainer returned %d curves x %d epochs, the file has "
                "%d x %d", run_index, result.n_curves, result.n_epochs, n_curves, epochs);
    set_text(row->status, sizeof row->status, dc_run_status_name(result.status));
    if (result.status != DC_RUN_DONE) set_text(row->error, sizeof row->error, result.message);
    row->epochs_completed = result.epochs_completed;
    row->diverged_epoch = result.diverged_epoch;
    row->best_epoch = result.best_epoch;
    set_text(row->stop_reason, sizeof row->stop_reason, dc_stop_reason_name(result.stop_reason));
    row->final_lr = result.final_lr;
    row->wall_seconds = result.wall_seconds;
    for (int k = 0; k < result.n_metrics && k < DC_MAX_METRICS; k++) row->metric[k] = result.metrics[k];
    row->finished = unix_seconds();
    DC_TRY(dc_results_write_run(w->results, row, result.curves, result.params, err));
    report->kind = DC_REPORT_FINISHED;
    dc_error ignored = {0};
    dc_checkpoint_remove(path, &ignored);  /* the row is final: its checkpoint has done its job */
cleanup:
    if (rc != DC_OK) report->kind = DC_REPORT_FATAL;
    w->run = -1;
    dc_run_result_free(&result);
    return rc;
}

int dc_wait_polling(MPI_Request *req, dc_error *err)
{
    int rc = DC_OK;
    dc_poll poll;
    dc_poll_reset(&poll);
    for (;;) {
        int done = 0;
        MPI_CHECK(MPI_Test(req, &done, MPI_STATUS_IGNORE));
        if (done) break;
        dc_poll_wait(&poll);
    }
cleanup:
    return rc;
}

/* Rank 0 is waited for only as long as it is heard from: it answers a report within one of its
 * own training steps, and sends DC_TAG_BEAT to a rank told to stop until it calls it to the
 * close. Rank 1 gives up on a silent rank 0 after 1.5 run.heartbeat_timeout, the others after 2
 * (rank 0's own watch, of the others, is the first to speak: dc_setup_patience). */
static int rank0_silent(dc_worker *w, double heard, const char *waiting, dc_error *err)
{
    double silent = dc_perf_seconds() - heard;
    if (silent <= dc_setup_patience(w->rank, w->sweep->run.heartbeat_timeout)) return DC_OK;
    return dc_error_set(err, DC_ERR_HUNG, "rank 0 (the coordinator, %s) has been silent for %.0f s "
                        "(run.heartbeat_timeout = %g s): ending the job; finished runs are in the "
                        "file; rerun the same command to resume", waiting, silent,
                        w->sweep->run.heartbeat_timeout);
}

/* The coordinator's answer to a report: a run index, or -1 to stop. A DC_TAG_ABORT that arrives
 * after the run it was meant for has finished is consumed here: it was sent before the answer. */
static int receive_assignment(dc_worker *w, MPI_Request *sent, int *run, dc_error *err)
{
    int rc = DC_OK;
    dc_poll poll;
    dc_poll_reset(&poll);
    double heard = dc_perf_seconds();
    for (;;) {
        int flag = 0;
        MPI_Status st;
        if (*sent != MPI_REQUEST_NULL) MPI_CHECK(MPI_Test(sent, &flag, MPI_STATUS_IGNORE));
        MPI_CHECK(MPI_Iprobe(0, MPI_ANY_TAG, w->comm, &flag, &st));
        if (!flag) {
            DC_TRY(rank0_silent(w, heard, "answering a report", err));
            dc_poll_wait(&poll);
            continue;
        }
        heard = dc_perf_seconds();
        if (st.MPI_TAG == DC_TAG_ABORT || st.MPI_TAG == DC_TAG_BEAT) {
            MPI_CHECK(MPI_Recv(NULL, 0, MPI_BYTE, 0, st.MPI_TAG, w->comm, MPI_STATUS_IGNORE));
            continue;
        }
        if (st.MPI_TAG != DC_TAG_ASSIGN)
            DC_FAIL(DC_ERR_INTERNAL, "rank %d: unexpected message tag %d from the coordinator",
                    w->rank, st.MPI_TAG);
        MPI_CHECK(MPI_Recv(run, 1, MPI_INT, 0, DC_TAG_ASSIGN, w->comm, MPI_STATUS_IGNORE));
        break;
    }
    /* The answer came, so the report was received: its send completes at once. */
    if (*sent != MPI_REQUEST_NULL) DC_TRY(dc_wait_polling(sent, err));
cleanup:
    return rc;
}

/* Told to stop: alive until rank 0's DC_TAG_CLOSE, then DC_TAG_BYE (worker.h). A DC_TAG_ABORT
 * for a run that has already ended may still be on its way; rank 0's DC_TAG_BEAT says it is
 * alive. After the BYE this rank's next message is the close's agreement (setup.h), which rank 0
 * waits for at most run.heartbeat_timeout: a rank stopped right after its BYE is named there
 * instead of holding the others in the collective close. */
static int wait_close(dc_worker *w, dc_error *err)
{
    int rc = DC_OK;
    dc_poll poll;
    dc_poll_reset(&poll);
    w->run = -1;
    double heard = dc_perf_seconds();
    for (;;) {
        int flag = 0;
        MPI_Status st;
        MPI_CHECK(MPI_Iprobe(0, MPI_ANY_TAG, w->comm, &flag, &st));
        if (!flag) {
            DC_TRY(rank0_silent(w, heard, "calling the ranks to the close", err));
            heartbeat(w);
            dc_poll_wait(&poll);
            continue;
        }
        heard = dc_perf_seconds();
        if (st.MPI_TAG != DC_TAG_ABORT && st.MPI_TAG != DC_TAG_CLOSE && st.MPI_TAG != DC_TAG_BEAT)
            DC_FAIL(DC_ERR_INTERNAL, "rank %d: unexpected message tag %d from the coordinator",
                    w->rank, st.MPI_TAG);
        MPI_CHECK(MPI_Recv(NULL, 0, MPI_BYTE, 0, st.MPI_TAG, w->comm, MPI_STATUS_IGNORE));
        if (st.MPI_TAG == DC_TAG_CLOSE) break;
    }
    MPI_CHECK(MPI_Send(NULL, 0, MPI_BYTE, 0, DC_TAG_BYE, w->comm));  /* empty: sent eagerly */
cleanup:
    return rc;
}

int dc_worker_loop(dc_worker *w, dc_error *err)
{
    int rc = DC_OK, fatal = DC_OK;
    dc_error fatal_err = {0};
    dc_worker_report report;
    memset(&report, 0, sizeof report);
    report.kind = DC_REPORT_READY;
    report.run = -1;
    for (;;) {
        MPI_Request req;
        MPI_CHECK(MPI_Isend(&report, (int)sizeof report, MPI_BYTE, 0, DC_TAG_REPORT, w->comm, &req));
        int run = -1;
        DC_TRY(receive_assignment(w, &req, &run, err));
        if (run < 0 || fatal != DC_OK) break;
        if (dc_stop_signal()) {
            memset(&report, 0, sizeof report);
            report.kind = DC_REPORT_ABANDONED;
            report.run = run;
            continue;
        }
        int run_rc = dc_worker_do_run(w, run, &report, &fatal_err);
        if (run_rc != DC_OK) fatal = run_rc;  /* reported as FATAL; the answer will be stop */
    }
    DC_TRY(wait_close(w, err));
    if (fatal != DC_OK) {
        rc = fatal;
        if (err) *err = fatal_err;
    }
cleanup:
    return rc;
}
