/* The float diffusion-sorption engine against the double reference (dc_diffsorp_ref_*) on a
 * problem of the real kind: DIFFSORP.md's points at reduced counts with data points from the
 * spec's selection (smooth made-up targets), a 24x4 MLP from dc_pinn_init_params with non-zero
 * biases, every extent (tanh, output, full at c 1 and 0.25), t scaled and (tanh) raw, u_init 0 and
 * sample 0000's, with and without standard rescaling:
 *   - the five loss terms and the loss within 1e-4 relative, every gradient tensor within 1e-4 of
 *     its largest magnitude;
 *   - a second call gives the same bits; the loss alone (grad NULL) is the same loss;
 *   - the matmul FLOPs executed equal dc_diffsorp_step_flops;
 *   - prediction on more points than the engine holds (chunks) matches the reference, and so do
 *     the metrics through both predictors;
 *   - the caller's floating-point mode (the engine flushes subnormals inside) is given back;
 *   - bad calls fail with DC_ERR_INPUT. */
#include "check.h"
#if defined(__SSE2__)
#include <xmmintrin.h>
#endif
#include "dcsweep/core/rng.h"
#include "dcsweep/data/rescale.h"
#include "dcsweep/model/diffsorp.h"
#include "diffsorp_solver.h" /* dc_diffsorp_data_select */
#include "pinn_golden.h" /* its comparison helpers */

#define NR 60
#define N0 200
#define NB 40
#define ND 50
#define NPRED 1000
#define T_END 500.0

static const double TOL = 1e-4;

/* loss terms: relative, and NaN (an empty term) only where the reference's is */
static double terms_err(const dc_diffsorp_loss *a, const dc_diffsorp_loss *b)
{
    const double x[6] = {a->residual, a->initial, a->left, a->right, a->data, a->total};
    const double y[6] = {b->residual, b->initial, b->left, b->right, b->data, b->total};
    double e = 0.0;
    for (int k = 0; k < 6; k++) e = fmax(e, pinn_scalar_err(x[k], y[k]));
    return e;
}

int main(void)
{
    const dc_pinn_shape shape = {.width = 24, .depth = 4};
    dc_error err = {0};
    dc_pinn_layout L;
    CHECK(dc_pinn_layout_init(&L, &shape, &err) == DC_OK, "%s", err.message);
    const int64_t m = dc_diffsorp_n_residual_points(NR, N0, NB), n = m + ND, np = L.n_params;
    double *xt = calloc(2 * (size_t)n, sizeof *xt), *target = calloc(ND, sizeof *target);
    double *labels = calloc(N0 + NB + ND, sizeof *labels);
    int64_t *index = calloc(ND, sizeof *index);
    double *p = calloc((size_t)np, sizeof *p), *g_ref = calloc((size_t)np, sizeof *g_ref);
    double *g_eng = calloc((size_t)np, sizeof *g_eng);
    float *pf = calloc((size_t)np, sizeof *pf), *gf = calloc((size_t)np, sizeof *gf);
    float *gf2 = calloc((size_t)np, sizeof *gf2);
    CHECK(dc_diffsorp_data_select(DC_DIFFSORP_NX * ((int64_t)T_END + 1), ND, index, &err) == DC_OK,
          "%s", err.message);
    dc_diffsorp_points(T_END, NR, N0, NB, index, ND, xt);
    for (int k = 0; k < ND; k++) {
        const double x = xt[2 * (m + k)], t = xt[2 * (m + k) + 1];
        target[k] = exp(-x * x / (4e-4 * (t + 1.0)));
    }
    dc_pinn_init_params(&L, 5, pf);
    dc_rng rng;
    dc_rng_seed(&rng, 9, 7);
    for (int t = 0; t < L.n_tensors; t++)
        if (L.tensors[t].is_bias)
            for (int64_t k = 0; k < L.tensors[t].rows; k++)
                pf[L.tensors[t].offset + k] = (float)(0.3 * dc_rng_normal(&rng));
    for (int64_t k = 0; k < np; k++) p[k] = pf[k];

    dc_diffsorp *engine = NULL;
    int rc = dc_diffsorp_create(&engine, &shape, n, m, &err);
    CHECK(rc == DC_OK, "engine: %s", err.message);
    if (rc) return check_finish();

    const dc_activation acts[] = {{DC_EXTENT_NONE, 0.5}, {DC_EXTENT_OUTPUT, 0.5},
                                  {DC_EXTENT_FULL, 1.0}, {DC_EXTENT_FULL, 0.25}};
    const double u_inits[2] = {0.0, 0.12739233746429088};
    dc_diffsorp_problem pb = {.n_interior = NR, .n_initial = N0, .n_boundary = NB, .n_data = ND,
                              .xt = xt, .data_target = target, .D = DC_DIFFSORP_D,
                              .K = dc_diffsorp_sorption_k(), .n_f = DC_DIFFSORP_N_F,
                              .w_residual = 1.0, .w_initial = 1.0, .w_boundary = 1.0,
                              .w_data = 1.0};
    for (int v = 0; v < 3; v++)
        for (int a = 0; a < 4; a++) {
            const dc_activation *act = &acts[a];
            const int raw = v == 2;
            if (raw && act->extent != DC_EXTENT_NONE) continue; /* IReLU on raw t overflows */
            pb.u_init = u_inits[v == 1];
            pb.tau = raw ? 1.0 : T_END;
            pb.shift = 0.0;
            pb.scale = 1.0;
            if (v == 1) {
                dc_rescale rs;
                dc_diffsorp_labels(pb.u_init, N0, NB, target, ND, labels);
                CHECK(dc_rescale_fit(&rs, DC_RESCALE_STANDARD, labels, N0 + NB + ND, &err) ==
                          DC_OK, "%s", err.message);
                pb.shift = rs.shift;
                pb.scale = rs.scale;
            }
            char label[96];
            snprintf(label, sizeof label, "%s c=%g u_init=%.3g scale=%.3g tau=%g",
                     dc_extent_name(act->extent), act->irelu_scale, pb.u_init, pb.scale, pb.tau);
            dc_diffsorp_loss lr, le, le2, lonly;
            rc = dc_diffsorp_ref_loss_grad(&shape, act, p, &pb, &lr, g_ref, &err);
            CHECK(rc == DC_OK, "%s: ref: %s", label, err.message);
            rc = dc_diffsorp_loss_grad(engine, act, pf, &pb, &le, gf, &err);
            CHECK(rc == DC_OK, "%s: engine: %s", label, err.message);
            CHECK(dc_diffsorp_last_flops(engine) == dc_diffsorp_step_flops(&shape, n, m),
                  "%s: executed %.0f FLOPs, counted %.0f", label, dc_diffsorp_last_flops(engine),
                  dc_diffsorp_step_flops(&shape, n, m));
            rc = dc_diffsorp_loss_grad(engine, act, pf, &pb, &le2, gf2, &err);
            CHECK(rc == DC_OK && memcmp(gf, gf2, (size_t)np * sizeof *gf) == 0 &&
                      memcmp(&le, &le2, sizeof le) == 0, "%s: a second call differs", label);
            rc = dc_diffsorp_loss_grad(engine, act, pf, &pb, &lonly, NULL, &err);
            CHECK(rc == DC_OK && memcmp(&le, &lonly, sizeof le) == 0,
                  "%s: loss without gradient differs", label);
            for (int64_t k = 0; k < np; k++) g_eng[k] = gf[k];
            const double e_terms = terms_err(&le, &lr);
            int wt = 0;
            const double e_grad = pinn_golden_tensor_err(&L, g_eng, g_ref, &wt);
            CHECK(e_terms <= TOL, "%s: loss terms rel err %.3g", label, e_terms);
            CHECK(e_grad <= TOL, "%s: grad of %s rel err %.3g", label, L.tensors[wt].name,
                  e_grad);
            printf("%-48s loss %.6g  terms rel err %.2g  grad rel err %.2g\n", label, lr.total,
                   e_terms, e_grad);
        }

    /* prediction in chunks of n, and the metrics through both predictors against a made-up
     * positive field */
    double *pxt = calloc(2 * NPRED, sizeof *pxt), *out[8];
    for (int k = 0; k < 8; k++) out[k] = calloc(NPRED, sizeof(double));
    for (int i = 0; i < NPRED; i++) {
        pxt[2 * i] = dc_rng_uniform(&rng);
        pxt[2 * i + 1] = T_END * dc_rng_uniform(&rng);
    }
    const size_t n_eval = (size_t)DC_DIFFSORP_EVAL_NT * DC_DIFFSORP_NX;
    double *u_ref = calloc(n_eval, sizeof *u_ref);
    for (size_t k = 0; k < n_eval; k++) {
        const double x = ((double)(k % DC_DIFFSORP_NX) + 0.5) / DC_DIFFSORP_NX;
        u_ref[k] = 0.5 * exp(-3.0 * x) + 0.01 * (double)(k / DC_DIFFSORP_NX);
    }
    pb.u_init = 0.0;
    pb.tau = T_END;
    pb.shift = 0.1;
    pb.scale = 2.0;
    for (int a = 0; a < 4; a++) {
        const dc_activation *act = &acts[a];
        rc = dc_diffsorp_ref_predict(&shape, act, p, T_END, pxt, NPRED, out[0], out[1], out[2],
                                     out[3], &err);
        CHECK(rc == DC_OK, "ref predict: %s", err.message);
        rc = dc_diffsorp_predict(engine, act, pf, T_END, pxt, NPRED, out[4], out[5], out[6],
                                 out[7], &err);
        CHECK(rc == DC_OK, "engine predict: %s", err.message);
        for (int k = 0; k < 4; k++) {
            double e = golden_rel_err(out[4 + k], out[k], NPRED);
            CHECK(e <= TOL, "%s: predict output %d rel err %.3g", dc_extent_name(act->extent), k,
                  e);
        }
        dc_diffsorp_ref_predictor rp = {.shape = shape, .act = *act, .params = p, .tau = T_END};
        dc_diffsorp_predictor ep = {.engine = engine, .act = *act, .params = pf, .tau = T_END};
        dc_diffsorp_metrics mr, me;
        rc = dc_diffsorp_metrics_eval(u_ref, T_END, &pb, dc_diffsorp_ref_predictor_call, &rp, &mr,
                                      &err);
        CHECK(rc == DC_OK, "ref metrics: %s", err.message);
        rc = dc_diffsorp_metrics_eval(u_ref, T_END, &pb, dc_diffsorp_predictor_call, &ep, &me,
                                      &err);
        CHECK(rc == DC_OK, "engine metrics: %s", err.message);
        const double m_ref[5] = {mr.u_nrmse, mr.u_rmse, mr.u_max_err, mr.ux_nrmse,
                                 mr.residual_rms};
        const double m_eng[5] = {me.u_nrmse, me.u_rmse, me.u_max_err, me.ux_nrmse,
                                 me.residual_rms};
        for (int k = 0; k < 5; k++)
            CHECK(fabs(m_eng[k] - m_ref[k]) <= 1e-4 * fabs(m_ref[k]),
                  "%s: metric %d %.8g vs %.8g", dc_extent_name(act->extent), k, m_eng[k],
                  m_ref[k]);
    }

#if defined(__SSE2__)
    const unsigned csr = _mm_getcsr();
    dc_diffsorp_loss_grad(engine, &acts[2], pf, &pb, NULL, gf, &err);
    CHECK(_mm_getcsr() == csr, "MXCSR %#x after the call, %#x before", _mm_getcsr(), csr);
#endif
    /* more points than the engine holds, and a bad problem */
    dc_diffsorp_problem big = pb;
    big.n_interior = NR + 1;
    CHECK(dc_diffsorp_loss_grad(engine, &acts[0], pf, &big, NULL, gf, &err) == DC_ERR_INPUT,
          "a problem larger than the engine accepted");
    dc_diffsorp_problem bad = pb;
    bad.scale = 0.0;
    CHECK(dc_diffsorp_loss_grad(engine, &acts[0], pf, &bad, NULL, gf, &err) == DC_ERR_INPUT,
          "scale 0 accepted");

    dc_diffsorp_destroy(engine);
    for (int k = 0; k < 8; k++) free(out[k]);
    free(pxt);
    free(u_ref);
    free(xt);
    free(target);
    free(labels);
    free(index);
    free(p);
    free(g_ref);
    free(g_eng);
    free(pf);
    free(gf);
    free(gf2);
    return check_finish();
}
