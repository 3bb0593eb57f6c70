/* The model interface: how the trainer sees a model family (SchNet, the advection PINN), so that a
 * family is added in its own folder under src/model/ without touching the trainer, the sweep or
 * the results code.
 *
 * A model instance is created once per worker from the sweep (it loads its data and builds its
 * engines then) and serves every run of the sweep: begin_run sets what a run changes (activation,
 * rescaling), and the flat float parameter buffer is the trainer's. A run is a pure function of
 * (sweep, run): every operation below is deterministic.
 *
 * Training items: the trainer shuffles n_train_items per epoch from the run's seed and hands the
 * model batches of item indices (SchNet: molecules of the training split). A full-batch model
 * (the PINN) has n_train_items 0: every step is the whole training set and nothing is shuffled. */
#ifndef DCSWEEP_MODEL_MODEL_H
#define DCSWEEP_MODEL_MODEL_H

#include <stdint.h>
#include <stdio.h>

#include "dcsweep/config/config.h"
#include "dcsweep/config/run.h"
#include "dcsweep/core/error.h"
#include "dcsweep/data/dataset.h"
#include "dcsweep/data/rescale.h"

#define DC_MODEL_MAX_TERMS 8    /* loss terms */
#define DC_MODEL_MAX_VALUES 4   /* validation values */

/* What a model is, for the trainer and for the results file. Owned by the model instance. */
typedef struct dc_model_info {
    const char *kind;              /* "schnet" | "advection": the sweep's task.kind */
    int numerics_version;          /* changes whenever the float results change in the last bits */
    int64_t n_params;
    int n_tensors;
    const dc_tensor *tensors;      /* [n_tensors] the parameter layout, in buffer order */
    int n_train_items;             /* items shuffled into batches each epoch; 0: full batch */
    int n_terms;                   /* loss terms, curves train_<term>_loss (scaled units) */
    const char *terms[DC_MODEL_MAX_TERMS];
    int n_values;                  /* validation values, curves val_<value>; "loss" comes first */
    const char *values[DC_MODEL_MAX_VALUES];
    int n_metrics;                 /* final metrics: the /runs columns */
    dc_metric_desc metrics[DC_MAX_METRICS];
    const char *count_names[2];    /* what step_flops counts per batch ("atoms", "edges"); NULL: none */
    const char *record;            /* what else the results file records of the task (the PINN's
                                    * drawn initial condition, as JSON); NULL: nothing */
    dc_task_field task_field;      /* an array of the task the results file keeps (diffusion-
                                    * sorption: the reference u at the evaluation frames); name "":
                                    * none */
    dc_model_spec spec;            /* what evaluating a kept model needs besides its weights */
} dc_model_info;

/* Which sites of a model use IReLU (its family's table: docs/model.md, docs/pinn.md) and its
 * scale c (ignored for DC_EXTENT_NONE). */
typedef struct dc_activation {
    dc_extent extent;
    double irelu_scale;
} dc_activation;

/* A kept model as a potential: structures in, energies and forces out (`dcsweep predict`, the C
 * API, the ASE calculator). Serial. */
typedef struct dc_potential_ops {
    /* From a results file's spec and layout: DC_ERR_INPUT naming what differs when they are not
     * what this dcsweep's family builds from the spec. */
    int (*open)(void **pot, const dc_model_spec *spec, const dc_tensor *tensors, int n_tensors,
                int64_t n_params, dc_error *err);
    void (*close)(void *pot);
    double (*cutoff)(const void *pot);   /* pairs farther apart do not interact (length unit) */
    /* Scaled energy [n_frames] and forces [n_atoms_total][3] of every frame of view, whose types
     * are the model's type indices (view->types). */
    int (*predict)(void *pot, const dc_activation *act, const float *params, const dc_dataset *view,
                   double *energy, double *forces, dc_error *err);
} dc_potential_ops;

/* What dc_model_ops.describe writes about a loaded sweep, for the command line. */
typedef enum {
    DC_DESCRIBE_PLAN = 0,       /* lines before `dcsweep plan`'s table (none: nothing) */
    DC_DESCRIBE_PLAN_JSON = 1,  /* members before the "runs" of `plan --format json` ("task": {...}, ) */
    DC_DESCRIBE_VALIDATE = 2,   /* `dcsweep validate`'s lines on the task, the model and the training */
} dc_describe;

typedef struct dc_model_ops {
    const char *kind;
    const dc_family *family;       /* its sweep keys (config/family.h); family->kind == kind */
    const char *summary;           /* one line for `dcsweep --help`: what it trains on, what it predicts */
    const char *metrics_help;      /* its /runs metric columns, for `report --help` */
    const char *report_metric;     /* the one it marks DC_HEADLINE_DEFAULT (info->metrics) */

    /* Writes what `what` asks about a loaded sweep of this family to out (docs/architecture.md).
     * Only DC_DESCRIBE_VALIDATE may fail (it may draw the task to show it). */
    int (*describe)(const dc_sweep *sweep, dc_describe what, FILE *out, dc_error *err);

    /* Its kept models as potentials; NULL when they predict no energies or forces (the PINN). */
    const dc_potential_ops *potential;

    /* Loads the sweep's data and prepares everything that does not depend on the run. */
    int (*create)(void **model, const dc_sweep *sweep, dc_error *err);
    void (*destroy)(void *model);
    const dc_model_info *(*info)(const void *model);

    /* The rescaling statistics of a method on this sweep's training labels (for the results
     * file's /rescaling table; a degenerate statistic is an error with its reason). */
    int (*rescale)(const void *model, dc_rescaling method, dc_rescale *out, dc_error *err);

    /* Sets the run's activation and rescaling. DC_ERR_NUMERIC or DC_ERR_INPUT fails this run
     * only (a degenerate statistic); other codes make the worker unusable. */
    int (*begin_run)(void *model, const dc_run *run, dc_error *err);

    /* The initial weights of a seed [n_params] (a pure function of the seed and the shape). */
    void (*init_params)(const void *model, uint64_t seed, float *params);

    /* One training step's loss and gradient on items[0..n_items) (ignored when full batch):
     * terms [n_terms] in scaled units, weights not applied; *total the objective; grad
     * [n_params] overwritten. */
    int (*loss_grad)(void *model, const float *params, const int *items, int n_items, float *grad,
                     double *terms, double *total, dc_error *err);

    /* The validation values [n_values] with these parameters (values[0] is the validation loss,
     * the training objective in scaled units). */
    int (*validate)(void *model, const float *params, double *values, dc_error *err);

    /* The final metrics [n_metrics] with these parameters, in the data's own units. */
    int (*metrics)(void *model, const float *params, double *metrics, dc_error *err);

    /* Matmul FLOPs of one loss_grad call on these items, and the batch's size in the units of
     * info->count_names (for `dcsweep bench`). */
    double (*step_flops)(const void *model, const int *items, int n_items, int64_t counts[2]);
} dc_model_ops;

/* The family of a sweep's task.kind (the first registered when the sweep does not say); NULL if
 * unknown. */
const dc_model_ops *dc_model_find(const char *kind);

/* The registered families' sweep keys, NULL-terminated, the default task.kind first: what
 * dc_sweep_load reads a sweep with. */
const dc_family *const *dc_model_families(void);

/* Index of the tensor called name in info's layout, or -1. */
int dc_model_tensor_find(const dc_model_info *info, const char *name);

#endif
