/* `dcsweep bench SWEEP.cfg`: training throughput of the sweep's model on its training split, as a
 * fraction of what a oneDNN matmul reaches on this machine with the same threads. */
#include <stdio.h>
#include <string.h>

#include "cmd_util.h"
#include "dcsweep/cli/cli.h"
#include "dcsweep/config/config.h"
#include "dcsweep/config/grid.h"
#include "dcsweep/core/perf.h"
#include "dcsweep/model/peak.h"
#include "dcsweep/train/trainer.h"
#include "dcsweep/model/model.h"

#define BENCH_WARMUP 3
#define BENCH_PEAK_N 2048   /* matmul size of the peak measurement */
#define BENCH_PEAK_REPEATS 3

static const char *bench_help =
    "usage: dcsweep bench SWEEP.cfg [--set key=value ...] [--steps N] [--run N]\n\n"
    "Times N training steps (gradient of the energy+force loss and an Adam update; default 20,\n"
    "after 3 untimed ones) of grid point --run (default 0) on the sweep's training batches and\n"
    "prints one JSON line: configurations/s, ms per step, GFLOP/s and its fraction of a oneDNN\n"
    "matmul's peak on this machine, and the sizes. For a full-batch family a step is one step on\n"
    "every point of its loss: steps/s and GFLOP per step instead of configurations/s.\n"
    "\n"
    "options:\n"
    "  --steps N         timed steps (default 20, at least 1)\n"
    "  --run N           the grid point whose activation and rescaling to time (default 0)\n"
    "  --set KEY=VALUE   override a key of the sweep file (repeatable, applied in order)\n"
    "  --format json     the only output format (accepted for symmetry with the other commands)\n"
    "  --help            print this text\n"
    "\n"
    "OMP_NUM_THREADS sets the threads (default 1).\n";

/* The network's size: the family's model.* keys by their last name ("features": 64), and the batch
 * of a family that has batches. */
static void print_model_keys(const dc_sweep *sweep)
{
    const dc_family *f = sweep->family;
    for (int k = 0; k < f->n_keys; k++) {
        const char *key = f->keys[k].key;
        if (strncmp(key, "model.", 6) != 0) continue;
        if (f->keys[k].type == DC_FKEY_DOUBLE) printf("\"%s\": %g, ", key + 6, sweep->values[k].d);
        else printf("\"%s\": %lld, ", key + 6, (long long)sweep->values[k].i);
    }
    if (dc_sweep_uses(sweep, "train.batch_size")) printf("\"batch_size\": %d, ", sweep->train.batch_size);
}

int dc_cmd_bench(int argc, char **argv)
{
    int rc = DC_OK, status = 0;
    dc_error err_s = {0}, *err = &err_s;
    dc_cli_common opts;
    dc_cli_option extra[] = {{"--steps", 1, NULL}, {"--run", 1, NULL}};
    dc_sweep sweep;
    dc_grid grid = {0};
    dc_trainer *trainer = NULL;
    memset(&sweep, 0, sizeof sweep);

    DC_TRY(dc_cli_parse_common(&opts, argc, argv, extra, 2, err));
    if (opts.help) {
        fputs(bench_help, stdout);
        goto cleanup;
    }
    if (opts.format && strcmp(opts.format, "json") != 0)
        DC_FAIL(DC_ERR_INPUT, "bench: --format must be json, got '%s'", opts.format);
    int steps = 20, index = 0;
    if (extra[0].value) DC_TRY(cmd_parse_count(extra[0].value, "bench", "--steps", 0, &steps, err));
    if (steps < 1) DC_FAIL(DC_ERR_INPUT, "bench: --steps must be at least 1");
    DC_TRY(dc_cli_load_sweep(&sweep, &opts, err));
    DC_TRY(dc_grid_expand(&grid, &sweep.grid, err));
    if (extra[1].value)
        DC_TRY(cmd_parse_count(extra[1].value, "bench", "--run", grid.n_runs, &index, err));
    int threads = cmd_default_threads();
    DC_TRY(dc_trainer_create(&trainer, &sweep, err));

    dc_bench_result b;
    DC_TRY(dc_trainer_bench(trainer, &grid.runs[index], BENCH_WARMUP, steps, &b, err));
    double peak = 0.0;
    DC_TRY(dc_dnnl_matmul_peak_gflops(BENCH_PEAK_N, BENCH_PEAK_REPEATS, &peak, err));
    double gflops = b.flops / b.seconds * 1e-9;
    const dc_model_info *info = dc_trainer_model(trainer);
    if (info->n_train_items == 0)  /* full batch: a step is the whole training set */
        printf("{\"steps_per_s\": %.2f, \"step_ms\": %.3f, \"gflop_per_step\": %.4f, ", b.steps / b.seconds,
               1e3 * b.seconds / b.steps, 1e-9 * b.flops / b.steps);
    else
        printf("{\"train_configs_per_s\": %.2f, \"step_ms\": %.3f, ", (double)b.items / b.seconds,
               1e3 * b.seconds / b.steps);
    printf("\"gflop_per_s\": %.2f, \"peak_gflop_per_s\": %.2f, \"fraction_of_peak\": %.4f, \"threads\": %d, "
           "\"model\": \"%s\", ", gflops, peak, peak > 0 ? gflops / peak : 0.0, threads, info->kind);
    print_model_keys(&sweep);
    for (int k = 0; k < 2; k++)
        if (info->count_names[k])
            printf("\"%s_per_batch\": %.1f, ", info->count_names[k], (double)b.counts[k] / b.steps);
    printf("\"steps\": %d, \"run\": %d}\n", b.steps, index);
cleanup:
    if (rc != DC_OK) status = dc_cli_report(err);
    dc_trainer_destroy(trainer);
    dc_grid_free(&grid);
    dc_sweep_free(&sweep);
    dc_cli_common_free(&opts);
    return status;
}
