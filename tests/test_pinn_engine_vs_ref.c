/* The float engine against the double reference on a problem of the real kind (PINN.md's points
 * and a drawn initial condition, a 24x4 MLP from dc_pinn_init_params with non-zero biases), every
 * extent, with and without rescaling:
 *   - loss terms and every gradient within 1e-4 (relative to each tensor's largest magnitude);
 *   - a second call gives the same bits; the loss alone (grad NULL) is the same loss;
 *   - the matmul FLOPs executed equal dc_pinn_step_flops;
 *   - prediction on more points than the engine holds (chunks) matches the reference, and so do
 *     the metrics through both predictors;
 *   - the caller's floating-point mode (the engine flushes subnormals inside) is given back;
 *   - bad calls fail with DC_ERR_INPUT instead of writing out of bounds. */
#include "check.h"
#if defined(__SSE2__)
#include <xmmintrin.h>
#endif
#include "dcsweep/core/rng.h"
#include "dcsweep/data/rescale.h"
#include "dcsweep/model/pinn.h"
#include "pinn_golden.h" /* its comparison helpers */

#define NR 60
#define N0 200
#define NB 40
#define NPRED 1000

static const double TOL = 1e-4;

int main(void)
{
    const dc_pinn_shape shape = {.width = 24, .depth = 4};
    const double beta = 0.4, t_end = 2.0;
    dc_error err = {0};
    dc_pinn_layout L;
    CHECK(dc_pinn_layout_init(&L, &shape, &err) == DC_OK, "%s", err.message);
    const int64_t n = dc_pinn_n_points(NR, N0, NB), np = L.n_params;
    double *xt = calloc(2 * (size_t)n, sizeof *xt), *target = calloc(N0, sizeof *target);
    double *p = calloc((size_t)np, sizeof *p), *g_ref = calloc((size_t)np, sizeof *g_ref);
    double *g_eng = calloc((size_t)np, sizeof *g_eng);
    float *pf = calloc((size_t)np, sizeof *pf), *gf = calloc((size_t)np, sizeof *gf);
    float *gf2 = calloc((size_t)np, sizeof *gf2);
    dc_pinn_points(t_end, NR, N0, NB, xt);
    dc_pinn_ic ic;
    dc_pinn_ic_draw(&ic, 3);
    double xs[N0];
    for (int j = 0; j < N0; j++) xs[j] = xt[2 * (NR + j)];
    dc_pinn_ic_eval(&ic, xs, N0, target, NULL);
    dc_pinn_init_params(&L, 5, pf);
    dc_rng rng;
    dc_rng_seed(&rng, 9, 7);
    for (int t = 0; t < L.n_tensors; t++)
        if (L.tensors[t].is_bias)
            for (int64_t k = 0; k < L.tensors[t].rows; k++)
                pf[L.tensors[t].offset + k] = (float)(0.3 * dc_rng_normal(&rng));
    for (int64_t k = 0; k < np; k++) p[k] = pf[k];

    dc_pinn *engine = NULL;
    int rc = dc_pinn_create(&engine, &shape, n, &err);
    CHECK(rc == DC_OK, "engine: %s", err.message);
    if (rc) return check_finish();

    dc_rescale standard;
    CHECK(dc_rescale_fit(&standard, DC_RESCALE_STANDARD, target, N0, &err) == DC_OK, "%s",
          err.message);
    const struct { double shift, scale; } rescalings[] = {{0.0, 1.0}, {standard.shift, standard.scale}};
    const dc_activation acts[] = {{DC_EXTENT_NONE, 0.5}, {DC_EXTENT_OUTPUT, 0.5},
                                  {DC_EXTENT_FULL, 0.5}, {DC_EXTENT_FULL, 1.0}};
    for (int r = 0; r < 2; r++)
        for (int a = 0; a < 4; a++) {
            const dc_activation *act = &acts[a];
            const dc_pinn_problem pb = {.n_interior = NR, .n_initial = N0, .n_boundary = NB,
                                        .xt = xt, .ic_target = target, .beta = beta,
                                        .w_residual = 1.0, .w_initial = 1.0, .w_boundary = 1.0,
                                        .shift = rescalings[r].shift, .scale = rescalings[r].scale};
            char label[64];
            snprintf(label, sizeof label, "%s c=%g scale=%.3g", dc_extent_name(act->extent),
                     act->irelu_scale, pb.scale);
            dc_pinn_loss lr, le, le2, lonly;
            rc = dc_pinn_ref_loss_grad(&shape, act, p, &pb, &lr, g_ref, &err);
            CHECK(rc == DC_OK, "%s: ref: %s", label, err.message);
            rc = dc_pinn_loss_grad(engine, act, pf, &pb, &le, gf, &err);
            CHECK(rc == DC_OK, "%s: engine: %s", label, err.message);
            CHECK(dc_pinn_last_flops(engine) == dc_pinn_step_flops(&shape, n),
                  "%s: executed %.0f FLOPs, counted %.0f", label, dc_pinn_last_flops(engine),
                  dc_pinn_step_flops(&shape, n));
            rc = dc_pinn_loss_grad(engine, act, pf, &pb, &le2, gf2, &err);
            CHECK(rc == DC_OK && memcmp(gf, gf2, (size_t)np * sizeof *gf) == 0 &&
                      memcmp(&le, &le2, sizeof le) == 0, "%s: a second call differs", label);
            rc = dc_pinn_loss_grad(engine, act, pf, &pb, &lonly, NULL, &err);
            CHECK(rc == DC_OK && memcmp(&le, &lonly, sizeof le) == 0,
                  "%s: loss without gradient differs", label);
            for (int64_t k = 0; k < np; k++) g_eng[k] = gf[k];
            const double e_terms = fmax(fmax(fabs(le.residual - lr.residual) / lr.residual,
                                             fabs(le.initial - lr.initial) / lr.initial),
                                        fabs(le.boundary - lr.boundary) / lr.boundary);
            const double e_grad = pinn_golden_tensor_err(&L, g_eng, g_ref, NULL);
            CHECK(e_terms <= TOL, "%s: loss terms rel err %.3g", label, e_terms);
            CHECK(e_grad <= TOL, "%s: grad rel err %.3g", label, e_grad);
            printf("%-26s loss %.6g  terms rel err %.2g  grad rel err %.2g\n", label, lr.total,
                   e_terms, e_grad);
        }

    /* prediction in chunks of n, and the metrics through both predictors */
    double *pxt = calloc(2 * NPRED, sizeof *pxt), *out[6];
    for (int k = 0; k < 6; k++) out[k] = calloc(NPRED, sizeof(double));
    for (int i = 0; i < NPRED; i++) {
        pxt[2 * i] = dc_rng_uniform(&rng);
        pxt[2 * i + 1] = t_end * dc_rng_uniform(&rng);
    }
    for (int a = 0; a < 4; a++) {
        const dc_activation *act = &acts[a];
        rc = dc_pinn_ref_predict(&shape, act, p, pxt, NPRED, out[0], out[1], out[2], &err);
        CHECK(rc == DC_OK, "ref predict: %s", err.message);
        rc = dc_pinn_predict(engine, act, pf, pxt, NPRED, out[3], out[4], out[5], &err);
        CHECK(rc == DC_OK, "engine predict: %s", err.message);
        for (int k = 0; k < 3; k++) {
            double e = golden_rel_err(out[3 + k], out[k], NPRED);
            CHECK(e <= TOL, "%s: predict output %d rel err %.3g", dc_extent_name(act->extent), k, e);
        }
        CHECK(dc_pinn_last_flops(engine) > 0.0, "predict counted no FLOPs");
        dc_pinn_ref_predictor rp = {.shape = shape, .act = *act, .params = p};
        dc_pinn_predictor ep = {.engine = engine, .act = *act, .params = pf};
        dc_pinn_metrics mr, me;
        rc = dc_pinn_metrics_eval(&ic, beta, t_end, 0.1, 2.0, dc_pinn_ref_predictor_call, &rp, &mr,
                                  &err);
        CHECK(rc == DC_OK, "ref metrics: %s", err.message);
        rc = dc_pinn_metrics_eval(&ic, beta, t_end, 0.1, 2.0, dc_pinn_predictor_call, &ep, &me,
                                  &err);
        CHECK(rc == DC_OK, "engine metrics: %s", err.message);
        const double m_ref[5] = {mr.u_nrmse, mr.u_rmse, mr.u_max_err, mr.ux_nrmse, mr.residual_rms};
        const double m_eng[5] = {me.u_nrmse, me.u_rmse, me.u_max_err, me.ux_nrmse, me.residual_rms};
        for (int k = 0; k < 5; k++)
            CHECK(fabs(m_eng[k] - m_ref[k]) <= 1e-4 * fabs(m_ref[k]), "%s: metric %d %.8g vs %.8g",
                  dc_extent_name(act->extent), k, m_eng[k], m_ref[k]);
    }

#if defined(__SSE2__)
    const unsigned csr = _mm_getcsr();
    dc_pinn_loss_grad(engine, &acts[2], pf, &(dc_pinn_problem){.n_interior = NR, .n_initial = N0,
                      .n_boundary = NB, .xt = xt, .ic_target = target, .beta = beta,
                      .w_residual = 1, .w_initial = 1, .w_boundary = 1, .shift = 0, .scale = 1},
                      NULL, gf, &err);
    CHECK(_mm_getcsr() == csr, "MXCSR %#x after a call, %#x before", _mm_getcsr(), csr);
    CHECK((csr & 0x8040u) == 0, "the test itself started with subnormals flushed");
#endif

    /* bad calls */
    dc_pinn_problem big = {.n_interior = (int)n, .n_initial = 1, .n_boundary = 0, .xt = xt,
                           .ic_target = target, .beta = beta, .w_residual = 1, .w_initial = 1,
                           .w_boundary = 1, .shift = 0, .scale = 1};
    CHECK(dc_pinn_loss_grad(engine, &acts[0], pf, &big, NULL, gf, &err) == DC_ERR_INPUT,
          "more points than the engine holds accepted");
    dc_pinn_problem zero_scale = big;
    zero_scale.n_interior = NR;
    zero_scale.scale = 0.0;
    CHECK(dc_pinn_loss_grad(engine, &acts[0], pf, &zero_scale, NULL, gf, &err) == DC_ERR_INPUT,
          "zero scale accepted");
    dc_pinn *bad = NULL;
    const dc_pinn_shape too_deep = {.width = 4, .depth = DC_PINN_MAX_DEPTH + 1};
    CHECK(dc_pinn_create(&bad, &too_deep, 10, &err) == DC_ERR_INPUT && !bad,
          "depth %d accepted", too_deep.depth);
    CHECK(dc_pinn_create(&bad, &shape, 0, &err) == DC_ERR_INPUT && !bad, "0 points accepted");

    dc_pinn_destroy(engine);
    for (int k = 0; k < 6; k++) free(out[k]);
    free(pxt); free(xt); free(target); free(p); free(g_ref); free(g_eng); free(pf); free(gf);
    free(gf2);
    return check_finish();
}
