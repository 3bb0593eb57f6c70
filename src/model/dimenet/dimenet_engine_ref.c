/* A stand-in for DimeNet++'s float engine (dimenet_engine.h) on the double reference: the same
 * function, slow (the schedule is built per batch), for the family's glue until the float engine
 * replaces it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/model/dimenet_engine.h"

struct dc_dimenet {
    const dc_dimenet_layout *layout;
    double *params;   /* [n_params] the float parameters widened */
    double *grad;     /* [n_params] */
};

int dc_dimenet_create(dc_dimenet **engine, const dc_dimenet_layout *layout, int max_mol, int max_atoms,
                      int64_t max_edges, int64_t max_triplets, dc_error *err)
{
    int rc = DC_OK;
    dc_dimenet *e = NULL;
    (void)max_mol, (void)max_atoms, (void)max_edges, (void)max_triplets;
    DC_ALLOC(e, 1);
    e->layout = layout;
    DC_ALLOC(e->params, layout->n_params);
    DC_ALLOC(e->grad, layout->n_params);
    *engine = e;
    e = NULL;
cleanup:
    dc_dimenet_destroy(e);
    return rc;
}

void dc_dimenet_destroy(dc_dimenet *e)
{
    if (!e) return;
    free(e->params);
    free(e->grad);
    free(e);
}

int dc_dimenet_predict(dc_dimenet *e, const dc_activation *act, const float *params,
                       const dc_dimenet_batch *b, double *energy, double *forces, dc_error *err)
{
    dc_dimenet_ref net;
    for (int64_t k = 0; k < e->layout->n_params; k++) e->params[k] = params[k];
    int rc = dc_dimenet_ref_init(&net, e->layout, act, b->graph, b->z, err);
    if (rc != DC_OK) return rc;
    dc_dimenet_ref_energy_forces(&net, e->params, b->pos, energy, forces);
    dc_dimenet_ref_free(&net);
    return DC_OK;
}

int dc_dimenet_loss_grad(dc_dimenet *e, const dc_activation *act, const float *params,
                         const dc_dimenet_batch *b, const dc_dimenet_loss *loss, double *energy,
                         double *forces, float *grad, dc_dimenet_loss_value *value, dc_error *err)
{
    int rc = DC_OK;
    dc_dimenet_ref net = {0};
    double *E = NULL, *F = NULL, total = 0.0;
    const int n_mol = b->graph->n_mol, n_atoms = b->graph->n_atoms;
    DC_ALLOC(E, n_mol > 0 ? n_mol : 1);
    DC_ALLOC(F, 3 * (int64_t)(n_atoms > 0 ? n_atoms : 1));
    for (int64_t k = 0; k < e->layout->n_params; k++) e->params[k] = params[k];
    DC_TRY(dc_dimenet_ref_init(&net, e->layout, act, b->graph, b->z, err));
    dc_dimenet_ref_loss(&net, e->params, b->pos, loss, b->energy_target, b->force_target, E, F, &total, e->grad);
    for (int64_t k = 0; k < e->layout->n_params; k++) grad[k] = (float)e->grad[k];
    double se = 0.0, sf = 0.0;
    for (int m = 0; m < n_mol; m++) {
        double d = E[m] - b->energy_target[m];
        se += loss->kind == DC_LOSS_L1 ? fabs(d) : d * d;
    }
    for (int64_t k = 0; k < 3 * (int64_t)n_atoms; k++) {
        double d = F[k] - b->force_target[k];
        sf += loss->kind == DC_LOSS_L1 ? fabs(d) : d * d;
    }
    if (value) {
        value->energy_loss = n_mol > 0 ? se / n_mol : 0.0;
        value->force_loss = n_atoms > 0 ? sf / (3.0 * n_atoms) : 0.0;
        value->total = total;
    }
    if (energy) memcpy(energy, E, (size_t)n_mol * sizeof *energy);
    if (forces) memcpy(forces, F, 3 * (size_t)n_atoms * sizeof *forces);
cleanup:
    dc_dimenet_ref_free(&net);
    free(E);
    free(F);
    return rc;
}

double dc_dimenet_step_flops(const dc_dimenet_shape *shape, int n_mol, int n_atoms, int64_t n_edges,
                             int64_t n_triplets)
{
    (void)shape, (void)n_mol, (void)n_atoms, (void)n_edges, (void)n_triplets;
    return 0.0;
}
