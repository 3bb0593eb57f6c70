/* `dcsweep train SWEEP.cfg --run N`: trains one grid point in this process (no MPI) and prints its
 * learning curve and final metrics: the way to try a setting before launching a whole sweep. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dcsweep/core/json_out.h"
#include "cmd_util.h"
#include "dcsweep/cli/cli.h"
#include "dcsweep/config/config.h"
#include "dcsweep/config/grid.h"
#include "dcsweep/sweep/progress.h"
#include "dcsweep/train/trainer.h"

#define CURVE_WIDTH 17  /* columns of a per-epoch value: the longest curve name fits */

static const char *train_help =
    "usage: dcsweep train SWEEP.cfg --run N [--set key=value ...] [--format table|json]\n"
    "                     [--progress-seconds N]\n\n"
    "Trains grid point N of the sweep (see `dcsweep plan`) on its training split and prints one line\n"
    "per epoch (training loss terms in scaled units, validation MAE in the dataset's units, seconds),\n"
    "then the validation and test metrics. A diverged run (NaN/Inf loss) is reported with its epoch\n"
    "and exits 0; a failed run (e.g. degenerate rescaling statistics) exits 1.\n"
    "\n"
    "options:\n"
    "  --run N              the grid point to train, 0..runs-1 (required; `dcsweep plan` lists them)\n"
    "  --set KEY=VALUE      override a key of the sweep file (repeatable, applied in order)\n"
    "  --format table|json  table (default): the per-epoch lines and the metrics; json: only the\n"
    "                       final metrics, status and epochs as one JSON line\n"
    "  --progress-seconds N when stderr is not a terminal (a batch log): a progress line on stderr\n"
    "                       at most every N seconds (default 60; 0: none; none for a run shorter\n"
    "                       than N), as `dcsweep run` prints them: epoch, lr, monitored value, best\n"
    "                       so far, ETA (the epochs left at the run's epoch rate; `ETA <= T` when\n"
    "                       early stopping may end it sooner)\n"
    "  --help               print this text\n"
    "\n"
    "OMP_NUM_THREADS sets oneDNN's threads (default 1).\n"
    "\n"
    "example:\n"
    "  dcsweep train sweeps/quickstart.cfg --run 3 --set train.epochs=5\n";

typedef struct train_ctx {
    FILE *out;
    int table;
    int n_curves;
    FILE *log;                    /* progress lines (stderr when not a terminal), or NULL */
    double progress_seconds;
    const dc_sweep *sweep;
    int lr_curve, monitor_curve;  /* -1: absent */
    double t0, last_line;         /* monotonic seconds: the run's start, its last progress line */
} train_ctx;

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The progress line of `dcsweep run`, for a batch log (the per-epoch table may be on a pipe). */
static void progress_line(train_ctx *t, const double *c, const dc_run_state *state)
{
    double now = monotonic_seconds();
    if (!t->log || !state || !dc_run_progress_due(now, t->last_line, t->progress_seconds)) return;
    if (state->epoch >= state->n_epochs || state->stop_reason != DC_STOP_NONE) return;
    t->last_line = now;
    dc_run_progress rp;
    char line[512];
    dc_run_progress_fill(&rp, state, c, t->lr_curve, t->monitor_curve, t->sweep->train.monitor,
                         now - t->t0, 0, t->sweep->train.early_stopping.patience > 0);
    dc_run_progress_format(line, sizeof line, &rp);
    fprintf(t->log, "%s\n", line);
    fflush(t->log);
}

static int print_epoch(void *ctx, const dc_run *run, int epoch, const double *c,
                       const dc_run_state *state)
{
    (void)run;
    train_ctx *t = ctx;
    progress_line(t, c, state);
    if (t->table) {
        fprintf(t->out, "%5d", epoch);
        for (int k = 0; k < t->n_curves; k++) fprintf(t->out, "  %*.6g", CURVE_WIDTH, c[k]);
        fputc('\n', t->out);
        fflush(t->out);
    }
    return 0;
}

static void json_string(FILE *out, const char *key, const char *s, int comma)
{
    fprintf(out, "\"%s\": ", key);
    dc_json_string(out, s);
    if (comma) fputs(", ", out);
}

static void print_json(FILE *out, const dc_run *run, const dc_trainer_desc *d, const dc_run_result *r)
{
    fprintf(out, "{\"run\": %d, ", run->index);
    cmd_json_number(out, "irelu_scale", run->extent == DC_EXTENT_NONE ? NAN : run->irelu_scale, 1);
    json_string(out, "extent", dc_extent_name(run->extent), 1);
    json_string(out, "rescaling", dc_rescaling_name(run->rescaling), 1);
    fprintf(out, "\"seed\": %lld, ", (long long)run->seed);
    json_string(out, "status", dc_run_status_name(r->status), 1);
    fprintf(out, "\"epochs\": %d, ", r->epochs_completed);
    if (r->diverged_epoch) fprintf(out, "\"diverged_epoch\": %d, ", r->diverged_epoch);
    fprintf(out, "\"best_epoch\": %d, ", r->best_epoch);
    json_string(out, "stop_reason", dc_stop_reason_name(r->stop_reason), 1);
    cmd_json_number(out, "final_lr", r->final_lr, 1);
    if (r->message[0]) json_string(out, "message", r->message, 1);
    for (int k = 0; k < d->n_metrics; k++) cmd_json_number(out, d->metrics[k].name, r->metrics[k], 1);
    fprintf(out, "\"wall_seconds\": %.3f}\n", r->wall_seconds);
}

/* One line per metric: name, value, unit. */
static void print_table(FILE *out, const dc_trainer_desc *d, const dc_run_result *r)
{
    if (r->status == DC_RUN_DIVERGED) {
        fprintf(out, "diverged: %s\n", r->message);
        return;
    }
    fputc('\n', out);
    for (int k = 0; k < d->n_metrics; k++) {
        const dc_metric_desc *m = &d->metrics[k];
        if (m->fraction) fprintf(out, "%-20s %12.4f\n", m->name, r->metrics[k]);
        else fprintf(out, "%-20s %12.6g  %s\n", m->name, r->metrics[k], m->unit);
    }
    /* a failed run has no stop reason: its message is on stderr */
    const char *reason = dc_stop_reason_name(r->stop_reason);
    fprintf(out, "status %s after %d epochs (%s%sbest epoch %d, final lr %.3g), %.1f s\n",
            dc_run_status_name(r->status), r->epochs_completed, reason, reason[0] ? "; " : "",
            r->best_epoch, r->final_lr, r->wall_seconds);
}

/* The header of the per-epoch lines: curve names, then what they are measured in. */
static void print_header(FILE *out, const dc_run *run, int n_runs, const dc_trainer_desc *d)
{
    char scale[32] = "n/a";
    if (run->extent != DC_EXTENT_NONE) snprintf(scale, sizeof scale, "%g", run->irelu_scale);
    fprintf(out, "run %d of %d: extent %s, irelu_scale %s, rescaling %s, seed %lld\n", run->index,
            n_runs, dc_extent_name(run->extent), scale, dc_rescaling_name(run->rescaling),
            (long long)run->seed);
    fprintf(out, "%5s", "epoch");
    for (int k = 0; k < d->n_curves; k++) fprintf(out, "  %*s", CURVE_WIDTH, d->curves[k]);
    fprintf(out, "\n%5s", "");
    for (int k = 0; k < d->n_curves; k++) {
        /* training losses and the validation loss are in scaled units, MAEs in the data's */
        const char *name = d->curves[k], *unit = "(scaled)";
        for (int m = 0; m < d->n_metrics; m++)
            if (strncmp(name, "val_", 4) == 0 && strcmp(d->metrics[m].name, name) == 0)
                unit = d->metrics[m].unit;
        if (strcmp(name, "epoch_seconds") == 0) unit = "s";
        fprintf(out, "  %*s", CURVE_WIDTH, unit);
    }
    fputc('\n', out);
    fflush(out);
}

int dc_cmd_train(int argc, char **argv)
{
    int rc = DC_OK, status = 0;
    dc_error err_s = {0}, *err = &err_s;
    dc_cli_common opts;
    dc_cli_option extra[] = {{"--run", 1, NULL}, {"--progress-seconds", 1, NULL}};
    double progress_seconds = 60;
    dc_sweep sweep;
    dc_grid grid = {0};
    dc_trainer *trainer = NULL;
    dc_run_result result = {0};
    memset(&sweep, 0, sizeof sweep);

    DC_TRY(dc_cli_parse_common(&opts, argc, argv, extra, 2, err));
    if (opts.help) {
        fputs(train_help, stdout);
        goto cleanup;
    }
    int table = 1;
    if (opts.format && strcmp(opts.format, "json") == 0) table = 0;
    else if (opts.format && strcmp(opts.format, "table") != 0)
        DC_FAIL(DC_ERR_INPUT, "train: --format must be table or json, got '%s'", opts.format);
    if (!extra[0].value) DC_FAIL(DC_ERR_INPUT, "train: --run N is required (see dcsweep plan)");
    if (extra[1].value)
        DC_TRY(cmd_parse_seconds(extra[1].value, "train", "--progress-seconds", &progress_seconds, err));
    DC_TRY(dc_cli_load_sweep(&sweep, &opts, err));
    DC_TRY(dc_grid_expand(&grid, &sweep.grid, err));
    int index = 0;
    DC_TRY(cmd_parse_count(extra[0].value, "train", "--run", grid.n_runs, &index, err));
    const dc_run *run = &grid.runs[index];
    cmd_default_threads();
    DC_TRY(dc_trainer_create(&trainer, &sweep, err));

    const dc_trainer_desc *desc = dc_trainer_describe(trainer);
    if (table) print_header(stdout, run, grid.n_runs, desc);
    train_ctx ctx = {.out = stdout, .table = table, .n_curves = desc->n_curves,
                     .log = isatty(STDERR_FILENO) ? NULL : stderr, .progress_seconds = progress_seconds,
                     .sweep = &sweep, .lr_curve = -1, .monitor_curve = -1};
    for (int k = 0; k < desc->n_curves; k++) {
        if (strcmp(desc->curves[k], "lr") == 0) ctx.lr_curve = k;
        if (strcmp(desc->curves[k], "monitor") == 0) ctx.monitor_curve = k;
    }
    ctx.t0 = ctx.last_line = monotonic_seconds();
    dc_train_hooks hooks = {.on_epoch = print_epoch, .ctx = &ctx};
    DC_TRY(dc_trainer_run(trainer, run, NULL, &result, &hooks, err));
    if (table) print_table(stdout, desc, &result);
    else print_json(stdout, run, desc, &result);
    if (result.status == DC_RUN_FAILED) {
        fprintf(stderr, "dcsweep: train: run %d failed: %s\n", index, result.message);
        status = 1;
    }
cleanup:
    if (rc != DC_OK) status = dc_cli_report(err);
    dc_run_result_free(&result);
    dc_trainer_destroy(trainer);
    dc_grid_free(&grid);
    dc_sweep_free(&sweep);
    dc_cli_common_free(&opts);
    return status;
}
