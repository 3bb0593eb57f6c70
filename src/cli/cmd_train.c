/* `dcsweep train SWEEP.cfg --run N`: trains one grid point in this process (no MPI) and prints its
 * learning curve and final metrics: the way to try a setting before launching a whole sweep. */
#include <stdio.h>
#include <string.h>

#include "dcsweep/core/json_out.h"
#include "cmd_util.h"
#include "dcsweep/cli/cli.h"
#include "dcsweep/config/config.h"
#include "dcsweep/config/grid.h"
#include "dcsweep/train/trainer.h"

static const char *train_help =
    "usage: dcsweep train SWEEP.cfg --run N [--set key=value ...] [--format table|json]\n\n"
    "Trains grid point N of the sweep (see `dcsweep plan`) on its training split and prints one line\n"
    "per epoch (training loss terms in scaled units, validation MAE in the dataset's units, seconds),\n"
    "then the validation and test metrics. --format json prints only the final metrics as one JSON\n"
    "line. A diverged run (NaN/Inf loss) is reported with its epoch and exits 0.\n"
    "OMP_NUM_THREADS sets oneDNN's threads (default 1).\n";

typedef struct train_ctx {
    FILE *out;
    int table;
} train_ctx;

static int print_epoch(void *ctx, const dc_run *run, int epoch, const double *c)
{
    (void)run;
    train_ctx *t = ctx;
    if (t->table) {
        fprintf(t->out, "%5d  %17.6g  %16.6g  %14.6g  %13.6g  %7.2f\n", epoch,
                c[DC_CURVE_TRAIN_ENERGY_LOSS], c[DC_CURVE_TRAIN_FORCE_LOSS],
                c[DC_CURVE_VAL_ENERGY_MAE], c[DC_CURVE_VAL_FORCE_MAE], c[DC_CURVE_SECONDS]);
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

static void print_json(FILE *out, const dc_run *run, const dc_run_result *r)
{
    fprintf(out, "{\"run\": %d, ", run->index);
    cmd_json_number(out, "irelu_scale", run->extent == DC_EXTENT_NONE ? NAN : run->irelu_scale, 1);
    json_string(out, "extent", dc_extent_name(run->extent), 1);
    json_string(out, "rescaling", dc_rescaling_name(run->rescaling), 1);
    fprintf(out, "\"seed\": %lld, ", (long long)run->seed);
    json_string(out, "status", dc_run_status_name(r->status), 1);
    fprintf(out, "\"epochs\": %d, ", r->epochs_completed);
    if (r->diverged_epoch) fprintf(out, "\"diverged_epoch\": %d, ", r->diverged_epoch);
    if (r->message[0]) json_string(out, "message", r->message, 1);
    const dc_split_metrics *m[2] = {&r->val, &r->test};
    const char *prefix[2] = {"val", "test"};
    for (int s = 0; s < 2; s++) {
        char key[64];
#define NUM(field, comma)                                                                          \
    snprintf(key, sizeof key, "%s_" #field, prefix[s]);                                            \
    cmd_json_number(out, key, m[s]->field, comma)
        NUM(energy_mae, 1);
        NUM(energy_rmse, 1);
        NUM(force_mae, 1);
        NUM(force_rmse, 1);
        NUM(efwt, s == 0);
#undef NUM
    }
    fprintf(out, ", \"wall_seconds\": %.3f}\n", r->wall_seconds);
}

static void print_table(FILE *out, const dc_sweep *sw, const dc_run_result *r)
{
    const char *eu = sw->dataset.energy_unit, *lu = sw->dataset.length_unit;
    char fu[96];
    snprintf(fu, sizeof fu, "%s/%s", eu, lu);
    if (r->status == DC_RUN_DIVERGED) {
        fprintf(out, "diverged: %s\n", r->message);
        return;
    }
    fprintf(out, "\n%-10s  %12s  %12s  %12s  %12s  %6s\n", "split", "energy_mae", "energy_rmse",
            "force_mae", "force_rmse", "efwt");
    fprintf(out, "%-10s  %12s  %12s  %12s  %12s  %6s\n", "", eu, eu, fu, fu, "");
    const dc_split_metrics *m[2] = {&r->val, &r->test};
    const char *name[2] = {"validation", "test"};
    for (int s = 0; s < 2; s++)
        fprintf(out, "%-10s  %12.6g  %12.6g  %12.6g  %12.6g  %6.4f\n", name[s], m[s]->energy_mae,
                m[s]->energy_rmse, m[s]->force_mae, m[s]->force_rmse, m[s]->efwt);
    fprintf(out, "status %s after %d epochs, %.1f s\n", dc_run_status_name(r->status),
            r->epochs_completed, r->wall_seconds);
}

int dc_cmd_train(int argc, char **argv, MPI_Comm comm)
{
    (void)comm;
    int rc = DC_OK, status = 0;
    dc_error err_s = {0}, *err = &err_s;
    dc_cli_common opts;
    dc_cli_option extra[] = {{"--run", 1, NULL}};
    dc_sweep sweep;
    dc_grid grid = {0};
    dc_trainer *trainer = NULL;
    dc_run_result result = {0};
    memset(&sweep, 0, sizeof sweep);

    DC_TRY(dc_cli_parse_common(&opts, argc, argv, extra, 1, err));
    if (opts.help) {
        fputs(train_help, stdout);
        goto cleanup;
    }
    int table = 1;
    if (opts.format && strcmp(opts.format, "json") == 0) table = 0;
    else if (opts.format && strcmp(opts.format, "table") != 0)
        DC_FAIL(DC_ERR_INPUT, "train: --format must be table or json, got '%s'", opts.format);
    if (!extra[0].value) DC_FAIL(DC_ERR_INPUT, "train: --run N is required (see dcsweep plan)");
    DC_TRY(dc_sweep_load(&sweep, opts.sweep_path, opts.overrides, opts.n_overrides, err));
    DC_TRY(dc_grid_expand(&grid, &sweep.grid, err));
    int index = 0;
    DC_TRY(cmd_parse_count(extra[0].value, "train", "--run", grid.n_runs, &index, err));
    const dc_run *run = &grid.runs[index];
    cmd_default_threads();
    DC_TRY(dc_trainer_create(&trainer, &sweep, err));

    if (table) {
        char scale[32] = "n/a";
        if (run->extent != DC_EXTENT_NONE) snprintf(scale, sizeof scale, "%g", run->irelu_scale);
        printf("run %d of %d: extent %s, irelu_scale %s, rescaling %s, seed %lld\n", index,
               grid.n_runs, dc_extent_name(run->extent), scale, dc_rescaling_name(run->rescaling),
               (long long)run->seed);
        printf("%5s  %17s  %16s  %14s  %13s  %7s\n", "epoch", "train_energy_loss",
               "train_force_loss", "val_energy_mae", "val_force_mae", "seconds");
        char fu[96];
        snprintf(fu, sizeof fu, "%s/%s", sweep.dataset.energy_unit, sweep.dataset.length_unit);
        printf("%5s  %17s  %16s  %14s  %13s  %7s\n", "", "(scaled)", "(scaled)",
               sweep.dataset.energy_unit, fu, "s");
        fflush(stdout);
    }
    train_ctx ctx = {.out = stdout, .table = table};
    DC_TRY(dc_trainer_run(trainer, run, &result, print_epoch, &ctx, err));
    if (table) print_table(stdout, &sweep, &result);
    else print_json(stdout, run, &result);
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
