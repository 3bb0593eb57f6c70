/* `dcsweep run` on every rank (include/dcsweep/sweep/coordinator.h).
 *
 * Setup is a sequence of collective steps, each closed by agree() so that a failure anywhere
 * stops every rank at the same step with the same code: decide what to do with the results file
 * (rank 0), create the trainers (training ranks), broadcast what a new file records, create or
 * open the file (all ranks, MPI-IO). Then rank 0 runs coordinate() and the others dc_worker_loop,
 * and everyone closes the file together. */
#include "dcsweep/sweep/coordinator.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "dcsweep/sweep/progress.h"
#include "dcsweep/results/results_mpi.h"
#include "dcsweep/sweep/stop.h"

enum { FILE_CREATE = 0, FILE_OPEN = 1 };

/* Every rank learns whether any rank failed; the lowest failing rank's code and message go to all.
 * Non-blocking and polled: at the end of a sweep, workers wait here for the last run to finish,
 * and a blocking collective would busy-poll their cores all that time. */
static int agree(MPI_Comm comm, int rank, int size, int rc, dc_error *err)
{
    int first = rc != DC_OK ? rank : size, lowest = size;
    MPI_Request req;
    dc_error wait_err = {0};
    if (MPI_Iallreduce(&first, &lowest, 1, MPI_INT, MPI_MIN, comm, &req) != MPI_SUCCESS)
        return dc_error_set(err, DC_ERR_MPI, "MPI_Iallreduce failed");
    if (dc_wait_polling(&req, &wait_err) != DC_OK) {
        *err = wait_err;
        return err->code;
    }
    if (lowest == size) return DC_OK;
    int code = rc;
    if (MPI_Bcast(&code, 1, MPI_INT, lowest, comm) != MPI_SUCCESS ||
        MPI_Bcast(err->message, DC_ERROR_MAX, MPI_CHAR, lowest, comm) != MPI_SUCCESS)
        return dc_error_set(err, DC_ERR_MPI, "MPI_Bcast failed");
    err->code = code;
    return code;
}

/* *s (malloc'd on the root, allocated elsewhere) to every rank. */
static int bcast_string(char **s, int root, int rank, MPI_Comm comm, dc_error *err)
{
    int rc = DC_OK;
    int len = rank == root && *s ? (int)strlen(*s) : 0;
    MPI_CHECK(MPI_Bcast(&len, 1, MPI_INT, root, comm));
    if (rank != root) {
        free(*s);
        DC_ALLOC(*s, len + 1);
    }
    MPI_CHECK(MPI_Bcast(*s, len + 1, MPI_CHAR, root, comm));
cleanup:
    return rc;
}

/* Rank 0: create a new file, open an existing one of this sweep, or refuse (DC_ERR_INPUT). */
static int decide_file(const dc_sweep *sweep, const dc_grid *grid, const dc_run_options *opts,
                       int *action, dc_error *err)
{
    dc_results_info info;
    *action = FILE_CREATE;
    if (access(opts->output, F_OK) != 0) return DC_OK;
    if (dc_results_probe(opts->output, &info, err) != DC_OK) {
        if (opts->restart) {
            dc_error_clear(err);
            return DC_OK;
        }
        /* Not ours (or created by a run killed before its first flush): never overwrite silently. */
        char why[DC_ERROR_MAX];
        snprintf(why, sizeof why, "%s", err->message);
        return dc_error_set(err, DC_ERR_INPUT, "%s; refusing to overwrite it: use --restart to "
                            "replace it, or -o PATH", why);
    }
    if (strcmp(info.sweep_sha256, sweep->sha256) == 0 && info.n_runs == grid->n_runs &&
        info.epochs == sweep->train.epochs) {
        /* A shard file resumes only as the same shard, an unsharded file only unsharded. */
        int rc = dc_shard_check_file(opts->output, &opts->shard, err);
        if (rc == DC_OK) *action = FILE_OPEN;
        if (rc != DC_ERR_INPUT || !opts->restart) return rc;
        dc_error_clear(err);
        return DC_OK;
    }
    if (opts->restart) return DC_OK;
    return dc_error_set(err, DC_ERR_INPUT,
                        "%s holds results of a different sweep (sweep_sha256 %s, %d runs x %d epochs; "
                        "this sweep: %s, %d runs x %d epochs): use --restart to replace it, or -o PATH",
                        opts->output, info.sweep_sha256, info.n_runs, info.epochs, sweep->sha256,
                        grid->n_runs, sweep->train.epochs);
}

/* What the trainer's runs report (metric columns, curve names), as the first training rank's
 * trainer describes it, in fixed-size arrays that a broadcast can carry. */
typedef struct file_layout {
    char model_kind[DC_METRIC_NAME_MAX];
    int n_metrics, n_curves;
    dc_metric_desc metrics[DC_MAX_METRICS];
    char curve_names[DC_MAX_CURVES][DC_METRIC_NAME_MAX];
    const char *curves[DC_MAX_CURVES];  /* into curve_names, set on every rank */
} file_layout;

static int layout_from(file_layout *l, const dc_trainer_desc *d, dc_error *err)
{
    memset(l, 0, sizeof *l);
    if (d->n_metrics > DC_MAX_METRICS || d->n_curves > DC_MAX_CURVES)
        return dc_error_set(err, DC_ERR_INTERNAL, "the trainer reports %d metrics and %d curves",
                            d->n_metrics, d->n_curves);
    dc_results_copy_field(l->model_kind, sizeof l->model_kind, d->model_kind);
    l->n_metrics = d->n_metrics;
    l->n_curves = d->n_curves;
    memcpy(l->metrics, d->metrics, (size_t)d->n_metrics * sizeof *d->metrics);
    for (int c = 0; c < d->n_curves; c++)
        dc_results_copy_field(l->curve_names[c], sizeof l->curve_names[c], d->curves[c]);
    return DC_OK;
}

/* What a new file records: the layout and rescaling statistics from the first training rank,
 * dataset digests and the creation time from rank 0. Identical on every rank afterwards, as
 * parallel HDF5 needs. */
static int gather_meta(const dc_sweep *sweep, const dc_grid *grid, const dc_trainer_ops *ops,
                       void *trainer, int rank, int size, MPI_Comm comm, dc_results_meta *meta,
                       file_layout *layout, char **digest, char **created, dc_error *err)
{
    int rc = DC_OK, local = DC_OK;
    int stats_rank = size > 1 ? 1 : 0;
    double stats[2 * DC_N_RESCALINGS];
    if (rank == stats_rank) local = layout_from(layout, ops->describe(trainer), err);
    DC_TRY(agree(comm, rank, size, local, err));
    MPI_CHECK(MPI_Bcast(layout, (int)sizeof *layout, MPI_BYTE, stats_rank, comm));
    for (int c = 0; c < layout->n_curves; c++) layout->curves[c] = layout->curve_names[c];
    if (rank == stats_rank) {
        for (int m = 0; m < DC_N_RESCALINGS; m++) {
            dc_rescale rs = {.method = (dc_rescaling)m, .shift = NAN, .scale = NAN};
            dc_error ignored = {0};
            /* A method this sweep does not use may be degenerate on its data: NaN, not an error. */
            if (ops->rescale(trainer, (dc_rescaling)m, &rs, &ignored) != DC_OK) rs.shift = rs.scale = NAN;
            stats[2 * m] = rs.shift;
            stats[2 * m + 1] = rs.scale;
        }
    }
    MPI_CHECK(MPI_Bcast(stats, 2 * DC_N_RESCALINGS, MPI_DOUBLE, stats_rank, comm));
    if (rank == 0) {
        local = dc_results_dataset_digest(&sweep->dataset, digest, err);
        char buf[32];
        time_t now = time(NULL);
        struct tm utc;
        gmtime_r(&now, &utc);
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
        *created = strdup(buf);
        if (local == DC_OK && !*created) local = dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    }
    DC_TRY(agree(comm, rank, size, local, err));
    DC_TRY(bcast_string(digest, 0, rank, comm, err));
    DC_TRY(bcast_string(created, 0, rank, comm, err));
    memset(meta, 0, sizeof *meta);
    meta->sweep_name = sweep->name;
    meta->sweep_text = sweep->text;
    meta->sweep_effective = sweep->effective;
    meta->sweep_sha256 = sweep->sha256;
    meta->dataset_sha256 = *digest;
    meta->created = *created;
    meta->energy_unit = sweep->dataset.energy_unit ? sweep->dataset.energy_unit : "eV";
    meta->length_unit = sweep->dataset.length_unit ? sweep->dataset.length_unit : "Angstrom";
    meta->n_runs = grid->n_runs;
    meta->epochs = sweep->train.epochs;
    meta->model_kind = layout->model_kind;
    meta->n_metrics = layout->n_metrics;
    meta->metrics = layout->metrics;
    meta->n_curves = layout->n_curves;
    meta->curves = layout->curves;
    for (int m = 0; m < DC_N_RESCALINGS; m++) {
        meta->rescaling[m].method = (dc_rescaling)m;
        meta->rescaling[m].shift = stats[2 * m];
        meta->rescaling[m].scale = stats[2 * m + 1];
    }
cleanup:
    return rc;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
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

/* Rank 0 with workers: answer every report with the next run or "stop" until all have stopped. */
static int coordinate(const int *todo, int n_todo, int size, MPI_Comm comm,
                      dc_progress *progress, int *stop_sig, double *cpu_share, dc_error *err)
{
    int rc = DC_OK;
    int *busy = NULL;  /* [size] run in progress on each rank, -1 if none */
    int fatal_rank = -1;
    dc_error fatal = {0};
    DC_ALLOC(busy, size);
    for (int r = 0; r < size; r++) busy[r] = -1;
    int next = 0, active = size - 1, stopping = 0;
    double wall0 = dc_progress_elapsed(progress), cpu0 = cpu_seconds();
    dc_poll poll;
    dc_poll_reset(&poll);
    while (active > 0) {
        int sig = dc_stop_signal();
        if (sig && !stopping) {
            stopping = 1;
            *stop_sig = sig;
            dc_progress_note(progress, "%s received: stopping; runs in progress are abandoned "
                                       "and stay pending", sig == SIGINT ? "SIGINT" : "SIGTERM");
            for (int r = 1; r < size; r++)
                if (busy[r] >= 0) MPI_CHECK(MPI_Send(NULL, 0, MPI_BYTE, r, DC_TAG_ABORT, comm));
        }
        int flag = 0;
        MPI_Status st;
        MPI_CHECK(MPI_Iprobe(MPI_ANY_SOURCE, DC_TAG_REPORT, comm, &flag, &st));
        if (!flag) {
            dc_poll_wait(&poll);
            continue;
        }
        dc_poll_reset(&poll);  /* reports come in bursts: look again soon */
        dc_worker_report report;
        int from = st.MPI_SOURCE;
        MPI_CHECK(MPI_Recv(&report, (int)sizeof report, MPI_BYTE, from, DC_TAG_REPORT, comm,
                           MPI_STATUS_IGNORE));
        busy[from] = -1;
        int stop_this = 0;
        if (report.kind == DC_REPORT_FINISHED) {
            dc_progress_run(progress, &report.row);
        } else if (report.kind == DC_REPORT_ABANDONED) {
            /* Only a signal makes a worker abandon a run: the sweep is being stopped. */
            stopping = 1;
        } else if (report.kind == DC_REPORT_FATAL) {
            dc_progress_run(progress, &report.row);
            dc_progress_note(progress, "rank %d stopped: %s", from, report.row.error);
            if (fatal_rank < 0) {
                fatal_rank = from;
                dc_error_set(&fatal, DC_ERR_INTERNAL, "worker rank %d failed on run %d: %s", from,
                             report.run, report.row.error);
            }
            stop_this = 1;
        }
        int assign = -1;
        if (!stopping && !stop_this && next < n_todo) assign = todo[next++];
        MPI_CHECK(MPI_Send(&assign, 1, MPI_INT, from, DC_TAG_ASSIGN, comm));
        if (assign < 0)
            active--;
        else
            busy[from] = assign;
    }
    double wall = dc_progress_elapsed(progress) - wall0;
    *cpu_share = wall > 0 ? (cpu_seconds() - cpu0) / wall : -1;
    if (stopping && !*stop_sig) *stop_sig = -1;
    if (fatal_rank >= 0) {
        rc = fatal.code;
        *err = fatal;
    }
cleanup:
    free(busy);
    return rc;
}

/* One rank: coordinate and train in the same process, in grid order. */
static int train_alone(dc_worker *w, const int *todo, int n_todo, dc_progress *progress,
                       int *stop_sig, dc_error *err)
{
    int rc = DC_OK;
    for (int k = 0; k < n_todo; k++) {
        if ((*stop_sig = dc_stop_signal()) != 0) break;
        dc_worker_report report;
        rc = dc_worker_do_run(w, todo[k], &report, err);
        if (report.kind == DC_REPORT_FINISHED || report.kind == DC_REPORT_FATAL)
            dc_progress_run(progress, &report.row);
        if (rc != DC_OK) break;
        if (report.kind == DC_REPORT_ABANDONED) {
            *stop_sig = dc_stop_signal() ? dc_stop_signal() : -1;
            break;
        }
    }
    return rc;
}

int dc_coordinator_sweep(const dc_sweep *sweep, const dc_grid *grid, const dc_trainer_ops *ops,
                         const dc_run_options *opts, MPI_Comm comm, dc_error *err)
{
    int rc = DC_OK, local = DC_OK, rank = 0, size = 1, action = FILE_CREATE;
    void *trainer = NULL;
    dc_results *results = NULL;
    dc_results_row *rows = NULL;
    int *todo = NULL;
    char *digest = NULL, *created = NULL, shard_text[32];
    int n_scope = dc_shard_size(&opts->shard, grid->n_runs);  /* the runs this job may train */
    dc_error_clear(err);
    MPI_CHECK(MPI_Comm_rank(comm, &rank));
    MPI_CHECK(MPI_Comm_size(comm, &size));
    DC_TRY(dc_stop_install(err));
    int trains = size == 1 || rank > 0;

    if (rank == 0) local = decide_file(sweep, grid, opts, &action, err);
    DC_TRY(agree(comm, rank, size, local, err));
    MPI_CHECK(MPI_Bcast(&action, 1, MPI_INT, 0, comm));

    local = trains ? ops->create(&trainer, sweep, err) : DC_OK;
    if (local != DC_OK) dc_error_prefix(err, "rank %d: preparing the trainer", rank);
    DC_TRY(agree(comm, rank, size, local, err));

    DC_ALLOC(rows, grid->n_runs);
    for (int i = 0; i < grid->n_runs; i++) dc_results_row_init(&rows[i], &grid->runs[i]);
    if (action == FILE_CREATE) {
        dc_results_meta meta;
        file_layout layout;
        DC_TRY(gather_meta(sweep, grid, ops, trainer, rank, size, comm, &meta, &layout, &digest,
                           &created, err));
        dc_shard_format(&opts->shard, shard_text, sizeof shard_text);
        meta.shard = shard_text[0] ? shard_text : NULL;
        local = dc_results_create_mpi(&results, opts->output, &meta, rows, comm, err);
    } else {
        local = dc_results_open_mpi(&results, opts->output, 1, comm, err);
    }
    DC_TRY(agree(comm, rank, size, local, err));

    /* Rank 0 decides what is left: independent reads, before any worker has a run to write. */
    int n_todo = 0, n_before = 0;
    if (rank == 0) {
        DC_ALLOC(todo, grid->n_runs);
        local = dc_results_read_rows(results, 0, grid->n_runs, rows, err);
        for (int i = 0; local == DC_OK && i < grid->n_runs; i++) {
            if (!dc_shard_owns(&opts->shard, i)) continue;
            int s = dc_results_status_parse(rows[i].status);
            if (s == DC_RUN_PENDING || s < 0 || (s == DC_RUN_FAILED && opts->retry_failed))
                todo[n_todo++] = i;
            else
                n_before++;
        }
    }
    DC_TRY(agree(comm, rank, size, local, err));

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
    int stop_sig = 0;
    double cpu_share = -1;
    dc_worker w;
    local = dc_worker_init(&w, sweep, grid, ops, trainer, results, size > 1 ? comm : MPI_COMM_NULL, err);
    if (local == DC_OK) {
        if (size == 1)
            local = train_alone(&w, todo, n_todo, &progress, &stop_sig, err);
        else if (rank == 0)
            local = coordinate(todo, n_todo, size, comm, &progress, &stop_sig, &cpu_share, err);
        else
            local = dc_worker_loop(&w, err);
    }
    int n_pending = 0;
    if (rank == 0) {
        dc_error read_err = {0};
        if (dc_results_read_rows(results, 0, grid->n_runs, rows, &read_err) == DC_OK) {
            int n = 0;  /* keep the shard's rows only: the others are other shards' business */
            for (int i = 0; i < grid->n_runs; i++)
                if (dc_shard_owns(&opts->shard, i)) rows[n++] = rows[i];
            for (int i = 0; i < n; i++)
                n_pending += dc_results_status_parse(rows[i].status) == DC_RUN_PENDING;
            dc_progress_summary(&progress, sweep->name, opts->output, rows, n, cpu_share);
        }
        if (local == DC_OK && stop_sig) local = interrupted(stop_sig, n_pending, opts->output, err);
    }
    DC_TRY(agree(comm, rank, size, local, err));

cleanup:
    if (results) {
        /* Collective: reached by every rank, also after a failure that agree() made common. */
        dc_error close_err = {0};
        int crc = dc_results_close(results, &close_err);
        if (rc == DC_OK && crc != DC_OK) {
            rc = crc;
            *err = close_err;
        }
    }
    if (trainer) ops->destroy(trainer);
    dc_stop_uninstall();
    free(todo);
    free(rows);
    free(digest);
    free(created);
    return rc;
}
