/* Private: the float engine's state, shared by schnet_engine.c (create, forward, predict) and
 * schnet_engine_grad.c (force pass, tangent pass, reverse of S, loss_grad).
 *
 * Naming: per batch n atoms, P atom pairs (half the edges: the filter network runs once per pair),
 * B molecules; F features, nf filters, G Gaussians, H = F/2. "Stacked" arrays are
 * [2 * rows][cols]: primal rows first, then the tangent rows (at row n or P of the current batch,
 * not of the limit), so that one matmul serves both (docs/model.md ("Loss and its gradient")): TAN(a, rows, cols) is the
 * tangent half. The atoms' adjoint arrays ("bar") are stacked too: the force pass (the reverse of
 * -E) writes their tangent halves, because the tangent adjoints of the reverse of S are exactly
 * those (x'bar = dS/dx' = -dE/dx: below x', E' is the linearisation of E), and the reverse of S
 * then computes only the primal halves.
 *
 * The filter network depends on the geometry only through the pair length d, so its tangent is
 * d' times its derivative in d: s1' = d' q with q = ds1 Pm, f' = d' fd with fd = q W2^T. q and fd
 * do not depend on the displacement, so the forward computes them (fd in filter2's second
 * product), the force pass takes dE/dd from fd without a matmul, and the tangent pass has no
 * filter work left; the filter's stacked arrays hold [primal; d-derivative] and the reverse of S
 * computes both halves of their adjoints. */
#ifndef DCSWEEP_SCHNET_ENGINE_H
#define DCSWEEP_SCHNET_ENGINE_H

#include "dc_dense_f32.h"
#include "dcsweep/model/schnet.h"
#include "dnnl_util.h"
#include "schnet_common.h"
#include "schnet_kernels.h"

#define TAN(a, rows, cols) ((a) + (int64_t)(rows) * (cols))

/* Arrays of one interaction block kept from pass to pass. */
typedef struct dc_block_ws {
    float *ap;   /* [2P][nf]  [rbf; drbf] W1^T in one product: a1 before its bias, then Pm */
    float *Pm;   /* [P][nf]   = TAN(ap, P, nf), drbf W1^T: filter1's derivative in d (a1' = d' Pm) */
    float *ds1;  /* [P][nf]   act_filter'(a1) */
    float *s1;   /* [2P][nf]  [act_filter(a1); q = ds1 Pm], q = d s1 / dd */
    float *f;    /* [2P][nf]  [filter2 output before the cutoff (W = f fc); fd = q W2^T = df/dd] */
    float *h;    /* [2n][F]   the block's input h (and h'), stacked */
    float *x;    /* [2n][nf]  cfconv_in output, stacked */
    float *m;    /* [2n][nf]  cfconv sum, stacked */
    float *dc;   /* [n][F]    act_inter'(c) */
    float *ct;   /* [n][F]    c' */
    float *s2;   /* [2n][F]   act_inter(c), stacked */
    /* adjoints, stacked: for atoms, tangent halves from the force pass, primal halves from the
     * reverse (the filter's adjoints, gf and gs1, live only within a block's reverse step) */
    float *gh;   /* [2n][F]   of the block's output h + v */
    float *gs2;  /* [2n][F]   of s2, then (in place) of c */
    float *gm;   /* [2n][nf]  of m */
    float *gx;   /* [2n][nf]  of x */
} dc_block_ws;

struct dc_schnet {
    dc_schnet_shape shape;
    dc_schnet_layout layout;
    int max_mol, max_atoms;
    int64_t max_edges;
    int F, nf, G, H, T;
    dc_dnnl ctx;

    double flops_done;                   /* matmul FLOPs of every call so far */
    /* the dense layers (the kit's, dc_dense_f32.h); Wbar += ybar^T x everywhere */
    dc_dense_f32 f1;                     /* filter1: G -> nf on [rbf; drbf] (no input adjoint) */
    dc_dense_f32 f2;                     /* filter2: nf -> nf, on pairs; fwd on [s1; q] (2P rows,
                                          * no bias: b2 goes on f's rows after); tan unused */
    dc_dense_f32 cin;                    /* cfconv_in: F -> nf (fwd without bias, bwd adds) */
    dc_dense_f32 cout;                   /* cfconv_out: nf -> F */
    dc_dense_f32 dense;                  /* dense: F -> F, fwd/tan add into h (residual) */
    dc_dense_f32 out1;                   /* output1: F -> H */

    dc_arena arena;                              /* every array below is a slice of it */
    /* per batch */
    dc_pairs pairs;                              /* the batch check's: rows, pairs of the edges */
    double *mu, gamma;                           /* Gaussian centres [G] and width */
    double *gd, *gu;                             /* [P] pair length, [P][3] unit vector (double) */
    double *gfc, *gfcd;                          /* [P] cutoff and its derivative (double) */
    float *rbf2;                                 /* [2P][G] rbf, then drbf (stacked for W1bar) */
    float *fc, *fcd;                             /* [P] cutoff and its derivative in d */
    float *dt, *fdc, *fct, *dbar;                /* [P] d', fc d', fc' d', d(-E)/dd */
    dc_block_ws blk[DC_MAX_INTERACTIONS];
    /* the filter's adjoints, within one block's reverse step (one pair of arrays for all blocks:
     * a smaller working set) */
    float *gf;                                   /* [2P][nf] of [f; fd] */
    float *gs1;                                  /* [2P][nf] of [s1; q], then of [a1; Pm] */
    float *hT;                                   /* [2n][F] final h, stacked */
    float *do1, *o1t;                            /* [n][H] act_out'(o1), o1' */
    float *s3;                                   /* [2n][H] act_out(o1), stacked */
    float *go;                                   /* [2n][H] adjoint of s3, then of o1, stacked */
    float *sc;                                   /* [n][F] scratch: c, the force pass's cbar */
    float *ghe;                                  /* [n][F] adjoint of the embedding rows */
    double *forces, *g, *wmol, *energy;          /* [n][3], [n][3], [B], [B] */
};

/* Checks the batch against the limits and its invariants, fills the per-batch edge arrays. */
int dc_schnet_engine_prepare(dc_schnet *s, const dc_batch *batch, dc_error *err);
/* Pass 1: forward of every primal value, and the filter's derivatives q and fd that the passes
 * after it need; energy [B] (double sums). An energy-only prediction computes fd too: the
 * filter2 product on [s1; q] gives f other bits than one on s1 alone (the gemm's blocking
 * depends on the row count), and a model's energies must not depend on whether forces were asked
 * for. */
int dc_schnet_engine_forward(dc_schnet *s, const dc_schnet_act act[3], const dc_schnet_params *p,
                             const dc_batch *batch, double *energy, dc_error *err);
/* Pass 2: reverse of -E down to the pair lengths; forces [n][3]; fills the atoms' adjoints'
 * tangent halves for pass 4. */
int dc_schnet_engine_forces(dc_schnet *s, const dc_schnet_params *p, const dc_batch *batch,
                            double *forces, dc_error *err);
/* The three activation sites of an extent. */
void dc_schnet_engine_acts(const dc_activation *a, dc_schnet_act act[3]);

#endif
