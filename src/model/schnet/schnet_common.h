/* Private: what the double reference and the float engine share about a batch, so that both
 * accept exactly the same batches and start from the same numbers: the one batch check (which
 * also finds the unordered atom pairs of the edge list), the Gaussian centres, the geometry of an
 * atom pair (all in double). Both carve their workspaces from the kit's arena (dc_arena.h). */
#ifndef DCSWEEP_SCHNET_COMMON_H
#define DCSWEEP_SCHNET_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "dc_arena.h"
#include "dcsweep/model/schnet.h"

/* Typed views of SchNet's parameters (or of a gradient) in the flat buffer (dc_layout.h); weights
 * (out, in), row-major. Filled in layout order by schnet_layout.c's one description. */
typedef struct dc_schnet_block_params {
    float *w1;    /* [nf][G]  filter1/weight */
    float *b1;    /* [nf]     filter1/bias */
    float *w2;    /* [nf][nf] filter2/weight */
    float *b2;    /* [nf]     filter2/bias */
    float *w_in;  /* [nf][F]  cfconv_in/weight (no bias) */
    float *w_out; /* [F][nf]  cfconv_out/weight */
    float *b_out; /* [F]      cfconv_out/bias */
    float *w_d;   /* [F][F]   dense/weight */
    float *b_d;   /* [F]      dense/bias */
} dc_schnet_block_params;

typedef struct dc_schnet_params {
    float *embedding;                                  /* [n_types][F] */
    dc_schnet_block_params block[DC_MAX_INTERACTIONS]; /* the first T: interaction t */
    float *wo1;                                        /* [H][F] output/dense1/weight */
    float *bo1;                                        /* [H]    output/dense1/bias */
    float *wo2;                                        /* [1][H] output/dense2/weight */
    float *bo2;                                        /* [1]    output/dense2/bias */
} dc_schnet_params;

/* Points v into buffer [n_params] (parameters or a gradient) for a checked shape (one that
 * dc_schnet_layout_init accepts). A view of a const buffer is for reading only. */
void dc_schnet_params_view(dc_schnet_params *v, const dc_schnet_shape *shape, float *buffer);

/* The unordered atom pairs {a, b}, a < b, of an edge list that holds both directions of every
 * pair (docs/model.md: every ordered pair closer than the cutoff). Pair p stands for its edges b -> a
 * (destination a) and a -> b (destination b); pairs are numbered in the list order of their edge
 * b -> a, so ascending in (a, b) for edges sorted by destination and source. */
typedef struct dc_pairs {
    int64_t n;           /* P = n_edges / 2 */
    int *a, *b;          /* [P] the pair's atoms, a < b */
    int64_t *of_edge;    /* [E] the pair of each edge */
    int64_t *row_start;  /* [n_atoms + 1] atom i's incoming edges are row_start[i] .. [i + 1] - 1 */
    int64_t *by_b_start; /* [n_atoms + 1] scratch of the check: pairs grouped by their atom b */
    int64_t *by_b;       /* [E] scratch */
    int64_t *slot;       /* [n_atoms] scratch */
} dc_pairs;

/* Takes the arrays for batches of up to max_atoms atoms and max_edges edges. */
void dc_schnet_pairs_carve(dc_pairs *pairs, dc_arena *arena, int max_atoms, int64_t max_edges);

/* The one check of a batch, for both engines (DC_ERR_INPUT with the first offence): counts not
 * negative; types in range; molecule indices in range and non-decreasing; every edge between two
 * different atoms of one molecule; edges grouped by destination, ascending; and every edge
 * j -> i has exactly one reverse i -> j (no duplicates). Fills pairs (carved for at least this
 * batch's sizes). Geometry (coinciding atoms) is checked by dc_schnet_pair_geometry. */
int dc_schnet_check_batch(const dc_schnet_shape *shape, const dc_batch *batch, dc_pairs *pairs,
                          dc_error *err);

/* mu [G] (may be NULL) as torch.linspace(0, cutoff, G) builds it, and gamma = 0.5 / (mu_1 - mu_0)^2. */
void dc_schnet_gaussians(const dc_schnet_shape *shape, double *mu, double *gamma);

/* For k < n, the pair of atoms (a[k], b[k]) of the batch: d = |r_a - r_b| [n], u = (r_a - r_b) / d
 * [n][3] (the unit vector of the edge b -> a), the cosine cutoff fc [n] and dfc = dfc/dd [n]; any
 * output may be NULL. DC_ERR_INPUT on an index out of range or two atoms at the same place. */
int dc_schnet_pair_geometry(const dc_schnet_shape *shape, const dc_batch *batch, const int *a,
                            const int *b, int64_t n, double *d, double *u, double *fc, double *dfc,
                            dc_error *err);

#endif
