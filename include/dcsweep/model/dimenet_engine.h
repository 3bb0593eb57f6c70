/* The float32 DimeNet++ engine (../shared/spec/DIMENET.md): energies, forces = -dE/dr and the exact
 * gradient of the force-training loss (docs/model.md "Loss and its gradient"), with every dense
 * layer a oneDNN matmul over stacked jet rows (the kit's dc_dense_f32) and the batched sparse parts
 * (gathers by edge and triplet index, scatter-adds, the triplet products) as the engine's own
 * serial loops, so the same inputs give the same bits. The bases and the geometry (distances,
 * angles, rbf and sbf with their position derivatives) are computed in double through the kit's
 * ops and rounded once. Params are float32 in the layout of dimenet.h (dc_dimenet_layout). */
#ifndef DCSWEEP_MODEL_DIMENET_ENGINE_H
#define DCSWEEP_MODEL_DIMENET_ENGINE_H

#include <stdint.h>

#include "dcsweep/model/dimenet.h"

typedef struct dc_dimenet dc_dimenet;

typedef struct dc_dimenet_batch {
    const dc_dimenet_graph *graph;   /* edges and triplets of the batch, batch-local indices */
    const int *z;                    /* [n_atoms] atomic numbers */
    const double *pos;               /* [n_atoms][3] */
    const double *energy_target;     /* [n_mol] scaled labels, or NULL (prediction) */
    const double *force_target;      /* [n_atoms][3] scaled labels, or NULL */
    /* 0, or 1: the last molecule is a ghost, a lone atom without edges (any element: DimeNet++
     * carries elements on edges only, so every lone atom gives the same output), subtracted from
     * every other molecule once per atom (dc_loss.h; docs/model.md, "Isolated atoms") */
    int n_ghost;
} dc_dimenet_batch;

/* As SchNet's dc_loss_value: energy_loss mean_b |dE| or dE^2, force_loss mean_{a,xyz},
 * total = energy_loss + alpha force_loss. */
typedef struct dc_dimenet_loss_value {
    double energy_loss, force_loss, total;
} dc_dimenet_loss_value;

/* limits: the largest batch it will be given (DC_ERR_INPUT beyond them at run time) */
int dc_dimenet_create(dc_dimenet **engine, const dc_dimenet_layout *layout, int max_mol,
                      int max_atoms, int64_t max_edges, int64_t max_triplets, dc_error *err);
void dc_dimenet_destroy(dc_dimenet *engine);
/* energy [n_mol], forces [n_atoms][3], either may be NULL. A batch of more than 2048 edges runs
 * in chunks of consecutive molecules (fixed by the batch: deterministic), so an engine sized for
 * large evaluation batches touches the memory of a chunk only. */
int dc_dimenet_predict(dc_dimenet *engine, const dc_activation *act, const float *params,
                       const dc_dimenet_batch *batch, double *energy, double *forces,
                       dc_error *err);
/* grad [n_params] overwritten (NULL: the loss alone, passes 3 and 4 skipped); energy/forces may
 * be NULL */
int dc_dimenet_loss_grad(dc_dimenet *engine, const dc_activation *act, const float *params,
                         const dc_dimenet_batch *batch, const dc_dimenet_loss *loss,
                         double *energy, double *forces, float *grad,
                         dc_dimenet_loss_value *value, dc_error *err);
/* FLOPs of one loss_grad call's matmuls on a batch of this size (the bench's count). */
double dc_dimenet_step_flops(const dc_dimenet_shape *shape, int n_mol, int n_atoms,
                             int64_t n_edges, int64_t n_triplets);

#define DC_DIMENET_NUMERICS_VERSION 1

#endif
