/* The double-precision reference SchNet: energies, forces and the exact loss gradient.
 *
 * The model is a static schedule of the kit's ops (schnet_ref_layers.c) and the four passes of
 * docs/model.md "Loss and its gradient" are the kit's energy driver (src/model/kit/dc_op.h):
 * (1) forward, (2) reverse of E down to the positions for the forces, (3) tangent forward along
 * the force seed g, (4) reverse of S = sum_b w_b E_b - D_g E, whose tangent adjoints are the
 * force adjoints of pass 2, negated. Every intermediate is kept (this is a yardstick, not a fast
 * path). */
#include <stdlib.h>
#include <string.h>

#include "dcsweep/model/schnet.h"
#include "schnet_common.h"
#include "schnet_ref_layers.h"

int dc_schnet_ref_eval(const dc_schnet_shape *shape, const dc_activation *act, const double *params,
                       const dc_batch *batch, const dc_loss_spec *loss, double *energy,
                       double *forces, double *grad, dc_loss_value *loss_value, dc_error *err)
{
    int rc = DC_OK;
    double *own = NULL;   /* [B] energies, [N][3] forces, [B] w, [N][3] g */
    dc_arena check = {0}; /* the batch check's arrays (the pairs go unused here) */
    dc_pairs pairs;
    dc_schnet_layout layout;
    dc_schnet_ref_net net;
    memset(&net, 0, sizeof net);
    const int have_targets = loss && batch->energy_target && batch->force_target;
    if (grad && !have_targets)
        DC_FAIL(DC_ERR_INPUT,
                "dc_schnet_ref_eval: a gradient needs a loss and the batch's targets");
    DC_TRY(dc_schnet_layout_init(&layout, shape, err));
    dc_schnet_pairs_carve(&pairs, &check, batch->n_atoms, batch->n_edges);
    DC_TRY(dc_arena_alloc(&check, err));
    dc_schnet_pairs_carve(&pairs, &check, batch->n_atoms, batch->n_edges);
    DC_TRY(dc_schnet_check_batch(shape, batch, &pairs, err));
    /* the geometry check (coinciding atoms) with the engine's messages; the ops compute d */
    DC_TRY(dc_schnet_edge_geometry(shape, batch, NULL, NULL, NULL, NULL, NULL, NULL, err));
    DC_TRY(dc_schnet_ref_build(&net, shape, act, &layout, batch, 1, err));
    const int B = batch->n_mol, N = batch->n_atoms;
    DC_ALLOC(own, 2 * (int64_t)B + 6 * (int64_t)N + 1);
    double *E_ = energy ? energy : own;                 /* [B] */
    double *F_ = forces ? forces : own + B;             /* [N][3] */
    double *w = own + B + 3 * (int64_t)N;               /* [B] */
    double *g = own + 2 * (int64_t)B + 3 * (int64_t)N;  /* [N][3] */

    dc_energy_forces(&net.sched, net.pos, net.energy, params, batch->pos, E_, F_);
    if (have_targets) dc_schnet_loss_seeds(loss, batch, E_, F_, w, g, loss_value);
    if (grad) {
        memset(grad, 0, (size_t)layout.n_params * sizeof *grad);
        dc_energy_grad(&net.sched, net.pos, net.energy, params, w, g, grad);
    }
cleanup:
    dc_sched_free(&net.sched);
    free(own);
    dc_arena_free(&check);
    return rc;
}
