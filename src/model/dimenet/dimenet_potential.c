/* A kept DimeNet++ model as a potential (dc_potential_ops, model.h): the shape from the results
 * file's spec, a layout that must be the file's tensor by tensor (PyG's names), and the engine
 * the run trained on, over windows of WINDOW frames. */
#include <stdlib.h>
#include <string.h>

#include "dimenet_data.h"

#define WINDOW 100  /* frames per prediction batch */

typedef struct dimenet_potential {
    dc_dimenet_layout layout;
    dc_dimenet *engine;          /* sized for the largest window so far */
    dc_dimenet_limits lim;
    dc_dimenet_batch_buf buf;
    double *energy, *forces;     /* [lim.mol], [lim.atoms][3] scaled predictions of one window */
} dimenet_potential;

static void potential_close(void *impl)
{
    dimenet_potential *p = impl;
    if (!p) return;
    dc_dimenet_destroy(p->engine);
    dc_dimenet_batch_buf_free(&p->buf);
    dc_dimenet_layout_free(&p->layout);
    free(p->energy);
    free(p->forces);
    free(p);
}

static int spec_int(const dc_model_spec *spec, const char *name, double *out, dc_error *err)
{
    for (int k = 0; k < spec->n; k++)
        if (strcmp(spec->names[k], name) == 0) {
            *out = spec->values[k];
            return DC_OK;
        }
    return dc_error_set(err, DC_ERR_INPUT, "the kept DimeNet++ model has no %s", name);
}

static int potential_open(void **out, const dc_model_spec *spec, const dc_tensor *tensors, int n_tensors,
                          int64_t n_params, dc_error *err)
{
    int rc = DC_OK;
    dimenet_potential *p = NULL;
    *out = NULL;
    DC_ALLOC(p, 1);
    const char *names[12] = {"hidden", "out_emb", "int_emb", "basis_emb", "num_spherical", "num_radial", "cutoff",
                             "envelope_exponent", "blocks", "before_skip", "after_skip", "output_layers"};
    double v[12];
    for (int k = 0; k < 12; k++) DC_TRY(spec_int(spec, names[k], &v[k], err));
    const dc_dimenet_shape shape = {.hidden = (int)v[0], .out_emb = (int)v[1], .int_emb = (int)v[2],
                                    .basis_emb = (int)v[3], .num_spherical = (int)v[4], .num_radial = (int)v[5],
                                    .cutoff = v[6], .envelope_exponent = (int)v[7], .num_blocks = (int)v[8],
                                    .num_before_skip = (int)v[9], .num_after_skip = (int)v[10],
                                    .num_output_layers = (int)v[11]};
    DC_TRY(dc_dimenet_layout_init(&p->layout, &shape, err));
    int same = n_tensors == p->layout.n_tensors && n_params == p->layout.n_params;
    for (int t = 0; same && t < n_tensors; t++) {
        const dc_tensor *a = &tensors[t];
        const dc_dimenet_tensor *b = &p->layout.tensors[t];
        same = strcmp(a->name, b->name) == 0 && a->offset == b->offset && a->rows == b->dims[0] &&
               a->cols == (b->ndim == 2 ? b->dims[1] : 1);
    }
    if (!same) DC_FAIL(DC_ERR_INPUT, "the kept model's layout is not this dcsweep's DimeNet++");
    *out = p;
    p = NULL;
cleanup:
    potential_close(p);
    return rc;
}

static double potential_cutoff(const void *impl) { return ((const dimenet_potential *)impl)->layout.shape.cutoff; }

/* An engine and buffers for windows up to lim (a larger window replaces them). */
static int ensure_engine(dimenet_potential *p, const dc_dimenet_limits *need, dc_error *err)
{
    int rc = DC_OK;
    if (p->engine && need->mol <= p->lim.mol && need->atoms <= p->lim.atoms && need->edges <= p->lim.edges &&
        need->triplets <= p->lim.triplets)
        return DC_OK;
    dc_dimenet_destroy(p->engine);
    dc_dimenet_batch_buf_free(&p->buf);
    free(p->energy);
    free(p->forces);
    p->engine = NULL;
    p->energy = p->forces = NULL;
    dc_dimenet_limits_max(&p->lim, need);
    DC_TRY(dc_dimenet_create(&p->engine, &p->layout, p->lim.mol, p->lim.atoms, p->lim.edges, p->lim.triplets, err));
    DC_TRY(dc_dimenet_batch_buf_init(&p->buf, &p->lim, err));
    DC_ALLOC(p->energy, p->lim.mol > 0 ? p->lim.mol : 1);
    DC_ALLOC(p->forces, 3 * (int64_t)(p->lim.atoms > 0 ? p->lim.atoms : 1));
cleanup:
    return rc;
}

static int potential_predict(void *impl, const dc_activation *act, const float *params, const dc_dataset *view,
                             double *energy, double *forces, dc_error *err)
{
    int rc = DC_OK;
    dimenet_potential *p = impl;
    int *frames = NULL;
    dc_dimenet_split split = {0};
    dc_dimenet_limits need;
    DC_TRY(dc_dimenet_split_build(&split, view, p->layout.shape.cutoff, err));
    DC_TRY(dc_dimenet_split_limits(&split, WINDOW, &need, err));
    DC_TRY(ensure_engine(p, &need, err));
    DC_ALLOC(frames, WINDOW);
    for (int start = 0; start < view->n_frames; start += WINDOW) {
        const int n = view->n_frames - start < WINDOW ? view->n_frames - start : WINDOW;
        for (int k = 0; k < n; k++) frames[k] = start + k;
        dc_dimenet_batch batch;
        DC_TRY(dc_dimenet_batch_assemble(&batch, &p->buf, &split, frames, n, NULL, err));
        DC_TRY(dc_dimenet_predict(p->engine, act, params, &batch, p->energy, p->forces, err));
        memcpy(energy + start, p->energy, (size_t)n * sizeof *energy);
        memcpy(forces + 3 * view->frame_start[start], p->forces, 3 * (size_t)batch.graph->n_atoms * sizeof *forces);
    }
cleanup:
    dc_dimenet_split_free(&split);
    free(frames);
    return rc;
}

const dc_potential_ops dc_dimenet_potential_ops = {
    .open = potential_open,
    .close = potential_close,
    .cutoff = potential_cutoff,
    .predict = potential_predict,
};
