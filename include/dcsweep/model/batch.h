/* Batch assembly: a dc_batch (schnet.h) from a list of frames of a dataset, with batch-local atom
 * indices, edges from the dataset's neighbour list and optionally the rescaled training targets.
 * The buffers are allocated once, sized for the largest batch, and reused for every batch. */
#ifndef DCSWEEP_BATCH_H
#define DCSWEEP_BATCH_H

#include <stdint.h>

#include "dcsweep/data/dataset.h"
#include "dcsweep/core/error.h"
#include "dcsweep/data/rescale.h"
#include "dcsweep/model/schnet.h"

typedef struct dc_batch_buf {
    int max_mol, max_atoms;
    int64_t max_edges;
    int *types;             /* [max_atoms] */
    int *mol;               /* [max_atoms] */
    double *pos;            /* [max_atoms][3] */
    int *src, *dst;         /* [max_edges] */
    double *energy_target;  /* [max_mol] scaled: (E - shift) / scale */
    double *force_target;   /* [max_atoms][3] scaled: F / scale */
    /* NULL, or [frames of the dataset being assembled] subtracted from each energy before the
     * rescaling: the frame's atomic energies plus its atoms times the per-atom shift (set by the
     * caller per dataset; docs/model.md, "Per-element reference energies") */
    const double *energy_ref;
    /* 0, or every batch ends with this many ghosts, isolated atoms of types 0..n_ghost-1
     * (dc_batch.n_ghost); the limits above must leave room for them */
    int n_ghost;
} dc_batch_buf;

int dc_schnet_batch_buf_init(dc_batch_buf *buf, int max_mol, int max_atoms, int64_t max_edges,
                             dc_error *err);
void dc_schnet_batch_buf_free(dc_batch_buf *buf);

/* batch = frames[0..n) of ds, in that order. rs NULL: no targets (prediction only). Fails
 * (DC_ERR_INTERNAL) if the frames do not fit the buffer's limits. batch points into buf. */
int dc_schnet_batch_assemble(dc_batch *batch, dc_batch_buf *buf, const dc_dataset *ds,
                             const dc_neighbors *nb, const int *frames, int n, const dc_rescale *rs,
                             dc_error *err);

/* The most atoms and edges any n frames of ds can hold together: the sums of the n largest
 * per-frame counts (exact for the worst batch a shuffle can draw). */
int dc_schnet_batch_limits(const dc_dataset *ds, const dc_neighbors *nb, int n, int *max_atoms,
                           int64_t *max_edges, dc_error *err);

#endif
