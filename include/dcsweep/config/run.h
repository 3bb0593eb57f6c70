/* What a run is and what it reports: shared by the model and trainer (which produce results), the
 * results file (which stores them) and the sweep, report and status (which read them), so that
 * none of those has to include another's header for its vocabulary. */
#ifndef DCSWEEP_CONFIG_RUN_H
#define DCSWEEP_CONFIG_RUN_H

#include <stdint.h>

#include "dcsweep/config/config.h"

/* One grid point. */
typedef struct dc_run {
    int index;             /* position in the grid, 0-based: the run's identity everywhere */
    double irelu_scale;    /* c; NaN when extent is none */
    dc_extent extent;
    dc_rescaling rescaling;
    int64_t seed;
} dc_run;

typedef enum {
    DC_RUN_PENDING = 0,   /* not run, or interrupted: will be (re)run */
    DC_RUN_DONE = 1,
    DC_RUN_DIVERGED = 2,  /* loss became NaN/Inf: recorded with the epoch, not a crash */
    DC_RUN_FAILED = 3,    /* an error (allocation, numerics, data) recorded with its message */
} dc_run_status;
#define DC_N_RUN_STATUSES 4

const char *dc_run_status_name(dc_run_status s);  /* "pending" | "done" | "diverged" | "failed" */
int dc_run_status_parse(const char *name);        /* the status, or -1 for an unknown name */

/* Why a run stopped training (the /runs column stop_reason). */
typedef enum {
    DC_STOP_NONE = 0,          /* pending or failed: it did not stop by itself */
    DC_STOP_MAX_EPOCHS = 1,    /* trained train.epochs epochs */
    DC_STOP_EARLY = 2,         /* early stopping: no improvement for its patience */
    DC_STOP_MIN_LR = 3,        /* the plateau schedule would go below its min_lr */
    DC_STOP_DIVERGED = 4,      /* NaN/Inf */
} dc_stop_reason;
#define DC_N_STOP_REASONS 5

/* "" | "max_epochs" | "early_stopping" | "min_lr" | "diverged" */
const char *dc_stop_reason_name(dc_stop_reason r);

/* The complete state of a run at the end of an epoch: what a mid-run checkpoint holds, so that
 * training continued from it gives bitwise the result of training without a stop. The batch order
 * needs no state of its own: epoch e's order is a function of (seed, e). Arrays are [n_params]
 * unless said; ema and best are NULL when not used (no EMA; select = "last"). */
typedef struct dc_run_state {
    int run;                       /* grid index */
    int epoch;                     /* epochs completed: training continues with epoch + 1 */
    int64_t n_params;
    float *params;
    float *adam_m, *adam_v;        /* Adam's moments */
    int64_t adam_step;             /* Adam steps taken */
    float *ema;                    /* the exponential moving average of params */
    float *best;                   /* the evaluated weights of the best epoch so far */
    double best_value;             /* the monitored value there (Inf before any) */
    int best_epoch;                /* 0 before any */
    double lr;                     /* the plateau schedule's current learning rate */
    double plateau_best;           /* ReduceLROnPlateau's best, bad evaluations, cooldown left */
    int plateau_bad, plateau_cooldown;
    double stop_best;              /* early stopping's best and evaluations without improvement */
    int stop_wait;
    int stop_reason;               /* a dc_stop_reason decided at this epoch: no epoch follows */
    int n_curves, n_epochs;
    double *curves;                /* [n_curves][n_epochs] the curves so far */
} dc_run_state;

/* One named tensor of a model's flat parameter buffer (names as in docs/model.md). */
#define DC_TENSOR_NAME_MAX 64  /* PyG's longest DimeNet++ name has 52 characters */
typedef struct dc_tensor {
    char name[DC_TENSOR_NAME_MAX]; /* "embedding", "interaction0/filter1/weight", "hidden0/bias",
                                    * "interaction_blocks.0.lin_rbf1.weight" */
    int64_t offset;                /* into the flat parameter buffer */
    int64_t rows, cols;            /* weights (out, in) as PyTorch; biases (out, 1) */
    int is_bias;
} dc_tensor;
#define DC_MAX_TENSORS 512  /* a 6-block message-passing network has about 260 (docs/architecture.md) */

/* What evaluating a kept model needs besides its weights and layout: the model's hyperparameters
 * by name (the family's: its sizes, cutoff, ...) and its element list. */
#define DC_SPEC_MAX 32
#define DC_SPEC_NAME_MAX 32
#define DC_MAX_SPEC_ELEMENTS 16
typedef struct dc_model_spec {
    int n;
    char names[DC_SPEC_MAX][DC_SPEC_NAME_MAX];
    double values[DC_SPEC_MAX];
    int n_elements;
    int elements[DC_MAX_SPEC_ELEMENTS];   /* atomic numbers in type order (potentials) */
    int n_train_elements;                 /* 0: not recorded (a file of an older dcsweep) */
    int train_elements[DC_MAX_SPEC_ELEMENTS];  /* those the training split has: the others'
                                               * embeddings were never trained */
} dc_model_spec;

/* The longest metric or curve name and unit a model may declare (the results file's columns). */
#define DC_METRIC_NAME_MAX 32
#define DC_METRIC_UNIT_MAX 48
#define DC_MAX_METRICS 16   /* final metrics of a run (/runs columns) */
#define DC_MAX_CURVES 16    /* per-epoch values (/curves/<name>) */

/* One number a run reports at its end: a /runs column. */
typedef struct dc_metric_desc {
    char name[DC_METRIC_NAME_MAX];  /* "test_force_mae", "u_nrmse" */
    char unit[DC_METRIC_UNIT_MAX];  /* "eV/Angstrom"; "" when dimensionless */
    int higher_is_better;           /* EFwT: 1; errors: 0 */
    int fraction;                   /* a fraction in [0, 1] (shown as a percentage) */
    int headline;                   /* shown in the progress line of `dcsweep run`; one metric may be
                                     * DC_HEADLINE_DEFAULT: the one report and plots default to */
} dc_metric_desc;
#define DC_HEADLINE_DEFAULT 2

/* A named 2-D array a model family records of its task in the results file, as /task/<name>
 * float64 [rows][cols] with its axes /task/x [cols] and /task/t [rows] (docs/results-format.md):
 * e.g. the reference solution at the evaluation times, so that a user can plot the prediction
 * against it. The values belong to whoever filled the struct (the model instance). */
#define DC_MAX_TASK_FIELD (64 * 1024)  /* rows * cols at most: a results file is not a data set */
typedef struct dc_task_field {
    char name[DC_METRIC_NAME_MAX];  /* the dataset's name under /task; "": no field */
    int rows, cols;
    const double *values;           /* [rows][cols] */
    const double *x;                /* [cols] the columns' coordinate; NULL: none */
    const double *t;                /* [rows] the rows' coordinate; NULL: none */
} dc_task_field;

#endif
