/* Writes a results file with known, made-up metrics through the real results API, for the report
 * and plot tests (tests/test_report.py, tests/test_plot_sweep.py):
 *
 *   report_fixture OUT.h5 [full|partial|noneless|pinn|stats|vanish] [TASK]
 *
 *   full      c in {0.5, 1}, extents none/output/full, rescalings power10/standard, seeds 0-2:
 *             30 runs; 1 diverged, 1 failed, 2 pending, the rest done
 *   partial   the same grid with only seed 0 and part of seed 1 finished (a sweep still running)
 *   noneless  c = 0.75 only, extents output/full, rescaling standard, seeds 0-1 (no baseline)
 *   pinn      an advection-PINN file (model_kind advection, its five metrics and three loss
 *             curves, a model_record): c in {0.25, 0.5, 1}, extents none/output/full, rescalings
 *             none/standard/power10, seeds 0-2: 63 runs; 1 diverged, 1 failed, 2 pending
 *   stats     the PINN's columns over 7 seeds (tests/test_report_stats.py: sign-flip tests need 6):
 *             c in {0.5, 1}, extents none/output/full, rescalings none/standard: 70 runs; full
 *             c = 0.5 standard collapsed at every seed (ux_nrmse 1), full c = 1 none at seed 3
 *             (ux_nrmse 1.004; 1.02 at seed 4 is not), output c = 0.5 standard diverged at seed
 *             2, full c = 1 standard failed at seed 5, u_max_err 0.25 everywhere (a tie), full
 *             c = 0.5 none as good as full c = 1 standard on u_nrmse (a contested P(best))
 *   vanish    full's potential with a model_record giving the test forces' RMS (1.1): full c = 0.5
 *             power10 collapsed at every done seed (test_force_rmse 1.1, forces of zero), full
 *             c = 1 standard at seed 1 (1.1 x 1.004; 1.1 x 1.02 at seed 2 is not)
 *
 * A metric is base(configuration) + seed effect + a small deterministic wiggle, so that paired
 * differences have a real spread and the best configuration is clear.
 *
 * TASK (default 0; tests/test_report_multi.py) makes another task of the same grid: other noise
 * (the wiggle of run index + 7919 TASK), errors scaled by 1 + TASK / 2 (so that tasks need
 * normalising), and in stats task 2 every seed of full c = 1 none failed (a configuration present
 * in two tasks of three). TASK 0 is the file the other tests use. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/config/grid.h"
#include "dcsweep/results/results.h"
#include "schnet_fixture.h"

#define EPOCHS 8

/* A deterministic number in [-1, 1] from two integers. */
static double wiggle(int64_t a, int64_t b)
{
    uint64_t x = (uint64_t)a * 0x9E3779B97F4A7C15ull ^ ((uint64_t)b + 0x632BE59BD9B4E5ull) * 0xBF58476D1CE4E5B9ull;
    x ^= x >> 31;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 29;
    return (double)(x >> 11) / (double)(1ull << 52) - 1.0;
}

static void make_metrics(const dc_run *run, int task, dc_results_row *row, double *curves)
{
    const int64_t id = run->index + 7919 * (int64_t)task;
    double c = isnan(run->irelu_scale) ? 0 : run->irelu_scale;
    double f = run->extent == DC_EXTENT_NONE ? 0.060 : run->extent == DC_EXTENT_OUTPUT ? 0.052 + 0.004 * c
                                                                                       : 0.044 + 0.008 * c;
    if (run->rescaling == DC_RESCALE_STANDARD) f -= 0.003;
    f *= 1 + 0.5 * task;
    double seed = 0.002 * (double)run->seed;
    for (int k = 0; k < 2; k++) {
        double *s = row->metric + k * FX_TEST;
        double force = f + seed + 0.0015 * wiggle(id, 10 * k + 1);
        s[FX_FORCE_MAE] = force;
        s[FX_FORCE_RMSE] = 1.3 * force;
        s[FX_ENERGY_MAE] = 0.2 * f + 0.5 * seed + 0.0008 * wiggle(id, 10 * k + 2);
        s[FX_ENERGY_RMSE] = 1.25 * s[FX_ENERGY_MAE];
        s[FX_EFWT] = 0.9 - 6 * force + 0.01 * wiggle(id, 10 * k + 3);
    }
    for (int e = 0; e < EPOCHS; e++) {
        double decay = exp(-0.4 * e);
        curves[FX_TRAIN_ENERGY_LOSS * EPOCHS + e] = 0.3 * decay + 0.01;
        curves[FX_TRAIN_FORCE_LOSS * EPOCHS + e] = 0.5 * decay + 0.02;
        curves[FX_VAL_LOSS * EPOCHS + e] = 0.4 * decay + 0.03;
        curves[FX_VAL_ENERGY_MAE * EPOCHS + e] = row->metric[FX_ENERGY_MAE] * (1 + 3 * decay);
        curves[FX_VAL_FORCE_MAE * EPOCHS + e] = row->metric[FX_FORCE_MAE] * (1 + 3 * decay);
        curves[FX_LR * EPOCHS + e] = 5e-4;
        curves[FX_MONITOR * EPOCHS + e] = curves[FX_VAL_LOSS * EPOCHS + e];
        curves[FX_SECONDS * EPOCHS + e] = 1.5 + 0.1 * wiggle(run->index, e);
    }
}

/* The advection PINN's columns and curves, as src/model/pinn/pinn_model.c and the trainer
 * describe them. */
enum { PX_METRICS = 5, PX_CURVES = 7 };
static const char *const px_curves[PX_CURVES] = {"train_residual_loss", "train_initial_loss",
                                                 "train_boundary_loss", "val_loss", "lr", "monitor",
                                                 "epoch_seconds"};
static void px_metrics(dc_metric_desc d[PX_METRICS])
{
    static const char *const name[PX_METRICS] = {"u_nrmse", "u_rmse", "u_max_err", "ux_nrmse",
                                                 "residual_rms"};
    static const char *const unit[PX_METRICS] = {"", "u", "u", "", "u"};
    for (int k = 0; k < PX_METRICS; k++) {
        memset(&d[k], 0, sizeof d[k]);
        snprintf(d[k].name, sizeof d[k].name, "%s", name[k]);
        snprintf(d[k].unit, sizeof d[k].unit, "%s", unit[k]);
        d[k].headline = k == 0 || k == 3;
    }
}
static const char px_record[] =
    "{\"task\": \"advection\", \"beta\": 0.1, \"t_end\": 2, \"ic_seed\": 0, \"A\": [0.5, 0.25, 0.75, 1], "
    "\"m\": [1, 2, 0, 0], \"phi\": [0, 1, 2, 3], \"use_abs\": false, \"sign\": 1, \"use_window\": false, "
    "\"xL\": 0.2, \"xR\": 0.7}";

/* Made-up PINN errors: IReLU in every layer best at c = 0.5, standard rescaling best. */
static void make_pinn_metrics(const dc_run *run, int task, dc_results_row *row, double *curves)
{
    const int64_t id = run->index + 7919 * (int64_t)task;
    double c = isnan(run->irelu_scale) ? 0 : run->irelu_scale;
    double u = run->extent == DC_EXTENT_NONE ? 0.05 : run->extent == DC_EXTENT_OUTPUT ? 0.04 + 0.01 * c
                                                                                     : 0.02 + 0.02 * fabs(c - 0.5);
    if (run->rescaling == DC_RESCALE_STANDARD) u *= 0.7;
    if (run->rescaling == DC_RESCALE_NONE) u *= 1.4;
    u += 0.003 * (double)run->seed + 0.002 * wiggle(id, 1);
    u *= 1 + 0.5 * task;
    row->metric[0] = u;
    row->metric[1] = 0.6 * u;
    row->metric[2] = 2.5 * u;
    row->metric[3] = 3 * u + 0.01 * wiggle(id, 2);
    row->metric[4] = 0.1 * u;
    for (int e = 0; e < EPOCHS; e++) {
        double decay = exp(-0.5 * e);
        curves[0 * EPOCHS + e] = 0.2 * decay + 1e-4;
        curves[1 * EPOCHS + e] = 0.5 * decay + u * u;
        curves[2 * EPOCHS + e] = 0.05 * decay + 1e-5;
        curves[3 * EPOCHS + e] = curves[0 * EPOCHS + e] + curves[1 * EPOCHS + e] + curves[2 * EPOCHS + e];
        curves[4 * EPOCHS + e] = 1e-3;
        curves[5 * EPOCHS + e] = curves[3 * EPOCHS + e];
        curves[6 * EPOCHS + e] = 0.01;
    }
}

/* The stats variant's degenerate runs and its tie (see the header). */
static void make_stats_metrics(const dc_run *run, dc_results_row *row)
{
    if (run->extent == DC_EXTENT_FULL && run->irelu_scale == 0.5 && run->rescaling == DC_RESCALE_STANDARD) {
        row->metric[0] = 0.5862396168894245;
        row->metric[3] = 1.0;
        row->metric[4] = 0.0;
    }
    /* as good as full c = 1 standard on u_nrmse, up to the wiggle: P(best) is contested */
    if (run->extent == DC_EXTENT_FULL && run->irelu_scale == 0.5 && run->rescaling == DC_RESCALE_NONE)
        row->metric[0] -= 0.007;
    if (run->extent == DC_EXTENT_FULL && run->irelu_scale == 1.0 && run->rescaling == DC_RESCALE_NONE) {
        if (run->seed == 3) row->metric[3] = 1.004;
        if (run->seed == 4) row->metric[3] = 1.02;
    }
    row->metric[2] = 0.25;
}

/* The vanish variant's potential record and its collapsed runs (see the header). */
#define VANISH_FORCE_RMS 1.1
static const char vanish_record[] =
    "{\"task\": \"potential\", \"force_rms_validation\": 0.9, \"force_rms_test\": 1.1}";
static void make_vanish_metrics(const dc_run *run, dc_results_row *row)
{
    double *test = row->metric + FX_TEST;
    if (run->extent == DC_EXTENT_FULL && run->irelu_scale == 0.5 && run->rescaling == DC_RESCALE_POWER10) {
        test[FX_FORCE_RMSE] = VANISH_FORCE_RMS;
        test[FX_FORCE_MAE] = 0.8 * VANISH_FORCE_RMS;
        test[FX_EFWT] = 0.0;
    }
    if (run->extent == DC_EXTENT_FULL && run->irelu_scale == 1.0 && run->rescaling == DC_RESCALE_STANDARD) {
        if (run->seed == 1) test[FX_FORCE_RMSE] = 1.004 * VANISH_FORCE_RMS;
        if (run->seed == 2) test[FX_FORCE_RMSE] = 1.02 * VANISH_FORCE_RMS;
    }
}

/* What happened to a run in each variant. */
static dc_run_status status_of(const char *variant, int task, const dc_run *run, int n_runs)
{
    if (strcmp(variant, "stats") == 0) {
        if (task == 2 && run->extent == DC_EXTENT_FULL && run->irelu_scale == 1.0 &&
            run->rescaling == DC_RESCALE_NONE)
            return DC_RUN_FAILED;
        if (run->extent == DC_EXTENT_OUTPUT && run->irelu_scale == 0.5 &&
            run->rescaling == DC_RESCALE_STANDARD && run->seed == 2)
            return DC_RUN_DIVERGED;
        if (run->extent == DC_EXTENT_FULL && run->irelu_scale == 1.0 &&
            run->rescaling == DC_RESCALE_STANDARD && run->seed == 5)
            return DC_RUN_FAILED;
        return DC_RUN_DONE;
    }
    if (strcmp(variant, "partial") == 0) return run->index < n_runs / 2 ? DC_RUN_DONE : DC_RUN_PENDING;
    if (strcmp(variant, "noneless") == 0) return DC_RUN_DONE;
    if (run->index == 7) return DC_RUN_DIVERGED;  /* seed 0, standard, output, c = 1 */
    if (run->index == 13) return DC_RUN_FAILED;   /* seed 1, power10, full, c = 0.5 */
    if (run->index >= n_runs - 2) return DC_RUN_PENDING;
    return DC_RUN_DONE;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: report_fixture OUT.h5 [full|partial|noneless|pinn|stats|vanish] [TASK]\n");
        return 2;
    }
    const char *variant = argc > 2 ? argv[2] : "full";
    const int task = argc > 3 ? atoi(argv[3]) : 0;
    int noneless = strcmp(variant, "noneless") == 0, stats = strcmp(variant, "stats") == 0;
    int pinn = strcmp(variant, "pinn") == 0 || stats, vanish = strcmp(variant, "vanish") == 0;
    double scales_all[] = {0.5, 1.0}, scales_one[] = {0.75}, scales_pinn[] = {0.25, 0.5, 1.0};
    dc_rescaling resc_pinn[] = {DC_RESCALE_NONE, DC_RESCALE_STANDARD, DC_RESCALE_POWER10};
    dc_extent extents_all[] = {DC_EXTENT_NONE, DC_EXTENT_OUTPUT, DC_EXTENT_FULL};
    dc_extent extents_two[] = {DC_EXTENT_OUTPUT, DC_EXTENT_FULL};
    dc_rescaling resc_all[] = {DC_RESCALE_POWER10, DC_RESCALE_STANDARD}, resc_one[] = {DC_RESCALE_STANDARD};
    int64_t seeds[] = {0, 1, 2, 3, 4, 5, 6};
    dc_rescaling resc_stats[] = {DC_RESCALE_NONE, DC_RESCALE_STANDARD};
    dc_grid_config gc = {
        .irelu_scale = noneless ? scales_one : scales_all, .n_irelu_scale = noneless ? 1 : 2,
        .extent = noneless ? extents_two : extents_all, .n_extent = noneless ? 2 : 3,
        .rescaling = noneless ? resc_one : resc_all, .n_rescaling = noneless ? 1 : 2,
        .seeds = seeds, .n_seeds = noneless ? 2 : 3,
    };
    if (pinn && !stats) {
        gc.irelu_scale = scales_pinn;
        gc.n_irelu_scale = 3;
        gc.rescaling = resc_pinn;
        gc.n_rescaling = 3;
    }
    if (stats) {
        gc.rescaling = resc_stats;
        gc.n_seeds = 7;
    }
    dc_grid grid = {0};
    dc_error err = {0};
    dc_results *res = NULL;
    dc_results_row *rows = NULL;
    int rc = 1;
    if (dc_grid_expand(&grid, &gc, &err) != DC_OK) goto done;
    rows = calloc((size_t)grid.n_runs, sizeof *rows);
    if (!rows) goto done;
    for (int i = 0; i < grid.n_runs; i++) dc_results_row_init(&rows[i], &grid.runs[i]);
    dc_metric_desc metrics[FX_METRICS];
    fx_metrics(metrics);
    dc_results_meta meta = {
        .sweep_name = "report-fixture", .sweep_text = "# made up by tests/report_fixture.c\n",
        .sweep_effective = "fixture", .sweep_sha256 = "0000000000000000000000000000000000000000000000000000000000000000",
        .dataset_sha256 = "", .created = "2024-05-01T12:00:00Z", .energy_unit = "eV",
        .length_unit = "Angstrom", .model_kind = "schnet", .n_runs = grid.n_runs, .epochs = EPOCHS,
        .n_metrics = FX_METRICS, .metrics = metrics, .n_curves = FX_CURVES, .curves = fx_curves,
    };
    if (pinn) {
        px_metrics(metrics);
        meta.sweep_name = "pinn-fixture";
        meta.model_kind = "advection";
        meta.model_record = px_record;
        meta.n_metrics = PX_METRICS;
        meta.n_curves = PX_CURVES;
        meta.curves = px_curves;
    }
    if (vanish) meta.model_record = vanish_record;
    for (int m = 0; m < DC_N_RESCALINGS; m++) meta.rescaling[m] = (dc_rescale){(dc_rescaling)m, 0, 1};
    if (dc_results_create(&res, argv[1], &meta, rows, &err) != DC_OK) goto done;
    double curves[FX_CURVES * EPOCHS];
    for (int i = 0; i < grid.n_runs; i++) {
        const dc_run *run = &grid.runs[i];
        dc_run_status st = status_of(variant, task, run, grid.n_runs);
        if (st == DC_RUN_PENDING) continue;
        dc_results_row row = rows[i];
        /* Whole fields are written (NULLPAD): clear them, or "done" over "pending" reads "done\0ng". */
        memset(row.status, 0, sizeof row.status);
        memset(row.host, 0, sizeof row.host);
        memset(row.error, 0, sizeof row.error);
        snprintf(row.status, sizeof row.status, "%s", dc_run_status_name(st));
        row.rank = 1 + i % 2;
        snprintf(row.host, sizeof row.host, "node%d", i % 2);
        row.wall_seconds = 12.0 + i;
        row.finished = 1714564800.0 + 60.0 * i;
        row.epochs_completed = EPOCHS;
        row.best_epoch = EPOCHS;
        row.final_lr = 5e-4;
        snprintf(row.stop_reason, sizeof row.stop_reason, "max_epochs");
        if (pinn) make_pinn_metrics(run, task, &row, curves);
        else make_metrics(run, task, &row, curves);
        if (stats) make_stats_metrics(run, &row);
        if (vanish) make_vanish_metrics(run, &row);
        if (st != DC_RUN_DONE) {
            /* Diverged at epoch 3 / failed at once: no metrics, curves NaN from there on. */
            int last = st == DC_RUN_DIVERGED ? 2 : 0;
            row.epochs_completed = last;
            row.diverged_epoch = st == DC_RUN_DIVERGED ? 3 : 0;
            snprintf(row.error, sizeof row.error, "%s",
                     st == DC_RUN_DIVERGED ? "loss is NaN at epoch 3" : "out of memory (made up)");
            for (int k = 0; k < FX_METRICS; k++) row.metric[k] = NAN;
            for (int c = 0; c < (pinn ? PX_CURVES : FX_CURVES); c++)
                for (int e = last; e < EPOCHS; e++) curves[c * EPOCHS + e] = NAN;
        }
        if (dc_results_write_run(res, &row, curves, NULL, &err) != DC_OK) goto done;
    }
    rc = 0;
done:
    if (res && dc_results_close(res, rc ? NULL : &err) != DC_OK) rc = 1;
    if (rc) fprintf(stderr, "report_fixture: %s\n", err.message[0] ? err.message : "out of memory");
    free(rows);
    dc_grid_free(&grid);
    return rc;
}
