/* Training-step speed of the float engine: dc_schnet_loss_grad on batches of 20 ethanol molecules
 * (9 atoms, 72 ordered edges each), at the default size (F = nf = 64, T = 3, G = 25, cutoff 5) and
 * the paper's (F = 1024, nf = 256, T = 5, G = 200, cutoff 6), with the same activation and loss as
 * the PyTorch peer's defaults (IReLU everywhere, c = 0.5, l1, alpha 30).
 *
 *   OMP_NUM_THREADS=1 bench_engine [train.xyz] [seconds per size] [default|paper|both] [peak]
 *     (default: $DC_SHARED_DIR/data/rmd17-ethanol/train.xyz if readable, else synthetic ethanol;
 *     "" for the default file; 3 s; both; peak "nopeak" skips the 2048^3 matmuls, for profilers;
 *     DC_BENCH_WINDOWS=1 prints each timing window's GFLOP/s and peak samples on stderr)
 *
 * Prints one JSON line: the peak of a 2048^3 oneDNN f32 matmul in this process (the best of 20
 * samples), the load average, and per size the mean atoms and edges of the batches, configs/s,
 * step_ms (median and best), the matmul GFLOP per step both as dc_schnet_step_flops counts them
 * and as the engine executed them (dc_schnet_flops_done over the timed steps; the two must agree),
 * GFLOP/s (executed FLOPs / median step), its fraction of the peak, the same fraction measured
 * side by side (the steps run in windows of 0.5 s with a peak sample around each: the median over
 * windows of window GFLOP/s / the mean of its two samples, so that a busy neighbour slows both
 * sides of the ratio), and the first 16 hex digits of a SHA-256 of the first step's energies,
 * forces and gradient (equal digests: equal bits). The Adam update (the trainer's) is not timed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/model/batch.h"
#include "dcsweep/data/dataset.h"
#include "dcsweep/core/perf.h"
#include "dcsweep/model/peak.h"
#include "dcsweep/core/rng.h"
#include "dcsweep/core/sha256.h"
#include "dcsweep/model/schnet.h"

#define BATCH 20
#define N_BATCHES 8
#define MAX_STEPS 4096
#define MAX_WINDOWS 64
#define WINDOW_S 0.5

typedef struct batches {
    int n;
    dc_batch b[N_BATCHES];
    dc_batch_buf buf[N_BATCHES];
    int max_atoms;
    int64_t max_edges;
    int n_types;
    const char *source;
} batches;

/* Ethanol near equilibrium (C, C, O, 6 H; Angstrom): every pair is closer than 5 A. */
static const double ETHANOL[9][3] = {
    {0.00, 0.00, 0.00},  {1.52, 0.00, 0.00},   {2.00, 1.35, 0.00},
    {-0.39, 1.03, 0.00}, {-0.39, -0.51, 0.89}, {-0.39, -0.51, -0.89},
    {1.90, -0.50, 0.89}, {1.90, -0.50, -0.89}, {2.95, 1.30, 0.00},
};
static const int ETHANOL_TYPES[9] = {1, 1, 2, 0, 0, 0, 0, 0, 0};

static int synthetic(batches *bs, dc_error *err)
{
    dc_rng rng;
    dc_rng_seed(&rng, 1234, 0);
    bs->n = N_BATCHES;
    bs->n_types = 3;
    bs->max_atoms = BATCH * 9;
    bs->max_edges = BATCH * 72;
    bs->source = "synthetic";
    for (int k = 0; k < N_BATCHES; k++) {
        dc_batch_buf *buf = &bs->buf[k];
        int rc = dc_schnet_batch_buf_init(buf, BATCH, bs->max_atoms, bs->max_edges, err);
        if (rc) return rc;
        int64_t e = 0;
        for (int m = 0; m < BATCH; m++) {
            buf->energy_target[m] = dc_rng_normal(&rng);
            for (int a = 0; a < 9; a++) {
                int i = 9 * m + a;
                buf->types[i] = ETHANOL_TYPES[a];
                buf->mol[i] = m;
                for (int c = 0; c < 3; c++) {
                    buf->pos[3 * i + c] = ETHANOL[a][c] + 0.1 * (dc_rng_uniform(&rng) - 0.5);
                    buf->force_target[3 * i + c] = dc_rng_normal(&rng);
                }
            }
            for (int a = 0; a < 9; a++)
                for (int b = 0; b < 9; b++)
                    if (a != b) {
                        buf->dst[e] = 9 * m + a;
                        buf->src[e] = 9 * m + b;
                        e++;
                    }
        }
        bs->b[k] = (dc_batch){.n_mol = BATCH, .n_atoms = 9 * BATCH, .n_edges = e,
                              .types = buf->types, .mol = buf->mol, .pos = buf->pos,
                              .src = buf->src, .dst = buf->dst,
                              .energy_target = buf->energy_target,
                              .force_target = buf->force_target};
    }
    return DC_OK;
}

/* The first N_BATCHES * BATCH frames of an extended-XYZ file, standard-rescaled targets. */
static int from_xyz(batches *bs, const char *path, double cutoff, dc_error *err)
{
    int rc = DC_OK;
    dc_dataset ds = {0};
    dc_neighbors nb = {0};
    dc_elements el;
    dc_rescale rs;
    dc_dataset *sets[1] = {&ds};
    DC_TRY(dc_dataset_read_xyz(&ds, path, NULL, err));
    if (ds.n_frames < N_BATCHES * BATCH) DC_FAIL(DC_ERR_INPUT, "%s: too few frames", path);
    DC_TRY(dc_dataset_assign_types(sets, 1, &el, err));
    DC_TRY(dc_neighbors_build(&nb, &ds, cutoff, err));
    DC_TRY(dc_rescale_fit(&rs, DC_RESCALE_STANDARD, ds.energy, ds.n_frames, err));
    DC_TRY(dc_schnet_batch_limits(&ds, &nb, BATCH, &bs->max_atoms, &bs->max_edges, err));
    bs->n_types = el.n;
    bs->source = path;
    for (int k = 0; k < N_BATCHES; k++) {
        int frames[BATCH];
        for (int m = 0; m < BATCH; m++) frames[m] = k * BATCH + m;
        DC_TRY(dc_schnet_batch_buf_init(&bs->buf[k], BATCH, bs->max_atoms, bs->max_edges, err));
        bs->n = k + 1;
        DC_TRY(dc_schnet_batch_assemble(&bs->b[k], &bs->buf[k], &ds, &nb, frames, BATCH, &rs, err));
    }
cleanup:
    dc_neighbors_free(&nb);
    dc_dataset_free(&ds);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The bits of one step (energies, forces, gradient): equal digests, equal numerics. */
static void step_digest(const dc_batch *b, const double *energy, const double *forces,
                        const float *grad, int64_t n_params, char digest[65])
{
    dc_sha256 h;
    uint8_t d[32];
    dc_sha256_init(&h);
    dc_sha256_update(&h, energy, (size_t)b->n_mol * sizeof *energy);
    dc_sha256_update(&h, forces, (size_t)b->n_atoms * 3 * sizeof *forces);
    dc_sha256_update(&h, grad, (size_t)n_params * sizeof *grad);
    dc_sha256_final(&h, d);
    dc_sha256_to_hex(digest, d);
}

static double median_of(double *x, int n)
{
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    return x[n / 2];
}

/* What time_size measured at one size. */
typedef struct timing {
    double median, best;       /* step seconds, over every timed step */
    double flops, flops_done;  /* per step: as dc_schnet_step_flops counts them, as executed */
    int windows;               /* timing windows, each with a peak sample on both sides */
    double side_by_side;       /* median over windows: window GFLOP/s / the peak around it */
    char digest[65];           /* of the first step */
} timing;

/* Times loss_grad for about `seconds` (at least 5 steps). With a meter, the steps run in windows
 * of WINDOW_S seconds (at least 3 steps), with a peak sample before the first and after each, and
 * each window's GFLOP/s (at its median step) is divided by the mean of the two samples around it. */
static int time_size(const dc_schnet_shape *shape, const batches *bs, double seconds,
                     dc_peak_meter *meter, timing *tm, dc_error *err)
{
    int rc = DC_OK;
    dc_schnet_layout layout;
    dc_schnet *eng = NULL;
    float *params = NULL, *grad = NULL;
    double *energy = NULL, *forces = NULL;
    static double t[MAX_STEPS], scratch[MAX_STEPS];
    double peak[MAX_WINDOWS + 1], ratio[MAX_WINDOWS];
    int win_start[MAX_WINDOWS + 1];
    memset(tm, 0, sizeof *tm);
    DC_TRY(dc_schnet_layout_init(&layout, shape, err));
    DC_ALLOC(params, layout.n_params);
    DC_ALLOC(grad, layout.n_params);
    DC_ALLOC(energy, BATCH);
    DC_ALLOC(forces, 3 * (size_t)bs->max_atoms);
    dc_schnet_init_params(&layout, 42, params);
    DC_TRY(dc_schnet_create(&eng, shape, BATCH, bs->max_atoms, bs->max_edges, err));
    const dc_activation act = {.extent = DC_EXTENT_FULL, .irelu_scale = 0.5};
    const dc_loss_spec loss = {.kind = DC_LOSS_L1, .force_weight = 30.0};
    for (int k = 0; k < 2; k++) { /* warm-up: JIT kernels, page faults */
        const dc_batch *b = &bs->b[k % bs->n];
        DC_TRY(dc_schnet_loss_grad(eng, &act, params, b, &loss, energy, forces, grad, NULL, err));
        if (k == 0) step_digest(b, energy, forces, grad, layout.n_params, tm->digest);
    }
    int steps = 0, w = 0;
    const double done0 = dc_schnet_flops_done(eng);
    if (meter) DC_TRY(dc_peak_meter_sample(meter, &peak[0], err));
    double timed = 0.0;
    while (w < MAX_WINDOWS && steps < MAX_STEPS && (steps < 5 || timed < seconds)) {
        win_start[w] = steps;
        const double w0 = dc_perf_seconds();
        while (steps < MAX_STEPS && (steps - win_start[w] < 3 || dc_perf_seconds() - w0 < WINDOW_S)) {
            const dc_batch *b = &bs->b[steps % bs->n];
            double t0 = dc_perf_seconds();
            DC_TRY(dc_schnet_loss_grad(eng, &act, params, b, &loss, NULL, NULL, grad, NULL, err));
            t[steps++] = dc_perf_seconds() - t0;
        }
        timed += dc_perf_seconds() - w0;
        if (meter) DC_TRY(dc_peak_meter_sample(meter, &peak[w + 1], err));
        w++;
    }
    win_start[w] = steps;
    tm->flops_done = (dc_schnet_flops_done(eng) - done0) / steps;
    tm->windows = meter ? w : 0;
    for (int k = 0; meter && k < w; k++) {
        const int n = win_start[k + 1] - win_start[k];
        memcpy(scratch, t + win_start[k], (size_t)n * sizeof *t);
        const double gflops = 1e-9 * tm->flops_done / median_of(scratch, n);
        ratio[k] = gflops / (0.5 * (peak[k] + peak[k + 1]));
        if (getenv("DC_BENCH_WINDOWS"))
            fprintf(stderr, "window %d: %d steps, %.1f GFLOP/s, peak samples %.1f %.1f\n", k, n,
                    gflops, peak[k], peak[k + 1]);
    }
    if (meter) tm->side_by_side = median_of(ratio, w);
    /* the timed steps ran the batches in turn: weight each by how often it ran */
    for (int k = 0; k < steps; k++) {
        const dc_batch *b = &bs->b[k % bs->n];
        tm->flops += dc_schnet_step_flops(shape, b->n_mol, b->n_atoms, b->n_edges) / steps;
    }
    tm->median = median_of(t, steps);
    tm->best = t[0];
cleanup:
    dc_schnet_destroy(eng);
    free(params);
    free(grad);
    free(energy);
    free(forces);
    return rc;
}

int main(int argc, char **argv)
{
    dc_error err = {0};
    int rc = DC_OK;
    char def[4096];
    const char *path = argc > 1 && argv[1][0] ? argv[1] : NULL;
    double seconds = argc > 2 ? atof(argv[2]) : 3.0;
    const char *which = argc > 3 ? argv[3] : "both";
    const int want_peak = !(argc > 4 && strcmp(argv[4], "nopeak") == 0);
    if (!path && getenv("DC_SHARED_DIR")) {
        snprintf(def, sizeof def, "%s/data/rmd17-ethanol/train.xyz", getenv("DC_SHARED_DIR"));
        FILE *f = fopen(def, "r");
        if (f) {
            fclose(f);
            path = def;
        }
    }
    const dc_schnet_shape sizes[2] = {
        {.features = 64, .filters = 64, .interactions = 3, .gaussians = 25, .cutoff = 5.0},
        {.features = 1024, .filters = 256, .interactions = 5, .gaussians = 200, .cutoff = 6.0},
    };
    const char *names[2] = {"default", "paper"};
    /* the yardstick: the best of 20 samples beforehand, and samples around every window */
    dc_peak_meter *meter = NULL;
    double peak = 0.0;
    if (want_peak && (rc = dc_peak_meter_create(&meter, 2048, &err))) goto fail;
    for (int r = 0; meter && r < 20; r++) {
        double g;
        if ((rc = dc_peak_meter_sample(meter, &g, &err))) goto fail;
        if (g > peak) peak = g;
    }
    double load = 0.0;
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf", &load) != 1) load = -1.0;
        fclose(lf);
    }
    printf("{\"peak_gflops\": %.1f, \"load1\": %.2f, \"omp_num_threads\": \"%s\"", peak, load,
           getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "unset");
    for (int s = 0; s < 2; s++) {
        if (strcmp(which, "both") != 0 && strcmp(which, names[s]) != 0) continue;
        batches bs;
        memset(&bs, 0, sizeof bs);
        rc = path ? from_xyz(&bs, path, sizes[s].cutoff, &err) : synthetic(&bs, &err);
        if (rc) goto fail;
        dc_schnet_shape shape = sizes[s];
        shape.n_types = bs.n_types;
        double atoms = 0.0, edges = 0.0;
        timing tm;
        for (int k = 0; k < bs.n; k++) {
            atoms += (double)bs.b[k].n_atoms / bs.n;
            edges += (double)bs.b[k].n_edges / bs.n;
        }
        rc = time_size(&shape, &bs, s == 0 ? seconds : 2.0 * seconds, meter, &tm, &err);
        for (int k = 0; k < bs.n; k++) dc_schnet_batch_buf_free(&bs.buf[k]);
        if (rc) goto fail;
        printf(", \"%s\": {\"source\": \"%s\", \"atoms\": %.2f, \"edges\": %.2f, "
               "\"configs_per_s\": %.1f, \"step_ms\": %.3f, \"best_step_ms\": %.3f, "
               "\"gflop_per_step\": %.6f, \"gflop_done_per_step\": %.6f, \"gflops\": %.1f, "
               "\"peak_fraction\": %.3f, \"windows\": %d, \"peak_fraction_side_by_side\": %.3f, "
               "\"first_step_sha256\": \"%.16s\"}",
               names[s], bs.source, atoms, edges, BATCH / tm.median, 1e3 * tm.median,
               1e3 * tm.best, 1e-9 * tm.flops, 1e-9 * tm.flops_done, 1e-9 * tm.flops_done / tm.median,
               peak > 0.0 ? 1e-9 * tm.flops_done / tm.median / peak : 0.0, tm.windows,
               tm.side_by_side, tm.digest);
        fflush(stdout);
    }
    printf("}\n");
    dc_peak_meter_destroy(meter);
    return 0;
fail:
    dc_peak_meter_destroy(meter);
    fprintf(stderr, "bench_engine: %s\n", err.message);
    return 1;
}
