/* The results file: one HDF5 file per sweep (docs/results-format.md). The serial interface, for
 * `status`, `report`, `merge`, shards and the sweep's row writes; creating and opening a file
 * collectively over MPI is results_mpi.h, which only the sweep includes.
 *
 *   /runs            [n_runs] compound, one row per grid point (dc_results_row): the grid point,
 *                    its status and bookkeeping, then one float64 column per metric of the model
 *   /metrics         [n_metrics] compound (name, unit, higher_is_better, fraction, headline)
 *   /curves/<name>   [n_runs][epochs] float64 per per-epoch curve, NaN where not reached
 *   /rescaling       [5] compound (method, shift, scale) of the training labels
 *   /models          (output.keep_models) /models/params [n_runs][n_params] float32, the selected
 *                    weights of each done run; /models/layout [n_tensors] (name, offset, rows,
 *                    cols); the spec (hyperparameters, elements) as attributes of /models
 *   root attributes  sweep_text, sweep_sha256, dataset_sha256, dcsweep_version, created, units,
 *                    format_version, model_kind, numerics_version, curve_names, n_runs,
 *                    epochs, model_record (what the model family records of its task)
 *   /task/<name>     (when the family has one) [rows][cols] float64 an array of the task, e.g. the
 *                    reference solution, with its axes /task/x [cols] and /task/t [rows]
 *
 * Every dataset is created at once, contiguous and fully preallocated (fill: NaN, "pending"), and
 * the metadata is flushed: afterwards only raw data is written, into space that already exists, so
 * a process killed at any moment cannot corrupt the file's metadata. A run's row is written in two
 * steps, metrics and curves first and its status last (dc_results_write_run), so a row never reads
 * "done" without its metrics. Knows nothing of training or MPI. */
#ifndef DCSWEEP_RESULTS_RESULTS_H
#define DCSWEEP_RESULTS_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "dcsweep/config/config.h"
#include "dcsweep/config/run.h"
#include "dcsweep/core/error.h"
#include "dcsweep/data/rescale.h"

#define DC_RESULTS_FORMAT_VERSION 2

/* Fixed string lengths of the /runs columns (null-padded, not necessarily null-terminated on
 * disk; the in-memory row keeps one more byte so it always is). */
#define DC_RESULTS_NAME_LEN 16
#define DC_RESULTS_ERROR_LEN 256
#define DC_RESULTS_HOST_LEN 64

/* One /runs row in memory. The file's compound type has these members under these names, then
 * the metric columns under the names of /metrics; see docs/results-format.md. */
typedef struct dc_results_row {
    int32_t run;                          /* grid index */
    double irelu_scale;                   /* NaN when extent is none */
    char extent[DC_RESULTS_NAME_LEN + 1];
    char rescaling[DC_RESULTS_NAME_LEN + 1];
    char status[DC_RESULTS_NAME_LEN + 1]; /* "pending" | "done" | "diverged" | "failed" */
    int64_t seed;
    char error[DC_RESULTS_ERROR_LEN + 1]; /* message of a diverged/failed run, else empty */
    int32_t rank;                         /* MPI rank that ran it, -1 while pending */
    char host[DC_RESULTS_HOST_LEN + 1];
    double wall_seconds;                  /* training + evaluation of the run */
    double finished;                      /* when the row was written: seconds since 1970 UTC */
    int32_t epochs_completed;
    int32_t diverged_epoch;               /* 1-based, 0 if none */
    int32_t best_epoch;                   /* the epoch of the best monitored value, 0 if none */
    char stop_reason[DC_RESULTS_NAME_LEN + 1]; /* dc_stop_reason_name; "" while pending */
    double final_lr;                      /* learning rate of the last epoch trained; NaN if none */
    double metric[DC_MAX_METRICS];        /* in /metrics order; NaN unless done */
} dc_results_row;

/* What a new file records besides its rows. */
typedef struct dc_results_meta {
    const char *sweep_name;      /* dc_sweep.name */
    const char *sweep_text;      /* full text of the sweep file */
    const char *sweep_effective; /* dc_sweep.effective: the canonical values that were hashed */
    const char *sweep_sha256;    /* dc_sweep.sha256 */
    const char *dataset_sha256;  /* "<hex>  <path>\n" per dataset file (sha256sum -c format) */
    const char *created;         /* ISO 8601 UTC, e.g. "2024-05-01T12:00:00Z" */
    const char *energy_unit;     /* the dataset's units; NULL: not written (a family without */
    const char *length_unit;     /* a dataset, a PDE's, has none) */
    const char *model_kind;      /* the family's task.kind (required) */
    int numerics_version;        /* of the engine that trains the runs: no resume or merge across */
    const char *model_record;    /* attribute model_record (the task's own record); NULL: none */
    const dc_task_field *task_field; /* /task/<name>, /task/x, /task/t; NULL: none */
    int64_t n_params;            /* kept models: [n_runs][n_params] weights; 0: none kept */
    int n_tensors;
    const dc_tensor *tensors;    /* [n_tensors] their layout */
    const dc_model_spec *spec;   /* hyperparameters and elements */
    int n_runs;
    int epochs;
    int n_metrics;
    const dc_metric_desc *metrics;          /* [n_metrics] */
    int n_curves;
    const char *const *curves;              /* [n_curves] names */
    dc_rescale rescaling[DC_N_RESCALINGS];  /* by method; NaN shift/scale where it failed */
    const char *shard;           /* "K/N" in a shard file (shard.h): attribute `shard`; else NULL */
} dc_results_meta;

/* What identifies an existing file's sweep (dc_results_probe). */
typedef struct dc_results_info {
    int format_version;
    int numerics_version;
    int n_runs;
    int epochs;
    char sweep_sha256[65];
} dc_results_info;

typedef struct dc_results dc_results;

/* Creates path (truncating any existing file), writes the metadata and the rows (the grid's
 * factors, status pending), and flushes. Serial. */
int dc_results_create(dc_results **res, const char *path, const dc_results_meta *meta,
                      const dc_results_row *rows, dc_error *err);

/* Opens an existing file for reading (writable = 0) or writing rows (writable = 1). Fails with
 * DC_ERR_INPUT if it is not a dcsweep results file of this format. Serial. */
int dc_results_open(dc_results **res, const char *path, int writable, dc_error *err);

/* Closes and frees (collective when the file was opened with results_mpi.h); res may be NULL. */
int dc_results_close(dc_results *res, dc_error *err);

/* The identity of an existing file. DC_ERR_INPUT when it is missing, not a regular file, not
 * HDF5 or HDF5 but not a dcsweep results file (one wording for every command: results_create.c,
 * check_path); DC_ERR_IO for a failure of the system. */
int dc_results_probe(const char *path, dc_results_info *info, dc_error *err);

/* Whether path starts with the HDF5 signature (0 when it cannot be read). */
int dc_results_is_hdf5(const char *path);

int dc_results_n_runs(const dc_results *res);
int dc_results_epochs(const dc_results *res);

/* The file's metric columns [*n] and curve names [*n] (owned by res). */
const dc_metric_desc *dc_results_metrics(const dc_results *res, int *n);
const char *const *dc_results_curves(const dc_results *res, int *n);
/* Index of a metric column or a curve by name, or -1. */
int dc_results_metric_index(const dc_results *res, const char *name);
int dc_results_curve_index(const dc_results *res, const char *name);

/* Writes run row->run: every curve row (curves [n_curves][epochs], NULL leaves them) and its kept
 * weights (params [n_params], NULL leaves them), then the row with status "pending", forces them
 * to storage, then the status alone: a row never reads "done" without its curves and weights.
 * Independent: the calling rank only touches this row. */
int dc_results_write_run(dc_results *res, const dc_results_row *row, const double *curves,
                         const float *params, dc_error *err);

/* ---- kept models (docs/results-format.md, "Kept models") ---- */

/* The kept weights' size (0: the file keeps none), layout and spec (owned by res). */
int64_t dc_results_n_params(const dc_results *res);
const dc_tensor *dc_results_tensors(const dc_results *res, int *n);
const dc_model_spec *dc_results_spec(const dc_results *res);
/* Run run's weights into params [n_params], and the other way (merge builds a file so). */
int dc_results_read_params(dc_results *res, int run, float *params, dc_error *err);
int dc_results_write_params(dc_results *res, int run, const float *params, dc_error *err);

/* Reads rows [first, first + n) into rows[0..n). Independent. */
int dc_results_read_rows(dc_results *res, int first, int n, dc_results_row *rows, dc_error *err);

/* Reads the whole curve c (an index of dc_results_curves): out [n_runs][epochs]. Independent. */
int dc_results_read_curve(dc_results *res, int c, double *out, dc_error *err);

/* Writes the whole curve c: data [n_runs][epochs] (merge builds a file this way). */
int dc_results_write_curve(dc_results *res, int c, const double *data, dc_error *err);

/* Whether the root group has an attribute called name. */
int dc_results_has_attr(dc_results *res, const char *name);

/* A string attribute of the root group (sweep_text, sweep_sha256, ...): *out is malloc'd. */
int dc_results_read_attr_string(dc_results *res, const char *name, char **out, dc_error *err);

/* The file's task field (/task/<name> and its axes) into out, whose arrays are then allocated
 * (dc_results_task_field_free); name "" when the file has none. */
int dc_results_read_task_field(dc_results *res, dc_task_field *out, dc_error *err);
void dc_results_task_field_free(dc_task_field *field);

/* The rescaling statistics recorded at creation, indexed by method. */
int dc_results_read_rescaling(dc_results *res, dc_rescale out[DC_N_RESCALINGS], dc_error *err);

/* A pending row for a grid point: factors filled, status pending, metrics NaN, rank -1. */
void dc_results_row_init(dc_results_row *row, const dc_run *run);

/* The status of a row: stored as dc_run_status_name; -1 for an unknown name. */
int dc_results_status_parse(const char *name);

/* "<hex>  <path>\n" for each dataset file the sweep reads, in the order train, validation, test,
 * file (unused ones skipped); *out is malloc'd. Reads every file whole. */
int dc_results_dataset_digest(const dc_dataset_config *dataset, char **out, dc_error *err);

/* dst[0..cap) = src, cut to cap - 1 bytes, zero-filled (so fixed-length fields compare bytewise). */
void dc_results_copy_field(char *dst, size_t cap, const char *src);

#endif
