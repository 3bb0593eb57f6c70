/* Training-step speed of the float PINN engine at the paper's size: a 40x6 MLP on PINN.md's
 * 1000 interior + 5000 initial + 2 x 1000 boundary points (beta 0.1, T 2, the initial condition
 * of ic_seed 0), one full-batch step = dc_pinn_loss_grad + dc_adam_step (what the PyTorch peer
 * times: loss, backward, optimiser step).
 *
 *   OMP_NUM_THREADS=1 bench_pinn [seconds] [none|output|full] [c] [nopeak]
 *     (defaults: 3 s, full, 0.5: the peer's --extent full --c 0.5)
 *
 * Prints one JSON line: steps/s (from the median step), step_ms (median and best), the matmul
 * FLOPs per step (dc_pinn_step_flops, checked against what the engine executed), GFLOP/s, the
 * peak of a 2048^3 oneDNN f32 matmul in this process and the fraction of it, and the load average. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/core/perf.h"
#include "dcsweep/model/peak.h"
#include "dcsweep/model/pinn.h"
#include "dcsweep/train/adam.h"

#define NR 1000
#define N0 5000
#define NB 1000
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
        fprintf(stderr, "bench_pinn: unknown extent '%s' (none, output, full)\n", argv[2]);
        return 2;
    }
    const int want_peak = !(argc > 4 && strcmp(argv[4], "nopeak") == 0);
    const dc_pinn_shape shape = {.width = 40, .depth = 6};
    const double beta = 0.1, t_end = 2.0;
    const int64_t n = dc_pinn_n_points(NR, N0, NB);
    int rc = DC_OK;
    dc_error error = {0}, *err = &error; /* the DC_* macros take a pointer */
    dc_pinn *engine = NULL;
    dc_adam adam = {0};
    dc_pinn_layout layout;
    double *xt = NULL, *target = NULL, *x0 = NULL, *t = NULL;
    float *params = NULL, *grad = NULL;
    DC_TRY(dc_pinn_layout_init(&layout, &shape, err));
    DC_ALLOC(xt, 2 * n);
    DC_ALLOC(target, N0);
    DC_ALLOC(x0, N0);
    DC_ALLOC(t, MAX_STEPS);
    DC_ALLOC(params, layout.n_params);
    DC_ALLOC(grad, layout.n_params);
    dc_pinn_points(t_end, NR, N0, NB, xt);
    dc_pinn_ic ic;
    dc_pinn_ic_draw(&ic, 0);
    for (int j = 0; j < N0; j++) x0[j] = xt[2 * (NR + j)];
    dc_pinn_ic_eval(&ic, x0, N0, target, NULL);
    dc_pinn_init_params(&layout, 0, params);
    const dc_pinn_problem problem = {.n_interior = NR, .n_initial = N0, .n_boundary = NB,
                                     .xt = xt, .ic_target = target, .beta = beta,
                                     .w_residual = 1.0, .w_initial = 1.0, .w_boundary = 1.0,
                                     .shift = 0.0, .scale = 1.0};
    DC_TRY(dc_pinn_create(&engine, &shape, n, err));
    DC_TRY(dc_adam_init(&adam, layout.n_params, 0.0, err));
    double peak = 0.0;
    if (want_peak) DC_TRY(dc_dnnl_matmul_peak_gflops(2048, 20, &peak, err));
    dc_pinn_loss loss = {0};
    for (int k = 0; k < 5; k++) { /* warm-up: oneDNN's JIT, caches */
        DC_TRY(dc_pinn_loss_grad(engine, &act, params, &problem, &loss, grad, err));
        dc_adam_step(&adam, params, grad, 1e-3);
    }
    const double flops = dc_pinn_step_flops(&shape, n);
    if (dc_pinn_last_flops(engine) != flops)
        DC_FAIL(DC_ERR_INTERNAL, "executed %.0f FLOPs, counted %.0f", dc_pinn_last_flops(engine),
                flops);
    int steps = 0;
    const double start = dc_perf_seconds();
    while (steps < MAX_STEPS && (steps < 20 || dc_perf_seconds() - start < seconds)) {
        const double t0 = dc_perf_seconds();
        DC_TRY(dc_pinn_loss_grad(engine, &act, params, &problem, &loss, grad, err));
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
    printf("{\"model\": \"pinn\", \"width\": %d, \"depth\": %d, \"points\": %lld, \"extent\": \"%s\", "
           "\"c\": %g, \"omp_num_threads\": \"%s\", \"steps\": %d, \"steps_per_s\": %.1f, "
           "\"step_ms\": %.3f, \"best_step_ms\": %.3f, \"gflop_per_step\": %.4f, "
           "\"gflop_per_s\": %.1f, \"peak_gflops\": %.1f, \"peak_fraction\": %.3f, "
           "\"final_loss\": %.6g, \"load1\": %.2f}\n",
           shape.width, shape.depth, (long long)n, dc_extent_name(act.extent), act.irelu_scale,
           getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "unset", steps, 1.0 / median,
           1e3 * median, 1e3 * t[0], 1e-9 * flops, 1e-9 * flops / median, peak,
           peak > 0.0 ? 1e-9 * flops / median / peak : 0.0, loss.total, load);
cleanup:
    dc_pinn_destroy(engine);
    dc_adam_free(&adam);
    free(xt);
    free(target);
    free(x0);
    free(t);
    free(params);
    free(grad);
    if (rc != DC_OK) fprintf(stderr, "bench_pinn: %s\n", err->message);
    return rc == DC_OK ? 0 : 1;
}
