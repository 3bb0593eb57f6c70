/* A deterministic stand-in for the trainer, for the sweep-engine tests: metrics and curves are
 * functions of the run alone, so any rank gives bitwise the same row. Behaviour from the
 * environment (a test driver under mpirun has no other way in):
 *   FAKE_EPOCH_MS=N         sleep N ms per epoch (so that a test can kill or signal mid-sweep)
 *   FAKE_FAIL_RUNS=3,7      these runs end with status failed
 *   FAKE_DIVERGE_RUNS=4     these runs diverge at epoch 2 (or 1 with a single epoch)
 *   FAKE_FATAL_RUNS=5       the trainer returns an error (the worker becomes unusable)
 *   FAKE_LOG=path           append "start <run> rank <rank> pid <pid>" when a run starts */
#ifndef DCSWEEP_TESTS_FAKE_TRAINER_H
#define DCSWEEP_TESTS_FAKE_TRAINER_H

#include "dcsweep/sweep/worker.h"

extern const dc_trainer_ops fake_trainer_ops;

/* The rank written in FAKE_LOG lines (the fake knows nothing of MPI). */
void fake_trainer_set_rank(int rank);

#endif
