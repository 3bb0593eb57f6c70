/* The sweep file: libconfig loading, `--set` overrides, schema validation.
 *
 * Every key, its type, default and unit is documented in docs/sweep-format.md. Errors name the
 * file, the line and the key in one line ("sweeps/x.cfg:12: train.epochs: expected an integer"),
 * with code DC_ERR_INPUT. This module knows nothing of MPI, HDF5 or oneDNN. */
#ifndef DCSWEEP_CONFIG_H
#define DCSWEEP_CONFIG_H

#include <stdint.h>

#include "dcsweep/config/family.h"
#include "dcsweep/core/error.h"

typedef enum { DC_EXTENT_NONE = 0, DC_EXTENT_OUTPUT = 1, DC_EXTENT_FULL = 2 } dc_extent;
typedef enum {
    DC_RESCALE_NONE = 0,
    DC_RESCALE_POWER10 = 1,
    DC_RESCALE_MINMAX = 2,
    DC_RESCALE_STANDARD = 3,
    DC_RESCALE_ROBUST = 4,
} dc_rescaling;
typedef enum { DC_LOSS_L1 = 0, DC_LOSS_MSE = 1 } dc_loss;
#define DC_N_EXTENTS 3
#define DC_N_RESCALINGS 5

const char *dc_extent_name(dc_extent e);        /* "none" | "output" | "full" */
const char *dc_rescaling_name(dc_rescaling r);  /* "none" | "power10" | ... */
const char *dc_loss_name(dc_loss l);            /* "l1" | "mse" */
int dc_extent_parse(const char *s, dc_extent *out);        /* 0 on success, -1 unknown */
int dc_rescaling_parse(const char *s, dc_rescaling *out);
int dc_loss_parse(const char *s, dc_loss *out);

typedef enum { DC_E0_NONE = 0, DC_E0_AVERAGE = 1, DC_E0_FILE = 2 } dc_e0_source;

typedef struct dc_dataset_config {
    /* Either three files ... (absolute or cwd-relative paths after loading; NULL when unused) */
    char *train;
    char *validation;
    char *test;
    /* ... or one file split into train/validation (and test, unless `test` names its own file). */
    char *file;
    /* Split sizes: all fractions in (0,1] (split_counts 0) or all counts >= 1 (split_counts 1) of
     * the frames of `file`; split_test is 0 when the test split is the separate `test` file. */
    double split_train, split_validation, split_test;
    int split_counts;
    int64_t split_seed;   /* permutation seed of the single-file split */
    char *energy_key;     /* comment-line key of the total energy (default "energy") */
    char *forces_key;     /* Properties= column of the forces (default "forces") */
    char *length_unit;    /* informational, copied to results (default "Angstrom") */
    char *energy_unit;    /* informational, copied to results (default "eV") */
    /* dataset.atomic_energies (docs/model.md, "Per-element reference energies"): none (absent: the
     * totals as they are), "average" (a least-squares fit per element on the training split), or
     * an extended-XYZ file of isolated atoms (e0_file, a path after loading). */
    dc_e0_source e0_source;
    char *e0_file;
    /* dataset.isolated_atoms, with atomic energies only: 0 "shifted" (default; the rescaling's shift
     * per atom, an isolated atom at E0 + shift + the network's output for it), 1 "exact" (the
     * network's isolated-atom output subtracted in training and prediction and no shift: an
     * isolated atom is at its E0 exactly; docs/model.md, "Isolated atoms"). */
    int isolated_exact;
} dc_dataset_config;

#define DC_MAX_EPOCHS 1000000  /* train.epochs at most (config_train.c says why) */

typedef enum { DC_SCHEDULE_CONSTANT = 0, DC_SCHEDULE_STEP = 1, DC_SCHEDULE_PLATEAU = 2 } dc_schedule;
typedef enum { DC_SELECT_LAST = 0, DC_SELECT_BEST = 1 } dc_select;
#define DC_N_SCHEDULES 3
#define DC_N_SELECTS 2
const char *dc_schedule_name(dc_schedule s);  /* "constant" | "step" | "plateau" */
const char *dc_select_name(dc_select s);      /* "last" | "best" */

/* PyTorch's ReduceLROnPlateau, mode "min", threshold mode "rel". */
typedef struct dc_plateau_config {
    double factor;     /* lr *= factor on a plateau, in (0, 1) */
    int patience;      /* evaluations without improvement tolerated before a reduction */
    double threshold;  /* an improvement is value < best * (1 - threshold) */
    int cooldown;      /* evaluations after a reduction during which bad ones are not counted */
    double min_lr;     /* the lr never goes below; a reduction needed at min_lr stops the run */
} dc_plateau_config;

typedef struct dc_early_stopping_config {
    int patience;      /* evaluations without improvement before stopping; 0 = off */
    double min_delta;  /* an improvement is value < best - min_delta */
} dc_early_stopping_config;

#define DC_MONITOR_NAME_MAX 32

typedef struct dc_train_config {
    int epochs;               /* the most epochs a run trains */
    int batch_size;           /* items (molecules) per training batch */
    double learning_rate;
    double force_weight;      /* alpha */
    dc_loss loss;
    dc_schedule schedule;
    double lr_decay;          /* step schedule: multiplicative factor per decay step */
    int lr_decay_every;       /* step schedule: epochs between decays */
    dc_plateau_config plateau;
    int warmup_epochs;        /* linear warm-up of the lr over the first epochs; 0 = none */
    char monitor[DC_MONITOR_NAME_MAX]; /* validation value driving schedule, stopping, selection */
    int eval_every;           /* epochs between validations (and the last epoch) */
    dc_early_stopping_config early_stopping;
    dc_select select;         /* which epoch's weights the metrics (and kept model) are of */
    double ema_decay;         /* exponential moving average of the weights; 0 = off */
    double checkpoint_seconds; /* a mid-run checkpoint at least this often; 0: every epoch */
    double weight_decay;      /* Adam L2 weight decay; 0 by default */
    int eval_batch_size;      /* molecules per evaluation batch */
} dc_train_config;

/* How `dcsweep run` watches its ranks; nothing here changes a result (not in the sweep's hash). */
typedef struct dc_run_config {
    double heartbeat_timeout;  /* seconds a training rank may stay silent before the job ends */
    double stop_timeout;       /* seconds ranks get to stop after SIGINT/SIGTERM */
} dc_run_config;

typedef struct dc_grid_config {
    double *irelu_scale;  int n_irelu_scale;   /* each > 0, distinct */
    dc_extent *extent;    int n_extent;
    dc_rescaling *rescaling; int n_rescaling;
    int64_t *seeds;       int n_seeds;
} dc_grid_config;

/* Where a key's value came from, for errors only the data can show (dc_sweep_key_fail):
 * "x.cfg:12: model.cutoff", "--set model.cutoff", or "x.cfg: model.cutoff" for a default. */
#define DC_N_DATA_KEYS 3  /* model.cutoff, train.batch_size, train.eval_batch_size */
typedef struct dc_key_origin {
    const char *key;
    int given;           /* set in the file or by --set, not a default */
    char where[320];
} dc_key_origin;

typedef struct dc_sweep {
    char *path;            /* the sweep file as given */
    char *text;            /* its full text, as read (for the record; the hash is of `effective`) */
    char sha256[65];       /* hex SHA-256 of `effective` */
    char *effective;       /* canonical dump of every validated value that affects results (not
                            * `name`, `output` or dataset paths; see docs/sweep-format.md): comments,
                            * layout and `--set` vs. file make no difference, values do */
    char *name;            /* optional `name`, default the file's base name without .cfg */
    const dc_family *family;  /* what task.kind names (docs/architecture.md, "Adding a family") */
    dc_key_value values[DC_MAX_FAMILY_KEYS];  /* [family->n_keys] its keys' values, in its order */
    dc_dataset_config dataset;  /* when the family uses "dataset" */
    dc_train_config train;
    dc_grid_config grid;
    dc_run_config run;
    char *output;          /* results path, resolved (default results/<name>.h5 in the cwd) */
    int keep_models;       /* output.keep_models: the selected weights of every run go in the file */
    dc_key_origin data_keys[DC_N_DATA_KEYS];  /* where the keys checked against the data were set */
} dc_sweep;

/* One `--set key.path=value` override as given on the command line. */
typedef struct dc_override {
    const char *assignment;   /* "train.epochs=2" */
} dc_override;

/* Loads and validates path, applying overrides in order; families (NULL-terminated, the first is
 * the default task.kind) are the model families it may name. On error, err names file, line and
 * key ("--set" overrides are named as "--set train.epochs"). sweep is zeroed first and must be
 * freed with dc_sweep_free even on error. */
int dc_sweep_load(dc_sweep *sweep, const char *path, const dc_override *overrides, int n_overrides,
                  const dc_family *const *families, dc_error *err);
void dc_sweep_free(dc_sweep *sweep);

/* A value that the data shows to be wrong (a cutoff with no pair within it): fills err with
 * "<where key was set>: message" (DC_ERR_INPUT) and returns DC_ERR_INPUT. */
int dc_sweep_key_fail(const dc_sweep *sweep, const char *key, dc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The keys of two canonical dumps (dc_sweep.effective, a results file's sweep_effective) whose
 * values differ, as "train.epochs (30 -> 60), model.cutoff (5 -> 6)" (a key only one dump has:
 * "absent"); "" when they agree. Truncated to size. */
void dc_sweep_dump_diff(const char *old_dump, const char *new_dump, char *out, size_t size);

#endif
