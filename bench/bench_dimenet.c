/* Training-step speed of the float DimeNet++ engine on rMD17 ethanol: batches of 20 frames (the
 * peer's batch) from an extended-XYZ file, one step = dc_dimenet_loss_grad (l1, alpha 30, standard
 * rescaled labels) + dc_adam_step, what ../shared/peer/ref_dimenet.py times.
 *
 *   OMP_NUM_THREADS=1 bench_dimenet FILE.xyz [seconds] [default|paper] [none|output|full] [c]
 *                                   [nopeak]
 *     (defaults: 3 s, default, none, 0.5)
 * default: DIMENET.md's default size (hidden 128, out_emb 256, int_emb 64, basis_emb 8, S 7, R 6,
 * 4 blocks, cutoff 5); paper: issue 23's seed-grid size (hidden 192, out_emb 192, 3 blocks,
 * cutoff 6, the rest as default).
 *
 * Prints one JSON line: configurations/s (from the median step), step_ms (median and best), the
 * matmul FLOPs per step (dc_dimenet_step_flops, the mean over the batches), GFLOP/s, the peak of a
 * 2048^3 oneDNN f32 matmul sampled before and after the timing and the fraction of it, and the
 * load average. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/core/perf.h"
#include "dcsweep/data/dataset.h"
#include "dcsweep/model/dimenet_engine.h"
#include "dcsweep/model/peak.h"
#include "dcsweep/train/adam.h"

#define BATCH 20
#define N_BATCHES 10
#define MAX_STEPS 100000

typedef struct bench_batch {
    dc_dimenet_graph g;
    int z[BATCH * 32], off[BATCH + 1];
    double pos[BATCH * 32 * 3], force[BATCH * 32 * 3], energy[BATCH];
} bench_batch;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The first N_BATCHES * BATCH frames, energies standard-rescaled over those frames (forces
 * divided by the same std). */
static int load(bench_batch *bs, const char *path, double cutoff, int *max_atoms,
                int64_t *max_edges, int64_t *max_trip, dc_error *err)
{
    int rc = DC_OK;
    dc_dataset ds = {0};
    for (int k = 0; k < N_BATCHES; k++) dc_dimenet_graph_init(&bs[k].g);
    DC_TRY(dc_dataset_read_xyz(&ds, path, NULL, err));
    if (ds.n_frames < N_BATCHES * BATCH) DC_FAIL(DC_ERR_INPUT, "%s: too few frames", path);
    double mean = 0.0, var = 0.0;
    const int nf = N_BATCHES * BATCH;
    for (int f = 0; f < nf; f++) mean += ds.energy[f] / nf;
    for (int f = 0; f < nf; f++) var += (ds.energy[f] - mean) * (ds.energy[f] - mean) / (nf - 1);
    const double sd = var > 0 ? sqrt(var) : 1.0;
    *max_atoms = 0, *max_edges = 0, *max_trip = 0;
    for (int k = 0; k < N_BATCHES; k++) {
        bench_batch *b = &bs[k];
        int n = 0;
        b->off[0] = 0;
        for (int m = 0; m < BATCH; m++) {
            const int f = k * BATCH + m;
            const int64_t a0 = ds.frame_start[f], na = ds.frame_start[f + 1] - a0;
            if (n + na > BATCH * 32) DC_FAIL(DC_ERR_INPUT, "%s: frames over 32 atoms", path);
            for (int64_t a = 0; a < na; a++, n++) {
                b->z[n] = ds.atomic_number[a0 + a];
                for (int x = 0; x < 3; x++) {
                    b->pos[3 * n + x] = ds.positions[3 * (a0 + a) + x];
                    b->force[3 * n + x] = ds.forces[3 * (a0 + a) + x] / sd;
                }
            }
            b->off[m + 1] = n;
            b->energy[m] = (ds.energy[f] - mean) / sd;
        }
        DC_TRY(dc_dimenet_graph_build(&b->g, BATCH, b->off, b->pos, cutoff, k * BATCH, err));
        if (n > *max_atoms) *max_atoms = n;
        if (b->g.n_edges > *max_edges) *max_edges = b->g.n_edges;
        if (b->g.n_triplets > *max_trip) *max_trip = b->g.n_triplets;
    }
cleanup:
    dc_dataset_free(&ds);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_dimenet FILE.xyz [seconds] [default|paper] "
                        "[none|output|full] [c] [nopeak]\n");
        return 2;
    }
    const char *path = argv[1];
    const double seconds = argc > 2 ? atof(argv[2]) : 3.0;
    const int paper = argc > 3 && strcmp(argv[3], "paper") == 0;
    dc_activation act = {.extent = DC_EXTENT_NONE, .irelu_scale = argc > 5 ? atof(argv[5]) : 0.5};
    if (argc > 4 && dc_extent_parse(argv[4], &act.extent)) {
        fprintf(stderr, "bench_dimenet: unknown extent '%s' (none, output, full)\n", argv[4]);
        return 2;
    }
    const int want_peak = !(argc > 6 && strcmp(argv[6], "nopeak") == 0);
    dc_dimenet_shape shape = dc_dimenet_shape_default();
    if (paper) {
        shape.hidden = 192, shape.out_emb = 192, shape.num_blocks = 3, shape.cutoff = 6.0;
    }
    int rc = DC_OK;
    dc_error error = {0}, *err = &error;
    dc_dimenet *engine = NULL;
    dc_dimenet_layout layout = {0};
    dc_adam adam = {0};
    dc_peak_meter *meter = NULL;
    bench_batch *bs = NULL;
    double *t = NULL, *params_d = NULL;
    float *params = NULL, *grad = NULL;
    int max_atoms = 0;
    int64_t max_edges = 0, max_trip = 0;
    DC_ALLOC(bs, N_BATCHES);
    DC_ALLOC(t, MAX_STEPS);
    DC_TRY(load(bs, path, shape.cutoff, &max_atoms, &max_edges, &max_trip, err));
    DC_TRY(dc_dimenet_layout_init(&layout, &shape, err));
    DC_ALLOC(params, layout.n_params);
    DC_ALLOC(params_d, layout.n_params);
    DC_ALLOC(grad, layout.n_params);
    DC_TRY(dc_dimenet_init_params(&layout, 0, params_d, err));
    for (int64_t q = 0; q < layout.n_params; q++) params[q] = (float)params_d[q];
    DC_TRY(dc_dimenet_create(&engine, &layout, BATCH, max_atoms, max_edges, max_trip, err));
    DC_TRY(dc_adam_init(&adam, layout.n_params, 0.0, err));
    if (want_peak) DC_TRY(dc_peak_meter_create(&meter, 2048, err));
    const dc_dimenet_loss loss = {.kind = DC_LOSS_L1, .force_weight = 30.0};
    dc_dimenet_loss_value value = {0};
    double flops = 0.0;
    for (int k = 0; k < N_BATCHES; k++)
        flops += dc_dimenet_step_flops(&shape, BATCH, bs[k].g.n_atoms, bs[k].g.n_edges,
                                       bs[k].g.n_triplets) / N_BATCHES;
    for (int k = 0; k < 2; k++) { /* warm-up: oneDNN's JIT, page faults */
        const dc_dimenet_batch b = {.graph = &bs[k].g, .z = bs[k].z, .pos = bs[k].pos,
                                    .energy_target = bs[k].energy, .force_target = bs[k].force};
        DC_TRY(dc_dimenet_loss_grad(engine, &act, params, &b, &loss, NULL, NULL, grad, &value,
                                    err));
        dc_adam_step(&adam, params, grad, 5e-4);
    }
    double peak0 = 0.0, peak1 = 0.0;
    if (meter) DC_TRY(dc_peak_meter_sample(meter, &peak0, err));
    int steps = 0;
    const double start = dc_perf_seconds();
    while (steps < MAX_STEPS && (steps < 3 || dc_perf_seconds() - start < seconds)) {
        const bench_batch *bb = &bs[steps % N_BATCHES];
        const dc_dimenet_batch b = {.graph = &bb->g, .z = bb->z, .pos = bb->pos,
                                    .energy_target = bb->energy, .force_target = bb->force};
        const double t0 = dc_perf_seconds();
        DC_TRY(dc_dimenet_loss_grad(engine, &act, params, &b, &loss, NULL, NULL, grad, &value,
                                    err));
        dc_adam_step(&adam, params, grad, 5e-4);
        t[steps++] = dc_perf_seconds() - t0;
    }
    if (meter) DC_TRY(dc_peak_meter_sample(meter, &peak1, err));
    qsort(t, (size_t)steps, sizeof *t, cmp_double);
    const double median = t[steps / 2], peak = 0.5 * (peak0 + peak1);
    double load1 = -1.0;
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf", &load1) != 1) load1 = -1.0;
        fclose(lf);
    }
    printf("{\"model\": \"dimenet++\", \"size\": \"%s\", \"hidden\": %d, \"blocks\": %d, "
           "\"cutoff\": %g, \"params\": %lld, \"batch\": %d, \"edges\": %lld, \"triplets\": %lld, "
           "\"extent\": \"%s\", \"c\": %g, \"omp_num_threads\": \"%s\", \"steps\": %d, "
           "\"configs_per_s\": %.1f, \"step_ms\": %.2f, \"best_step_ms\": %.2f, "
           "\"gflop_per_step\": %.3f, \"gflop_per_s\": %.2f, \"peak_gflops\": %.1f, "
           "\"peak_fraction\": %.3f, \"loss\": %.6g, \"load1\": %.2f}\n",
           paper ? "paper" : "default", shape.hidden, shape.num_blocks, shape.cutoff,
           (long long)layout.n_params, BATCH, (long long)bs[0].g.n_edges,
           (long long)bs[0].g.n_triplets, dc_extent_name(act.extent), act.irelu_scale,
           getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "unset", steps,
           BATCH / median, 1e3 * median, 1e3 * t[0], 1e-9 * flops, 1e-9 * flops / median, peak,
           peak > 0.0 ? 1e-9 * flops / median / peak : 0.0, value.total, load1);
cleanup:
    dc_dimenet_destroy(engine);
    dc_adam_free(&adam);
    dc_peak_meter_destroy(meter);
    if (bs)
        for (int k = 0; k < N_BATCHES; k++) dc_dimenet_graph_free(&bs[k].g);
    free(bs);
    free(t);
    free(params);
    free(params_d);
    free(grad);
    dc_dimenet_layout_free(&layout);
    if (rc != DC_OK) fprintf(stderr, "bench_dimenet: %s\n", err->message);
    return rc == DC_OK ? 0 : 1;
}
