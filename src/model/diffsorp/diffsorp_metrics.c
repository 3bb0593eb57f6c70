/* The metrics of DIFFSORP.md against the reference field, on PDEBench's grid: the 1024 cell
 * centres x the last 20 frames. The reference's u_x is its differences (the network's is exact);
 * the residual is in u's own units, r = scale r'. Everything in double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/model/diffsorp.h"
#include "diffsorp_solver.h" /* dc_diffsorp_differences */

int dc_diffsorp_metrics_eval(const double *u_ref, double t_end,
                             const dc_diffsorp_problem *problem, dc_diffsorp_predict_fn predict,
                             void *ctx, dc_diffsorp_metrics *metrics, dc_error *err)
{
    int rc = DC_OK;
    const int64_t NX = DC_DIFFSORP_NX;
    double *xt = NULL, *u = NULL, *ux = NULL, *uxx = NULL, *ut = NULL, *ux_ref = NULL;
    memset(metrics, 0, sizeof *metrics);
    if (!(t_end >= DC_DIFFSORP_EVAL_NT - 1) || !isfinite(t_end))
        DC_FAIL(DC_ERR_INPUT, "diffsorp metrics: the evaluation frames need T >= %d, got %g",
                DC_DIFFSORP_EVAL_NT - 1, t_end);
    DC_ALLOC(xt, 2 * NX);
    DC_ALLOC(u, NX);
    DC_ALLOC(ux, NX);
    DC_ALLOC(uxx, NX);
    DC_ALLOC(ut, NX);
    DC_ALLOC(ux_ref, NX);
    const double shift = problem->shift, scale = problem->scale;
    double nrmse = 0.0, ux_nrmse = 0.0, sq = 0.0, max_err = 0.0, res = 0.0;
    for (int q = 0; q < DC_DIFFSORP_EVAL_NT; q++) {
        const double t = t_end - (double)(DC_DIFFSORP_EVAL_NT - 1 - q);
        const double *ur = u_ref + q * NX; /* [NX] */
        for (int64_t i = 0; i < NX; i++) {
            xt[2 * i] = ((double)i + 0.5) / (double)NX;
            xt[2 * i + 1] = t;
        }
        DC_TRY(predict(ctx, xt, NX, u, ux, uxx, ut, err));
        dc_diffsorp_differences((int)NX, ur, ux_ref);
        double num = 0.0, den = 0.0, num_x = 0.0, den_x = 0.0;
        for (int64_t i = 0; i < NX; i++) {
            const double uu = u[i] * scale + shift;
            const double e = uu - ur[i];
            const double e_x = ux[i] * scale - ux_ref[i];
            double R, dR;
            dc_diffsorp_retardation(uu, problem->K, problem->n_f, &R, &dR);
            const double r = (ut[i] - problem->D / R * uxx[i]) * scale;
            num += e * e;
            den += ur[i] * ur[i];
            num_x += e_x * e_x;
            den_x += ux_ref[i] * ux_ref[i];
            res += r * r;
            /* !(a <= b) so that a NaN error becomes the maximum */
            if (!(fabs(e) <= max_err)) max_err = fabs(e);
        }
        if (!(den > 0.0) || !(den_x > 0.0))
            DC_FAIL(DC_ERR_NUMERIC,
                    "diffsorp metrics: the reference u or u_x is zero everywhere at t = %g", t);
        sq += num;
        nrmse += sqrt(num / den);
        ux_nrmse += sqrt(num_x / den_x);
    }
    const double n_grid = (double)(NX * DC_DIFFSORP_EVAL_NT);
    metrics->u_nrmse = nrmse / DC_DIFFSORP_EVAL_NT;
    metrics->u_rmse = sqrt(sq / n_grid);
    metrics->u_max_err = max_err;
    metrics->ux_nrmse = ux_nrmse / DC_DIFFSORP_EVAL_NT;
    metrics->residual_rms = sqrt(res / n_grid);
cleanup:
    free(xt);
    free(u);
    free(ux);
    free(uxx);
    free(ut);
    free(ux_ref);
    return rc;
}

int dc_diffsorp_ref_predictor_call(void *ctx, const double *xt, int64_t n, double *u,
                                   double *u_x, double *u_xx, double *u_t, dc_error *err)
{
    const dc_diffsorp_ref_predictor *m = ctx;
    return dc_diffsorp_ref_predict(&m->shape, &m->act, m->params, m->tau, xt, n, u, u_x, u_xx,
                                   u_t, err);
}
