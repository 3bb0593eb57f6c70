/* The trainer on a tiny synthetic dataset (a smooth pair potential, written to a temp dir):
 * determinism, common random numbers, learning, divergence, and the final metrics against an
 * independent computation from the engine's predictions. */
#include "dcsweep/data/splits.h"
#include "dcsweep/model/schnet.h"
#include "toy_trainer.h"

static void test_determinism(setup *s)
{
    dc_run_result a, b;
    train(s, 0, &a);
    train(s, 0, &b);
    CHECK(a.status == DC_RUN_DONE && a.epochs_completed == 2, "status %s, %d epochs",
          dc_run_status_name(a.status), a.epochs_completed);
    CHECK(a.n_metrics == 10 && memcmp(a.metrics, b.metrics, sizeof a.metrics) == 0,
          "same run, different metrics: %.17g vs %.17g", M(&a, "test_force_mae"), M(&b, "test_force_mae"));
    /* every curve but the wall seconds, bit for bit */
    CHECK(memcmp(a.curves, b.curves, (size_t)seconds_curve * a.n_epochs * sizeof(double)) == 0,
          "same run, different curves");
    for (int k = 0; k < seconds_curve * a.n_epochs; k++)
        CHECK(isfinite(a.curves[k]), "curve value %d is %g", k, a.curves[k]);
    CHECK(isfinite(M(&a, "test_energy_mae")) && M(&a, "test_energy_rmse") >= M(&a, "test_energy_mae") &&
              M(&a, "test_force_rmse") >= M(&a, "test_force_mae") && M(&a, "test_efwt") >= 0 &&
              M(&a, "test_efwt") <= 1, "implausible metrics");
    dc_run_result_free(&a);
    dc_run_result_free(&b);
}

/* Runs 0 (full) and 1 (none) share seed 3, run 2 has seed 4: with a learning rate far below float
 * resolution the final weights are the initial ones, which must be the seed's and nothing else's. */
static void test_common_random_numbers(void)
{
    const char *sets[] = {"train.learning_rate=1e-30", "train.epochs=1"};
    setup s;
    if (setup_open(&s, sets, 2) != DC_OK) return;
    dc_schnet_shape shape = {.n_types = 3, .features = 16, .filters = 16, .interactions = 2,
                             .gaussians = 12, .cutoff = 4.0};
    int64_t n = dc_trainer_model(s.trainer)->n_params;
    dc_run_result r;
    dc_schnet_layout layout;
    dc_error err = {0};
    float *p[3];
    for (int k = 0; k < 3; k++) {
        train(&s, k, &r);
        dc_run_result_free(&r);
        const float *params = dc_trainer_params(s.trainer);
        p[k] = malloc((size_t)n * sizeof(float));
        memcpy(p[k], params, (size_t)n * sizeof(float));
    }
    CHECK(s.grid.runs[0].seed == s.grid.runs[1].seed && s.grid.runs[0].extent != s.grid.runs[1].extent &&
              s.grid.runs[2].seed != s.grid.runs[0].seed, "grid order changed");
    dc_schnet_layout_init(&layout, &shape, &err);
    CHECK(layout.n_params == n, "the trainer's model is not the sweep's SchNet");
    float *init = malloc((size_t)n * sizeof(float));
    dc_schnet_init_params(&layout, (uint64_t)s.grid.runs[0].seed, init);
    double d01 = 0, d0i = 0, d02 = 0;
    for (int64_t k = 0; k < n; k++) {
        d01 = fmax(d01, fabs(p[0][k] - p[1][k]));
        d0i = fmax(d0i, fabs(p[0][k] - init[k]));
        d02 = fmax(d02, fabs(p[0][k] - p[2][k]));
    }
    CHECK(d01 <= 1e-20, "extents full and none start from different weights (%g)", d01);
    CHECK(d0i <= 1e-20, "the run's weights are not dc_schnet_init_params(seed) (%g)", d0i);
    CHECK(d02 > 1e-3, "seeds 3 and 4 give the same weights");
    for (int k = 0; k < 3; k++) free(p[k]);
    free(init);
    setup_close(&s);
}

static void test_learns(void)
{
    const char *sets[] = {"train.epochs=8", "train.learning_rate=0.005"};
    setup s;
    if (setup_open(&s, sets, 2) != DC_OK) return;
    dc_run_result r;
    train(&s, 0, &r);
    int E = r.n_epochs;
    double *c = r.curves;
    double f0 = c[force_loss_curve * E], f1 = c[force_loss_curve * E + E - 1];
    double v0 = c[val_force_curve * E], v1 = c[val_force_curve * E + E - 1];
    printf("force loss %.4g -> %.4g, val force MAE %.4g -> %.4g\n", f0, f1, v0, v1);
    CHECK(r.status == DC_RUN_DONE, "status %s", dc_run_status_name(r.status));
    CHECK(f1 < 0.7 * f0, "training force loss did not fall: %g -> %g", f0, f1);
    CHECK(v1 < 0.8 * v0, "validation force MAE did not fall: %g -> %g", v0, v1);
    dc_run_result_free(&r);
    setup_close(&s);
}

static void test_diverges(void)
{
    const char *sets[] = {"train.learning_rate=1e6", "train.epochs=3"};
    setup s;
    if (setup_open(&s, sets, 2) != DC_OK) return;
    dc_run_result r;
    train(&s, 0, &r);
    CHECK(r.status == DC_RUN_DIVERGED, "status %s", dc_run_status_name(r.status));
    CHECK(r.diverged_epoch >= 1 && r.diverged_epoch <= 3, "diverged epoch %d", r.diverged_epoch);
    CHECK(r.epochs_completed == r.diverged_epoch - 1, "%d epochs completed, diverged at %d",
          r.epochs_completed, r.diverged_epoch);
    char expect[64];
    snprintf(expect, sizeof expect, "at epoch %d", r.diverged_epoch);
    CHECK(strstr(r.message, expect) != NULL, "message '%s'", r.message);
    CHECK(isnan(M(&r, "test_force_mae")), "a diverged run has no metrics");
    printf("diverged: %s\n", r.message);
    dc_run_result_free(&r);
    setup_close(&s);
}

/* The test split's metrics from the final weights, computed here: one batch holding the whole
 * split (its own edge list), predictions mapped back, errors summed directly. */
static void test_metrics_independent(setup *s)
{
    dc_run_result r;
    train(s, 1, &r);
    dc_splits splits;
    dc_error err = {0};
    CHECK(dc_splits_load(&splits, &s->sweep, &err) == DC_OK, "splits: %s", err.message);
    const dc_dataset *ds = &splits.test;
    dc_schnet_shape shape = {.n_types = splits.elements.n, .features = 16, .filters = 16,
                             .interactions = 2, .gaussians = 12, .cutoff = 4.0};
    const float *params = dc_trainer_params(s->trainer);
    dc_rescale rs;
    CHECK(dc_trainer_rescale(s->trainer, s->grid.runs[1].rescaling, &rs, &err) == DC_OK, "%s", err.message);
    int na = (int)ds->n_atoms_total, nm = ds->n_frames;
    int *mol = malloc((size_t)na * sizeof *mol), *types = malloc((size_t)na * sizeof *types);
    int *src = malloc((size_t)na * 5 * sizeof *src), *dst = malloc((size_t)na * 5 * sizeof *dst);
    double *E = malloc((size_t)nm * sizeof *E), *F = malloc(3 * (size_t)na * sizeof *F);
    int64_t ne = 0;
    for (int f = 0; f < nm; f++)
        for (int64_t i = ds->frame_start[f]; i < ds->frame_start[f + 1]; i++) {
            mol[i] = f;
            types[i] = ds->types[i];
            for (int64_t j = ds->frame_start[f]; j < ds->frame_start[f + 1]; j++) {
                double d2 = 0;
                for (int k = 0; k < 3; k++)
                    d2 += pow(ds->positions[3 * i + k] - ds->positions[3 * j + k], 2);
                if (i != j && sqrt(d2) < shape.cutoff) {
                    dst[ne] = (int)i;
                    src[ne++] = (int)j;
                }
            }
        }
    dc_batch batch = {.n_mol = nm, .n_atoms = na, .n_edges = ne, .types = types, .mol = mol,
                      .pos = ds->positions, .src = src, .dst = dst};
    dc_schnet *engine = NULL;
    int rc = dc_schnet_create(&engine, &shape, nm, na, ne, &err);
    if (rc == DC_OK) rc = dc_schnet_predict(engine, &(dc_activation){DC_EXTENT_NONE, 0.0}, params, &batch, E, F, &err);
    CHECK(rc == DC_OK, "predict: %s", err.message);
    double sae = 0, sse = 0, saf = 0, ssf = 0;
    int within = 0;
    for (int f = 0; f < nm; f++) {
        double de = fabs(E[f] * rs.scale + rs.shift - ds->energy[f]), worst = 0;
        sae += de;
        sse += de * de;
        for (int64_t k = 3 * ds->frame_start[f]; k < 3 * ds->frame_start[f + 1]; k++) {
            double df = fabs(F[k] * rs.scale - ds->forces[k]);
            saf += df;
            ssf += df * df;
            worst = fmax(worst, df);
        }
        within += de <= 0.02 && worst <= 0.03;
    }
    CHECK(r.status == DC_RUN_DONE, "status %s", dc_run_status_name(r.status));
    CHECK_CLOSE(M(&r, "test_energy_mae"), sae / nm, 1e-5);
    CHECK_CLOSE(M(&r, "test_energy_rmse"), sqrt(sse / nm), 1e-5);
    CHECK_CLOSE(M(&r, "test_force_mae"), saf / (3.0 * na), 1e-5);
    CHECK_CLOSE(M(&r, "test_force_rmse"), sqrt(ssf / (3.0 * na)), 1e-5);
    CHECK_CLOSE(M(&r, "test_efwt"), (double)within / nm, 1e-12);
    dc_schnet_destroy(engine);
    free(mol); free(types); free(src); free(dst); free(E); free(F);
    dc_run_result_free(&r);
    dc_splits_free(&splits);
}

int main(void)
{
    if (toy_open() != 0) return 1;
    setup s;
    if (setup_open(&s, NULL, 0) == DC_OK) {
        test_determinism(&s);
        test_metrics_independent(&s);
        setup_close(&s);
        test_common_random_numbers();
        test_learns();
        test_diverges();
    }
    toy_close();
    return check_finish();
}
