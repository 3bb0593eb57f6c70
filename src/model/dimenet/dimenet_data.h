/* DimeNet++'s data, private to the family: each split's graph, built once for the sweep (as
 * SchNet's neighbour lists), and batches cut out of it with batch-local indices. */
#ifndef DC_DIMENET_DATA_H
#define DC_DIMENET_DATA_H

#include "dcsweep/data/dataset.h"
#include "dcsweep/data/rescale.h"
#include "dcsweep/model/dimenet_engine.h"

typedef struct dc_dimenet_split {
    const dc_dataset *ds;     /* borrowed */
    dc_dimenet_graph graph;   /* every frame's edges and triplets, indices into ds's atoms */
    int *z;                   /* [ds->n_atoms_total] atomic numbers */
} dc_dimenet_split;

/* The sizes of the largest batch of some frames. */
typedef struct dc_dimenet_limits {
    int mol, atoms;
    int64_t edges, triplets;
} dc_dimenet_limits;

typedef struct dc_dimenet_batch_buf {
    dc_dimenet_limits lim;
    dc_dimenet_graph graph;   /* the batch's, arrays sized by lim */
    int *z;                   /* [lim.atoms] */
    double *pos;              /* [lim.atoms][3] */
    double *energy_target;    /* [lim.mol] scaled */
    double *force_target;     /* [lim.atoms][3] scaled */
    /* NULL, or [frames of the split being assembled] subtracted from each energy before the
     * rescaling (dc_energy_ref: the frame's E0s plus its atoms times the per-atom shift) */
    const double *energy_ref;
    /* 0, or the atomic number of a ghost ending every batch (dc_dimenet_batch.n_ghost); the
     * limits must leave room for its molecule and atom */
    int ghost_z;
} dc_dimenet_batch_buf;

/* Errors name the file and the frame (coincident atoms, non-finite positions). */
int dc_dimenet_split_build(dc_dimenet_split *s, const dc_dataset *ds, double cutoff, dc_error *err);
void dc_dimenet_split_free(dc_dimenet_split *s);
/* The largest batch n frames of the split can make (sums of the n largest counts). */
int dc_dimenet_split_limits(const dc_dimenet_split *s, int n, dc_dimenet_limits *lim, dc_error *err);
void dc_dimenet_limits_max(dc_dimenet_limits *acc, const dc_dimenet_limits *b);

int dc_dimenet_batch_buf_init(dc_dimenet_batch_buf *buf, const dc_dimenet_limits *lim, dc_error *err);
void dc_dimenet_batch_buf_free(dc_dimenet_batch_buf *buf);
/* batch = frames[0..n) of the split; rs NULL: no targets. batch points into buf. */
int dc_dimenet_batch_assemble(dc_dimenet_batch *batch, dc_dimenet_batch_buf *buf, const dc_dimenet_split *s,
                              const int *frames, int n, const dc_rescale *rs, dc_error *err);

#endif
