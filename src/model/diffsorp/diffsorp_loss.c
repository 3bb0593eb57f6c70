/* The diffusion-sorption task's definition (DIFFSORP.md "Points", "Loss", "Label rescaling"): its
 * constants, deterministic points, rescaling labels, and the loss with the seeds of
 * the reverse pass, all in double. The double reference and the float engine both take their loss
 * from here. */
#include <math.h>
#include <string.h>

#include "dcsweep/model/diffsorp.h"
#include "diffsorp_solver.h" /* dc_diffsorp_data_points */

double dc_diffsorp_sorption_k(void)
{
    return dc_diffsorp_freundlich_K(DC_DIFFSORP_PHI, DC_DIFFSORP_RHO_S, DC_DIFFSORP_K_F, DC_DIFFSORP_N_F);
}

/* u+ = max(u, 0) keeps R finite where the network goes negative (PDEBench's u + 1e-6 is NaN below
 * -1e-6); its derivative is 0 there. */
void dc_diffsorp_retardation(double u, double K, double n_f, double *R, double *dR)
{
    const double up = u > 0.0 ? u : 0.0;
    *R = 1.0 + K * pow(up + DC_DIFFSORP_EPS, n_f - 1.0);
    *dR = u > 0.0 ? K * (n_f - 1.0) * pow(u + DC_DIFFSORP_EPS, n_f - 2.0) : 0.0;
}

int64_t dc_diffsorp_n_residual_points(int n_interior, int n_initial, int n_boundary)
{
    return dc_pinn_n_points(n_interior, n_initial, n_boundary);
}

void dc_diffsorp_points(double t_end, int n_interior, int n_initial, int n_boundary,
                        const int64_t *data_index, int64_t n_data, double *xt)
{
    dc_pinn_points(t_end, n_interior, n_initial, n_boundary, xt);
    double *data_xt = xt + 2 * dc_diffsorp_n_residual_points(n_interior, n_initial, n_boundary);
    dc_diffsorp_data_points(DC_DIFFSORP_NX, NULL, data_index, n_data, data_xt, NULL);
}

void dc_diffsorp_labels(double u_init, int n_initial, int n_boundary, const double *data_target,
                        int64_t n_data, double *labels)
{
    double *p = labels;
    for (int j = 0; j < n_initial; j++) *p++ = u_init;
    for (int k = 0; k < n_boundary; k++) *p++ = 1.0;
    for (int64_t n = 0; n < n_data; n++) *p++ = data_target[n];
}

int dc_diffsorp_problem_check(const dc_diffsorp_problem *p, dc_error *err)
{
    if (p->n_interior < 0 || p->n_initial < 0 || p->n_boundary < 0 || p->n_data < 0 ||
        dc_diffsorp_n_residual_points(p->n_interior, p->n_initial, p->n_boundary) + p->n_data < 1)
        return dc_error_set(err, DC_ERR_INPUT,
                            "diffsorp points: need non-negative counts and at least one point "
                            "(interior %d, initial %d, boundary %d per end, data %lld)",
                            p->n_interior, p->n_initial, p->n_boundary, (long long)p->n_data);
    if (!p->xt || (p->n_data > 0 && !p->data_target))
        return dc_error_set(err, DC_ERR_INPUT, "diffsorp problem: no points or no data targets");
    const double w[4] = {p->w_residual, p->w_initial, p->w_boundary, p->w_data};
    for (int i = 0; i < 4; i++)
        if (!isfinite(w[i]) || w[i] < 0)
            return dc_error_set(err, DC_ERR_INPUT,
                                "diffsorp problem: the loss weights (%g, %g, %g, %g) must be "
                                "finite and >= 0", w[0], w[1], w[2], w[3]);
    if (!isfinite(p->u_init) || !isfinite(p->D) || !isfinite(p->K) || !isfinite(p->n_f) ||
        !(p->tau > 0.0) || !isfinite(p->tau))
        return dc_error_set(err, DC_ERR_INPUT,
                            "diffsorp problem: u_init %g, D %g, K %g, n_f %g must be finite and "
                            "tau %g finite and > 0", p->u_init, p->D, p->K, p->n_f, p->tau);
    if (!isfinite(p->shift) || !isfinite(p->scale) || p->scale == 0.0)
        return dc_error_set(err, DC_ERR_INPUT,
                            "diffsorp problem: rescaling shift %g, scale %g (need finite, "
                            "scale != 0)", p->shift, p->scale);
    return DC_OK;
}

/* sum_i d_i^2 / n over a term's points, NaN for none (a mean over nothing). */
static double mean_or_nan(double sum, int64_t n)
{
    return n > 0 ? sum / (double)n : NAN;
}

/* Seeds are d(weighted total)/d(output). The residual r' = u'_t - k(u) u'_xx with k = D/R(u),
 * u = scale u' + shift: dr'/du'_t = 1, dr'/du'_xx = -k, dr'/du' = D R'(u) scale / R^2 u'_xx. */
void dc_diffsorp_loss_seeds(const dc_diffsorp_problem *p, const double *u, const double *u_x,
                            const double *u_xx, const double *u_t, double *u_bar,
                            double *u_x_bar, double *u_xx_bar, double *u_t_bar, double *r,
                            dc_diffsorp_loss *loss)
{
    const int64_t Nr = p->n_interior, N0 = p->n_initial, Nb = p->n_boundary, Nd = p->n_data;
    const int64_t Nres = dc_diffsorp_n_residual_points(p->n_interior, p->n_initial, p->n_boundary);
    const int64_t N = Nres + Nd;
    double *seeds[4] = {u_bar, u_x_bar, u_xx_bar, u_t_bar};
    for (int s = 0; s < 4; s++)
        if (seeds[s]) memset(seeds[s], 0, (size_t)N * sizeof(double));

    double lr = 0.0;
    for (int64_t i = 0; i < Nres; i++) {
        double R, dR;
        dc_diffsorp_retardation(p->scale * u[i] + p->shift, p->K, p->n_f, &R, &dR);
        const double k = p->D / R;
        const double ri = u_t[i] - k * u_xx[i];
        if (r) r[i] = ri;
        lr += ri * ri;
        const double rbar = 2.0 * p->w_residual * ri / (double)Nres;
        if (u_t_bar) u_t_bar[i] = rbar;
        if (u_xx_bar) u_xx_bar[i] = -rbar * k;
        if (u_bar) u_bar[i] = rbar * p->D * dR * p->scale / (R * R) * u_xx[i];
    }

    /* the value terms: u' against a target in rescaled units */
    double l0 = 0.0, ll = 0.0, ld = 0.0;
    const double t0 = (p->u_init - p->shift) / p->scale, t1 = (1.0 - p->shift) / p->scale;
    for (int64_t j = Nr; j < Nr + N0; j++) {
        const double d = u[j] - t0;
        l0 += d * d;
        if (u_bar) u_bar[j] += 2.0 * p->w_initial * d / (double)N0;
    }
    const int64_t left = Nr + N0, right = Nr + N0 + Nb;
    for (int64_t k = left; k < left + Nb; k++) {
        const double d = u[k] - t1;
        ll += d * d;
        if (u_bar) u_bar[k] += 2.0 * p->w_boundary * d / (double)Nb;
    }
    for (int64_t n = 0; n < Nd; n++) {
        const double d = u[Nres + n] - (p->data_target[n] - p->shift) / p->scale;
        ld += d * d;
        if (u_bar) u_bar[Nres + n] += 2.0 * p->w_data * d / (double)Nd;
    }

    /* the right end: (u + D u_x)/scale = u' + D u'_x + shift/scale, the shift does not drop */
    double lright = 0.0;
    for (int64_t k = right; k < right + Nb; k++) {
        const double d = u[k] + p->D * u_x[k] + p->shift / p->scale;
        lright += d * d;
        const double dbar = 2.0 * p->w_boundary * d / (double)Nb;
        if (u_bar) u_bar[k] += dbar;
        if (u_x_bar) u_x_bar[k] += dbar * p->D;
    }

    if (loss) {
        loss->residual = mean_or_nan(lr, Nres);
        loss->initial = mean_or_nan(l0, N0);
        loss->left = mean_or_nan(ll, Nb);
        loss->right = mean_or_nan(lright, Nb);
        loss->data = mean_or_nan(ld, Nd);
        const double term[5] = {loss->residual, loss->initial, loss->left, loss->right,
                                loss->data};
        const double w[5] = {p->w_residual, p->w_initial, p->w_boundary, p->w_boundary,
                             p->w_data};
        const int64_t n[5] = {Nres, N0, Nb, Nb, Nd};
        loss->total = 0.0;
        for (int t = 0; t < 5; t++)
            if (n[t] > 0) loss->total += w[t] * term[t];
    }
}
