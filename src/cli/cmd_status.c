/* `dcsweep status RESULTS.h5 [--format table|json]`: how far a sweep (or a shard of it) has got. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dcsweep/core/json_out.h"
#include "dcsweep/cli/cli.h"
#include "dcsweep/results/checkpoint.h"
#include "dcsweep/results/results.h"
#include "dcsweep/sweep/progress.h"
#include "dcsweep/results/shard.h"

static const char status_help[] =
    "usage: dcsweep status RESULTS.h5 [--format table|json]\n"
    "\n"
    "Counts the runs of a results file by status (done, diverged, failed, pending) and lists the\n"
    "runs that are not done, with their factors and error message. Safe while a sweep is writing\n"
    "the file. A pending run with a mid-run checkpoint (RESULTS.h5.ckpt/run-N.h5, written every\n"
    "train.checkpoint_seconds) is in flight, or was when its sweep stopped: status lists its epoch,\n"
    "last monitored value and best so far as of that checkpoint, and the checkpoint's age.\n"
    "On a shard file (`dcsweep run --shard K/N`) only the shard's runs are counted; the\n"
    "others belong to other shards.\n"
    "\n"
    "options:\n"
    "  --format table|json  output format (default table); json is one object:\n"
    "                       {file, sweep_name, sweep_sha256, format_version, n_runs, epochs,\n"
    "                        shard (\"K/N\" or null), runs (counted), counts {done, diverged,\n"
    "                        failed, pending}, complete, finished, not_done [{run, status, seed,\n"
    "                        rescaling, extent, irelu_scale, error}], monitor, in_flight [{run,\n"
    "                        epoch, epochs, lr, monitor, monitor_epoch, best, best_epoch,\n"
    "                        checkpoint, checkpoint_age_seconds}]}\n"
    "  --help               print this text\n"
    "\n"
    "exit status: 0 every run is done, 1 some are not (pending, diverged or failed), 2 not a\n"
    "readable results file. `complete` (json) is the same as exit 0; `finished` means no run is\n"
    "pending any more (diverged and failed runs are final until --retry-failed).\n"
    "\n"
    "examples:\n"
    "  dcsweep status results/quickstart.h5\n"
    "  dcsweep status results/full.shard-3-of-8.h5 --format json\n";

typedef struct status_view {
    const char *path;
    char *name, *sha;
    dc_results_info info;
    dc_shard shard;
    dc_results_row *rows;
    int n_scope;      /* rows counted: the shard's, or all */
    int count[4];
    char monitor[64]; /* train.monitor of the sweep ("" when not recorded) */
    int n_flight;     /* pending runs with a checkpoint of this sweep */
    dc_checkpoint_summary *flight;  /* [n_flight] */
    char ckpt_dir[4200];
} status_view;

/* train.monitor from the canonical sweep text ("train.monitor = \"val_loss\";"). */
static void find_monitor(const char *effective, char *out, size_t size)
{
    const char *key = "train.monitor = \"", *at = effective ? strstr(effective, key) : NULL;
    out[0] = '\0';
    if (!at) return;
    at += strlen(key);
    size_t n = strcspn(at, "\"\n");
    if (n >= size) n = size - 1;
    memcpy(out, at, n);
    out[n] = '\0';
}

static int in_scope(const status_view *v, int i);

/* The pending runs' checkpoints of this sweep; one that cannot be read (being replaced, damaged,
 * another sweep's) is left out: status only looks, the next `dcsweep run` decides. */
static int find_flight(status_view *v, dc_results *res, dc_error *err)
{
    int rc = DC_OK, monitor_curve = dc_results_curve_index(res, "monitor");
    snprintf(v->ckpt_dir, sizeof v->ckpt_dir, "%s.ckpt", v->path);
    for (int i = 0; i < v->info.n_runs; i++) {
        if (!in_scope(v, i) || dc_results_status_parse(v->rows[i].status) != DC_RUN_PENDING) continue;
        char path[4300];
        dc_checkpoint_summary sum;
        dc_error ignored = {0};
        if (dc_checkpoint_path(v->path, i, path, sizeof path, &ignored) != DC_OK) continue;
        if (dc_checkpoint_peek(path, monitor_curve, &sum, &ignored) != DC_OK) continue;
        if (sum.run != i || strcmp(sum.sweep_sha256, v->info.sweep_sha256) != 0) continue;
        if (!v->flight) DC_ALLOC(v->flight, v->info.n_runs);
        v->flight[v->n_flight++] = sum;
    }
cleanup:
    return rc;
}

static double unix_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}


static int in_scope(const status_view *v, int i)
{
    return dc_shard_owns(&v->shard, i);
}

static int not_done(const status_view *v, int i)
{
    return in_scope(v, i) && dc_results_status_parse(v->rows[i].status) != DC_RUN_DONE;
}

static void json_number(FILE *out, const char *key, double x)
{
    if (isfinite(x)) fprintf(out, "\"%s\": %.17g, ", key, x);
    else fprintf(out, "\"%s\": null, ", key);
}

static void print_json(FILE *out, const status_view *v)
{
    char shard[32];
    dc_shard_format(&v->shard, shard, sizeof shard);
    fputs("{\"file\": ", out);
    dc_json_string(out, v->path);
    fputs(", \"sweep_name\": ", out);
    dc_json_string(out, v->name);
    fprintf(out, ", \"sweep_sha256\": \"%s\", \"format_version\": %d, \"n_runs\": %d, \"epochs\": %d, ",
            v->info.sweep_sha256, v->info.format_version, v->info.n_runs, v->info.epochs);
    if (shard[0]) fprintf(out, "\"shard\": \"%s\", ", shard);
    else fputs("\"shard\": null, ", out);
    fprintf(out, "\"runs\": %d, \"counts\": {\"done\": %d, \"diverged\": %d, \"failed\": %d, \"pending\": %d}, ",
            v->n_scope, v->count[DC_RUN_DONE], v->count[DC_RUN_DIVERGED], v->count[DC_RUN_FAILED],
            v->count[DC_RUN_PENDING]);
    fprintf(out, "\"complete\": %s, \"finished\": %s, \"not_done\": [",
            v->count[DC_RUN_DONE] == v->n_scope ? "true" : "false",
            v->count[DC_RUN_PENDING] == 0 ? "true" : "false");
    int first = 1;
    for (int i = 0; i < v->info.n_runs; i++) {
        if (!not_done(v, i)) continue;
        const dc_results_row *r = &v->rows[i];
        fprintf(out, "%s\n  {\"run\": %d, \"status\": ", first ? "" : ",", r->run);
        dc_json_string(out, r->status);
        fprintf(out, ", \"seed\": %lld, \"rescaling\": ", (long long)r->seed);
        dc_json_string(out, r->rescaling);
        fputs(", \"extent\": ", out);
        dc_json_string(out, r->extent);
        if (isfinite(r->irelu_scale)) fprintf(out, ", \"irelu_scale\": %.17g", r->irelu_scale);
        else fputs(", \"irelu_scale\": null", out);
        fputs(", \"error\": ", out);
        dc_json_string(out, r->error);
        fputc('}', out);
        first = 0;
    }
    fputs(first ? "], \"monitor\": " : "\n], \"monitor\": ", out);
    dc_json_string(out, v->monitor);
    fputs(", \"in_flight\": [", out);
    double now = unix_now();
    for (int k = 0; k < v->n_flight; k++) {
        const dc_checkpoint_summary *f = &v->flight[k];
        char path[4300];
        snprintf(path, sizeof path, "%s/run-%d.h5", v->ckpt_dir, f->run);
        fprintf(out, "%s\n  {\"run\": %d, \"epoch\": %d, \"epochs\": %d, ", k ? "," : "", f->run,
                f->epoch, f->n_epochs);
        json_number(out, "lr", f->lr);
        json_number(out, "monitor", f->monitor);
        fprintf(out, "\"monitor_epoch\": %d, ", f->monitor_epoch);
        json_number(out, "best", f->best_value);
        fprintf(out, "\"best_epoch\": %d, \"checkpoint\": ", f->best_epoch);
        dc_json_string(out, path);
        fprintf(out, ", \"checkpoint_age_seconds\": %.1f}", now - f->saved);
    }
    fputs(v->n_flight ? "\n]}\n" : "]}\n", out);
}

static void print_table(FILE *out, const status_view *v)
{
    char shard[32];
    dc_shard_format(&v->shard, shard, sizeof shard);
    fprintf(out, "%s: sweep %s, %d runs x %d epochs (sweep_sha256 %.12s)\n", v->path, v->name,
            v->info.n_runs, v->info.epochs, v->info.sweep_sha256);
    if (shard[0])
        fprintf(out, "shard %s: %d of the %d runs (the others belong to other shards)\n", shard,
                v->n_scope, v->info.n_runs);
    const int order[] = {DC_RUN_DONE, DC_RUN_DIVERGED, DC_RUN_FAILED, DC_RUN_PENDING};
    for (int k = 0; k < 4; k++)
        fprintf(out, "  %-9s %*d\n", dc_run_status_name((dc_run_status)order[k]),
                (int)snprintf(NULL, 0, "%d", v->n_scope), v->count[order[k]]);
    int n_not = v->n_scope - v->count[DC_RUN_DONE];
    if (n_not == 0) {
        fprintf(out, "all %d runs done\n", v->n_scope);
        return;
    }
    fprintf(out, "not done (%d):\n  %5s  %-9s %6s  %-9s %-7s %11s  %s\n", n_not, "run", "status", "seed",
            "rescaling", "extent", "irelu_scale", "error");
    for (int i = 0; i < v->info.n_runs; i++) {
        if (!not_done(v, i)) continue;
        const dc_results_row *r = &v->rows[i];
        char scale[32] = "-";
        if (isfinite(r->irelu_scale)) snprintf(scale, sizeof scale, "%g", r->irelu_scale);
        fprintf(out, "  %5d  %-9s %6lld  %-9s %-7s %11s  %s\n", r->run, r->status, (long long)r->seed,
                r->rescaling, r->extent, scale, r->error);
    }
    if (v->n_flight == 0) return;
    const char *monitor = v->monitor[0] ? v->monitor : "monitor";
    fprintf(out, "in flight (%d), as of their last checkpoint in %s/:\n  %5s  %13s  %9s  %-26s  %-26s  %s\n",
            v->n_flight, v->ckpt_dir, "run", "epoch", "lr", monitor, "best", "checkpoint age");
    double now = unix_now();
    for (int k = 0; k < v->n_flight; k++) {
        const dc_checkpoint_summary *f = &v->flight[k];
        char epoch[32], last[48] = "-", best[48] = "-", age[32];
        snprintf(epoch, sizeof epoch, "%d/%d", f->epoch, f->n_epochs);
        if (f->monitor_epoch > 0) snprintf(last, sizeof last, "%.6g (epoch %d)", f->monitor, f->monitor_epoch);
        if (f->best_epoch > 0) snprintf(best, sizeof best, "%.6g (epoch %d)", f->best_value, f->best_epoch);
        dc_format_duration(age, sizeof age, now - f->saved);
        fprintf(out, "  %5d  %13s  %9.3g  %-26s  %-26s  %s\n", f->run, epoch, f->lr, last, best, age);
    }
}

/* Reads what status shows; DC_ERR_INPUT/IO for a file that is not a readable results file. */
static int load_view(status_view *v, const char *path, dc_error *err)
{
    int rc = DC_OK;
    dc_results *res = NULL;
    char *effective = NULL;
    v->path = path;
    DC_TRY(dc_results_probe(path, &v->info, err));
    DC_TRY(dc_results_open(&res, path, 0, err));
    DC_TRY(dc_results_read_attr_string(res, "sweep_name", &v->name, err));
    DC_TRY(dc_shard_read(res, &v->shard, err));
    DC_ALLOC(v->rows, v->info.n_runs);
    DC_TRY(dc_results_read_rows(res, 0, v->info.n_runs, v->rows, err));
    for (int i = 0; i < v->info.n_runs; i++) {
        if (!in_scope(v, i)) continue;
        int s = dc_results_status_parse(v->rows[i].status);
        if (s < 0) DC_FAIL(DC_ERR_INPUT, "%s: run %d has an unknown status '%s'", path, i, v->rows[i].status);
        v->count[s]++;
        v->n_scope++;
    }
    if (dc_results_read_attr_string(res, "sweep_effective", &effective, NULL) == DC_OK)
        find_monitor(effective, v->monitor, sizeof v->monitor);
    DC_TRY(find_flight(v, res, err));
cleanup:
    free(effective);
    if (res) {
        dc_error ignored = {0};
        dc_results_close(res, &ignored);
    }
    return rc;
}

int dc_cmd_status(int argc, char **argv)
{
    int rc = DC_OK, help = 0;
    dc_error e = {0}, *err = &e;
    dc_cli_common opts;
    status_view v;
    memset(&v, 0, sizeof v);
    rc = dc_cli_parse_common(&opts, argc, argv, NULL, 0, err);
    if (rc != DC_OK) {
        /* The common parser speaks of a sweep file; status takes a results file. */
        if (strstr(e.message, "missing the sweep file"))
            dc_error_set(err, DC_ERR_INPUT, "status: missing the results file (usage: dcsweep status RESULTS.h5; see --help)");
        goto cleanup;
    }
    if ((help = opts.help)) {
        fputs(status_help, stdout);
        goto cleanup;
    }
    if (opts.n_overrides) DC_FAIL(DC_ERR_INPUT, "status: --set does not apply to a results file");
    const char *format = opts.format ? opts.format : "table";
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        DC_FAIL(DC_ERR_INPUT, "status: unknown format '%s' (expected table or json)", format);
    rc = load_view(&v, opts.sweep_path, err);
    if (rc != DC_OK) {
        rc = DC_ERR_INPUT;  /* any unreadable file is "bad input": exit 2 */
        e.code = DC_ERR_INPUT;
        goto cleanup;
    }
    if (strcmp(format, "json") == 0) print_json(stdout, &v);
    else print_table(stdout, &v);
    if (fflush(stdout) != 0) DC_FAIL(DC_ERR_IO, "status: cannot write the output");
cleanup:
    free(v.name);
    free(v.rows);
    free(v.flight);
    dc_cli_common_free(&opts);
    if (rc != DC_OK) return dc_cli_report(err);
    if (help) return 0;
    return v.count[DC_RUN_DONE] == v.n_scope ? 0 : 1;
}
