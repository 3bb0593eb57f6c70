/* Training one grid point: batches, loss, Adam, epochs, metrics, divergence.
 *
 * A run is a pure function of (sweep, run): initial weights and batch order come from the run's
 * seed alone (common random numbers across grid points), so the same run gives bitwise identical
 * results on whichever rank runs it. Knows nothing of MPI or HDF5. */
#ifndef DCSWEEP_TRAINER_H
#define DCSWEEP_TRAINER_H

#include "dcsweep/config/config.h"
#include "dcsweep/data/dataset.h"
#include "dcsweep/core/error.h"
#include "dcsweep/config/grid.h"
#include "dcsweep/data/rescale.h"
#include "dcsweep/model/schnet.h"

typedef enum {
    DC_RUN_PENDING = 0,   /* not run, or interrupted: will be (re)run */
    DC_RUN_DONE = 1,
    DC_RUN_DIVERGED = 2,  /* loss became NaN/Inf: recorded with the epoch, not a crash */
    DC_RUN_FAILED = 3,    /* an error (allocation, numerics) recorded with its message */
} dc_run_status;

const char *dc_run_status_name(dc_run_status s);  /* "pending" | "done" | "diverged" | "failed" */

/* Per-epoch curve values (MODEL.md "Per epoch"); the order is the /curves layout. */
typedef enum {
    DC_CURVE_TRAIN_ENERGY_LOSS = 0, /* mean over batches, scaled units, alpha not applied */
    DC_CURVE_TRAIN_FORCE_LOSS = 1,
    DC_CURVE_VAL_ENERGY_MAE = 2,    /* dataset units */
    DC_CURVE_VAL_FORCE_MAE = 3,
    DC_CURVE_SECONDS = 4,           /* wall seconds of the epoch (training + validation) */
    DC_N_CURVES = 5,
} dc_curve;

const char *dc_curve_name(dc_curve c);  /* "train_energy_loss", ..., "epoch_seconds" */

/* MODEL.md metrics of one split, in the dataset's units. */
typedef struct dc_split_metrics {
    double energy_mae, energy_rmse;  /* per molecule, energy unit */
    double force_mae, force_rmse;    /* per component, energy/length unit */
    double efwt;                     /* fraction in [0, 1] */
} dc_split_metrics;

typedef struct dc_run_result {
    int run_index;
    dc_run_status status;
    int epochs_completed;            /* epochs fully trained and evaluated */
    int diverged_epoch;              /* 1-based epoch where NaN/Inf appeared, 0 if none */
    dc_split_metrics val, test;      /* NaN unless status is done */
    double wall_seconds;
    int n_epochs;                    /* sweep's train.epochs */
    double *curves;                  /* [DC_N_CURVES][n_epochs], NaN where not reached (owned) */
    char message[256];               /* for diverged/failed */
} dc_run_result;

void dc_run_result_free(dc_run_result *result);

/* Called after every epoch (epoch is 1-based: the number of epochs completed; curve_values has
 * DC_N_CURVES entries); a non-zero return stops the run (SIGINT/SIGTERM): the result then has
 * status pending. */
typedef int (*dc_epoch_fn)(void *ctx, const dc_run *run, int epoch, const double *curve_values);

typedef struct dc_trainer dc_trainer;  /* datasets, neighbour lists, engine: prepared once */

/* Loads the sweep's datasets and prepares everything that does not depend on the run. */
int dc_trainer_create(dc_trainer **trainer, const dc_sweep *sweep, dc_error *err);
void dc_trainer_destroy(dc_trainer *trainer);

/* Trains and evaluates one run. Divergence and numerical failures are reported in result->status
 * with DC_OK returned; only errors that make the whole worker unusable return an error code. */
int dc_trainer_run(dc_trainer *trainer, const dc_run *run, dc_run_result *result,
                   dc_epoch_fn on_epoch, void *ctx, dc_error *err);

/* The rescaling statistics of a method for this sweep's training split (for the results file). */
int dc_trainer_rescale(const dc_trainer *trainer, dc_rescaling method, dc_rescale *out, dc_error *err);

/* ---- for tests and `dcsweep bench` ---- */

enum { DC_SPLIT_TRAIN = 0, DC_SPLIT_VALIDATION = 1, DC_SPLIT_TEST = 2, DC_N_SPLITS = 3 };

/* A split's frames (element types assigned) as the trainer uses them. */
const dc_dataset *dc_trainer_split(const dc_trainer *trainer, int split);

/* The model's shape and the parameters as the last dc_trainer_run left them ([layout n_params],
 * owned by the trainer, overwritten by the next run). */
const float *dc_trainer_params(const dc_trainer *trainer, dc_schnet_shape *shape, int64_t *n_params);

/* Throughput of training steps (dc_schnet_loss_grad + Adam) on the run's training batches. */
typedef struct dc_bench_result {
    int steps;                 /* timed steps */
    double seconds;            /* wall time of the timed steps */
    int64_t configs;           /* molecules processed in the timed steps */
    int64_t atoms, edges;      /* summed over the timed steps */
    double flops;              /* dc_schnet_step_flops summed over the timed steps */
    int max_atoms;             /* the engine's limits */
    int64_t max_edges;
} dc_bench_result;

/* warmup untimed steps, then steps timed ones, cycling through the first epoch's batches. */
int dc_trainer_bench(dc_trainer *trainer, const dc_run *run, int warmup, int steps,
                     dc_bench_result *out, dc_error *err);

#endif
