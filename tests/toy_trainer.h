/* A tiny synthetic dataset (a smooth pair potential) and sweep written to a temporary folder, and
 * a trainer set up on them, for the trainer and protocol tests. Header-only. */
#ifndef DCSWEEP_TESTS_TOY_TRAINER_H
#define DCSWEEP_TESTS_TOY_TRAINER_H

#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "dcsweep/config/config.h"
#include "dcsweep/config/grid.h"
#include "dcsweep/core/rng.h"
#include "dcsweep/train/trainer.h"

static char dir[256];

/* Molecules of 3..5 atoms (H, C, O) in a ball of radius 1.5 (all pairs within the 4 Å cutoff),
 * E = sum_i eps_z + sum_{i<j} 0.5 (d_ij - 1.5)^2, F = -dE/dr exactly. */
static inline void write_xyz(const char *name, int n_frames, uint64_t seed)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    dc_rng rng;
    dc_rng_seed(&rng, seed, 0);
    const char *sym[3] = {"H", "C", "O"};
    const double eps[3] = {-13.6, -1029.0, -2041.0};
    for (int fr = 0; fr < n_frames; fr++) {
        int n = 3 + (int)dc_rng_below(&rng, 3), z[5];
        double r[5][3], F[5][3] = {{0}}, E = 0.0;
        for (int i = 0; i < n; i++) {
            z[i] = i == 0 ? 1 : (int)dc_rng_below(&rng, 3);
            E += eps[z[i]];
            for (int tries = 0;; tries++) {
                double rr = 0.0;
                for (int k = 0; k < 3; k++) {
                    r[i][k] = 3.0 * dc_rng_uniform(&rng) - 1.5;
                    rr += r[i][k] * r[i][k];
                }
                int ok = rr <= 1.5 * 1.5;
                for (int j = 0; j < i && ok; j++) {
                    double d2 = 0.0;
                    for (int k = 0; k < 3; k++) d2 += (r[i][k] - r[j][k]) * (r[i][k] - r[j][k]);
                    ok = d2 > 0.8 * 0.8;
                }
                if (ok || tries > 1000) break;
            }
        }
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) {
                double u[3], d = 0.0;
                for (int k = 0; k < 3; k++) {
                    u[k] = r[i][k] - r[j][k];
                    d += u[k] * u[k];
                }
                d = sqrt(d);
                E += 0.5 * (d - 1.5) * (d - 1.5);
                for (int k = 0; k < 3; k++) {
                    F[i][k] -= (d - 1.5) * u[k] / d;
                    F[j][k] += (d - 1.5) * u[k] / d;
                }
            }
        fprintf(f, "%d\nProperties=species:S:1:pos:R:3:forces:R:3 energy=%.12f pbc=\"F F F\"\n", n, E);
        for (int i = 0; i < n; i++)
            fprintf(f, "%s %.10f %.10f %.10f %.10f %.10f %.10f\n", sym[z[i]], r[i][0], r[i][1], r[i][2],
                    F[i][0], F[i][1], F[i][2]);
    }
    fclose(f);
}

static inline void write_sweep(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/toy.cfg", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "dataset = { train = \"train.xyz\"; validation = \"val.xyz\"; test = \"test.xyz\"; };\n"
               "model = { features = 16; filters = 16; interactions = 2; gaussians = 12; cutoff = 4.0; };\n"
               "train = { epochs = 2; batch_size = 4; learning_rate = 0.005; force_weight = 10.0;\n"
               "          loss = \"l1\"; eval_batch_size = 3; };\n"
               "grid = { irelu_scale = [0.5]; extent = [\"full\", \"none\"]; rescaling = [\"standard\"];\n"
               "         seeds = [3, 4]; };\n");
    fclose(f);
}

typedef struct setup {
    dc_sweep sweep;
    dc_grid grid;
    dc_trainer *trainer;
} setup;

/* The trainer's curve and metric indices, by name (what the results file records). */
static int val_force_curve = -1, seconds_curve = -1, force_loss_curve = -1;

static inline int desc_index(const dc_trainer *tr, const char *name, int metric)
{
    const dc_trainer_desc *d = dc_trainer_describe(tr);
    for (int k = 0; k < (metric ? d->n_metrics : d->n_curves); k++)
        if (strcmp(metric ? d->metrics[k].name : d->curves[k], name) == 0) return k;
    CHECK(0, "the trainer reports no %s %s", metric ? "metric" : "curve", name);
    return 0;
}

/* A final metric of a result, by its /runs column name. */
static const dc_trainer *metric_trainer;
static inline double M(const dc_run_result *r, const char *name) { return r->metrics[desc_index(metric_trainer, name, 1)]; }

static inline int setup_open(setup *s, const char *const *sets, int n_sets)
{
    char path[512];
    dc_error err = {0};
    dc_override ov[16];
    for (int i = 0; i < n_sets; i++) ov[i].assignment = sets[i];
    snprintf(path, sizeof path, "%s/toy.cfg", dir);
    memset(s, 0, sizeof *s);
    int rc = dc_sweep_load(&s->sweep, path, ov, n_sets, dc_model_families(), &err);
    if (rc == DC_OK) rc = dc_grid_expand(&s->grid, &s->sweep.grid, &err);
    if (rc == DC_OK) rc = dc_trainer_create(&s->trainer, &s->sweep, &err);
    CHECK(rc == DC_OK, "setup: %s", err.message);
    if (rc == DC_OK) {
        metric_trainer = s->trainer;
        val_force_curve = desc_index(s->trainer, "val_force_mae", 0);
        seconds_curve = desc_index(s->trainer, "epoch_seconds", 0);
        force_loss_curve = desc_index(s->trainer, "train_force_loss", 0);
        CHECK(seconds_curve == dc_trainer_describe(s->trainer)->n_curves - 1, "epoch_seconds comes last");
    }
    return rc;
}

static inline void setup_close(setup *s)
{
    dc_trainer_destroy(s->trainer);
    dc_grid_free(&s->grid);
    dc_sweep_free(&s->sweep);
}

static inline int count_epochs(void *ctx, const dc_run *run, int epoch, const double *c,
                        const dc_run_state *state)
{
    (void)run;
    (void)state;
    int *calls = ctx;
    CHECK(epoch == *calls + 1, "callback epoch %d after %d calls", epoch, *calls);
    CHECK(isfinite(c[force_loss_curve]), "train force loss %g", c[force_loss_curve]);
    (*calls)++;
    return 0;
}

static inline int train(setup *s, int run, dc_run_result *r)
{
    dc_error err = {0};
    int calls = 0;
    dc_train_hooks hooks = {.on_epoch = count_epochs, .ctx = &calls};
    int rc = dc_trainer_run(s->trainer, &s->grid.runs[run], NULL, r, &hooks, &err);
    CHECK(rc == DC_OK, "run %d: %s", run, err.message);
    if (r->status == DC_RUN_DONE) CHECK(calls == r->epochs_completed, "%d callbacks, %d epochs", calls, r->epochs_completed);
    return rc;
}

/* The toy data and sweep in a new temporary folder (dir). */
static inline int toy_open(void)
{
    snprintf(dir, sizeof dir, "%s/dcsweep_trainer_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    write_xyz("train.xyz", 40, 1);
    write_xyz("val.xyz", 10, 2);
    write_xyz("test.xyz", 11, 3);
    write_sweep();
    return 0;
}

static inline void toy_close(void)
{
    const char *names[] = {"train.xyz", "val.xyz", "test.xyz", "toy.cfg"};
    char path[512];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

#endif
