/* Training-step speed of the float diffusion-sorption engine at the paper's size: a 40x6 MLP on
 * DIFFSORP.md's 1000 interior + 5000 initial + 2 x 500 boundary points (T 500, the network seeing
 * t / T, u_init 0, data-free, weights 1, no rescaling) from Glorot weights of seed 0; one full-batch
 * step = dc_diffsorp_loss_grad + dc_adam_step (loss, backward, optimiser step).
 *
 *   OMP_NUM_THREADS=1 bench_diffsorp [seconds] [none|output|full] [c] [nopeak] [data_points]
 *     (defaults: 3 s, full, 0.5, 0 data points; data points are the spec's selection, their
 *     targets 0: the speed does not depend on them)
 *
 * Prints one JSON line, as bench_pinn: steps/s (from the median step), step_ms (median and best),
 * the matmul FLOPs per step (dc_diffsorp_step_flops, checked against what the engine executed),
 * GFLOP/s, the peak of a 2048^3 oneDNN f32 matmul in this process and the fraction of it, and the
 * load average. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/core/perf.h"
#include "dcsweep/model/diffsorp.h"
#include "dcsweep/model/peak.h"
#include "diffsorp_solver.h" /* dc_diffsorp_data_select */
#include "dcsweep/train/adam.h"

#define NR 1000
#define N0 5000
#define NB 500
#define T_END 500.0
#define MAX_STEPS 100000

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    dc_activation act = {.extent = DC_EXTENT_FULL, .irelu_scale = argc > 3 ? atof(argv[3]) : 0.5};
    if (argc > 2 && dc_extent_parse(argv[2], &act.extent)) {
        fprintf(stderr, "bench_diffsorp: unknown extent '%s' (none, output, full)\n", argv[2]);
        return 2;
    }
    const int want_peak = !(argc > 4 && strcmp(argv[4], "nopeak") == 0);
    const int64_t n_data = argc > 5 ? atoll(argv[5]) : 0;
    const dc_pinn_shape shape = {.width = 40, .depth = 6};
    const int64_t m = dc_diffsorp_n_residual_points(NR, N0, NB), n = m + n_data;
    int rc = DC_OK;
    dc_error error = {0}, *err = &error; /* the DC_* macros take a pointer */
    dc_diffsorp *engine = NULL;
    dc_adam adam = {0};
    dc_pinn_layout layout;
    double *xt = NULL, *t = NULL, *target = NULL;
    int64_t *index = NULL;
    float *params = NULL, *grad = NULL;
    DC_TRY(dc_pinn_layout_init(&layout, &shape, err));
    DC_ALLOC(xt, 2 * n);
    DC_ALLOC(t, MAX_STEPS);
    DC_ALLOC(target, n_data + 1);
    DC_ALLOC(index, n_data + 1);
    DC_ALLOC(params, layout.n_params);
    DC_ALLOC(grad, layout.n_params);
    DC_TRY(dc_diffsorp_data_select(DC_DIFFSORP_NX * ((int64_t)T_END + 1), n_data, index, err));
    dc_diffsorp_points(T_END, NR, N0, NB, index, n_data, xt);
    dc_pinn_init_params(&layout, 0, params);
    const dc_diffsorp_problem problem = {
        .n_interior = NR, .n_initial = N0, .n_boundary = NB, .n_data = n_data, .xt = xt,
        .data_target = target, .u_init = 0.0, .D = DC_DIFFSORP_D, .K = dc_diffsorp_sorption_k(),
        .n_f = DC_DIFFSORP_N_F, .tau = T_END, .w_residual = 1.0, .w_initial = 1.0,
        .w_boundary = 1.0, .w_data = 1.0, .shift = 0.0, .scale = 1.0};
    DC_TRY(dc_diffsorp_create(&engine, &shape, n, m, err));
    DC_TRY(dc_adam_init(&adam, layout.n_params, 0.0, err));
    double peak = 0.0;
    if (want_peak) DC_TRY(dc_dnnl_matmul_peak_gflops(2048, 20, &peak, err));
    dc_diffsorp_loss loss = {0};
    for (int k = 0; k < 5; k++) { /* warm-up: oneDNN's JIT, caches */
        DC_TRY(dc_diffsorp_loss_grad(engine, &act, params, &problem, &loss, grad, err));
        dc_adam_step(&adam, params, grad, 1e-3);
    }
    const double flops = dc_diffsorp_step_flops(&shape, n, m);
    if (dc_diffsorp_last_flops(engine) != flops)
        DC_FAIL(DC_ERR_INTERNAL, "executed %.0f FLOPs, counted %.0f",
                dc_diffsorp_last_flops(engine), flops);
    int steps = 0;
    const double start = dc_perf_seconds();
    while (steps < MAX_STEPS && (steps < 20 || dc_perf_seconds() - start < seconds)) {
        const double t0 = dc_perf_seconds();
        DC_TRY(dc_diffsorp_loss_grad(engine, &act, params, &problem, &loss, grad, err));
        dc_adam_step(&adam, params, grad, 1e-3);
        t[steps++] = dc_perf_seconds() - t0;
    }
    qsort(t, (size_t)steps, sizeof *t, cmp_double);
    const double median = t[steps / 2];
    double load = -1.0;
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf", &load) != 1) load = -1.0;
        fclose(lf);
    }
    printf("{\"model\": \"diffsorp\", \"width\": %d, \"depth\": %d, \"points\": %lld, "
           "\"data_points\": %lld, \"extent\": \"%s\", \"c\": %g, \"omp_num_threads\": \"%s\", "
           "\"steps\": %d, \"steps_per_s\": %.1f, \"step_ms\": %.3f, \"best_step_ms\": %.3f, "
           "\"gflop_per_step\": %.4f, \"gflop_per_s\": %.1f, \"peak_gflops\": %.1f, "
           "\"peak_fraction\": %.3f, \"final_loss\": %.6g, \"load1\": %.2f}\n",
           shape.width, shape.depth, (long long)n, (long long)n_data, dc_extent_name(act.extent),
           act.irelu_scale, getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "unset",
           steps, 1.0 / median, 1e3 * median, 1e3 * t[0], 1e-9 * flops, 1e-9 * flops / median,
           peak, peak > 0.0 ? 1e-9 * flops / median / peak : 0.0, loss.total, load);
cleanup:
    dc_diffsorp_destroy(engine);
    dc_adam_free(&adam);
    free(xt);
    free(t);
    free(target);
    free(index);
    free(params);
    free(grad);
    if (rc != DC_OK) fprintf(stderr, "bench_diffsorp: %s\n", err->message);
    return rc == DC_OK ? 0 : 1;
}
