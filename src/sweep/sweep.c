/* `dcsweep run` on every rank (include/dcsweep/sweep/coordinator.h).
 *
 * Setup is a sequence of collective steps, each closed by an agreement (dcsweep/sweep/setup.h:
 * bounded by run.heartbeat_timeout, like training) so that a failure anywhere, a stop signal or a
 * silent rank stops every rank at the same step with the same code: take the results file's lock and decide
 * what to do with the file (rank 0), create the trainers (every rank), broadcast what the file
 * records, check a file being resumed, create or open the file (all ranks, MPI-IO). Then every
 * rank trains: ranks > 0 in dc_worker_loop, rank 0 in its own loop that serves the coordinator
 * between its training steps. Everyone closes the file together at the end. */
#include "dcsweep/sweep/coordinator.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dcsweep/sweep/setup.h"
#include "dcsweep/sweep/stop.h"
#include "sweep_internal.h"

/* The size of the results file at path (0 if it cannot be read): it sizes its steps' watchdogs. */
static double file_bytes(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (double)st.st_size : 0.0;
}

static int interrupted(int sig, int n_pending, const char *path, dc_error *err)
{
    const char *name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
    if (sig > 0)
        return dc_error_set(err, DC_ERR_INTERRUPTED,
                            "interrupted by %s: %d runs left pending in %s; run the same command "
                            "again to resume", name, n_pending, path);
    return dc_error_set(err, DC_ERR_INTERRUPTED,
                        "a worker was interrupted: %d runs left pending in %s; run the same "
                        "command again to resume", n_pending, path);
}

/* Rank 0: its own runs, the coordinator served between their steps and while it waits. */
static int rank0_loop(dc_coord *c, dc_worker *w, dc_error *err)
{
    dc_poll poll;
    dc_poll_reset(&poll);
    w->serve = dc_coord_serve;
    w->note = dc_coord_note;
    w->progress = dc_coord_progress;
    w->coordinator = c;
    for (;;) {
        dc_coord_serve(c);
        if (c->hung) return c->hung_err.code;
        int run = dc_coord_take(c);
        if (run >= 0) {
            dc_worker_report report;
            dc_error run_err = {0};
            int rc = dc_worker_do_run(w, run, &report, &run_err);
            dc_coord_local(c, &report, rc, &run_err);
            dc_poll_reset(&poll);
            continue;
        }
        if (dc_coord_all_at_close(c)) break;
        dc_poll_wait(&poll);
    }
    if (c->fatal_rank >= 0) {
        *err = c->fatal;
        return err->code;
    }
    return DC_OK;
}

/* Rank 0: the runs of this job that are not finished yet (all ranks read rows the same). */
static int find_todo(dc_results *results, const dc_grid *grid, const dc_run_options *opts,
                     dc_results_row *rows, int *todo, int *n_todo, int *n_before, dc_error *err)
{
    int rc = DC_OK;
    *n_todo = *n_before = 0;
    DC_TRY(dc_results_read_rows(results, 0, grid->n_runs, rows, err));
    for (int i = 0; i < grid->n_runs; i++) {
        if (!dc_shard_owns(&opts->shard, i)) continue;
        int s = dc_results_status_parse(rows[i].status);
        if (s == DC_RUN_PENDING || s < 0 || (s == DC_RUN_FAILED && opts->retry_failed))
            todo[(*n_todo)++] = i;
        else
            (*n_before)++;
    }
cleanup:
    return rc;
}

static void summary(dc_progress *progress, const dc_sweep *sweep, const dc_grid *grid,
                    const dc_run_options *opts, dc_results *results, dc_results_row *rows,
                    const dc_coord *c, int size, int *n_pending, int *n_failed)
{
    dc_error read_err = {0};
    *n_pending = *n_failed = 0;
    if (dc_results_read_rows(results, 0, grid->n_runs, rows, &read_err) != DC_OK) return;
    int n = 0;  /* keep the shard's rows only: the others are other shards' business */
    for (int i = 0; i < grid->n_runs; i++)
        if (dc_shard_owns(&opts->shard, i)) rows[n++] = rows[i];
    for (int i = 0; i < n; i++) {
        int status = dc_results_status_parse(rows[i].status);
        *n_pending += status == DC_RUN_PENDING;
        *n_failed += status == DC_RUN_FAILED;
    }
    dc_coord_costs costs;
    dc_coord_stats(c, &costs);
    if (size == 1) costs.max_gap = costs.per_report = costs.per_serve = -1;
    dc_progress_summary(progress, sweep->name, opts->output, rows, n, &costs);
}

int dc_coordinator_sweep(const dc_sweep *sweep, const dc_grid *grid, const dc_trainer_ops *ops,
                         const dc_run_options *opts, MPI_Comm comm, dc_error *err)
{
    int rc = DC_OK, local = DC_OK, rank = 0, size = 1, action = DC_FILE_CREATE, hung = 0;
    int own_stop = 0, n_failed = 0;
    void *trainer = NULL;
    dc_results *results = NULL;
    dc_results_row *rows = NULL;
    int *todo = NULL;
    dc_lock lock;
    dc_coord coord;
    dc_file_layout layout;
    dc_setup setup;
    memset(&setup, 0, sizeof setup);
    memset(&lock, 0, sizeof lock);
    memset(&coord, 0, sizeof coord);
    memset(&layout, 0, sizeof layout);
    int n_scope = dc_shard_size(&opts->shard, grid->n_runs);  /* the runs this job may train */
    dc_error_clear(err);
    MPI_CHECK(MPI_Comm_rank(comm, &rank));
    MPI_CHECK(MPI_Comm_size(comm, &size));
    dc_stop_with_launcher();
    /* `dcsweep run` installed it before MPI_Init; installing again would forget a signal since. */
    if (!dc_stop_installed()) {
        DC_TRY(dc_stop_install(err));
        own_stop = 1;
    }
    DC_TRY(dc_setup_init(&setup, comm, sweep->run.heartbeat_timeout, err));

    if (rank == 0) local = dc_lock_take(&lock, opts->output, "dcsweep run", err);
    if (rank == 0) setup.lock = &lock;  /* refreshed while setup waits */
    if (local == DC_OK && rank == 0) dc_checkpoint_clean(opts->output);
    if (local == DC_OK && rank == 0) local = dc_sweep_decide_file(sweep, grid, opts, &action, err);
    DC_TRY(dc_setup_agree(&setup, "setup: taking the lock of the results file", local, NULL, 0, err));

    local = ops->create(&trainer, sweep, err);
    if (local != DC_OK) dc_error_prefix(err, "rank %d: preparing the trainer", rank);
    DC_TRY(dc_setup_agree(&setup, "setup: preparing the trainer", local, NULL, 0, err));
    DC_TRY(dc_sweep_layout(sweep, ops, trainer, &setup, &layout, err));
    if (rank == 0 && action == DC_FILE_OPEN) local = dc_sweep_check_resume(sweep, opts, &layout, &action, err);
    DC_TRY(dc_setup_agree(&setup, "setup: checking the file to resume", local, &action, (int)sizeof action,
                          err));

    DC_ALLOC(rows, grid->n_runs);
    for (int i = 0; i < grid->n_runs; i++) dc_results_row_init(&rows[i], &grid->runs[i]);
    if (action == DC_FILE_CREATE) {
        DC_TRY(dc_sweep_create_file(sweep, grid, ops, trainer, opts, &layout, rows, &setup, &results, err));
    } else {
        dc_watchdog dog;
        local = dc_setup_watchdog(&dog, &setup, "setup: opening the results file", file_bytes(opts->output),
                                  err);
        if (local == DC_OK) {
            local = dc_results_open_mpi(&results, opts->output, 1, comm, err);
            dc_watchdog_stop(&dog);
        }
        DC_TRY(dc_setup_agree(&setup, "setup: opening the results file", local, NULL, 0, err));
    }

    /* Rank 0 decides what is left: independent reads, before any worker has a run to write. */
    int n_todo = 0, n_before = 0;
    DC_ALLOC(todo, grid->n_runs);
    if (rank == 0) local = find_todo(results, grid, opts, rows, todo, &n_todo, &n_before, err);
    DC_TRY(dc_setup_agree(&setup, "setup: finding the runs left", local, NULL, 0, err));

    dc_progress progress;
    int n_metrics = 0;
    const dc_metric_desc *metrics = dc_results_metrics(results, &n_metrics);
    dc_progress_init(&progress, rank == 0 ? opts->out : NULL, opts->tty, n_scope, n_todo,
                     n_before, metrics, n_metrics);
    if (rank == 0 && opts->shard.count > 0)
        dc_progress_note(&progress, "shard %d/%d: %d of %d runs (run i with i %% %d == %d), in %s",
                         opts->shard.index, opts->shard.count, n_scope, grid->n_runs,
                         opts->shard.count, opts->shard.index - 1, opts->output);
    if (rank == 0 && n_before > 0)
        dc_progress_note(&progress, "resuming %s: %d of %d runs already finished, %d to train",
                         opts->output, n_before, n_scope, n_todo);
    dc_worker w;
    local = dc_worker_init(&w, sweep, grid, ops, trainer, results, opts->output,
                           size > 1 ? comm : MPI_COMM_NULL, err);
    /* Every rank sees its own stdout: under a launcher none is a terminal (cmd_run.c). */
    w.progress_seconds = opts->tty ? 0 : opts->progress_seconds;
    if (local == DC_OK && rank == 0)
        local = dc_coord_init(&coord, size > 1 ? comm : MPI_COMM_NULL, size, &sweep->run, todo,
                              n_todo, &progress, &lock, err);
    if (local == DC_OK) local = rank == 0 ? rank0_loop(&coord, &w, err) : dc_worker_loop(&w, err);
    if (local == DC_ERR_HUNG) {
        /* A rank that does not answer cannot take part in closing the file: the caller ends the
         * job. Every finished row is already on disk (written, then synced, by its own rank).
         * Rank 0 found another rank silent, or a worker found rank 0 silent (err says so). */
        hung = 1;
        if (rank == 0) *err = coord.hung_err;
        rc = DC_ERR_HUNG;
        goto cleanup;
    }
    int n_pending = 0;
    if (rank == 0) {
        summary(&progress, sweep, grid, opts, results, rows, &coord, size, &n_pending, &n_failed);
        if (local == DC_OK && coord.stop_sig) local = interrupted(coord.stop_sig, n_pending, opts->output, err);
    }
    if (local == DC_OK && w.ckpt_err.code != DC_OK)  /* every result is in: only resumability was lost */
        local = dc_error_set(err, DC_ERR_IO, "%s; training went on without checkpoints", w.ckpt_err.message);
    /* The close's agreement is what a rank stopped after its DC_TAG_BYE would block: bounded and
     * naming it like setup's. A signal is the coordinator's business by now, not a failure. */
    setup.check_stop = 0;
    DC_TRY(dc_setup_agree(&setup, "closing the results file", local, NULL, 0, err));

cleanup:
    if (rc == DC_ERR_HUNG) hung = 1;
    if (results && !hung) {
        /* Collective: reached by every rank, also after a failure that an agreement made common.
         * Every rank was alive at that agreement; a rank stopped since holds the others in the
         * collective MPI-IO close: the watchdog ends the job then. */
        dc_error close_err = {0}, ignored = {0};
        dc_watchdog dog;
        dc_setup_watchdog(&dog, &setup, "closing the results file", file_bytes(opts->output), &ignored);
        int crc = dc_results_close(results, &close_err);
        dc_watchdog_stop(&dog);
        if (rc == DC_OK && crc != DC_OK) {
            rc = crc;
            *err = close_err;
        }
    }
    if (trainer && !hung) ops->destroy(trainer);
    /* Recorded, and the sweep went on; but a job that ends with runs that could not train is a
     * runtime failure (exit 1, on rank 0), as `status` says of the same file, once the file is
     * closed and only when nothing worse happened. Diverged runs are results. */
    if (rc == DC_OK && n_failed > 0)
        rc = dc_error_set(err, DC_ERR_RUNS_FAILED, "%s: %d run%s failed (their reasons are in /runs, column "
                          "error; the same command with --retry-failed trains them again)", opts->output,
                          n_failed, n_failed == 1 ? "" : "s");
    if (rank == 0) dc_coord_free(&coord);
    if (rank == 0 && !hung && lock.path[0]) dc_checkpoint_remove_folder(opts->output);
    dc_lock_release(&lock);
    if (own_stop) dc_stop_uninstall();
    dc_file_layout_free(&layout);
    free(todo);
    free(rows);
    return rc;
}
