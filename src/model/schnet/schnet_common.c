/* What the double reference and the float engine share (schnet_common.h and schnet.h): the batch
 * check, the per-pair inputs of the filter network and the loss with its seeds. All in double, so
 * that the two engines accept the same batches, start from the same numbers and differ only in
 * the network arithmetic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dc_loss.h"
#include "schnet_common.h"

static const double PI = 3.14159265358979323846;

void dc_schnet_pairs_carve(dc_pairs *p, dc_arena *ar, int max_atoms, int64_t max_edges)
{
    if (max_atoms < 0) max_atoms = 0; /* negative counts are the check's to report */
    if (max_edges < 0) max_edges = 0;
    /* a, b and by_b get room for every edge, not half: the check must not overflow on a list
     * that turns out not to be symmetric */
    DC_TAKE(ar, p->a, max_edges);
    DC_TAKE(ar, p->b, max_edges);
    DC_TAKE(ar, p->of_edge, max_edges);
    DC_TAKE(ar, p->row_start, max_atoms + 1);
    DC_TAKE(ar, p->by_b_start, max_atoms + 1);
    DC_TAKE(ar, p->by_b, max_edges);
    DC_TAKE(ar, p->slot, max_atoms);
}

/* Finds each edge's pair. A pair opens at its edge b -> a (source above destination) and is
 * closed by the reverse a -> b, found in b's row through slot[a]: linear in the edge count, with
 * no assumption on the order of sources within a row. */
static int match_pairs(const dc_batch *bt, dc_pairs *p, dc_error *err)
{
    const int n = bt->n_atoms;
    const int64_t E = bt->n_edges;
    int64_t P = 0;
    memset(p->by_b_start, 0, (size_t)(n + 1) * sizeof *p->by_b_start);
    for (int64_t e = 0; e < E; e++)
        if (bt->src[e] > bt->dst[e]) p->by_b_start[bt->src[e] + 1]++;
    for (int j = 0; j < n; j++) p->by_b_start[j + 1] += p->by_b_start[j];
    for (int j = 0; j < n; j++) p->slot[j] = p->by_b_start[j]; /* fill cursors */
    for (int64_t e = 0; e < E; e++)
        if (bt->src[e] > bt->dst[e]) {
            p->a[P] = bt->dst[e];
            p->b[P] = bt->src[e];
            p->of_edge[e] = P;
            p->by_b[p->slot[bt->src[e]]++] = P;
            P++;
        }
    for (int j = 0; j < n; j++) p->slot[j] = -1;
    /* slot[a] while row b is open: -1 no pair {a, b}, p >= 0 pair p not closed yet, -2 closed */
    for (int j = 0; j < n; j++) {
        for (int64_t k = p->by_b_start[j]; k < p->by_b_start[j + 1]; k++) {
            const int i = p->a[p->by_b[k]];
            if (p->slot[i] != -1)
                return dc_error_set(err, DC_ERR_INPUT, "edge %d -> %d appears twice", j, i);
            p->slot[i] = p->by_b[k];
        }
        for (int64_t e = p->row_start[j]; e < p->row_start[j + 1]; e++) {
            const int i = bt->src[e];
            if (i > j) continue;
            if (p->slot[i] < 0)
                return dc_error_set(err, DC_ERR_INPUT,
                                    "edge %lld (%d -> %d) %s: the edge list must hold both "
                                    "directions of every pair, once", (long long)e, i, j,
                                    p->slot[i] == -2 ? "appears twice" : "has no reverse edge");
            p->of_edge[e] = p->slot[i];
            p->slot[i] = -2;
        }
        for (int64_t k = p->by_b_start[j]; k < p->by_b_start[j + 1]; k++) {
            const int i = p->a[p->by_b[k]];
            if (p->slot[i] != -2)
                return dc_error_set(err, DC_ERR_INPUT,
                                    "edge %d -> %d has no reverse edge: the edge list must hold "
                                    "both directions of every pair", j, i);
            p->slot[i] = -1;
        }
    }
    p->n = P;
    return DC_OK;
}

int dc_schnet_check_batch(const dc_schnet_shape *shape, const dc_batch *b, dc_pairs *pairs,
                          dc_error *err)
{
    const int n = b->n_atoms;
    const int64_t E = b->n_edges;
    if (b->n_mol < 0 || n < 0 || E < 0)
        return dc_error_set(err, DC_ERR_INPUT, "batch of %d molecules, %d atoms, %lld edges",
                            b->n_mol, n, (long long)E);
    for (int i = 0; i < n; i++) {
        if (b->types[i] < 0 || b->types[i] >= shape->n_types)
            return dc_error_set(err, DC_ERR_INPUT, "atom %d: type %d out of range [0, %d)", i,
                                b->types[i], shape->n_types);
        if (b->mol[i] < 0 || b->mol[i] >= b->n_mol || (i > 0 && b->mol[i] < b->mol[i - 1]))
            return dc_error_set(err, DC_ERR_INPUT,
                                "atom %d: molecule index %d out of range [0, %d) or out of order",
                                i, b->mol[i], b->n_mol);
    }
    for (int64_t e = 0; e < E; e++) {
        const int i = b->dst[e], j = b->src[e];
        if (i < 0 || i >= n || j < 0 || j >= n)
            return dc_error_set(err, DC_ERR_INPUT, "edge %lld: atom index out of range (%d -> %d)",
                                (long long)e, j, i);
        if (i == j || b->mol[i] != b->mol[j])
            return dc_error_set(err, DC_ERR_INPUT,
                                "edge %lld (%d -> %d): not two different atoms of one molecule",
                                (long long)e, j, i);
        if (e > 0 && i < b->dst[e - 1])
            return dc_error_set(err, DC_ERR_INPUT, "edges are not sorted by destination (edge %lld)",
                                (long long)e);
    }
    int64_t e = 0;
    for (int i = 0; i < n; i++) {
        pairs->row_start[i] = e;
        while (e < E && b->dst[e] == i) e++;
    }
    pairs->row_start[n] = e;
    return match_pairs(b, pairs, err);
}

/* mu_k as torch.linspace builds it (from both ends), so the centres equal PyTorch's to the bit. */
static double gaussian_centre(double cutoff, int G, int k)
{
    double step = cutoff / (double)(G - 1);
    return k < G / 2 ? step * (double)k : cutoff - step * (double)(G - 1 - k);
}

void dc_schnet_gaussians(const dc_schnet_shape *shape, double *mu, double *gamma)
{
    const int G = shape->gaussians;
    const double rc = shape->cutoff;
    const double step = gaussian_centre(rc, G, 1) - gaussian_centre(rc, G, 0);
    *gamma = 0.5 / (step * step);
    if (mu)
        for (int k = 0; k < G; k++) mu[k] = gaussian_centre(rc, G, k);
}

/* d, u, fc, dfc of atoms i, j; 0 if they coincide. */
static int one_pair(const double *pos, int i, int j, double rc, double *d, double *u, double *fc,
                    double *dfc)
{
    double diff[3], dd = 0.0; /* r_i - r_j: d grows when i moves along u */
    for (int c = 0; c < 3; c++) {
        diff[c] = pos[3 * i + c] - pos[3 * j + c];
        dd += diff[c] * diff[c];
    }
    dd = sqrt(dd);
    if (!(dd > 0.0)) return 0;
    *d = dd;
    if (u)
        for (int c = 0; c < 3; c++) u[c] = diff[c] / dd;
    if (fc) *fc = 0.5 * (cos(PI * dd / rc) + 1.0);
    if (dfc) *dfc = -0.5 * (PI / rc) * sin(PI * dd / rc);
    return 1;
}

static int pair_error(const dc_batch *batch, int64_t k, int i, int j, dc_error *err)
{
    if (i < 0 || i >= batch->n_atoms || j < 0 || j >= batch->n_atoms)
        return dc_error_set(err, DC_ERR_INPUT, "edge %lld: atom index out of range (%d -> %d)",
                            (long long)k, j, i);
    return dc_error_set(err, DC_ERR_INPUT, "atoms %d and %d coincide", j, i);
}

static int in_range(const dc_batch *batch, int i, int j)
{
    return i >= 0 && i < batch->n_atoms && j >= 0 && j < batch->n_atoms;
}

int dc_schnet_pair_geometry(const dc_schnet_shape *shape, const dc_batch *batch, const int *a,
                            const int *b, int64_t n, double *d, double *u, double *fc, double *dfc,
                            dc_error *err)
{
    for (int64_t k = 0; k < n; k++) {
        double dd;
        if (!in_range(batch, a[k], b[k]) ||
            !one_pair(batch->pos, a[k], b[k], shape->cutoff, &dd, u ? u + 3 * k : NULL,
                      fc ? fc + k : NULL, dfc ? dfc + k : NULL))
            return pair_error(batch, k, a[k], b[k], err);
        if (d) d[k] = dd;
    }
    return DC_OK;
}

int dc_schnet_edge_geometry(const dc_schnet_shape *shape, const dc_batch *batch, double *d,
                            double *u, double *rbf, double *drbf, double *fc, double *dfc,
                            dc_error *err)
{
    const int G = shape->gaussians;
    double gamma;
    dc_schnet_gaussians(shape, NULL, &gamma);
    for (int64_t e = 0; e < batch->n_edges; e++) {
        const int i = batch->dst[e], j = batch->src[e];
        double dd;
        if (!in_range(batch, i, j) ||
            !one_pair(batch->pos, i, j, shape->cutoff, &dd, u ? u + 3 * e : NULL,
                      fc ? fc + e : NULL, dfc ? dfc + e : NULL))
            return pair_error(batch, e, i, j, err);
        if (d) d[e] = dd;
        for (int k = 0; k < G; k++) {
            double dm = dd - gaussian_centre(shape->cutoff, G, k);
            double bk = exp(-gamma * dm * dm);
            if (rbf) rbf[e * G + k] = bk;
            if (drbf) drbf[e * G + k] = -2.0 * gamma * dm * bk;
        }
    }
    return DC_OK;
}

/* The kit's loss (dc_loss.h) on a SchNet batch: a ghost stands for the atoms of its type. */
static dc_loss_batch loss_batch(const dc_batch *batch)
{
    return (dc_loss_batch){.n_mol = batch->n_mol, .n_atoms = batch->n_atoms, .n_ghost = batch->n_ghost,
                           .mol = batch->mol, .ghost_of = batch->types, .energy_target = batch->energy_target,
                           .force_target = batch->force_target};
}

void dc_schnet_loss_seeds(const dc_loss_spec *loss, const dc_batch *batch, const double *energy,
                          const double *forces, double *w, double *g, dc_loss_value *value)
{
    const dc_loss_batch b = loss_batch(batch);
    double le, lf;
    dc_loss_seeds(loss->kind, loss->force_weight, &b, energy, forces, w, g, &le, &lf);
    if (value) {
        value->energy_loss = le;
        value->force_loss = lf;
        value->total = le + loss->force_weight * lf;
    }
}

void dc_schnet_subtract_isolated(const dc_batch *batch, double *energy)
{
    const dc_loss_batch b = loss_batch(batch);
    dc_loss_subtract_isolated(&b, energy);
}

int dc_schnet_activation_is_irelu(const dc_activation *act, int site)
{
    switch (act->extent) {
    case DC_EXTENT_FULL: return 1;
    case DC_EXTENT_OUTPUT: return site == 2;
    default: return 0;
    }
}
