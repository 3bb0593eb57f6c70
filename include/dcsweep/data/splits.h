/* The three splits of a sweep's dataset, loaded as the sweep file describes them (three files, or
 * one file split by a seeded permutation, optionally with a separate test file), with element types
 * assigned over all three. `validate` and the trainer load data only through this. */
#ifndef DCSWEEP_SPLITS_H
#define DCSWEEP_SPLITS_H

#include "dcsweep/config/config.h"
#include "dcsweep/data/dataset.h"
#include "dcsweep/core/error.h"

/* The rng stream of the split permutation ("split" in ASCII), apart from every per-run stream. */
#define DC_SPLIT_STREAM 0x73706c6974ull

typedef struct dc_splits {
    dc_dataset train, validation, test;
    dc_elements elements;   /* union over the three, sorted by atomic number */
} dc_splits;

/* Frame counts [train, validation, test] of the single-file split of n_frames frames: counts as
 * given, fractions as floor(f n); the test entry is 0 when the test split is its own file. An empty
 * split or a total above n_frames is DC_ERR_INPUT naming the sweep file and the key. */
int dc_split_sizes(int sizes[3], const dc_sweep *sweep, int n_frames, dc_error *err);

/* Single-file layout: a permutation of the file's frames from dc_rng_seed(split_seed,
 * DC_SPLIT_STREAM); train takes its first sizes[0] entries, validation the next sizes[1], test the
 * next sizes[2]. Each split keeps the file's frame order. splits is zeroed first; free it with
 * dc_splits_free even on error. */
int dc_splits_load(dc_splits *splits, const dc_sweep *sweep, dc_error *err);
void dc_splits_free(dc_splits *splits);

/* model.cutoff may be at most this many times the largest distance between two atoms of a frame. */
#define DC_CUTOFF_MAX_FACTOR 10.0

/* What only the data can show wrong (validate, and train and run before anything is trained or
 * recorded): model.cutoff must leave two atoms of a training frame within it and be at most
 * DC_CUTOFF_MAX_FACTOR times the largest distance between two atoms of any frame; the validation
 * and test splits must hold no element that the training split lacks. DC_ERR_INPUT naming the sweep
 * file, line and key (or the split and the element). */
int dc_splits_check(const dc_splits *splits, const dc_sweep *sweep, dc_error *err);

#endif
