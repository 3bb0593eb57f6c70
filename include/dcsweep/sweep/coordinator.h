/* `dcsweep run` on every rank: rank 0 coordinates (hands out runs on request in grid order, which
 * is seed-major, prints progress, stops the workers), ranks 1..P-1 train as workers; with one rank
 * the same process coordinates and trains. All ranks share one results file (results.h).
 *
 * Resuming is the same call on an existing file of the same sweep: runs already done, diverged or
 * failed are kept (failed ones are trained again with retry_failed). A file of another sweep
 * (sweep_sha256, n_runs or epochs differ) is refused with DC_ERR_INPUT unless restart. */
#ifndef DCSWEEP_COORDINATOR_H
#define DCSWEEP_COORDINATOR_H

#include <mpi.h>
#include <stdio.h>

#include "dcsweep/config/config.h"
#include "dcsweep/core/error.h"
#include "dcsweep/config/grid.h"
#include "dcsweep/results/shard.h"
#include "dcsweep/sweep/worker.h"

typedef struct dc_run_options {
    const char *output;  /* results path */
    int retry_failed;    /* train failed runs again (diverged runs are results: never) */
    int restart;         /* replace a results file of another sweep instead of refusing it */
    FILE *out;           /* progress on rank 0; NULL for none */
    int tty;             /* a live progress bar instead of one line per run */
    dc_shard shard;      /* train only this shard's runs (count 0: all); output is its file */
    double progress_seconds; /* without tty: a line per in-flight run at most this often; 0: none */
} dc_run_options;

/* Collective over comm (any size >= 1). Returns DC_OK when the sweep has no pending run left
 * (diverged runs are results), DC_ERR_RUNS_FAILED on rank 0 (DC_OK on the others) when it has none
 * pending but failed ones (they are recorded; --retry-failed trains them again), DC_ERR_INTERRUPTED after SIGINT/SIGTERM (runs
 * in progress stay pending; rerun to resume), DC_ERR_INPUT for a results file of another sweep.
 * Every rank returns the same code; the message of the rank where the error arose is copied to
 * all, so the caller reports it on rank 0 only. */
int dc_coordinator_sweep(const dc_sweep *sweep, const dc_grid *grid, const dc_trainer_ops *ops,
                         const dc_run_options *opts, MPI_Comm comm, dc_error *err);

#endif
