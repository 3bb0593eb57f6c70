/* Merging results files of one sweep (include/dcsweep/results/merge.h).
 *
 * The merged rows and curves are built in memory (one copy: a shard is read one curve at a time),
 * then written with dc_results_create into a temporary file, which is renamed onto OUT only once
 * it is complete and synced: a crash leaves at worst a stray temporary, never a half-merged OUT. */
#include "dcsweep/results/merge.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcsweep/config/config.h"
#include "dcsweep/results/lock.h"
#include "dcsweep/results/results.h"

enum { META_NAME, META_TEXT, META_EFFECTIVE, META_SHA, META_DIGEST, META_CREATED, META_EUNIT,
       META_LUNIT, META_KIND, N_META };
static const char *const meta_attrs[N_META] = {"sweep_name", "sweep_text", "sweep_effective",
                                               "sweep_sha256", "dataset_sha256", "created",
                                               "energy_unit", "length_unit", "model_kind"};

typedef struct merge_state {
    dc_results_info info;      /* of the first input */
    char *meta[N_META];        /* the first input's attributes */
    dc_rescale rescaling[DC_N_RESCALINGS];
    char *hashes;              /* the first input's dataset digests, hex only */
    char *record;              /* the first input's model_record, NULL when it has none */
    dc_task_field task;        /* the first input's /task field (owned), name "" when none: the
                                * same in every input of the sweep (sweep_sha256 fixes the task) */
    int64_t n_params;          /* kept weights per run (0: none), their layout and spec */
    int n_tensors;
    dc_tensor tensors[DC_MAX_TENSORS];
    dc_model_spec spec;
    dc_results_row *rows;      /* [n_runs] merged */
    int *source;               /* [n_runs] input a finished row came from, -1 while pending */
    char *duplicate;           /* [n_runs] finished (identically) in more than one input */
    int n_metrics, n_curves;   /* of the first input; every input must have the same */
    dc_metric_desc metrics[DC_MAX_METRICS];
    char curve_names[DC_MAX_CURVES][DC_METRIC_NAME_MAX];
    int seconds_curve;         /* epoch_seconds: where and when, not what (-1 if none) */
    double *curves;            /* [n_curves][n_runs][epochs] merged */
} merge_state;

/* The hex digests of a dataset_sha256 attribute, one per line, without the paths: the same data
 * read through another path (another working directory) is the same data. */
static int digest_hashes(const char *text, char **out, dc_error *err)
{
    int rc = DC_OK;
    size_t len = 0;
    DC_ALLOC(*out, strlen(text) + 2);  /* a last line without its newline gets one */
    for (const char *p = text; *p;) {
        size_t word = strcspn(p, " \n");
        memcpy(*out + len, p, word);
        len += word;
        (*out)[len++] = '\n';
        p += strcspn(p, "\n");
        if (*p) p++;
    }
    (*out)[len] = '\0';
cleanup:
    return rc;
}

static int same_bytes(const void *a, const void *b, size_t n) { return memcmp(a, b, n) == 0; }

/* The grid point of a row: equal in every input of one sweep. */
static int same_factors(const dc_results_row *a, const dc_results_row *b)
{
    return a->run == b->run && same_bytes(&a->irelu_scale, &b->irelu_scale, sizeof a->irelu_scale) &&
           same_bytes(a->extent, b->extent, sizeof a->extent) &&
           same_bytes(a->rescaling, b->rescaling, sizeof a->rescaling) && a->seed == b->seed;
}

/* What a run produced, bitwise; not where or when (rank, host, wall_seconds, finished): NULL when
 * a and b agree, else the name of the first column that differs. */
static const char *results_difference(const dc_results_row *a, const dc_results_row *b,
                                      const merge_state *st)
{
    if (!same_bytes(a->status, b->status, sizeof a->status)) return "status";
    if (!same_bytes(a->error, b->error, sizeof a->error)) return "error";
    if (a->epochs_completed != b->epochs_completed) return "epochs_completed";
    if (a->diverged_epoch != b->diverged_epoch) return "diverged_epoch";
    if (a->best_epoch != b->best_epoch) return "best_epoch";
    if (!same_bytes(a->stop_reason, b->stop_reason, sizeof a->stop_reason)) return "stop_reason";
    if (!same_bytes(&a->final_lr, &b->final_lr, sizeof a->final_lr)) return "final_lr";
    for (int k = 0; k < st->n_metrics; k++)
        if (!same_bytes(&a->metric[k], &b->metric[k], sizeof a->metric[k])) return st->metrics[k].name;
    return NULL;
}

/* The metric columns and curves of a results file: equal in every input of one sweep. */
static int same_layout(const merge_state *st, dc_results *res)
{
    if (dc_results_n_params(res) != st->n_params) return 0;
    int n_metrics = 0, n_curves = 0;
    const dc_metric_desc *metrics = dc_results_metrics(res, &n_metrics);
    const char *const *curves = dc_results_curves(res, &n_curves);
    if (n_metrics != st->n_metrics || n_curves != st->n_curves) return 0;
    for (int k = 0; k < n_metrics; k++)
        if (memcmp(&metrics[k], &st->metrics[k], sizeof metrics[k]) != 0) return 0;
    for (int c = 0; c < n_curves; c++)
        if (strcmp(curves[c], st->curve_names[c]) != 0) return 0;
    return 1;
}

/* The first input: identity, metadata and its rows as the starting point (all pending ones too). */
static int load_first(merge_state *st, dc_results *res, dc_error *err)
{
    int rc = DC_OK;
    for (int m = 0; m < N_META; m++) {
        /* a file without a dataset (a PDE's) has no units */
        if ((m == META_EUNIT || m == META_LUNIT) && !dc_results_has_attr(res, meta_attrs[m])) continue;
        DC_TRY(dc_results_read_attr_string(res, meta_attrs[m], &st->meta[m], err));
    }
    st->n_params = dc_results_n_params(res);
    const dc_tensor *tensors = dc_results_tensors(res, &st->n_tensors);
    memcpy(st->tensors, tensors, (size_t)st->n_tensors * sizeof *tensors);
    st->spec = *dc_results_spec(res);
    if (dc_results_has_attr(res, "model_record"))
        DC_TRY(dc_results_read_attr_string(res, "model_record", &st->record, err));
    DC_TRY(dc_results_read_task_field(res, &st->task, err));
    DC_TRY(dc_results_read_rescaling(res, st->rescaling, err));
    DC_TRY(digest_hashes(st->meta[META_DIGEST], &st->hashes, err));
    const dc_metric_desc *metrics = dc_results_metrics(res, &st->n_metrics);
    const char *const *curves = dc_results_curves(res, &st->n_curves);
    memcpy(st->metrics, metrics, (size_t)st->n_metrics * sizeof *metrics);
    st->seconds_curve = dc_results_curve_index(res, "epoch_seconds");
    for (int c = 0; c < st->n_curves; c++)
        dc_results_copy_field(st->curve_names[c], sizeof st->curve_names[c], curves[c]);
    size_t n = (size_t)st->info.n_runs, cells = n * (size_t)st->info.epochs;
    DC_ALLOC(st->rows, n);
    DC_ALLOC(st->source, n);
    DC_ALLOC(st->duplicate, n);
    DC_ALLOC(st->curves, (size_t)st->n_curves * cells);
    DC_TRY(dc_results_read_rows(res, 0, st->info.n_runs, st->rows, err));
    for (size_t i = 0; i < n; i++) st->source[i] = -1;
    for (int c = 0; c < st->n_curves; c++) DC_TRY(dc_results_read_curve(res, c, st->curves + c * cells, err));
cleanup:
    return rc;
}

static int check_same_sweep(const merge_state *st, const dc_results_info *info, dc_results *res,
                            const char *path, const char *first, dc_error *err)
{
    int rc = DC_OK;
    char *digest = NULL, *hashes = NULL, *effective = NULL, diff[700] = "";
    if (strcmp(info->sweep_sha256, st->info.sweep_sha256) != 0) {
        /* Name the settings that differ, as `run` does on a file of another sweep. */
        if (dc_results_has_attr(res, "sweep_effective") &&
            dc_results_read_attr_string(res, "sweep_effective", &effective, err) == DC_OK)
            dc_sweep_dump_diff(st->meta[META_EFFECTIVE], effective, diff, sizeof diff);
        if (diff[0])
            DC_FAIL(DC_ERR_INPUT, "%s is not from the same sweep as %s: %s", path, first, diff);
        DC_FAIL(DC_ERR_INPUT, "%s is not from the same sweep as %s (sweep_sha256 %.12s... vs %.12s...)",
                path, first, info->sweep_sha256, st->info.sweep_sha256);
    }
    if (info->numerics_version != st->info.numerics_version)
        DC_FAIL(DC_ERR_INPUT, "%s was trained by engine numerics version %d, %s by %d: results of two "
                "engines do not mix (rerun one of them with the same dcsweep)", path,
                info->numerics_version, first, st->info.numerics_version);
    if (info->n_runs != st->info.n_runs || info->epochs != st->info.epochs)
        DC_FAIL(DC_ERR_INPUT, "%s has %d runs x %d epochs, %s %d x %d: not the same sweep", path,
                info->n_runs, info->epochs, first, st->info.n_runs, st->info.epochs);
    DC_TRY(dc_results_read_attr_string(res, "dataset_sha256", &digest, err));
    DC_TRY(digest_hashes(digest, &hashes, err));
    if (strcmp(hashes, st->hashes) != 0)
        DC_FAIL(DC_ERR_INPUT, "%s was trained on other data than %s (dataset_sha256 differs)", path, first);
    if (!same_layout(st, res))
        DC_FAIL(DC_ERR_INPUT, "%s has other metric columns or curves than %s: not the same sweep", path, first);
cleanup:
    free(digest);
    free(hashes);
    free(effective);
    return rc;
}

/* The kept weights of every run that input k (open as res) finished again (take[i] == 2) are bitwise
 * those of the input the run was taken from: a duplicate with equal metrics but other parameters
 * (another engine build, a changed dataset split) must not be merged silently. */
static int same_params(const merge_state *st, const dc_merge_input *inputs, int k, dc_results *res,
                       const char *take, dc_error *err)
{
    int rc = DC_OK;
    dc_results *first = NULL;
    int first_k = -1;
    float *mine = NULL, *theirs = NULL;
    if (st->n_params <= 0) return DC_OK;
    for (int i = 0; i < st->info.n_runs; i++) {
        if (take[i] != 2) continue;
        if (!mine) {
            DC_ALLOC(mine, st->n_params);
            DC_ALLOC(theirs, st->n_params);
        }
        if (first_k != st->source[i]) {  /* inputs in order: each source is opened about once */
            if (first) dc_results_close(first, NULL);
            first = NULL;
            first_k = st->source[i];
            DC_TRY(dc_results_open(&first, inputs[first_k].path, 0, err));
        }
        DC_TRY(dc_results_read_params(res, i, mine, err));
        DC_TRY(dc_results_read_params(first, i, theirs, err));
        for (int64_t j = 0; j < st->n_params; j++)
            if (!same_bytes(&mine[j], &theirs[j], sizeof mine[j]))
                DC_FAIL(DC_ERR_INPUT, "run %d was trained in both %s and %s with different kept "
                        "parameters (/models/params, first at parameter %lld of %lld)", i,
                        inputs[first_k].path, inputs[k].path, (long long)j, (long long)st->n_params);
    }
cleanup:
    if (first) dc_results_close(first, NULL);
    free(mine);
    free(theirs);
    return rc;
}

/* Takes input k's finished rows into the merged state; checks duplicates against what is there. */
static int merge_input(merge_state *st, dc_merge_input *inputs, int k, dc_error *err)
{
    int rc = DC_OK;
    dc_results *res = NULL;
    dc_results_row *rows = NULL;
    double *curve = NULL;
    char *take = NULL;  /* 1: copy this run from input k; 2: compare (already taken elsewhere) */
    dc_results_info info;
    const char *path = inputs[k].path;

    /* An input that cannot be read as a results file is bad input (exit 2), whatever the cause. */
    if (dc_results_probe(path, &info, err) != DC_OK) {
        rc = err->code = DC_ERR_INPUT;
        goto cleanup;
    }
    if (k == 0) st->info = info;
    int n = st->info.n_runs, epochs = st->info.epochs;
    size_t cells = (size_t)n * (size_t)epochs;
    DC_TRY(dc_results_open(&res, path, 0, err));
    DC_TRY(dc_shard_read(res, &inputs[k].shard, err));
    if (k == 0) DC_TRY(load_first(st, res, err));
    else DC_TRY(check_same_sweep(st, &info, res, path, inputs[0].path, err));

    DC_ALLOC(rows, n);
    DC_ALLOC(take, n);
    DC_ALLOC(curve, cells);
    DC_TRY(dc_results_read_rows(res, 0, n, rows, err));
    for (int i = 0; i < n; i++) {
        if (!same_factors(&rows[i], &st->rows[i]))
            DC_FAIL(DC_ERR_INPUT, "%s: row %d does not describe the same grid point as in %s", path, i,
                    inputs[0].path);
        int s = dc_results_status_parse(rows[i].status);
        if (s < 0) DC_FAIL(DC_ERR_INPUT, "%s: run %d has an unknown status '%s'", path, i, rows[i].status);
        if (s == DC_RUN_PENDING) continue;
        if (st->source[i] < 0) {
            take[i] = 1;
            st->rows[i] = rows[i];
            st->source[i] = k;
            inputs[k].n_taken++;
        } else {
            const char *what = results_difference(&rows[i], &st->rows[i], st);
            if (what)
                DC_FAIL(DC_ERR_INPUT, "run %d was trained in both %s and %s with different results "
                        "(%s differs; status %s vs %s)", i, inputs[st->source[i]].path, path, what,
                        st->rows[i].status, rows[i].status);
            take[i] = 2;
            st->duplicate[i] = 1;
        }
    }
    for (int c = 0; c < st->n_curves; c++) {
        DC_TRY(dc_results_read_curve(res, c, curve, err));
        double *merged = st->curves + (size_t)c * cells;
        for (int i = 0; i < n; i++) {
            size_t at = (size_t)i * (size_t)epochs, bytes = (size_t)epochs * sizeof *curve;
            if (take[i] == 1) {
                memcpy(merged + at, curve + at, bytes);
            } else if (take[i] == 2 && c != st->seconds_curve && !same_bytes(merged + at, curve + at, bytes)) {
                DC_FAIL(DC_ERR_INPUT, "run %d was trained in both %s and %s with different %s curves", i,
                        inputs[st->source[i]].path, path, st->curve_names[c]);
            }
        }
    }
    DC_TRY(same_params(st, inputs, k, res, take, err));
cleanup:
    if (res) dc_results_close(res, NULL);
    free(rows);
    free(take);
    free(curve);
    return rc;
}

/* The merged file at tmp: created whole (rows included), then every curve, then synced. */
/* Each run's kept weights, bitwise from the input it was taken from. */
static int copy_params(const merge_state *st, const dc_merge_input *inputs, int n_inputs,
                       dc_results *out, dc_error *err)
{
    int rc = DC_OK;
    dc_results *in = NULL;
    float *params = NULL;
    if (st->n_params <= 0) return DC_OK;
    DC_ALLOC(params, st->n_params);
    for (int k = 0; k < n_inputs; k++) {
        DC_TRY(dc_results_open(&in, inputs[k].path, 0, err));
        for (int i = 0; i < st->info.n_runs; i++) {
            if (st->source[i] != k) continue;
            DC_TRY(dc_results_read_params(in, i, params, err));
            DC_TRY(dc_results_write_params(out, i, params, err));
        }
        dc_results_close(in, NULL);
        in = NULL;
    }
cleanup:
    if (in) dc_results_close(in, NULL);
    free(params);
    return rc;
}

static int write_merged(const merge_state *st, const dc_merge_input *inputs, int n_inputs,
                        const char *tmp, dc_error *err)
{
    int rc = DC_OK;
    dc_results *res = NULL;
    dc_results_meta meta;
    const char *curves[DC_MAX_CURVES];
    memset(&meta, 0, sizeof meta);
    meta.sweep_name = st->meta[META_NAME];
    meta.sweep_text = st->meta[META_TEXT];
    meta.sweep_effective = st->meta[META_EFFECTIVE];
    meta.sweep_sha256 = st->meta[META_SHA];
    meta.dataset_sha256 = st->meta[META_DIGEST];
    meta.created = st->meta[META_CREATED];
    meta.energy_unit = st->meta[META_EUNIT];
    meta.length_unit = st->meta[META_LUNIT];
    meta.model_kind = st->meta[META_KIND];
    meta.model_record = st->record;
    meta.task_field = st->task.name[0] ? &st->task : NULL;
    meta.n_params = st->n_params;
    meta.n_tensors = st->n_tensors;
    meta.tensors = st->tensors;
    meta.spec = &st->spec;
    meta.numerics_version = st->info.numerics_version;
    meta.n_runs = st->info.n_runs;
    meta.epochs = st->info.epochs;
    meta.n_metrics = st->n_metrics;
    meta.metrics = st->metrics;
    meta.n_curves = st->n_curves;
    for (int c = 0; c < st->n_curves; c++) curves[c] = st->curve_names[c];
    meta.curves = curves;
    memcpy(meta.rescaling, st->rescaling, sizeof meta.rescaling);
    DC_TRY(dc_results_create(&res, tmp, &meta, st->rows, err));
    size_t cells = (size_t)st->info.n_runs * (size_t)st->info.epochs;
    for (int c = 0; c < st->n_curves; c++)
        DC_TRY(dc_results_write_curve(res, c, st->curves + (size_t)c * cells, err));
    DC_TRY(copy_params(st, inputs, n_inputs, res, err));
cleanup:
    if (res) {
        int crc = dc_results_close(res, rc == DC_OK ? err : NULL);
        if (rc == DC_OK) rc = crc;
    }
    if (rc == DC_OK) {
        int fd = open(tmp, O_RDONLY);
        if (fd < 0 || fsync(fd) != 0) rc = dc_error_set(err, DC_ERR_IO, "%s: cannot sync: %s", tmp, strerror(errno));
        if (fd >= 0) close(fd);
    }
    return rc;
}

static void state_free(merge_state *st)
{
    for (int m = 0; m < N_META; m++) free(st->meta[m]);
    free(st->hashes);
    free(st->record);
    dc_results_task_field_free(&st->task);
    free(st->rows);
    free(st->source);
    free(st->duplicate);
    free(st->curves);
}

/* 1 when the files at a and b hold the same bytes (both of size `size`); a read error counts as
 * different (the merge then reads them and reports it). Stops at the first difference: shards of
 * one sweep differ in their first block (the shard and creation attributes). */
static int same_content(const char *a, const char *b, off_t size)
{
    enum { CHUNK = 1 << 16 };
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    char *buf_a = malloc(CHUNK), *buf_b = malloc(CHUNK);
    int same = fa && fb && buf_a && buf_b;
    for (off_t done = 0; same && done < size;) {
        size_t na = fread(buf_a, 1, CHUNK, fa), nb = fread(buf_b, 1, CHUNK, fb);
        same = na == nb && na > 0 && memcmp(buf_a, buf_b, na) == 0;
        done += (off_t)na;
    }
    free(buf_a);
    free(buf_b);
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/* The same shard given twice (the same path, another name of the same file, or a copy of it)
 * would count its runs twice; refused before anything is read. */
static int distinct_inputs(const dc_merge_input *inputs, int n_inputs, dc_error *err)
{
    int rc = DC_OK;
    struct stat *st = NULL;
    char *known = NULL;
    DC_ALLOC(st, n_inputs);
    DC_ALLOC(known, n_inputs);
    for (int k = 0; k < n_inputs; k++) known[k] = stat(inputs[k].path, &st[k]) == 0 && S_ISREG(st[k].st_mode);
    for (int k = 1; k < n_inputs; k++)
        for (int j = 0; j < k; j++) {
            const char *a = inputs[j].path, *b = inputs[k].path;
            if (strcmp(a, b) == 0)
                DC_FAIL(DC_ERR_INPUT, "merge: %s is given twice (inputs %d and %d): give each shard once",
                        a, j + 1, k + 1);
            if (!known[j] || !known[k]) continue;  /* reported when the merge reads it */
            if (st[j].st_dev == st[k].st_dev && st[j].st_ino == st[k].st_ino)
                DC_FAIL(DC_ERR_INPUT, "merge: %s and %s are the same file (inputs %d and %d): give each "
                        "shard once", a, b, j + 1, k + 1);
            if (st[j].st_size == st[k].st_size && same_content(a, b, st[j].st_size))
                DC_FAIL(DC_ERR_INPUT, "merge: %s is a copy of %s (the same bytes; inputs %d and %d): give "
                        "each shard once", b, a, j + 1, k + 1);
        }
cleanup:
    free(st);
    free(known);
    return rc;
}

int dc_merge(const char *out, dc_merge_input *inputs, int n_inputs, int force, dc_merge_report *report,
             dc_error *err)
{
    int rc = DC_OK;
    merge_state st;
    char *tmp = NULL;
    int tmp_made = 0;
    dc_lock lock;
    memset(&lock, 0, sizeof lock);
    memset(&st, 0, sizeof st);
    memset(report, 0, sizeof *report);
    if (n_inputs < 1) DC_FAIL(DC_ERR_INPUT, "merge: no input files");
    if (!force && access(out, F_OK) == 0)
        DC_FAIL(DC_ERR_INPUT, "%s exists: refusing to overwrite it (use --force to replace it)", out);
    struct stat out_st;  /* --force replaces a file, never a directory or a device (the rename would) */
    if (stat(out, &out_st) == 0 && !S_ISREG(out_st.st_mode))
        DC_FAIL(DC_ERR_INPUT, "%s is not a file: give a file path as OUT", out);
    /* OUT has one writer: a sweep still writing it must not be replaced under its feet. */
    DC_TRY(dc_lock_take(&lock, out, "dcsweep merge", err));
    for (int k = 0; k < n_inputs; k++) {
        inputs[k].n_taken = 0;
        memset(&inputs[k].shard, 0, sizeof inputs[k].shard);
    }
    DC_TRY(distinct_inputs(inputs, n_inputs, err));
    for (int k = 0; k < n_inputs; k++) DC_TRY(merge_input(&st, inputs, k, err));

    int n = st.info.n_runs;
    report->n_runs = n;
    report->epochs = st.info.epochs;
    snprintf(report->sweep_name, sizeof report->sweep_name, "%s", st.meta[META_NAME]);
    DC_ALLOC(report->missing, n);
    DC_ALLOC(report->duplicates, n);
    for (int i = 0; i < n; i++) {
        int s = dc_results_status_parse(st.rows[i].status);
        if (s >= 0) report->count[s]++;
        if (st.source[i] < 0) report->missing[report->n_missing++] = i;
        if (st.duplicate[i]) report->duplicates[report->n_duplicates++] = i;
    }

    size_t len = strlen(out) + 32;
    DC_ALLOC(tmp, len);
    snprintf(tmp, len, "%s.merging-%ld", out, (long)getpid());
    tmp_made = 1;
    DC_TRY(write_merged(&st, inputs, n_inputs, tmp, err));
    if (rename(tmp, out) != 0) DC_FAIL(DC_ERR_IO, "cannot rename %s to %s: %s", tmp, out, strerror(errno));
    tmp_made = 0;
cleanup:
    if (tmp_made) unlink(tmp);
    dc_lock_release(&lock);
    free(tmp);
    state_free(&st);
    return rc;
}

void dc_merge_report_free(dc_merge_report *report)
{
    if (!report) return;
    free(report->missing);
    free(report->duplicates);
    memset(report, 0, sizeof *report);
}
