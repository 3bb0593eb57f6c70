/* The training protocol between epochs (docs/model.md, "Training protocol"): the learning rate of
 * an epoch (constant, step decay or PyTorch's ReduceLROnPlateau, after an optional linear warm-up),
 * what an evaluation of the monitored value changes (the best epoch, early stopping, the plateau
 * schedule), and the exponential moving average of the weights. Pure functions of the state, so
 * that a run continued from a checkpoint decides exactly as one that never stopped. */
#ifndef DCSWEEP_TRAIN_SCHEDULE_H
#define DCSWEEP_TRAIN_SCHEDULE_H

#include <stdint.h>

#include "dcsweep/config/config.h"
#include "dcsweep/config/run.h"

/* The state's schedule fields at the start of a run (lr = train.learning_rate, bests Inf). */
void dc_schedule_start(const dc_train_config *t, dc_run_state *st);

/* The learning rate of epoch e (0-based). */
double dc_schedule_lr(const dc_train_config *t, const dc_run_state *st, int epoch);

/* An evaluation after epoch `epoch` (1-based) found the monitored value v (lower is better):
 * updates the best epoch (*improved = 1 when v is the best so far), early stopping and the plateau
 * schedule. Returns DC_STOP_EARLY or DC_STOP_MIN_LR when the run should stop, else DC_STOP_NONE. */
dc_stop_reason dc_schedule_observe(const dc_train_config *t, dc_run_state *st, int epoch, double v,
                                   int *improved);

/* ema = d ema + (1 - d) params after Adam step `step` (1-based), with d = min(decay, (1 + step) /
 * (10 + step)) as torch_ema does (MACE, NequIP): early averages are not dominated by the start. */
void dc_ema_update(float *ema, const float *params, int64_t n, double decay, int64_t step);

#endif
