/* Where each named SchNet tensor lives in the one flat parameter buffer, and its initialisation.
 *
 * The order is the golden file's `params/` group read in model order (embedding, each interaction
 * block, output block), so a flat buffer is also what a checkpoint stores; every engine (the double
 * reference, the oneDNN float engine, Adam, MPI allreduce) sees the same array. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dcsweep/core/rng.h"
#include "dcsweep/model/schnet.h"

/* The random stream of a seed that initial weights come from. Other users of the run's seed (the
 * batch order) must use a different stream so that changing one never shifts the other. */
#define DC_SCHNET_INIT_STREAM 1

static void add_tensor(dc_schnet_layout *layout, const char *name, int64_t rows, int64_t cols,
                       int is_bias)
{
    dc_tensor *t = &layout->tensors[layout->n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->offset = layout->n_params;
    t->rows = rows;
    t->cols = cols;
    t->is_bias = is_bias;
    layout->n_params += rows * cols;
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
    const int64_t F = shape->features, nf = shape->filters, G = shape->gaussians, H = F / 2;
    add_tensor(layout, "embedding", shape->n_types, F, 0);
    for (int t = 0; t < shape->interactions; t++) {
        char name[DC_TENSOR_NAME_MAX];
#define ADD(suffix, rows, cols, bias)                                                              \
    do {                                                                                           \
        snprintf(name, sizeof name, "interaction%d/%s", t, suffix);                                \
        add_tensor(layout, name, rows, cols, bias);                                                \
    } while (0)
        ADD("filter1/weight", nf, G, 0);
        ADD("filter1/bias", nf, 1, 1);
        ADD("filter2/weight", nf, nf, 0);
        ADD("filter2/bias", nf, 1, 1);
        ADD("cfconv_in/weight", nf, F, 0);
        ADD("cfconv_out/weight", F, nf, 0);
        ADD("cfconv_out/bias", F, 1, 1);
        ADD("dense/weight", F, F, 0);
        ADD("dense/bias", F, 1, 1);
#undef ADD
    }
    add_tensor(layout, "output/dense1/weight", H, F, 0);
    add_tensor(layout, "output/dense1/bias", H, 1, 1);
    add_tensor(layout, "output/dense2/weight", 1, H, 0);
    add_tensor(layout, "output/dense2/bias", 1, 1, 1);
    return DC_OK;
}

int dc_schnet_layout_find(const dc_schnet_layout *layout, const char *name)
{
    for (int i = 0; i < layout->n_tensors; i++)
        if (strcmp(layout->tensors[i].name, name) == 0) return i;
    return -1;
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
