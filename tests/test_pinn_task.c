/* The task and model plumbing of PINN.md that needs no reference values: the radical inverse and
 * the points, the parameter layout and Glorot-normal initialisation, the activation per layer,
 * the initial-condition draw (ranges, frequencies, determinism) and the exactness of its
 * derivative, the exact solution, and the metrics on exact and on zero predictions. */
#include <stdint.h>

#include "check.h"
#include "dcsweep/model/pinn.h"

static const double PI = 3.14159265358979323846;

static void test_points(void)
{
    const double expect[] = {0.0, 0.5, 0.25, 0.75, 0.125, 0.625, 0.375, 0.875};
    for (int k = 0; k < 8; k++) CHECK(dc_pinn_rad2((uint64_t)k) == expect[k], "rad2(%d)", k);
    CHECK(dc_pinn_rad2(1000) == 0.0927734375, "rad2(1000) = %.17g", dc_pinn_rad2(1000));
    enum { NR = 7, N0 = 5, NB = 3 };
    const int64_t n = dc_pinn_n_points(NR, N0, NB);
    CHECK(n == NR + N0 + 2 * NB, "n_points %lld", (long long)n);
    double xt[2 * (NR + N0 + 2 * NB)];
    dc_pinn_points(2.0, NR, N0, NB, xt);
    for (int i = 0; i < NR; i++) {
        CHECK_CLOSE(xt[2 * i], (i + 0.5) / NR, 1e-15);
        CHECK_CLOSE(xt[2 * i + 1], 2.0 * dc_pinn_rad2((uint64_t)i + 1), 1e-15);
    }
    for (int j = 0; j < N0; j++) {
        CHECK_CLOSE(xt[2 * (NR + j)], (j + 0.5) / N0, 1e-15);
        CHECK(xt[2 * (NR + j) + 1] == 0.0, "initial point %d not at t = 0", j);
    }
    for (int k = 0; k < NB; k++) {
        const double *a = xt + 2 * (NR + N0 + k), *b = xt + 2 * (NR + N0 + NB + k);
        CHECK(a[0] == 0.0 && b[0] == 1.0 && a[1] == b[1], "boundary pair %d", k);
        CHECK_CLOSE(a[1], 2.0 * (k + 0.5) / NB, 1e-15);
    }
}

static void test_layout_init(void)
{
    dc_error err = {0};
    dc_pinn_layout L;
    const dc_pinn_shape shape = {.width = 200, .depth = 3};
    CHECK(dc_pinn_layout_init(&L, &shape, &err) == DC_OK, "%s", err.message);
    const int64_t W = 200;
    CHECK(L.n_tensors == 8 && L.n_params == 3 * W + 2 * (W * W + W) + W + 1, "n_params %lld",
          (long long)L.n_params);
    const char *names[] = {"hidden0/weight", "hidden0/bias", "hidden1/weight", "hidden1/bias",
                           "hidden2/weight", "hidden2/bias", "output/weight", "output/bias"};
    int64_t offset = 0;
    for (int t = 0; t < 8; t++) {
        CHECK(strcmp(L.tensors[t].name, names[t]) == 0 && dc_pinn_layout_find(&L, names[t]) == t,
              "tensor %d is %s", t, L.tensors[t].name);
        CHECK(L.tensors[t].offset == offset, "%s offset", names[t]);
        offset += L.tensors[t].rows * L.tensors[t].cols;
    }
    CHECK(L.tensors[0].rows == W && L.tensors[0].cols == 2, "hidden0/weight is (out, in)");
    CHECK(L.tensors[6].rows == 1 && L.tensors[6].cols == W, "output/weight is (1, W)");
    CHECK(dc_pinn_layout_find(&L, "hidden3/weight") == -1, "found a missing tensor");
    const dc_pinn_shape bad[] = {{0, 3}, {8, 0}, {8, DC_PINN_MAX_DEPTH + 1}};
    for (int k = 0; k < 3; k++)
        CHECK(dc_pinn_layout_init(&L, &bad[k], &err) == DC_ERR_INPUT, "bad shape %d accepted", k);

    dc_pinn_layout_init(&L, &shape, &err);
    float *a = calloc((size_t)L.n_params, sizeof *a), *b = calloc((size_t)L.n_params, sizeof *b);
    dc_pinn_init_params(&L, 42, a);
    dc_pinn_init_params(&L, 42, b);
    CHECK(memcmp(a, b, (size_t)L.n_params * sizeof *a) == 0, "same seed, different weights");
    dc_pinn_init_params(&L, 43, b);
    CHECK(memcmp(a, b, (size_t)L.n_params * sizeof *a) != 0, "seeds 42 and 43 give the same weights");
    for (int t = 0; t < L.n_tensors; t++) {
        const dc_tensor *ten = &L.tensors[t];
        const int64_t n = ten->rows * ten->cols;
        double mean = 0.0, var = 0.0;
        for (int64_t k = 0; k < n; k++) mean += a[ten->offset + k] / (double)n;
        for (int64_t k = 0; k < n; k++) var += pow(a[ten->offset + k] - mean, 2) / (double)n;
        if (ten->is_bias) {
            CHECK(var == 0.0 && mean == 0.0, "%s not zero", ten->name);
        } else if (n >= 1000) {
            const double want = 2.0 / (double)(ten->rows + ten->cols);
            CHECK(fabs(var / want - 1.0) < 0.05 && fabs(mean) < 4.0 * sqrt(want / (double)n),
                  "%s: mean %.3g, variance %.4g, Glorot normal wants %.4g", ten->name, mean, var,
                  want);
        }
    }
    free(a);
    free(b);
    const dc_activation none = {DC_EXTENT_NONE, 0.5}, out = {DC_EXTENT_OUTPUT, 0.5},
                        full = {DC_EXTENT_FULL, 0.5};
    for (int l = 0; l < 6; l++) {
        CHECK(!dc_pinn_layer_is_irelu(&none, l, 6), "none: layer %d", l);
        CHECK(dc_pinn_layer_is_irelu(&out, l, 6) == (l == 5), "output: layer %d", l);
        CHECK(dc_pinn_layer_is_irelu(&full, l, 6), "full: layer %d", l);
    }
}

static void test_ic_draw(void)
{
    enum { SEEDS = 5000 };
    int n_abs = 0, n_window = 0, n_plus = 0, n_double = 0;
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        dc_pinn_ic ic, again;
        dc_pinn_ic_draw(&ic, seed);
        dc_pinn_ic_draw(&again, seed);
        if (seed < 50) CHECK(memcmp(&ic, &again, sizeof ic) == 0, "seed %llu not deterministic",
                             (unsigned long long)seed);
        int draws = 0;
        for (int k = 0; k < DC_PINN_IC_MODES; k++) {
            CHECK(ic.m[k] % (k + 1) == 0 && ic.m[k] >= 0, "m_%d = %d", k + 1, ic.m[k]);
            draws += ic.m[k] / (k + 1);
            n_double += ic.m[k] == 2 * (k + 1);
            CHECK(ic.A[k] >= 0.0 && ic.A[k] < 1.0, "A out of range");
            CHECK(ic.phi[k] >= 0.0 && ic.phi[k] < 2.0 * PI, "phi out of range");
        }
        CHECK(draws == 2, "seed %llu: %d mode draws", (unsigned long long)seed, draws);
        CHECK(ic.sign == 1.0 || ic.sign == -1.0, "sign %g", ic.sign);
        CHECK(ic.xL >= 0.1 && ic.xL < 0.45 && ic.xR >= 0.55 && ic.xR < 0.9, "window edges");
        n_abs += ic.use_abs;
        n_window += ic.use_window;
        n_plus += ic.sign > 0;
    }
    /* binomial standard deviations: 0.0042 for p = 0.1, 0.0071 for 0.5, 0.0034 for 1/16 */
    CHECK(fabs(n_abs / (double)SEEDS - 0.1) < 0.02, "abs in %d of %d", n_abs, SEEDS);
    CHECK(fabs(n_window / (double)SEEDS - 0.1) < 0.02, "window in %d of %d", n_window, SEEDS);
    CHECK(fabs(n_plus / (double)SEEDS - 0.5) < 0.03, "plus sign in %d of %d", n_plus, SEEDS);
    CHECK(fabs(n_double / (double)SEEDS - 0.25) < 0.03, "a mode drawn twice in %d of %d", n_double,
          SEEDS);
}

/* u0' against central differences, for every combination of abs and window, away from the kinks
 * of |s| (where differences are not derivatives). */
static void test_ic_derivative(void)
{
    enum { N = 400 };
    double x[N], u[N], ux[N], up[N], um[N], xp[N], xm[N], plain[N];
    const double h = 1e-7;
    for (int i = 0; i < N; i++) {
        x[i] = (i + 0.5) / N;
        xp[i] = x[i] + h;
        xm[i] = x[i] - h;
    }
    for (int variant = 0; variant < 4; variant++) {
        dc_pinn_ic ic;
        dc_pinn_ic_draw(&ic, 100 + (uint64_t)variant);
        ic.use_abs = variant & 1;
        ic.use_window = (variant >> 1) & 1;
        dc_pinn_ic_eval(&ic, x, N, u, ux);
        dc_pinn_ic_eval(&ic, xp, N, up, NULL);
        dc_pinn_ic_eval(&ic, xm, N, um, NULL);
        dc_pinn_ic base = ic;
        base.use_abs = 0;
        base.use_window = 0;
        dc_pinn_ic_eval(&base, x, N, plain, NULL);
        double worst = 0.0, scale = 0.0;
        for (int i = 0; i < N; i++) {
            scale = fmax(scale, fabs(ux[i]));
            if (fabs(plain[i]) < 1e-3) continue;
            worst = fmax(worst, fabs(ux[i] - (up[i] - um[i]) / (2.0 * h)));
        }
        CHECK(worst <= 1e-6 * scale, "abs %d window %d: u0' vs differences %.3g (scale %.3g)",
              ic.use_abs, ic.use_window, worst, scale);
        if (ic.use_window) CHECK(fabs(u[0]) < 1e-6 && fabs(u[N - 1]) < 1e-6, "window not closed");
    }
}

typedef struct exact_ctx {
    const dc_pinn_ic *ic;
    double beta, shift, scale;
    int zero;
} exact_ctx;

/* A predictor of the exact solution in network units (or of zero). */
static int exact_predict(void *ctx, const double *xt, int64_t n, double *u, double *u_x,
                         double *u_t, dc_error *err)
{
    (void)err;
    const exact_ctx *c = ctx;
    dc_pinn_exact(c->ic, c->beta, xt, n, u, u_x);
    for (int64_t i = 0; i < n; i++) {
        u[i] = c->zero ? 0.0 : (u[i] - c->shift) / c->scale;
        u_x[i] = c->zero ? 0.0 : u_x[i] / c->scale;
        u_t[i] = -c->beta * u_x[i];
    }
    return DC_OK;
}

static void test_exact_and_metrics(void)
{
    dc_pinn_ic ic;
    dc_pinn_ic_draw(&ic, 7);
    const double beta = 0.4;
    /* u(x, t) = u(x + beta dt, t + dt), and u(x, 0) = u0(x) */
    double xt[6] = {0.3, 0.0, 0.3 + beta * 0.7, 0.7, 0.3 + beta * 3.2 - 1.0, 3.2}, u[3], ux[3];
    double u0, u0x, x0 = 0.3;
    dc_pinn_exact(&ic, beta, xt, 3, u, ux);
    dc_pinn_ic_eval(&ic, &x0, 1, &u0, &u0x);
    for (int k = 0; k < 3; k++) {
        CHECK_CLOSE(u[k], u0, 1e-12);
        CHECK_CLOSE(ux[k], u0x, 1e-9);
    }
    dc_pinn_metrics m;
    dc_error err = {0};
    exact_ctx c = {.ic = &ic, .beta = beta, .shift = 0.2, .scale = 3.0, .zero = 0};
    CHECK(dc_pinn_metrics_eval(&ic, beta, 2.0, c.shift, c.scale, exact_predict, &c, &m, &err) ==
              DC_OK, "%s", err.message);
    CHECK(m.u_nrmse < 1e-14 && m.u_rmse < 1e-14 && m.u_max_err < 1e-14 && m.ux_nrmse < 1e-14 &&
              m.residual_rms < 1e-12, "exact predictions: %g %g %g %g %g", m.u_nrmse, m.u_rmse,
          m.u_max_err, m.ux_nrmse, m.residual_rms);
    c = (exact_ctx){.ic = &ic, .beta = beta, .shift = 0.0, .scale = 1.0, .zero = 1};
    CHECK(dc_pinn_metrics_eval(&ic, beta, 2.0, 0.0, 1.0, exact_predict, &c, &m, &err) == DC_OK,
          "%s", err.message);
    CHECK_CLOSE(m.u_nrmse, 1.0, 1e-14);
    CHECK_CLOSE(m.ux_nrmse, 1.0, 1e-14);
    CHECK(m.residual_rms == 0.0 && m.u_max_err > 0.0 && m.u_rmse > 0.0, "zero predictions");
    CHECK(dc_pinn_metrics_eval(&ic, beta, 0.1, 0.0, 1.0, exact_predict, &c, &m, &err) ==
              DC_ERR_INPUT, "T = 0.1 accepted for a grid down to T - 0.19");
}

int main(void)
{
    test_points();
    test_layout_init();
    test_ic_draw();
    test_ic_derivative();
    test_exact_and_metrics();
    return check_finish();
}
