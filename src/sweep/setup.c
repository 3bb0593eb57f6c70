/* The collective steps of `dcsweep run` before training (sweep_internal.h): what to do with the
 * results file, what a new file records, and creating it so that a kill at any moment leaves
 * either no file or a complete one at the output path. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dcsweep/config/family.h"
#include "sweep_internal.h"

/* ---- the existing file ---- */

static const char *file_kind(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
         : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* The refusal of a file of another sweep, naming what differs. */
static int foreign_sweep(const dc_sweep *sweep, const dc_grid *grid, const dc_run_options *opts,
                         const dc_results_info *info, dc_error *err)
{
    dc_results *res = NULL;
    char *old = NULL, diff[700] = "";
    dc_error ignored = {0};
    if (dc_results_open(&res, opts->output, 0, &ignored) == DC_OK &&
        dc_results_read_attr_string(res, "sweep_effective", &old, &ignored) == DC_OK)
        dc_sweep_dump_diff(old, sweep->effective, diff, sizeof diff);
    dc_results_close(res, NULL);
    free(old);
    if (diff[0])
        return dc_error_set(err, DC_ERR_INPUT, "%s holds results of a different sweep: %s; use "
                            "--restart to replace it, or -o PATH", opts->output, diff);
    return dc_error_set(err, DC_ERR_INPUT,
                        "%s holds results of a different sweep (sweep_sha256 %.12s..., %d runs x %d "
                        "epochs; this sweep: %.12s..., %d runs x %d epochs): use --restart to replace "
                        "it, or -o PATH", opts->output, info->sweep_sha256, info->n_runs, info->epochs,
                        sweep->sha256, grid->n_runs, sweep->train.epochs);
}

int dc_sweep_decide_file(const dc_sweep *sweep, const dc_grid *grid, const dc_run_options *opts,
                         int *action, dc_error *err)
{
    dc_results_info info;
    struct stat st;
    *action = DC_FILE_CREATE;
    if (stat(opts->output, &st) != 0) {
        if (errno == ENOENT) return DC_OK;
        return dc_error_set(err, DC_ERR_IO, "%s: %s", opts->output, strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return dc_error_set(err, DC_ERR_INPUT, "%s is %s, not a results file: give a file path with -o",
                            opts->output, file_kind(st.st_mode));
    if (access(opts->output, R_OK | W_OK) != 0)
        return dc_error_set(err, DC_ERR_IO, "%s: cannot open for reading and writing: %s",
                            opts->output, strerror(errno));
    if (dc_results_probe(opts->output, &info, err) != DC_OK) {
        if (opts->restart) {
            dc_error_clear(err);
            return DC_OK;
        }
        /* Not ours: never overwrite silently. */
        char why[DC_ERROR_MAX];
        snprintf(why, sizeof why, "%s", err->message);
        return dc_error_set(err, DC_ERR_INPUT, "%s; refusing to overwrite it: use --restart to "
                            "replace it, or -o PATH", why);
    }
    if (strcmp(info.sweep_sha256, sweep->sha256) == 0 && info.n_runs == grid->n_runs &&
        info.epochs == sweep->train.epochs) {
        /* A shard file resumes only as the same shard, an unsharded file only unsharded. */
        int rc = dc_shard_check_file(opts->output, &opts->shard, err);
        if (rc == DC_OK) *action = DC_FILE_OPEN;
        if (rc != DC_ERR_INPUT || !opts->restart) return rc;
        dc_error_clear(err);
        return DC_OK;
    }
    if (opts->restart) return DC_OK;
    return foreign_sweep(sweep, grid, opts, &info, err);
}

/* ---- what the file records ---- */

/* The model's task field, bounded (DC_MAX_TASK_FIELD), named as an HDF5 link beside x and t, and
 * copied into the layout's own buffer: values, then x, then t. */
static int task_field_from(dc_file_layout *l, const dc_task_field *f, dc_error *err)
{
    int rc = DC_OK;
    if (!f->name[0]) return DC_OK;
    if (memchr(f->name, '\0', sizeof f->name) == NULL || strchr(f->name, '/') || strchr(f->name, '.') ||
        !strcmp(f->name, "x") || !strcmp(f->name, "t"))
        return dc_error_set(err, DC_ERR_INTERNAL, "the model's task field has a bad name");
    if (f->rows < 1 || f->cols < 1 || (int64_t)f->rows * f->cols > DC_MAX_TASK_FIELD || !f->values)
        return dc_error_set(err, DC_ERR_INTERNAL, "the model's task field %s is %d x %d (at most %d "
                            "values, with values)", f->name, f->rows, f->cols, DC_MAX_TASK_FIELD);
    const size_t n = (size_t)f->rows * (size_t)f->cols;
    DC_ALLOC(l->task_buf, n + (size_t)f->cols + (size_t)f->rows);
    memcpy(l->task_buf, f->values, n * sizeof *l->task_buf);
    if (f->x) memcpy(l->task_buf + n, f->x, (size_t)f->cols * sizeof *l->task_buf);
    if (f->t) memcpy(l->task_buf + n + f->cols, f->t, (size_t)f->rows * sizeof *l->task_buf);
    snprintf(l->task_field.name, sizeof l->task_field.name, "%s", f->name);
    l->task_field.rows = f->rows;
    l->task_field.cols = f->cols;
    l->task_has_x = f->x != NULL;
    l->task_has_t = f->t != NULL;
cleanup:
    return rc;
}

/* The task field's values to every rank (parallel HDF5 wants the same metadata everywhere), and its
 * pointers into the layout's buffer. */
static int agree_task_field(dc_setup *setup, dc_file_layout *l, dc_error *err)
{
    int rc = DC_OK, local = DC_OK;
    dc_task_field *f = &l->task_field;
    if (!f->name[0]) return DC_OK;
    const size_t n = (size_t)f->rows * (size_t)f->cols, total = n + (size_t)f->cols + (size_t)f->rows;
    if (setup->rank != 0 && !(l->task_buf = calloc(total, sizeof *l->task_buf)))
        local = dc_error_set(err, DC_ERR_NOMEM, "out of memory for the task field %s", f->name);
    DC_TRY(dc_setup_agree(setup, "setup: the task field of the results file", local, l->task_buf,
                          (int)(total * sizeof *l->task_buf), err));
    f->values = l->task_buf;
    f->x = l->task_has_x ? l->task_buf + n : NULL;
    f->t = l->task_has_t ? l->task_buf + n + f->cols : NULL;
cleanup:
    return rc;
}

void dc_file_layout_free(dc_file_layout *layout)
{
    free(layout->task_buf);
    layout->task_buf = NULL;
}

static int layout_from(dc_file_layout *l, const dc_trainer_desc *d, int keep_models, dc_error *err)
{
    int rc = DC_OK;
    memset(l, 0, sizeof *l);
    if (d->n_metrics > DC_MAX_METRICS || d->n_curves > DC_MAX_CURVES)
        return dc_error_set(err, DC_ERR_INTERNAL, "the trainer reports %d metrics and %d curves",
                            d->n_metrics, d->n_curves);
    dc_results_copy_field(l->model_kind, sizeof l->model_kind, d->model_kind);
    l->numerics_version = d->numerics_version;
    if (d->model_record) {
        if (strlen(d->model_record) >= sizeof l->model_record)
            return dc_error_set(err, DC_ERR_INTERNAL, "the model's record is longer than %zu bytes",
                                sizeof l->model_record - 1);
        snprintf(l->model_record, sizeof l->model_record, "%s", d->model_record);
    }
    DC_TRY(task_field_from(l, &d->task_field, err));
    l->n_metrics = d->n_metrics;
    l->n_curves = d->n_curves;
    if (keep_models && d->n_params > 0) {
        if (d->n_tensors > DC_MAX_TENSORS)
            return dc_error_set(err, DC_ERR_INTERNAL, "the model has %d tensors (at most %d)", d->n_tensors,
                                DC_MAX_TENSORS);
        l->n_params = d->n_params;
        l->n_tensors = d->n_tensors;
        memcpy(l->tensors, d->tensors, (size_t)d->n_tensors * sizeof *d->tensors);
        if (d->spec) l->spec = *d->spec;
    }
    memcpy(l->metrics, d->metrics, (size_t)d->n_metrics * sizeof *d->metrics);
    for (int c = 0; c < d->n_curves; c++)
        dc_results_copy_field(l->curve_names[c], sizeof l->curve_names[c], d->curves[c]);
cleanup:
    return rc;
}

int dc_sweep_layout(const dc_sweep *sweep, const dc_trainer_ops *ops, void *trainer, dc_setup *setup,
                    dc_file_layout *layout, dc_error *err)
{
    int rc = DC_OK, local = DC_OK;
    memset(layout, 0, sizeof *layout);
    if (setup->rank == 0) local = layout_from(layout, ops->describe(trainer), sweep->keep_models, err);
    rc = dc_setup_agree(setup, "setup: the layout of the results file", local, layout, (int)sizeof *layout,
                        err);
    if (setup->rank != 0) layout->task_buf = NULL;  /* rank 0's address, or garbage after a failure */
    if (rc != DC_OK) goto cleanup;
    for (int c = 0; c < layout->n_curves; c++) layout->curves[c] = layout->curve_names[c];
    DC_TRY(agree_task_field(setup, layout, err));
cleanup:
    return rc;
}

/* The data file of a digest line whose hash is not in `now`, or NULL. */
static const char *changed_file(const char *recorded, const char *now, char *path, size_t size)
{
    for (const char *p = recorded; *p;) {
        size_t n = strcspn(p, "\n");
        const char *sep = memchr(p, ' ', n);
        if (sep && (size_t)(sep - p) == 64) {
            char hex[65];
            memcpy(hex, p, 64);
            hex[64] = '\0';
            if (!strstr(now, hex)) {
                snprintf(path, size, "%.*s", (int)(n - 66), p + 66);
                return path;
            }
        }
        p += n;
        if (*p) p++;
    }
    return NULL;
}

int dc_sweep_check_resume(const dc_sweep *sweep, const dc_run_options *opts,
                          const dc_file_layout *layout, int *action, dc_error *err)
{
    int rc = DC_OK;
    dc_results_info info;
    dc_results *res = NULL;
    char *recorded = NULL, *now = NULL, path[4096];
    DC_TRY(dc_results_probe(opts->output, &info, err));
    if (info.numerics_version != layout->numerics_version) {
        if (opts->restart) goto restart;
        DC_FAIL(DC_ERR_INPUT, "%s was trained by engine numerics version %d, this dcsweep's is %d: "
                "results of two engines differ in the last bits and do not mix; use --restart to "
                "replace it, or -o PATH", opts->output, info.numerics_version, layout->numerics_version);
    }
    DC_TRY(dc_results_open(&res, opts->output, 0, err));
    DC_TRY(dc_results_read_attr_string(res, "dataset_sha256", &recorded, err));
    DC_TRY(dc_results_dataset_digest(&sweep->dataset, &now, err));
    const char *changed = changed_file(recorded, now, path, sizeof path);
    if (changed) {
        if (opts->restart) goto restart;
        /* the same path with other contents, or a sweep that now names another file */
        char line[4200];
        snprintf(line, sizeof line, "  %s\n", changed);
        if (strstr(now, line))
            DC_FAIL(DC_ERR_INPUT, "%s was trained on other data: %s changed since (its SHA-256 is not the "
                    "one recorded); use --restart to train on the new data, or -o PATH", opts->output, changed);
        DC_FAIL(DC_ERR_INPUT, "%s was trained on other data: on %s, which this sweep no longer reads (a "
                "dataset key names another file); use --restart to train on the new data, or -o PATH",
                opts->output, changed);
    }
    goto cleanup;
restart:
    *action = DC_FILE_CREATE;
cleanup:
    dc_results_close(res, NULL);
    free(recorded);
    free(now);
    return rc;
}

/* What a new file records: the layout (already broadcast), the rescaling statistics of the first
 * training rank, dataset digests and the creation time from rank 0: identical on every rank, as
 * parallel HDF5 needs. */
static int gather_meta(const dc_sweep *sweep, const dc_grid *grid, const dc_trainer_ops *ops,
                       void *trainer, const dc_file_layout *layout, dc_setup *setup,
                       dc_results_meta *meta, char **digest, char **created, dc_error *err)
{
    int rc = DC_OK, local = DC_OK;
    double stats[2 * DC_N_RESCALINGS];
    if (setup->rank == 0) {
        for (int m = 0; m < DC_N_RESCALINGS; m++) {
            dc_rescale rs = {.method = (dc_rescaling)m, .shift = NAN, .scale = NAN};
            dc_error ignored = {0};
            /* A method this sweep does not use may be degenerate on its data: NaN, not an error. */
            if (ops->rescale(trainer, (dc_rescaling)m, &rs, &ignored) != DC_OK) rs.shift = rs.scale = NAN;
            stats[2 * m] = rs.shift;
            stats[2 * m + 1] = rs.scale;
        }
        local = dc_results_dataset_digest(&sweep->dataset, digest, err);
        char buf[32];
        time_t now = time(NULL);
        struct tm utc;
        gmtime_r(&now, &utc);
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
        *created = strdup(buf);
        if (local == DC_OK && !*created) local = dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    }
    DC_TRY(dc_setup_agree(setup, "setup: what the results file records", local, stats, (int)sizeof stats,
                          err));
    DC_TRY(dc_setup_agree_string(setup, "setup: the datasets' digests", DC_OK, digest, err));
    DC_TRY(dc_setup_agree_string(setup, "setup: the creation time", DC_OK, created, err));
    memset(meta, 0, sizeof *meta);
    meta->sweep_name = sweep->name;
    meta->sweep_text = sweep->text;
    meta->sweep_effective = sweep->effective;
    meta->sweep_sha256 = sweep->sha256;
    meta->dataset_sha256 = *digest;
    meta->created = *created;
    /* Units only where there is a dataset to have them: a PDE's file carries none. The dataset
     * section is read only for families that use one (its units stay NULL otherwise). */
    if (dc_sweep_uses(sweep, "dataset") || (!sweep->family && sweep->dataset.energy_unit)) {
        meta->energy_unit = sweep->dataset.energy_unit ? sweep->dataset.energy_unit : "eV";
        meta->length_unit = sweep->dataset.length_unit ? sweep->dataset.length_unit : "Angstrom";
    }
    meta->n_runs = grid->n_runs;
    meta->epochs = sweep->train.epochs;
    meta->model_kind = layout->model_kind;
    meta->numerics_version = layout->numerics_version;
    meta->model_record = layout->model_record[0] ? layout->model_record : NULL;
    meta->task_field = layout->task_field.name[0] ? &layout->task_field : NULL;
    meta->n_params = layout->n_params;
    meta->n_tensors = layout->n_tensors;
    meta->tensors = layout->tensors;
    meta->spec = &layout->spec;
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

static int sync_dir_of(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return -1;
    int bad = fsync(fd);
    close(fd);
    return bad;
}

/* Whether the temporary file is gone (renamed into place): then the output is the file. */
static int renamed(const char *tmp)
{
    struct stat st;
    return stat(tmp, &st) != 0 && errno == ENOENT;
}

int dc_sweep_create_file(const dc_sweep *sweep, const dc_grid *grid, const dc_trainer_ops *ops,
                         void *trainer, const dc_run_options *opts, const dc_file_layout *layout,
                         const dc_results_row *rows, dc_setup *setup, dc_results **results,
                         dc_error *err)
{
    int rc = DC_OK, local = DC_OK;
    char *digest = NULL, *created = NULL, shard_text[32], tmp[4200];
    dc_results_meta meta;
    *results = NULL;
    /* The lock makes any leftover temporary file a dead run's: replaced. */
    if (snprintf(tmp, sizeof tmp, "%s.creating", opts->output) >= (int)sizeof tmp)
        DC_FAIL(DC_ERR_INPUT, "output path too long: %s", opts->output);
    DC_TRY(gather_meta(sweep, grid, ops, trainer, layout, setup, &meta, &digest, &created, err));
    dc_shard_format(&opts->shard, shard_text, sizeof shard_text);
    meta.shard = shard_text[0] ? shard_text : NULL;
    dc_watchdog dog;
    local = dc_setup_watchdog(&dog, setup, "setup: creating the results file", dc_results_file_bytes(&meta),
                              err);
    if (local == DC_OK) {
        local = dc_results_create_mpi(results, tmp, &meta, rows, setup->comm, err);
        dc_watchdog_stop(&dog);
    }
    DC_TRY(dc_setup_agree(setup, "setup: creating the results file", local, NULL, 0, err));
    if (setup->rank == 0) {
        if (rename(tmp, opts->output) != 0)
            local = dc_error_set(err, DC_ERR_IO, "cannot rename %s to %s: %s", tmp, opts->output,
                                 strerror(errno));
        else
            sync_dir_of(opts->output);
    }
    DC_TRY(dc_setup_agree(setup, "setup: moving the results file into place", local, NULL, 0, err));
cleanup:
    if (rc != DC_OK && rc != DC_ERR_HUNG && *results && !renamed(tmp)) {
        /* Stopped or failed before the file was in place: every rank is here (the agreement made
         * the failure common), so the temporary file is closed collectively and removed, and
         * nothing is left behind. A hung rank leaves it to the next run, which replaces it. */
        dc_watchdog close_dog;
        dc_error ignored = {0};
        struct stat st;
        dc_setup_watchdog(&close_dog, setup, "setup: removing the unfinished results file",
                          stat(tmp, &st) == 0 ? (double)st.st_size : 0.0, &ignored);
        dc_results_close(*results, NULL);
        dc_watchdog_stop(&close_dog);
        *results = NULL;
        if (setup->rank == 0) unlink(tmp);
    }
    free(digest);
    free(created);
    return rc;
}
