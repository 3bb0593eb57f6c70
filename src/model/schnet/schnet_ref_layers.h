/* The double-precision reference SchNet as a static schedule of the kit's ops
 * (src/model/kit/dc_op.h), built once per batch (internal to src/model/schnet/schnet_ref*.c).
 * Every rule lives in an op; the passes are the kit's energy driver. */
#ifndef DCSWEEP_SCHNET_REF_LAYERS_H
#define DCSWEEP_SCHNET_REF_LAYERS_H

#include "dc_op.h"
#include "dcsweep/model/schnet.h"

typedef struct dc_schnet_ref_net {
    dc_sched sched;
    int pos;    /* buffer id: positions [N][3]; plane 1 is the force seed g */
    int energy; /* buffer id: energies [B][1] */
} dc_schnet_ref_net;

/* Builds and allocates the schedule of docs/model.md for this batch (its index arrays are
 * borrowed: the batch outlives the schedule) with jets of order K:
 *   d_ij = |r_i - r_j| (gather, gather, add, mul, row sum, sqrt),
 *   h = embed(types); per block: W = pair_filter(d) = (dense, act, dense)(rbf(d)) fc(d) (a custom
 *     op: hand-written rules in the length d, as the float engine's forward), x = h CIW^T,
 *     m_i = sum over edges (j -> i) of W_ij * x_j (gather, mul, scatter-add),
 *     h = h + dense(act(dense(m)))
 *   e = dense(act(dense(h))), E_b = sum over the atoms of molecule b (scatter-add). */
int dc_schnet_ref_build(dc_schnet_ref_net *net, const dc_schnet_shape *shape,
                        const dc_activation *act, const dc_schnet_layout *layout,
                        const dc_batch *batch, int K, dc_error *err);

#endif
