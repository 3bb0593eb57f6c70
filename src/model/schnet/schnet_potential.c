/* A kept SchNet model as a potential (dc_potential_ops, model.h): the shape from the results
 * file's spec, a layout that must be the file's tensor by tensor, and the float engine the run
 * trained on, over batches of WINDOW frames. */
#include <stdlib.h>
#include <string.h>

#include "dcsweep/model/batch.h"
#include "dcsweep/model/schnet.h"

#define WINDOW 100  /* frames per prediction batch */

typedef struct schnet_potential {
    dc_schnet_shape shape;
    dc_schnet_layout layout;
    dc_schnet *engine;           /* sized for the largest batch so far */
    int max_mol, max_atoms;
    int64_t max_edges;
    dc_batch_buf buf;
    double *energy, *forces;     /* [max_mol], [max_atoms][3] scaled predictions of one batch */
} schnet_potential;

static void potential_close(void *impl)
{
    schnet_potential *p = impl;
    if (!p) return;
    dc_schnet_destroy(p->engine);
    dc_schnet_batch_buf_free(&p->buf);
    free(p->energy);
    free(p->forces);
    free(p);
}

static int spec_value(const dc_model_spec *spec, const char *name, double *out, dc_error *err)
{
    for (int k = 0; k < spec->n; k++)
        if (strcmp(spec->names[k], name) == 0) {
            *out = spec->values[k];
            return DC_OK;
        }
    return dc_error_set(err, DC_ERR_INPUT, "the kept model has no %s", name);
}

static int potential_open(void **out, const dc_model_spec *spec, const dc_tensor *tensors, int n_tensors,
                          int64_t n_params, dc_error *err)
{
    int rc = DC_OK;
    schnet_potential *p = NULL;
    *out = NULL;
    DC_ALLOC(p, 1);
    double v[5];
    const char *names[5] = {"features", "filters", "interactions", "gaussians", "cutoff"};
    for (int k = 0; k < 5; k++) DC_TRY(spec_value(spec, names[k], &v[k], err));
    p->shape = (dc_schnet_shape){.n_types = spec->n_elements, .features = (int)v[0], .filters = (int)v[1],
                                 .interactions = (int)v[2], .gaussians = (int)v[3], .cutoff = v[4]};
    DC_TRY(dc_schnet_layout_init(&p->layout, &p->shape, err));
    int same = n_tensors == p->layout.n_tensors && n_params == p->layout.n_params;
    for (int t = 0; same && t < n_tensors; t++) {
        const dc_tensor *a = &tensors[t], *b = &p->layout.tensors[t];
        same = strcmp(a->name, b->name) == 0 && a->offset == b->offset && a->rows == b->rows && a->cols == b->cols;
    }
    if (!same) DC_FAIL(DC_ERR_INPUT, "the kept model's layout is not this dcsweep's SchNet");
    *out = p;
    p = NULL;
cleanup:
    potential_close(p);
    return rc;
}

static double potential_cutoff(const void *impl) { return ((const schnet_potential *)impl)->shape.cutoff; }

/* An engine and buffers for batches up to these sizes (a larger batch replaces them). */
static int ensure_engine(schnet_potential *p, int mol, int atoms, int64_t edges, dc_error *err)
{
    int rc = DC_OK;
    if (p->engine && mol <= p->max_mol && atoms <= p->max_atoms && edges <= p->max_edges) return DC_OK;
    dc_schnet_destroy(p->engine);
    dc_schnet_batch_buf_free(&p->buf);
    free(p->energy);
    free(p->forces);
    p->engine = NULL;
    p->energy = p->forces = NULL;
    p->max_mol = mol > p->max_mol ? mol : p->max_mol;
    p->max_atoms = atoms > p->max_atoms ? atoms : p->max_atoms;
    p->max_edges = edges > p->max_edges ? edges : p->max_edges;
    if (p->max_edges < 1) p->max_edges = 1;
    DC_TRY(dc_schnet_create(&p->engine, &p->shape, p->max_mol, p->max_atoms, p->max_edges, err));
    DC_TRY(dc_schnet_batch_buf_init(&p->buf, p->max_mol, p->max_atoms, p->max_edges, err));
    DC_ALLOC(p->energy, p->max_mol);
    DC_ALLOC(p->forces, 3 * (int64_t)p->max_atoms);
cleanup:
    return rc;
}

static int potential_predict(void *impl, const dc_activation *act, const float *params, const dc_dataset *view,
                             double *energy, double *forces, dc_error *err)
{
    int rc = DC_OK;
    schnet_potential *p = impl;
    int *frames = NULL;
    dc_neighbors nb = {0};
    DC_TRY(dc_neighbors_build(&nb, view, p->shape.cutoff, err));
    int atoms = 0;
    int64_t edges = 0;
    DC_TRY(dc_schnet_batch_limits(view, &nb, WINDOW, &atoms, &edges, err));
    DC_TRY(ensure_engine(p, WINDOW, atoms > 0 ? atoms : 1, edges, err));
    DC_ALLOC(frames, WINDOW);
    for (int start = 0; start < view->n_frames; start += WINDOW) {
        int n = view->n_frames - start < WINDOW ? view->n_frames - start : WINDOW;
        for (int k = 0; k < n; k++) frames[k] = start + k;
        dc_batch batch;
        DC_TRY(dc_schnet_batch_assemble(&batch, &p->buf, view, &nb, frames, n, NULL, err));
        DC_TRY(dc_schnet_predict(p->engine, act, params, &batch, p->energy, p->forces, err));
        memcpy(energy + start, p->energy, (size_t)n * sizeof *energy);
        memcpy(forces + 3 * view->frame_start[start], p->forces, 3 * (size_t)batch.n_atoms * sizeof *forces);
    }
cleanup:
    dc_neighbors_free(&nb);
    free(frames);
    return rc;
}

const dc_potential_ops dc_schnet_potential_ops = {
    .open = potential_open,
    .close = potential_close,
    .cutoff = potential_cutoff,
    .predict = potential_predict,
};
