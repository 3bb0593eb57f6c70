/* Training one grid point: epochs, batch order, Adam, learning-rate schedule, divergence, and the
 * final metrics, for any model family behind the model interface (dcsweep/model/model.h).
 *
 * A run is a pure function of (sweep, run): initial weights and batch order come from the run's
 * seed alone (common random numbers across grid points), so the same run gives bitwise identical
 * results on whichever rank runs it. Knows nothing of MPI or HDF5. */
#ifndef DCSWEEP_TRAIN_TRAINER_H
#define DCSWEEP_TRAIN_TRAINER_H

#include <stdint.h>

#include "dcsweep/config/config.h"
#include "dcsweep/config/run.h"
#include "dcsweep/core/error.h"
#include "dcsweep/data/rescale.h"
#include "dcsweep/model/model.h"

/* What a trainer's runs report, for the results file: the model's final metrics and the names of
 * the per-epoch curves, in the order of dc_run_result.curves: train_<term>_loss for each loss term
 * of the model, val_<value> for each validation value, lr, monitor (the monitored validation value,
 * on the weights that are evaluated), then epoch_seconds. Validation curves are NaN in epochs
 * without an evaluation (train.eval_every). */
typedef struct dc_trainer_desc {
    const char *model_kind;
    int numerics_version;                /* the model engine's (dc_model_info.numerics_version) */
    const char *model_record;            /* dc_model_info.record, or NULL */
    dc_task_field task_field;            /* dc_model_info.task_field (name "": none) */
    int64_t n_params;                    /* the parameter layout of the kept weights */
    int n_tensors;
    const dc_tensor *tensors;
    const dc_model_spec *spec;
    int n_metrics;
    const dc_metric_desc *metrics;       /* [n_metrics] */
    int n_curves;
    const char *curves[DC_MAX_CURVES];   /* [n_curves] */
} dc_trainer_desc;

typedef struct dc_run_result {
    int run_index;
    dc_run_status status;
    int epochs_completed;            /* epochs fully trained and evaluated */
    int diverged_epoch;              /* 1-based epoch where NaN/Inf appeared, 0 if none */
    int best_epoch;                  /* the epoch of the best monitored value, 0 if none */
    dc_stop_reason stop_reason;
    double final_lr;                 /* the learning rate of the last epoch trained */
    int n_metrics;
    double metrics[DC_MAX_METRICS];  /* the model's final metrics, of the selected epoch's weights
                                      * (train.select); NaN unless status is done */
    double wall_seconds;
    const float *params;             /* [n_params] the selected weights (train.select, EMA where
                                      * used) when done, else NULL; the trainer's, valid until its
                                      * next run */
    int n_epochs;                    /* the sweep's train.epochs */
    int n_curves;
    double *curves;                  /* [n_curves][n_epochs], NaN where not reached (owned) */
    char message[256];               /* for diverged/failed */
} dc_run_result;

void dc_run_result_free(dc_run_result *result);

/* Called after every epoch (epoch is 1-based: the number of epochs completed; curve_values has
 * n_curves entries; state is the run's complete state at this epoch boundary, valid during the
 * call: what a checkpoint saves). A non-zero return stops the run (SIGINT/SIGTERM): the result
 * then has status pending. */
typedef int (*dc_epoch_fn)(void *ctx, const dc_run *run, int epoch, const double *curve_values,
                           const dc_run_state *state);

/* What a caller hears while a run trains; any member may be NULL. */
typedef struct dc_train_hooks {
    dc_epoch_fn on_epoch;
    void (*on_step)(void *ctx);  /* after every optimiser step (rank 0 serves the sweep here) */
    void *ctx;
} dc_train_hooks;

typedef struct dc_trainer dc_trainer;  /* the model instance and the optimiser's buffers */

/* Creates the sweep's model (its task.kind) and everything that does not depend on the run. */
int dc_trainer_create(dc_trainer **trainer, const dc_sweep *sweep, dc_error *err);
void dc_trainer_destroy(dc_trainer *trainer);

const dc_trainer_desc *dc_trainer_describe(const dc_trainer *trainer);

/* Trains and evaluates one run, from the start or (resume not NULL) from a state an on_epoch
 * call saw: the result is bitwise that of the uninterrupted run (but for epoch_seconds and
 * wall_seconds). Divergence, a degenerate rescaling statistic and a data error in a batch are
 * reported in result->status (failed or diverged, with the reason) with DC_OK returned; only
 * errors that make the whole worker unusable return an error code. A resume state that does not
 * fit this run and sweep is DC_ERR_INPUT. */
int dc_trainer_run(dc_trainer *trainer, const dc_run *run, const dc_run_state *resume,
                   dc_run_result *result, const dc_train_hooks *hooks, dc_error *err);

/* The rescaling statistics of a method on this sweep's training labels (for the results file). */
int dc_trainer_rescale(const dc_trainer *trainer, dc_rescaling method, dc_rescale *out, dc_error *err);

/* ---- for tests and `dcsweep bench` ---- */

/* The model's layout and the selected parameters of the last dc_trainer_run ([n_params], owned by
 * the trainer, overwritten by the next run). */
const dc_model_info *dc_trainer_model(const dc_trainer *trainer);
const float *dc_trainer_params(const dc_trainer *trainer);

/* Throughput of training steps (the model's loss and gradient, and an Adam update). */
typedef struct dc_bench_result {
    int steps;                 /* timed steps */
    double seconds;            /* wall time of the timed steps */
    int64_t items;             /* training items processed in the timed steps (molecules) */
    int64_t counts[2];         /* the model's batch sizes summed (atoms, edges; see count_names) */
    double flops;              /* the model's step_flops summed over the timed steps */
} dc_bench_result;

/* warmup untimed steps, then steps timed ones, cycling through the first epoch's batches. */
int dc_trainer_bench(dc_trainer *trainer, const dc_run *run, int warmup, int steps,
                     dc_bench_result *out, dc_error *err);

#endif
