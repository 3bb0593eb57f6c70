/* What the double reference and the float engine share: the per-edge inputs of the filter network
 * and the loss with its seeds. Both are done in double so that the two engines start from the same
 * numbers and differ only in the network arithmetic. */
#include <math.h>

#include "dcsweep/model/schnet.h"

static const double PI = 3.14159265358979323846;

/* mu_k as torch.linspace builds it (from both ends), so the centres equal PyTorch's to the bit. */
static double gaussian_centre(double cutoff, int G, int k)
{
    double step = cutoff / (double)(G - 1);
    return k < G / 2 ? step * (double)k : cutoff - step * (double)(G - 1 - k);
}

int dc_schnet_edge_geometry(const dc_schnet_shape *shape, const dc_batch *batch, double *d,
                            double *u, double *rbf, double *drbf, double *fc, double *dfc,
                            dc_error *err) {
    const int G = shape->gaussians;
    const double rc = shape->cutoff;
    const double step = gaussian_centre(rc, G, 1) - gaussian_centre(rc, G, 0);
    const double gamma = 0.5 / (step * step);
    for (int64_t e = 0; e < batch->n_edges; e++) {
        int i = batch->dst[e], j = batch->src[e];
        if (i < 0 || i >= batch->n_atoms || j < 0 || j >= batch->n_atoms)
            return dc_error_set(err, DC_ERR_INPUT, "edge %lld: atom index out of range (%d -> %d)",
                                (long long)e, j, i);
        double diff[3], dd = 0.0; /* r_i - r_j: d grows when i moves along u */
        for (int k = 0; k < 3; k++) {
            diff[k] = batch->pos[3 * i + k] - batch->pos[3 * j + k];
            dd += diff[k] * diff[k];
        }
        dd = sqrt(dd);
        if (!(dd > 0.0))
            return dc_error_set(err, DC_ERR_INPUT, "edge %lld: atoms %d and %d coincide",
                                (long long)e, j, i);
        if (d) d[e] = dd;
        if (u)
            for (int k = 0; k < 3; k++) u[3 * e + k] = diff[k] / dd;
        for (int k = 0; k < G; k++) {
            double dm = dd - gaussian_centre(rc, G, k);
            double b = exp(-gamma * dm * dm);
            if (rbf) rbf[e * G + k] = b;
            if (drbf) drbf[e * G + k] = -2.0 * gamma * dm * b;
        }
        if (fc) fc[e] = 0.5 * (cos(PI * dd / rc) + 1.0);
        if (dfc) dfc[e] = -0.5 * (PI / rc) * sin(PI * dd / rc);
    }
    return DC_OK;
}

static double sign0(double x) { return (double)((x > 0.0) - (x < 0.0)); }

void dc_schnet_loss_seeds(const dc_loss_spec *loss, const dc_batch *batch, const double *energy,
                          const double *forces, double *w, double *g, dc_loss_value *value)
{
    const int B = batch->n_mol;
    const int64_t n3 = 3 * (int64_t)batch->n_atoms;
    const double alpha = loss->force_weight;
    const int l1 = loss->kind == DC_LOSS_L1;
    double le = 0.0, lf = 0.0;
    for (int b = 0; b < B; b++) {
        double r = energy[b] - batch->energy_target[b];
        le += l1 ? fabs(r) : r * r;
        if (w) w[b] = (l1 ? sign0(r) : 2.0 * r) / (double)B;
    }
    for (int64_t k = 0; k < n3; k++) {
        double r = forces[k] - batch->force_target[k];
        lf += l1 ? fabs(r) : r * r;
        if (g) g[k] = alpha * (l1 ? sign0(r) : 2.0 * r) / (double)n3;
    }
    if (value) {
        value->energy_loss = B > 0 ? le / (double)B : 0.0;
        value->force_loss = n3 > 0 ? lf / (double)n3 : 0.0;
        value->total = value->energy_loss + alpha * value->force_loss;
    }
}

int dc_activation_is_irelu(const dc_activation *act, int site)
{
    switch (act->extent) {
    case DC_EXTENT_FULL: return 1;
    case DC_EXTENT_OUTPUT: return site == 2;
    default: return 0;
    }
}
