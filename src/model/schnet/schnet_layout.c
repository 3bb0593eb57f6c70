/* Where each named SchNet tensor lives in the one flat parameter buffer, and its initialisation.
 *
 * The order is the golden file's `params/` group read in model order (embedding, each interaction
 * block, output block), so a flat buffer is also what a checkpoint stores; every engine (the double
 * reference, the oneDNN float engine, Adam, MPI allreduce) sees the same array. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dc_layout.h"
#include "dcsweep/core/rng.h"
#include "schnet_common.h"

/* The random stream of a seed that initial weights come from. Other users of the run's seed (the
 * batch order) must use a different stream so that changing one never shifts the other. */
#define DC_SCHNET_INIT_STREAM 1

/* SchNet's parameters in buffer order (dc_layout.h): the one place the order is written. */
static void describe(dc_layout *L, const dc_schnet_shape *shape, dc_schnet_params *v)
{
    const int64_t F = shape->features, nf = shape->filters, G = shape->gaussians, H = F / 2;
    v->embedding = dc_layout_add(L, shape->n_types, F, 0, "embedding");
    for (int t = 0; t < shape->interactions; t++) {
        dc_schnet_block_params *b = &v->block[t];
        b->w1 = dc_layout_add(L, nf, G, 0, "interaction%d/filter1/weight", t);
        b->b1 = dc_layout_add(L, nf, 1, 1, "interaction%d/filter1/bias", t);
        b->w2 = dc_layout_add(L, nf, nf, 0, "interaction%d/filter2/weight", t);
        b->b2 = dc_layout_add(L, nf, 1, 1, "interaction%d/filter2/bias", t);
        b->w_in = dc_layout_add(L, nf, F, 0, "interaction%d/cfconv_in/weight", t);
        b->w_out = dc_layout_add(L, F, nf, 0, "interaction%d/cfconv_out/weight", t);
        b->b_out = dc_layout_add(L, F, 1, 1, "interaction%d/cfconv_out/bias", t);
        b->w_d = dc_layout_add(L, F, F, 0, "interaction%d/dense/weight", t);
        b->b_d = dc_layout_add(L, F, 1, 1, "interaction%d/dense/bias", t);
    }
    v->wo1 = dc_layout_add(L, H, F, 0, "output/dense1/weight");
    v->bo1 = dc_layout_add(L, H, 1, 1, "output/dense1/bias");
    v->wo2 = dc_layout_add(L, 1, H, 0, "output/dense2/weight");
    v->bo2 = dc_layout_add(L, 1, 1, 1, "output/dense2/bias");
}

int dc_schnet_layout_init(dc_schnet_layout *layout, const dc_schnet_shape *shape, dc_error *err)
{
    memset(layout, 0, sizeof *layout);
    if (shape->n_types < 1 || shape->features < 2 || shape->filters < 1 || shape->gaussians < 2 ||
        shape->interactions < 1 || shape->interactions > DC_MAX_INTERACTIONS)
        return dc_error_set(err, DC_ERR_INPUT,
                            "SchNet shape out of range: n_types %d (>= 1), features %d (>= 2), "
                            "filters %d (>= 1), gaussians %d (>= 2), interactions %d (1..%d)",
                            shape->n_types, shape->features, shape->filters, shape->gaussians,
                            shape->interactions, DC_MAX_INTERACTIONS);
    if (!(shape->cutoff > 0.0) || !isfinite(shape->cutoff))
        return dc_error_set(err, DC_ERR_INPUT, "SchNet cutoff must be positive, got %g",
                            shape->cutoff);
    const int capacity = (int)(sizeof layout->tensors / sizeof *layout->tensors);
    dc_layout L = dc_layout_start(layout->tensors, capacity, NULL);
    dc_schnet_params unused;
    describe(&L, shape, &unused);
    layout->n_tensors = L.n_tensors; /* fits: the array is sized for DC_MAX_INTERACTIONS */
    layout->n_params = L.n_params;
    return DC_OK;
}

void dc_schnet_params_view(dc_schnet_params *v, const dc_schnet_shape *shape, float *buffer)
{
    dc_layout L = dc_layout_start(NULL, 0, buffer);
    describe(&L, shape, v);
}

int dc_schnet_layout_find(const dc_schnet_layout *layout, const char *name)
{
    return dc_layout_find(layout->tensors, layout->n_tensors, name);
}

/* Draws follow the layout order, row-major within a tensor, so the weights of a seed depend on
 * the shape only (not on the engine, rank or thread count). Biases take no draws. */
void dc_schnet_init_params(const dc_schnet_layout *layout, uint64_t seed, float *params)
{
    dc_rng rng;
    dc_rng_seed(&rng, seed, DC_SCHNET_INIT_STREAM);
    for (int i = 0; i < layout->n_tensors; i++) {
        const dc_tensor *t = &layout->tensors[i];
        float *p = params + t->offset; /* [rows * cols] */
        int64_t n = t->rows * t->cols;
        if (t->is_bias) {
            for (int64_t k = 0; k < n; k++) p[k] = 0.0f;
        } else if (strcmp(t->name, "embedding") == 0) {
            for (int64_t k = 0; k < n; k++) p[k] = (float)dc_rng_normal(&rng);
        } else {
            /* Xavier-uniform: fan_in = cols, fan_out = rows for a (out, in) weight. */
            double a = sqrt(6.0 / (double)(t->rows + t->cols));
            for (int64_t k = 0; k < n; k++) p[k] = (float)(a * (2.0 * dc_rng_uniform(&rng) - 1.0));
        }
    }
}
