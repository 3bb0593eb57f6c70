/* Adam against the formula written out by hand, float vs double paths, weight decay, and the
 * metrics accumulator against a direct computation. */
#include <math.h>

#include "check.h"
#include "dcsweep/train/adam.h"
#include "dcsweep/model/metrics.h"
#include "dcsweep/core/rng.h"

static void test_first_step(void)
{
    /* Step 1: mhat = g, vhat = g^2, so p moves by lr * g / (|g| + eps): about lr * sign(g). */
    dc_adam adam;
    dc_error err = {0};
    CHECK(dc_adam_init(&adam, 3, 0.0, &err) == DC_OK, "%s", err.message);
    float p[3] = {1.0f, -2.0f, 0.5f}, g[3] = {0.25f, -4.0f, 0.0f};
    dc_adam_step(&adam, p, g, 1e-2);
    CHECK_CLOSE(p[0], 1.0 - 1e-2 * 0.25 / (0.25 + 1e-8), 1e-7);
    CHECK_CLOSE(p[1], -2.0 + 1e-2 * 4.0 / (4.0 + 1e-8), 1e-7);
    CHECK(p[2] == 0.5f, "zero gradient must not move the parameter: %g", p[2]);
    CHECK(adam.t == 1, "t = %lld", (long long)adam.t);
    /* Step 2 by hand. */
    float g2[3] = {-0.5f, 1.0f, 2.0f};
    double m0 = 0.1 * 0.25, v0 = 0.001 * 0.0625;
    double m = 0.9 * m0 + 0.1 * -0.5, v = 0.999 * v0 + 0.001 * 0.25;
    double expect0 = (double)p[0] - 1e-2 * (m / (1 - 0.81)) / (sqrt(v / (1 - 0.999 * 0.999)) + 1e-8);
    dc_adam_step(&adam, p, g2, 1e-2);
    CHECK_CLOSE(p[0], expect0, 1e-6);
    dc_adam_reset(&adam);
    CHECK(adam.t == 0 && adam.m[1] == 0.0f && adam.v[1] == 0.0f, "reset");
    dc_adam_free(&adam);
}

static void test_float_vs_double(double weight_decay)
{
    enum { N = 257, STEPS = 50 };
    dc_adam adam;
    dc_error err = {0};
    CHECK(dc_adam_init(&adam, N, weight_decay, &err) == DC_OK, "%s", err.message);
    float pf[N], gf[N];
    double pd[N], gd[N], md[N] = {0}, vd[N] = {0};
    dc_rng rng;
    dc_rng_seed(&rng, 7, 0);
    for (int k = 0; k < N; k++) pd[k] = pf[k] = (float)dc_rng_normal(&rng);
    for (int s = 1; s <= STEPS; s++) {
        /* gradient of 0.5 |p - 0.3|^2 plus noise, the same in both precisions */
        for (int k = 0; k < N; k++) {
            double noise = 0.1 * dc_rng_normal(&rng);
            gf[k] = (float)(pf[k] - 0.3 + noise);
            gd[k] = (double)gf[k];
        }
        dc_adam_step(&adam, pf, gf, 1e-2);
        dc_adam_step_f64(&adam, s, pd, gd, md, vd, 1e-2);
    }
    double worst = 0.0;
    for (int k = 0; k < N; k++) worst = fmax(worst, fabs(pf[k] - pd[k]));
    CHECK(worst < 1e-5, "float and double Adam differ by %g (weight decay %g)", worst, weight_decay);
    dc_adam_free(&adam);
}

static void test_weight_decay(void)
{
    /* With a zero loss gradient, weight decay alone pulls p towards 0 (L2 added to the gradient). */
    dc_adam adam;
    dc_error err = {0};
    CHECK(dc_adam_init(&adam, 1, 0.1, &err) == DC_OK, "%s", err.message);
    float p = 2.0f, g = 0.0f;
    dc_adam_step(&adam, &p, &g, 1e-2);
    /* g_eff = 0.2: first step moves by lr * 0.2 / (0.2 + eps) */
    CHECK_CLOSE(p, 2.0 - 1e-2 * 0.2 / (0.2 + 1e-8), 1e-7);
    dc_adam_free(&adam);
    CHECK(dc_adam_init(&adam, 1, -1.0, &err) == DC_ERR_INPUT, "negative weight decay accepted");
}

static void test_metrics(void)
{
    /* two molecules: 2 atoms and 1 atom */
    int mol[3] = {0, 0, 1};
    double pe[2] = {1.01, -3.0}, te[2] = {1.0, -2.9};
    double pf[9] = {0.0, 0.01, 0.02, 0.0, 0.0, 0.029, 1.0, 1.0, 1.0};
    double tf[9] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.5, 1.0};
    dc_metrics_acc acc;
    dc_split_metrics m;
    dc_schnet_metrics_reset(&acc);
    dc_schnet_metrics_add(&acc, 2, 3, mol, pe, te, pf, tf);
    dc_schnet_metrics_finish(&acc, &m);
    CHECK_CLOSE(m.energy_mae, (0.01 + 0.1) / 2, 1e-12);
    CHECK_CLOSE(m.energy_rmse, sqrt((0.01 * 0.01 + 0.1 * 0.1) / 2), 1e-12);
    CHECK_CLOSE(m.force_mae, (0.01 + 0.02 + 0.029 + 0.5) / 9, 1e-12);
    CHECK_CLOSE(m.force_rmse, sqrt((1e-4 + 4e-4 + 0.029 * 0.029 + 0.25) / 9), 1e-12);
    CHECK_CLOSE(m.efwt, 0.5, 1e-15); /* molecule 0 within both thresholds, molecule 1 not */
    /* accumulating in two batches gives the same as one */
    dc_schnet_metrics_reset(&acc);
    dc_schnet_metrics_add(&acc, 1, 2, mol, pe, te, pf, tf);
    int mol1[1] = {0};
    dc_schnet_metrics_add(&acc, 1, 1, mol1, pe + 1, te + 1, pf + 6, tf + 6);
    dc_split_metrics m2;
    dc_schnet_metrics_finish(&acc, &m2);
    CHECK(m2.energy_mae == m.energy_mae && m2.efwt == m.efwt, "split accumulation differs");
    /* a NaN prediction is never within threshold; an empty split gives NaN */
    double nan_e[1] = {NAN};
    dc_schnet_metrics_reset(&acc);
    dc_schnet_metrics_add(&acc, 1, 2, mol, nan_e, te, pf, tf);
    dc_schnet_metrics_finish(&acc, &m);
    CHECK(m.efwt == 0.0 && isnan(m.energy_mae), "NaN energy: efwt %g", m.efwt);
    dc_schnet_metrics_reset(&acc);
    dc_schnet_metrics_finish(&acc, &m);
    CHECK(isnan(m.energy_mae) && isnan(m.efwt), "empty split should give NaN");
}

int main(void)
{
    test_first_step();
    test_float_vs_double(0.0);
    test_float_vs_double(1e-3);
    test_weight_decay();
    test_metrics();
    return check_finish();
}
