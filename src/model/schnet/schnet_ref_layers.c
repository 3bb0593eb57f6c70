/* The schedule of the double-precision reference SchNet (schnet_ref_layers.h). Its rules are the
 * kit's ops; docs/model.md, "Loss and its gradient", gives them layer by layer. */
#include <stdio.h>
#include <stdlib.h>

#include "schnet_common.h"
#include "schnet_ref_layers.h"

/* Order of an interaction block's tensors in the layout (schnet_layout.c). */
enum { F1W, F1B, F2W, F2B, CIW, COW, COB, DW, DB, N_BLOCK_TENSORS };
/* Order of the output block's tensors, after the last interaction block. */
enum { O1W, O1B, O2W, O2B };

/* The parameter view of layout tensor t. */
static int tensor(dc_sched *s, const dc_schnet_layout *layout, int t)
{
    const dc_tensor *ten = &layout->tensors[t];
    return dc_sched_param(s, ten->name, ten->offset, ten->rows, (int)ten->cols);
}

static dc_act site_act(const dc_activation *act, int site)
{
    return dc_schnet_activation_is_irelu(act, site) ? (dc_act){.kind = DC_ACT_IRELU, .c = act->irelu_scale}
                                             : (dc_act){.kind = DC_ACT_SSP};
}

/* The Gaussians' centres [G] and width, and the cutoff: the pair filter's own data. */
typedef struct pair_basis {
    const double *mu;
    int G;
    double gamma, rc;
} pair_basis;

/* One interaction block t on h [N][F]; returns the block's output h + v. The filter
 * W = (dense, act, dense)(rbf(d)) fc(d) is one custom op of d (DC_OP_PAIR_FILTER), as the float
 * engine computes it with its derivative in d. */
static int interaction(dc_sched *s, const dc_schnet_layout *layout, const dc_activation *act,
                       const dc_batch *b, int t, int h, int d, const pair_basis *pb)
{
    const int base = 1 + N_BLOCK_TENSORS * t;
    int p[N_BLOCK_TENSORS];
    for (int k = 0; k < N_BLOCK_TENSORS; k++) p[k] = tensor(s, layout, base + k);
    const int64_t E = b->n_edges;
    int wf = dc_sched_pair_filter(s, "filter", d, pb->mu, pb->G, pb->gamma, pb->rc, p[F1W], p[F1B],
                                  p[F2W], p[F2B], site_act(act, 0));
    int x = dc_sched_dense(s, "cfconv_in", h, p[CIW], -1);
    int xj = dc_sched_gather(s, "x_src", x, b->src, E);
    int msg = dc_sched_mul(s, "message", wf, xj);
    int m = dc_sched_scatter_add(s, "m", msg, b->dst, b->n_atoms);
    int a2 = dc_sched_dense(s, "cfconv_out", m, p[COW], p[COB]);
    int s2 = dc_sched_act(s, "inter_act", a2, site_act(act, 1));
    int v = dc_sched_dense(s, "dense", s2, p[DW], p[DB]);
    return dc_sched_add(s, "h", h, 1.0, v, 1.0);
}

int dc_schnet_ref_build(dc_schnet_ref_net *net, const dc_schnet_shape *shape,
                        const dc_activation *act, const dc_schnet_layout *layout,
                        const dc_batch *batch, int K, dc_error *err)
{
    int rc = DC_OK;
    double *mu = NULL, gamma;
    dc_sched *s = &net->sched;
    dc_sched_init(s, K);
    DC_ALLOC(mu, shape->gaussians);
    dc_schnet_gaussians(shape, mu, &gamma);
    const int64_t E = batch->n_edges;
    const int T = shape->interactions;
    net->pos = dc_sched_input(s, "pos", batch->n_atoms, 3);
    int ri = dc_sched_gather(s, "r_dst", net->pos, batch->dst, E);
    int rj = dc_sched_gather(s, "r_src", net->pos, batch->src, E);
    int diff = dc_sched_add(s, "r_i-r_j", ri, 1.0, rj, -1.0);
    int sq = dc_sched_mul(s, "diff^2", diff, diff);
    int d = dc_sched_sqrt(s, "d", dc_sched_row_sum(s, "d^2", sq));
    const pair_basis pb = {.mu = mu, .G = shape->gaussians, .gamma = gamma, .rc = shape->cutoff};
    int h = dc_sched_embed(s, "embedding", tensor(s, layout, 0), batch->types, batch->n_atoms);
    for (int t = 0; t < T; t++) h = interaction(s, layout, act, batch, t, h, d, &pb);
    const int out = 1 + N_BLOCK_TENSORS * T;
    int a3 = dc_sched_dense(s, "out1", h, tensor(s, layout, out + O1W), tensor(s, layout, out + O1B));
    int s3 = dc_sched_act(s, "out_act", a3, site_act(act, 2));
    int e = dc_sched_dense(s, "atom_energy", s3, tensor(s, layout, out + O2W),
                           tensor(s, layout, out + O2B));
    net->energy = dc_sched_scatter_add(s, "energy", e, batch->mol, batch->n_mol);
    DC_TRY(dc_sched_alloc(s, err));
cleanup:
    free(mu);
    return rc;
}
