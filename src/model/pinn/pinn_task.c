/* The advection task of docs/pinn.md: the initial-condition family, the exact solution, the
 * collocation points and the metrics on the PDEBench evaluation grid. Everything in double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/core/rng.h"
#include "dcsweep/model/pinn.h"

static const double PI = 3.14159265358979323846;

/* Width of the window's tanh edges (PDEBench's). */
#define WINDOW_EDGE 0.01

void dc_pinn_ic_draw(dc_pinn_ic *ic, uint64_t ic_seed)
{
    dc_rng rng;
    dc_rng_seed(&rng, ic_seed, DC_PINN_IC_STREAM);
    memset(ic, 0, sizeof *ic);
    int count[DC_PINN_IC_MODES] = {0};
    for (int d = 0; d < 2; d++) count[dc_rng_below(&rng, DC_PINN_IC_MODES)]++;
    for (int k = 0; k < DC_PINN_IC_MODES; k++) ic->m[k] = (k + 1) * count[k];
    for (int k = 0; k < DC_PINN_IC_MODES; k++) ic->A[k] = dc_rng_uniform(&rng);
    for (int k = 0; k < DC_PINN_IC_MODES; k++) ic->phi[k] = 2.0 * PI * dc_rng_uniform(&rng);
    /* every draw is taken whatever the flags say, so one flag never shifts the others' values */
    ic->use_abs = dc_rng_uniform(&rng) < 0.1;
    ic->sign = dc_rng_below(&rng, 2) ? 1.0 : -1.0;
    ic->use_window = dc_rng_uniform(&rng) < 0.1;
    ic->xL = 0.1 + 0.35 * dc_rng_uniform(&rng);
    ic->xR = 0.55 + 0.35 * dc_rng_uniform(&rng);
}

void dc_pinn_ic_eval(const dc_pinn_ic *ic, const double *x, int64_t n, double *u0, double *u0_x)
{
    for (int64_t i = 0; i < n; i++) {
        double s = 0.0, ds = 0.0;
        for (int k = 0; k < DC_PINN_IC_MODES; k++) {
            const double w = 2.0 * PI * (double)ic->m[k];
            s += ic->A[k] * sin(w * x[i] + ic->phi[k]);
            ds += ic->A[k] * w * cos(w * x[i] + ic->phi[k]);
        }
        if (ic->use_abs) {
            ds *= (double)((s > 0.0) - (s < 0.0));
            s = fabs(s);
        }
        s *= ic->sign;
        ds *= ic->sign;
        if (ic->use_window) {
            const double tl = tanh((x[i] - ic->xL) / WINDOW_EDGE);
            const double tr = tanh((x[i] - ic->xR) / WINDOW_EDGE);
            const double win = 0.5 * (tl - tr);
            const double dwin = 0.5 / WINDOW_EDGE * ((1.0 - tl * tl) - (1.0 - tr * tr));
            ds = ds * win + s * dwin;
            s *= win;
        }
        if (u0) u0[i] = s;
        if (u0_x) u0_x[i] = ds;
    }
}

void dc_pinn_exact(const dc_pinn_ic *ic, double beta, const double *xt, int64_t n, double *u,
                   double *u_x)
{
    for (int64_t i = 0; i < n; i++) {
        double xi = xt[2 * i] - beta * xt[2 * i + 1];
        xi -= floor(xi);
        dc_pinn_ic_eval(ic, &xi, 1, u ? u + i : NULL, u_x ? u_x + i : NULL);
    }
}

double dc_pinn_rad2(uint64_t n)
{
    double r = 0.0, f = 0.5;
    for (; n; n >>= 1, f *= 0.5)
        if (n & 1) r += f;
    return r;
}

int64_t dc_pinn_n_points(int n_interior, int n_initial, int n_boundary)
{
    return (int64_t)n_interior + n_initial + 2 * (int64_t)n_boundary;
}

void dc_pinn_points(double t_end, int n_interior, int n_initial, int n_boundary, double *xt)
{
    double *p = xt;
    for (int i = 0; i < n_interior; i++, p += 2) {
        p[0] = ((double)i + 0.5) / (double)n_interior;
        p[1] = t_end * dc_pinn_rad2((uint64_t)i + 1);
    }
    for (int j = 0; j < n_initial; j++, p += 2) {
        p[0] = ((double)j + 0.5) / (double)n_initial;
        p[1] = 0.0;
    }
    for (int side = 0; side < 2; side++)
        for (int k = 0; k < n_boundary; k++, p += 2) {
            p[0] = (double)side;
            p[1] = t_end * ((double)k + 0.5) / (double)n_boundary;
        }
}

int dc_pinn_metrics_eval(const dc_pinn_ic *ic, double beta, double t_end, double shift,
                         double scale, dc_pinn_predict_fn predict, void *ctx,
                         dc_pinn_metrics *metrics, dc_error *err)
{
    int rc = DC_OK;
    const int64_t NX = DC_PINN_EVAL_NX;
    double *xt = NULL, *u = NULL, *ux = NULL, *ut = NULL, *ex = NULL, *exx = NULL;
    memset(metrics, 0, sizeof *metrics);
    if (!(t_end >= 0.01 * (DC_PINN_EVAL_NT - 1)) || !isfinite(t_end))
        DC_FAIL(DC_ERR_INPUT, "PINN metrics: the evaluation grid needs T >= %g, got %g",
                0.01 * (DC_PINN_EVAL_NT - 1), t_end);
    DC_ALLOC(xt, 2 * NX);
    DC_ALLOC(u, NX);
    DC_ALLOC(ux, NX);
    DC_ALLOC(ut, NX);
    DC_ALLOC(ex, NX);
    DC_ALLOC(exx, NX);
    double nrmse = 0.0, ux_nrmse = 0.0, sq = 0.0, max_err = 0.0, res = 0.0;
    for (int q = 0; q < DC_PINN_EVAL_NT; q++) {
        const double t = t_end - 0.01 * (double)(DC_PINN_EVAL_NT - 1 - q);
        for (int64_t i = 0; i < NX; i++) {
            xt[2 * i] = ((double)i + 0.5) / (double)NX;
            xt[2 * i + 1] = t;
        }
        DC_TRY(predict(ctx, xt, NX, u, ux, ut, err));
        dc_pinn_exact(ic, beta, xt, NX, ex, exx);
        double num = 0.0, den = 0.0, num_x = 0.0, den_x = 0.0;
        for (int64_t i = 0; i < NX; i++) {
            const double e = u[i] * scale + shift - ex[i];
            const double e_x = ux[i] * scale - exx[i];
            const double r = (ut[i] + beta * ux[i]) * scale;
            num += e * e;
            den += ex[i] * ex[i];
            num_x += e_x * e_x;
            den_x += exx[i] * exx[i];
            res += r * r;
            /* !(a <= b) so that a NaN error becomes the maximum */
            if (!(fabs(e) <= max_err)) max_err = fabs(e);
        }
        if (!(den > 0.0) || !(den_x > 0.0))
            DC_FAIL(DC_ERR_NUMERIC,
                    "PINN metrics: the exact u or u_x is zero everywhere at t = %g (a constant "
                    "initial condition has no relative error)", t);
        sq += num;
        nrmse += sqrt(num / den);
        ux_nrmse += sqrt(num_x / den_x);
    }
    const double n_grid = (double)(NX * DC_PINN_EVAL_NT);
    metrics->u_nrmse = nrmse / DC_PINN_EVAL_NT;
    metrics->u_rmse = sqrt(sq / n_grid);
    metrics->u_max_err = max_err;
    metrics->ux_nrmse = ux_nrmse / DC_PINN_EVAL_NT;
    metrics->residual_rms = sqrt(res / n_grid);
cleanup:
    free(xt);
    free(u);
    free(ux);
    free(ut);
    free(ex);
    free(exx);
    return rc;
}

int dc_pinn_ref_predictor_call(void *ctx, const double *xt, int64_t n, double *u, double *u_x,
                               double *u_t, dc_error *err)
{
    const dc_pinn_ref_predictor *m = ctx;
    return dc_pinn_ref_predict(&m->shape, &m->act, m->params, xt, n, u, u_x, u_t, err);
}

int dc_pinn_predictor_call(void *ctx, const double *xt, int64_t n, double *u, double *u_x,
                           double *u_t, dc_error *err)
{
    const dc_pinn_predictor *m = ctx;
    return dc_pinn_predict(m->engine, &m->act, m->params, xt, n, u, u_x, u_t, err);
}
