/* The float diffusion-sorption engine against central finite differences of its own outputs, for
 * tanh and IReLU (every extent), on a 10x3 MLP from dc_pinn_init_params with non-zero biases and
 * random points (t up to T = 500, the network seeing t / T), 3 of 12 of them data points (u only):
 *   - u'_x, u'_t against differences of u' in x and t, u'_xx against differences of u'_x;
 *   - the gradient of S = sum_i (a_i u'_i + b_i u'_x,i + c_i u'_xx,i + d_i u'_t,i) (random
 *     a, b, c, d; the derivative terms at the 9 residual points only) against differences of S in
 *     every parameter, S from the engine's predict;
 *   - the same gradient with every point carrying derivatives (zero adjoints past the residual
 *     points) agrees; a second call gives the same bits; the FLOPs executed equal
 *     dc_diffsorp_step_flops; predict in chunks (more points than the engine holds) agrees;
 *   - bad calls fail with DC_ERR_INPUT.
 * Float outputs make the differences noisy (~1e-7 / h), so the tolerances are 1e-3 of each array's
 * or tensor's largest magnitude: a missing or wrong term of the jets moves a result by O(1). */
#include "check.h"
#include "dcsweep/core/rng.h"
#include "dcsweep/model/diffsorp.h"

#define N 12
#define M 9
#define T_END 500.0
/* a few float roundings of a sum's terms: the noise a difference quotient divides by its step */
#define FLOAT_NOISE 4e-7

typedef struct seeds_ctx {
    double a[N], b[N], c[N], d[N];
} seeds_ctx;

static int seeds(void *vctx, int64_t n, int64_t m, const double *u, const double *u_x,
                 const double *u_xx, const double *u_t, double *u_bar, double *u_x_bar,
                 double *u_xx_bar, double *u_t_bar, dc_error *err)
{
    (void)u, (void)u_x, (void)u_xx, (void)u_t, (void)err;
    const seeds_ctx *s = vctx;
    for (int64_t i = 0; i < n; i++) u_bar[i] = s->a[i];
    for (int64_t i = 0; i < m && i < M; i++) {
        u_x_bar[i] = s->b[i];
        u_xx_bar[i] = s->c[i];
        u_t_bar[i] = s->d[i];
    }
    return DC_OK;
}

static double S_of(const seeds_ctx *s, const double *u, const double *ux, const double *uxx,
                   const double *ut)
{
    double S = 0.0;
    for (int i = 0; i < N; i++) S += s->a[i] * u[i];
    for (int i = 0; i < M; i++) S += s->b[i] * ux[i] + s->c[i] * uxx[i] + s->d[i] * ut[i];
    return S;
}

/* sum of |terms| of S: what its float rounding scales with */
static double S_abs(const seeds_ctx *s, const double *u, const double *ux, const double *uxx,
                    const double *ut)
{
    double S = 0.0;
    for (int i = 0; i < N; i++) S += fabs(s->a[i] * u[i]);
    for (int i = 0; i < M; i++)
        S += fabs(s->b[i] * ux[i]) + fabs(s->c[i] * uxx[i]) + fabs(s->d[i] * ut[i]);
    return S;
}

static double max_abs(const double *x, int64_t n)
{
    double m = 0.0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}

int main(void)
{
    const dc_pinn_shape shape = {.width = 10, .depth = 3};
    dc_error err = {0};
    dc_pinn_layout L;
    CHECK(dc_pinn_layout_init(&L, &shape, &err) == DC_OK, "%s", err.message);
    const int64_t np = L.n_params;
    float *pf = calloc((size_t)np, sizeof *pf), *gf = calloc((size_t)np, sizeof *gf);
    float *gf2 = calloc((size_t)np, sizeof *gf2), *pp = calloc((size_t)np, sizeof *pp);
    dc_pinn_init_params(&L, 11, pf);
    dc_rng rng;
    dc_rng_seed(&rng, 4, 2);
    for (int t = 0; t < L.n_tensors; t++)
        if (L.tensors[t].is_bias)
            for (int64_t k = 0; k < L.tensors[t].rows; k++)
                pf[L.tensors[t].offset + k] = (float)(0.4 * dc_rng_normal(&rng));
    pf[L.tensors[L.n_tensors - 1].offset] = 0.25f;
    double xt[2 * N];
    seeds_ctx sc;
    for (int i = 0; i < N; i++) {
        xt[2 * i] = 0.05 + 0.9 * dc_rng_uniform(&rng);
        xt[2 * i + 1] = T_END * (0.05 + 0.9 * dc_rng_uniform(&rng));
        sc.a[i] = dc_rng_normal(&rng);
        sc.b[i] = dc_rng_normal(&rng);
        sc.c[i] = dc_rng_normal(&rng);
        sc.d[i] = dc_rng_normal(&rng);
    }
    dc_diffsorp *e = NULL;
    int rc = dc_diffsorp_create(&e, &shape, N, N, &err);
    CHECK(rc == DC_OK, "engine: %s", err.message);
    if (rc) return check_finish();

    const dc_activation acts[] = {{DC_EXTENT_NONE, 0.5}, {DC_EXTENT_OUTPUT, 0.5},
                                  {DC_EXTENT_FULL, 1.0}, {DC_EXTENT_FULL, 0.25}};
    for (int a = 0; a < 4; a++) {
        const dc_activation *act = &acts[a];
        char label[64];
        snprintf(label, sizeof label, "%s c=%g", dc_extent_name(act->extent), act->irelu_scale);
        double u[N], ux[N], uxx[N], ut[N], up[N], um[N], uxp[N], uxm[N], fxx[N], ft[N];
        rc = dc_diffsorp_predict(e, act, pf, T_END, xt, N, u, ux, uxx, ut, &err);
        CHECK(rc == DC_OK, "%s: predict: %s", label, err.message);
        /* input derivatives: steps in x and in t (the network sees t / T); as for the
         * gradient below, smaller steps are tried where IReLU's u_xx jumps (a kink of u_x) */
        for (int k = 0; k < 3; k++) {
            static const char *const names[3] = {"u_x", "u_xx", "u_t"};
            const double *exact = k == 0 ? ux : k == 1 ? uxx : ut;
            const int dir = k == 2; /* the coordinate stepped: x, or t */
            const double scale = max_abs(exact, N);
            CHECK(scale > 1e-9, "%s: %s is all zero", label, names[k]);
            for (int i = 0; i < N; i++) {
                double fd = 0.0, tol = 0.0;
                int ok = 0;
                for (int try = 0; try < 3 && !ok; try++) {
                    const double h = (try == 0 ? 2e-3 : try == 1 ? 4e-4 : 1e-4) *
                                     (dir ? T_END : 1.0);
                    double xs[2], vp, vm, dp, dm;
                    memcpy(xs, xt + 2 * i, sizeof xs);
                    xs[dir] += h;
                    rc = dc_diffsorp_predict(e, act, pf, T_END, xs, 1, &vp, &dp, NULL, NULL, &err);
                    xs[dir] -= 2 * h;
                    rc |= dc_diffsorp_predict(e, act, pf, T_END, xs, 1, &vm, &dm, NULL, NULL,
                                              &err);
                    CHECK(rc == DC_OK, "%s: predict: %s", label, err.message);
                    /* differences of u' (of u'_x for u_xx) carry its float rounding over 2h */
                    fd = k == 1 ? (dp - dm) / (2 * h) : (vp - vm) / (2 * h);
                    tol = 1e-3 * scale + FLOAT_NOISE * max_abs(k == 1 ? ux : u, N) / (2 * h);
                    ok = fabs(exact[i] - fd) <= tol;
                }
                CHECK(ok, "%s: %s[%d] = %.9g, difference %.9g (tolerance %.3g)", label, names[k],
                      i, exact[i], fd, tol);
            }
        }

        /* the gradient of S against differences of S in each parameter */
        rc = dc_diffsorp_seeded_grad(e, act, pf, T_END, xt, N, M, seeds, &sc, gf, &err);
        CHECK(rc == DC_OK, "%s: grad: %s", label, err.message);
        CHECK(dc_diffsorp_last_flops(e) == dc_diffsorp_step_flops(&shape, N, M),
              "%s: executed %.0f FLOPs, counted %.0f", label, dc_diffsorp_last_flops(e),
              dc_diffsorp_step_flops(&shape, N, M));
        const double s_noise = FLOAT_NOISE * S_abs(&sc, u, ux, uxx, ut);
        for (int t = 0; t < L.n_tensors; t++) {
            const dc_tensor *tn = &L.tensors[t];
            const int64_t cnt = tn->rows * tn->cols;
            double gmax = 0.0;
            for (int64_t k = 0; k < cnt; k++) gmax = fmax(gmax, fabs(gf[tn->offset + k]));
            for (int64_t k = 0; k < cnt; k++) {
                const int64_t o = tn->offset + k;
                /* IReLU's u_xx jumps where a pre-activation crosses 0: a step across such a kink
                 * differs by jump / h. A smaller step is tried before failing (the kink nearer
                 * than it is rarer), each with its own float noise allowance. */
                double fd = 0.0, tol = 0.0;
                int ok = 0;
                for (int try = 0; try < 3 && !ok; try++) {
                    const float h = (try == 0 ? 1e-3f : try == 1 ? 2e-4f : 5e-5f) *
                                    fmaxf(1.0f, fabsf(pf[o]));
                    memcpy(pp, pf, (size_t)np * sizeof *pp);
                    pp[o] = pf[o] + h;
                    const double hp = (double)pp[o] - pf[o];
                    rc = dc_diffsorp_predict(e, act, pp, T_END, xt, N, up, uxp, fxx, ft, &err);
                    const double Sp = S_of(&sc, up, uxp, fxx, ft);
                    pp[o] = pf[o] - h;
                    const double hm = (double)pf[o] - pp[o];
                    rc |= dc_diffsorp_predict(e, act, pp, T_END, xt, N, um, uxm, fxx, ft, &err);
                    const double Sm = S_of(&sc, um, uxm, fxx, ft);
                    CHECK(rc == DC_OK, "%s: predict: %s", label, err.message);
                    fd = (Sp - Sm) / (hp + hm);
                    tol = 2e-3 * gmax + s_noise / (hp + hm);
                    ok = fabs(gf[o] - fd) <= tol;
                }
                CHECK(ok, "%s: grad %s[%lld] = %.9g, difference %.9g (tolerance %.3g)", label,
                      tn->name, (long long)k, gf[o], fd, tol);
            }
        }

        /* every point with derivatives and zero adjoints past M: the same gradient up to the
         * matmuls' blocking; a second call: the same bits */
        rc = dc_diffsorp_seeded_grad(e, act, pf, T_END, xt, N, N, seeds, &sc, gf2, &err);
        CHECK(rc == DC_OK, "%s: grad: %s", label, err.message);
        double dmax = 0.0, gm = 0.0;
        for (int64_t k = 0; k < np; k++) {
            dmax = fmax(dmax, fabs((double)gf2[k] - gf[k]));
            gm = fmax(gm, fabs(gf[k]));
        }
        CHECK(dmax <= 1e-5 * gm, "%s: m = n differs by %.3g (largest %.3g)", label, dmax, gm);
        rc = dc_diffsorp_seeded_grad(e, act, pf, T_END, xt, N, M, seeds, &sc, gf2, &err);
        CHECK(rc == DC_OK && memcmp(gf, gf2, (size_t)np * sizeof *gf) == 0,
              "%s: a second call gives other bits", label);

        /* predict in chunks: an engine for 5 points */
        dc_diffsorp *small = NULL;
        CHECK(dc_diffsorp_create(&small, &shape, 5, 5, &err) == DC_OK, "%s", err.message);
        if (small) {
            rc = dc_diffsorp_predict(small, act, pf, T_END, xt, N, up, uxp, fxx, ft, &err);
            CHECK(rc == DC_OK, "%s: chunked predict: %s", label, err.message);
            const struct { const char *name; const double *a, *b; } c[] = {
                {"u", up, u}, {"u_x", uxp, ux}, {"u_xx", fxx, uxx}, {"u_t", ft, ut}};
            for (int k = 0; k < 4; k++) {
                const double sc_k = max_abs(c[k].b, N);
                for (int i = 0; i < N; i++)
                    CHECK(fabs(c[k].a[i] - c[k].b[i]) <= 1e-5 * sc_k, "%s: chunked %s[%d]",
                          label, c[k].name, i);
            }
            rc = dc_diffsorp_seeded_grad(small, act, pf, T_END, xt, N, M, seeds, &sc, gf2, &err);
            CHECK(rc == DC_ERR_INPUT, "%s: 12 points in an engine for 5: rc %d", label, rc);
            dc_diffsorp_destroy(small);
        }
    }
    rc = dc_diffsorp_seeded_grad(e, &acts[0], pf, T_END, xt, N, N + 1, seeds, &sc, gf, &err);
    CHECK(rc == DC_ERR_INPUT, "m > n accepted");
    rc = dc_diffsorp_predict(e, &acts[0], pf, 0.0, xt, N, NULL, NULL, NULL, NULL, &err);
    CHECK(rc == DC_ERR_INPUT, "tau 0 accepted");
    /* an engine with stream rows for M points only: the same gradient at m = M, m > M refused */
    dc_diffsorp *narrow = NULL;
    CHECK(dc_diffsorp_create(&narrow, &shape, N, N + 1, &err) == DC_ERR_INPUT,
          "more derivative points than points accepted");
    CHECK(dc_diffsorp_create(&narrow, &shape, N, M, &err) == DC_OK, "%s", err.message);
    if (narrow) {
        rc = dc_diffsorp_seeded_grad(narrow, &acts[2], pf, T_END, xt, N, M, seeds, &sc, gf2,
                                     &err);
        CHECK(rc == DC_OK, "narrow engine: %s", err.message);
        rc = dc_diffsorp_seeded_grad(e, &acts[2], pf, T_END, xt, N, M, seeds, &sc, gf, &err);
        CHECK(rc == DC_OK && memcmp(gf, gf2, (size_t)np * sizeof *gf) == 0,
              "a narrow engine gives other bits");
        rc = dc_diffsorp_seeded_grad(narrow, &acts[2], pf, T_END, xt, N, M + 1, seeds, &sc, gf2,
                                     &err);
        CHECK(rc == DC_ERR_INPUT, "m past the engine's derivative rows accepted");
        dc_diffsorp_destroy(narrow);
    }
    dc_diffsorp_destroy(e);
    free(pf);
    free(gf);
    free(gf2);
    free(pp);
    return check_finish();
}
