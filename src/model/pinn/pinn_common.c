/* The PINN's parameter layout and initialisation, its activation choice, and the loss with its
 * seeds (shared by both implementations, see pinn_internal.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dc_layout.h"
#include "dcsweep/core/rng.h"
#include "pinn_internal.h"

/* The random stream of a run's seed that the PINN's initial weights come from: distinct from
 * SchNet's (1), the trainer's batch orders (2^32 + epoch) and the splits', so that adding a model
 * family never shifts another user's numbers. */
#define DC_PINN_INIT_STREAM 0x70696e6e77ull /* "pinnw" */

/* The PINN's parameters in buffer order (dc_layout.h): the one place the order is written. */
static void describe(dc_layout *L, const dc_pinn_shape *shape, dc_pinn_params *v)
{
    const int64_t W = shape->width;
    for (int l = 0; l < shape->depth; l++) {
        v->layer[l].weight = dc_layout_add(L, W, l == 0 ? 2 : W, 0, "hidden%d/weight", l);
        v->layer[l].bias = dc_layout_add(L, W, 1, 1, "hidden%d/bias", l);
    }
    v->layer[shape->depth].weight = dc_layout_add(L, 1, W, 0, "output/weight");
    v->layer[shape->depth].bias = dc_layout_add(L, 1, 1, 1, "output/bias");
}

int dc_pinn_layout_init(dc_pinn_layout *layout, const dc_pinn_shape *shape, dc_error *err)
{
    memset(layout, 0, sizeof *layout);
    if (shape->width < 1 || shape->width > 65536 || shape->depth < 1 ||
        shape->depth > DC_PINN_MAX_DEPTH)
        return dc_error_set(err, DC_ERR_INPUT,
                            "PINN shape out of range: width %d (1..65536), depth %d (1..%d)",
                            shape->width, shape->depth, DC_PINN_MAX_DEPTH);
    const int capacity = (int)(sizeof layout->tensors / sizeof *layout->tensors);
    dc_layout L = dc_layout_start(layout->tensors, capacity, NULL);
    dc_pinn_params unused;
    describe(&L, shape, &unused);
    layout->n_tensors = L.n_tensors; /* fits: the array is sized for DC_PINN_MAX_DEPTH */
    layout->n_params = L.n_params;
    return DC_OK;
}

void dc_pinn_params_view(dc_pinn_params *v, const dc_pinn_shape *shape, float *buffer)
{
    dc_layout L = dc_layout_start(NULL, 0, buffer);
    describe(&L, shape, v);
}

int dc_pinn_layout_find(const dc_pinn_layout *layout, const char *name)
{
    return dc_layout_find(layout->tensors, layout->n_tensors, name);
}

/* Draws follow the layout order, row-major within a tensor, so a seed's weights depend on the
 * shape only (not on the engine, rank or thread count). Biases take no draws. */
void dc_pinn_init_params(const dc_pinn_layout *layout, uint64_t seed, float *params)
{
    dc_rng rng;
    dc_rng_seed(&rng, seed, DC_PINN_INIT_STREAM);
    for (int i = 0; i < layout->n_tensors; i++) {
        const dc_tensor *t = &layout->tensors[i];
        float *p = params + t->offset; /* [rows * cols] */
        const int64_t n = t->rows * t->cols;
        /* fan_in = cols, fan_out = rows for an (out, in) weight */
        const double sd = t->is_bias ? 0.0 : sqrt(2.0 / (double)(t->rows + t->cols));
        for (int64_t k = 0; k < n; k++) p[k] = t->is_bias ? 0.0f : (float)(sd * dc_rng_normal(&rng));
    }
}

int dc_pinn_layer_is_irelu(const dc_activation *act, int layer, int depth)
{
    switch (act->extent) {
    case DC_EXTENT_FULL: return 1;
    case DC_EXTENT_OUTPUT: return layer == depth - 1;
    default: return 0;
    }
}

int dc_pinn_problem_check(const dc_pinn_problem *p, dc_error *err)
{
    if (p->n_interior < 0 || p->n_initial < 0 || p->n_boundary < 0 ||
        dc_pinn_n_points(p->n_interior, p->n_initial, p->n_boundary) < 1)
        return dc_error_set(err, DC_ERR_INPUT,
                            "PINN points: need non-negative counts and at least one point "
                            "(interior %d, initial %d, boundary pairs %d)",
                            p->n_interior, p->n_initial, p->n_boundary);
    if (!p->xt || (p->n_initial > 0 && !p->ic_target))
        return dc_error_set(err, DC_ERR_INPUT, "PINN problem: no points or no initial targets");
    if (!isfinite(p->beta) || !isfinite(p->w_residual) || !isfinite(p->w_initial) ||
        !isfinite(p->w_boundary) || p->w_residual < 0 || p->w_initial < 0 || p->w_boundary < 0)
        return dc_error_set(err, DC_ERR_INPUT,
                            "PINN problem: beta %g and the loss weights (%g, %g, %g) must be "
                            "finite, the weights >= 0", p->beta, p->w_residual, p->w_initial,
                            p->w_boundary);
    if (!isfinite(p->shift) || !isfinite(p->scale) || p->scale == 0.0)
        return dc_error_set(err, DC_ERR_INPUT,
                            "PINN problem: rescaling shift %g, scale %g (need finite, scale != 0)",
                            p->shift, p->scale);
    return DC_OK;
}

/* Each term's seeds are d(w term)/du' or /dr'; r' is linear in the tangent (docs/pinn.md, "Label
 * rescaling": the shift drops out of it), so no seed involves the shift except the initial term's. */
void dc_pinn_loss_seeds(const dc_pinn_problem *p, const double *u, const double *r, double *ubar,
                        double *rbar, dc_pinn_loss *loss)
{
    const int64_t Nr = p->n_interior, N0 = p->n_initial, Nb = p->n_boundary;
    const int64_t N = dc_pinn_n_points(p->n_interior, p->n_initial, p->n_boundary);
    double lr = 0.0, l0 = 0.0, lb = 0.0;
    if (ubar) memset(ubar, 0, (size_t)N * sizeof *ubar);
    for (int64_t i = 0; i < N; i++) {
        lr += r[i] * r[i];
        if (rbar) rbar[i] = 2.0 * p->w_residual * r[i] / (double)N;
    }
    for (int64_t j = 0; j < N0; j++) {
        const double d = u[Nr + j] - (p->ic_target[j] - p->shift) / p->scale;
        l0 += d * d;
        if (ubar) ubar[Nr + j] = 2.0 * p->w_initial * d / (double)N0;
    }
    const int64_t b0 = Nr + N0, b1 = Nr + N0 + Nb;
    for (int64_t k = 0; k < Nb; k++) {
        const double d = u[b0 + k] - u[b1 + k];
        lb += d * d;
        if (ubar) {
            ubar[b0 + k] = 2.0 * p->w_boundary * d / (double)Nb;
            ubar[b1 + k] = -ubar[b0 + k];
        }
    }
    if (loss) {
        loss->residual = lr / (double)N;
        loss->initial = N0 > 0 ? l0 / (double)N0 : 0.0;
        loss->boundary = Nb > 0 ? lb / (double)Nb : 0.0;
        loss->total = p->w_residual * loss->residual + p->w_initial * loss->initial +
                      p->w_boundary * loss->boundary;
    }
}
