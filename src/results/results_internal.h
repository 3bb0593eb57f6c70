/* Shared by the files of src/results/ (layout and rows, creation, metadata, the MPI-IO variant);
 * not a public interface. */
#ifndef DCSWEEP_RESULTS_INTERNAL_H
#define DCSWEEP_RESULTS_INTERNAL_H

#include <hdf5.h>

#include "dcsweep/results/results.h"

struct dc_results {
    hid_t file;
    hid_t runs;                  /* /runs [n_runs] */
    hid_t curves[DC_MAX_CURVES]; /* /curves/<name> [n_runs][epochs] */
    hid_t row_type;              /* memory compound of dc_results_row (n_metrics metric members) */
    hid_t status_type;           /* memory compound with only `status`: the last write of a row */
    int n_runs, epochs;
    int n_metrics, n_curves;
    dc_metric_desc metrics[DC_MAX_METRICS];
    char curve_names[DC_MAX_CURVES][DC_METRIC_NAME_MAX];
    const char *curve_ptrs[DC_MAX_CURVES];
    hid_t params;                /* /models/params [n_runs][n_params], -1 when none are kept */
    int64_t n_params;
    int n_tensors;
    dc_tensor tensors[DC_MAX_TENSORS];
    dc_model_spec spec;
    int can_flush;               /* H5Fflush is collective under MPI-IO: only when we are alone */
    int fd;                      /* read-only descriptor of the file, to fsync it; -1 if none */
};

/* ---- results.c ---- */

/* Null-padded fixed-length ASCII: h5py reads it as bytes, and nothing depends on a terminator. */
hid_t dc_results_string_type(size_t len);

/* Library code never prints: HDF5's own error stack printing goes off, our messages say it all. */
void dc_results_hdf5_quiet(void);

/* Serial file access properties (locking where the file system can). */
hid_t dc_results_file_access(void);

/* The /runs compound: packed = 0 the in-memory dc_results_row, 1 the file's packed layout. */
int dc_results_row_type(hid_t *out, int packed, int n_metrics, const dc_metric_desc *metrics,
                        dc_error *err);
size_t dc_results_packed_row_size(int n_metrics);

dc_results *dc_results_alloc(dc_error *err);
int dc_results_set_layout(dc_results *res, int n_metrics, const dc_metric_desc *metrics,
                          int n_curves, const char *const *curves, dc_error *err);
/* Last step of create and open: memory types, the fsync descriptor; alone: may H5Fflush alone. */
int dc_results_finish_open(dc_results *res, const char *path, int alone, dc_error *err);

/* ---- results_create.c: the steps that the serial and the MPI variants share ---- */

/* Reserves the new file's size on disk before HDF5 writes anything (one process). */
int dc_results_reserve_space(const char *path, const dc_results_meta *meta, dc_error *err);
/* Creates the file with fapl; writer: this process writes the raw data of the metadata and rows;
 * alone: no other process has the file open. */
int dc_results_create_with(dc_results **res, const char *path, const dc_results_meta *meta,
                           const dc_results_row *rows, hid_t fapl, int writer, int alone,
                           dc_error *err);
int dc_results_open_with(dc_results **res, const char *path, int writable, hid_t fapl, int alone,
                         dc_error *err);

/* ---- results_models.c ---- */

/* /models of a new file (nothing when meta->n_params is 0); dcpl: the file's fixed layout. */
int dc_results_create_models(dc_results *res, const dc_results_meta *meta, hid_t dcpl, int writer,
                             dc_error *err);
/* /models of an existing file, if it has one. */
int dc_results_open_models(dc_results *res, const char *path, dc_error *err);

/* ---- results_meta.c ---- */

/* The root attributes, /metrics and /rescaling of a new file. Collective in parallel (metadata);
 * writer: whether this process writes the raw data of /metrics and /rescaling. */
int dc_results_write_meta(hid_t file, const dc_results_meta *meta, int writer, dc_error *err);

/* ---- results_task.c ---- */

/* /task/<name> and its axes when meta has a task field (writer: writes their values). */
int dc_results_write_task(hid_t file, const dc_results_meta *meta, int writer, dc_error *err);

/* Reads and checks format_version, n_runs, epochs, sweep_sha256 (DC_ERR_INPUT if absent/foreign). */
int dc_results_check_identity(hid_t file, const char *path, dc_results_info *info, dc_error *err);

/* The metric columns (/metrics) and curve names (attribute curve_names) of an existing file. */
int dc_results_read_layout(dc_results *res, const char *path, dc_error *err);

#endif
