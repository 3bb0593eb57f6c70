/* Shards: one sweep split into N independent jobs (e.g. the tasks of a Slurm array), each writing
 * its own results file, combined afterwards by `dcsweep merge` (docs/results-format.md).
 *
 * Shards are numbered from 1: shard K of N (1 <= K <= N), written "K/N". Shard K owns the runs
 * whose grid index i has i % N == K - 1 (round-robin). Because the grid is seed-major, every shard
 * then gets an equal share (within one run) of every seed, and finishes its replicates in the
 * same order as an unsharded sweep would.
 *
 * A shard file has the full layout of the sweep's results file (all n_runs rows); only the
 * shard's rows are ever trained, the others stay pending. Its root attribute `shard` is "K/N". */
#ifndef DCSWEEP_SHARD_H
#define DCSWEEP_SHARD_H

#include <stddef.h>

#include "dcsweep/core/error.h"
#include "dcsweep/results/results.h"

typedef struct dc_shard {
    int index;  /* K: 1..count */
    int count;  /* N; 0 means "not sharded": the whole sweep */
} dc_shard;

/* "K/N" (1 <= K <= N) or "auto" (dc_shard_from_slurm). DC_ERR_INPUT with a one-line message. */
int dc_shard_parse(dc_shard *shard, const char *spec, dc_error *err);

/* The shard of this Slurm array task: K = (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / STEP + 1
 * and N = SLURM_ARRAY_TASK_COUNT (or (MAX - MIN) / STEP + 1), STEP = SLURM_ARRAY_TASK_STEP or 1.
 * So `--array=0-3` and `--array=1-4` both give shards 1/4..4/4. An array that is not an even range
 * (`--array=1,2,7`) is refused: its tasks could not cover every shard. */
int dc_shard_from_slurm(dc_shard *shard, dc_error *err);

/* Whether the shard owns grid run `run` (always, when not sharded). */
int dc_shard_owns(const dc_shard *shard, int run);

/* How many of n_runs runs the shard owns. */
int dc_shard_size(const dc_shard *shard, int n_runs);

/* "K/N", or "" when not sharded. */
void dc_shard_format(const dc_shard *shard, char *out, size_t size);

/* The shard's file for results path `output`: a trailing ".h5" is replaced by
 * ".shard-K-of-N.h5" (results/x.h5 -> results/x.shard-1-of-4.h5), any other name gets it
 * appended (out -> out.shard-1-of-4.h5). The output itself when not sharded. */
int dc_shard_path(const dc_shard *shard, const char *output, char *out, size_t size, dc_error *err);

/* The shard recorded in an open results file (root attribute `shard`); count 0 when it has none. */
int dc_shard_read(dc_results *res, dc_shard *shard, dc_error *err);

/* For resuming: DC_ERR_INPUT unless the existing results file at path records the shard `want`
 * (serial; the caller has already checked it is a results file of the same sweep). */
int dc_shard_check_file(const char *path, const dc_shard *want, dc_error *err);

#endif
