/* The results file (include/dcsweep/results/results.h, docs/results-format.md).
 *
 * Crash consistency comes from the layout, not from luck: every dataset is contiguous and
 * allocated (and filled) when it is created, time tracking is off, and the metadata is flushed
 * before any row is written. Writing a row afterwards is a plain write into existing bytes; no
 * HDF5 metadata changes, so a process killed in the middle of a write can leave at worst that one
 * row half written, and the row's status is written last, after its metrics reached storage.
 * Creating and opening are results_create.c (serial) and results_mpi.c (collective). */
#include "dcsweep/results/results.h"

#include <hdf5.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results_internal.h"

/* ---- the /runs compound type: one table drives the memory and the file layout ---- */

enum { M_I32, M_I64, M_F64, M_STR };

typedef struct member {
    const char *name;
    size_t offset;   /* in dc_results_row */
    int kind;
    size_t len;      /* M_STR: bytes on disk */
} member;

#define ROW_OFF(field) offsetof(dc_results_row, field)
static const member members[] = {
    {"run", ROW_OFF(run), M_I32, 0},
    {"irelu_scale", ROW_OFF(irelu_scale), M_F64, 0},
    {"extent", ROW_OFF(extent), M_STR, DC_RESULTS_NAME_LEN},
    {"rescaling", ROW_OFF(rescaling), M_STR, DC_RESULTS_NAME_LEN},
    {"status", ROW_OFF(status), M_STR, DC_RESULTS_NAME_LEN},
    {"seed", ROW_OFF(seed), M_I64, 0},
    {"error", ROW_OFF(error), M_STR, DC_RESULTS_ERROR_LEN},
    {"rank", ROW_OFF(rank), M_I32, 0},
    {"host", ROW_OFF(host), M_STR, DC_RESULTS_HOST_LEN},
    {"wall_seconds", ROW_OFF(wall_seconds), M_F64, 0},
    {"finished", ROW_OFF(finished), M_F64, 0},
    {"epochs_completed", ROW_OFF(epochs_completed), M_I32, 0},
    {"diverged_epoch", ROW_OFF(diverged_epoch), M_I32, 0},
    {"best_epoch", ROW_OFF(best_epoch), M_I32, 0},
    {"stop_reason", ROW_OFF(stop_reason), M_STR, DC_RESULTS_NAME_LEN},
    {"final_lr", ROW_OFF(final_lr), M_F64, 0},
};
#define N_MEMBERS (int)(sizeof members / sizeof members[0])

hid_t dc_results_string_type(size_t len)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return t;
    if (H5Tset_size(t, len) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* Bytes of a packed file row with n_metrics metric columns. */
size_t dc_results_packed_row_size(int n_metrics)
{
    size_t size = 8 * (size_t)n_metrics;
    for (int i = 0; i < N_MEMBERS; i++)
        size += members[i].kind == M_STR ? members[i].len : members[i].kind == M_I32 ? 4 : 8;
    return size;
}

/* packed = 0: the in-memory dc_results_row; 1: the file's packed little-endian layout. The fixed
 * members, then one float64 per metric, named as the metric. */
int dc_results_row_type(hid_t *out, int packed, int n_metrics, const dc_metric_desc *metrics,
                        dc_error *err)
{
    int rc = DC_OK;
    hid_t t = -1, str = -1;
    size_t size = packed ? dc_results_packed_row_size(n_metrics) : sizeof(dc_results_row);
    H5_CHECK(t = H5Tcreate(H5T_COMPOUND, size));
    size_t at = 0;
    for (int i = 0; i < N_MEMBERS; i++) {
        const member *m = &members[i];
        hid_t mt;
        size_t msize;
        switch (m->kind) {
        case M_I32: mt = packed ? H5T_STD_I32LE : H5T_NATIVE_INT32; msize = 4; break;
        case M_I64: mt = packed ? H5T_STD_I64LE : H5T_NATIVE_INT64; msize = 8; break;
        case M_F64: mt = packed ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE; msize = 8; break;
        default:
            H5_CHECK(str = dc_results_string_type(m->len));
            mt = str;
            msize = m->len;
        }
        H5_CHECK(H5Tinsert(t, m->name, packed ? at : m->offset, mt));
        at += msize;
        if (str >= 0) H5Tclose(str);
        str = -1;
    }
    for (int k = 0; k < n_metrics; k++) {
        size_t mem = ROW_OFF(metric) + (size_t)k * sizeof(double);
        H5_CHECK(H5Tinsert(t, metrics[k].name, packed ? at : mem,
                           packed ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE));
        at += 8;
    }
    *out = t;
    t = -1;
cleanup:
    if (str >= 0) H5Tclose(str);
    if (t >= 0) H5Tclose(t);
    return rc;
}

/* A compound with only the `status` member, over a char[DC_RESULTS_NAME_LEN + 1]: writing with it
 * leaves every other member of the row on disk as it is. */
static int status_type_create(hid_t *out, dc_error *err)
{
    int rc = DC_OK;
    hid_t t = -1, str = -1;
    H5_CHECK(t = H5Tcreate(H5T_COMPOUND, DC_RESULTS_NAME_LEN + 1));
    H5_CHECK(str = dc_results_string_type(DC_RESULTS_NAME_LEN));
    H5_CHECK(H5Tinsert(t, "status", 0, str));
    *out = t;
    t = -1;
cleanup:
    if (str >= 0) H5Tclose(str);
    if (t >= 0) H5Tclose(t);
    return rc;
}

/* ---- small helpers ---- */

void dc_results_copy_field(char *dst, size_t cap, const char *src)
{
    memset(dst, 0, cap);
    if (src) strncpy(dst, src, cap - 1);
}

void dc_results_row_init(dc_results_row *row, const dc_run *run)
{
    memset(row, 0, sizeof *row);
    row->run = run->index;
    row->irelu_scale = run->extent == DC_EXTENT_NONE ? NAN : run->irelu_scale;
    dc_results_copy_field(row->extent, sizeof row->extent, dc_extent_name(run->extent));
    dc_results_copy_field(row->rescaling, sizeof row->rescaling, dc_rescaling_name(run->rescaling));
    dc_results_copy_field(row->status, sizeof row->status, dc_run_status_name(DC_RUN_PENDING));
    row->seed = run->seed;
    row->rank = -1;
    row->wall_seconds = NAN;
    row->finished = NAN;
    row->final_lr = NAN;
    for (int k = 0; k < DC_MAX_METRICS; k++) row->metric[k] = NAN;
}

int dc_results_status_parse(const char *name) { return dc_run_status_parse(name); }

int dc_results_n_runs(const dc_results *res) { return res->n_runs; }
int dc_results_epochs(const dc_results *res) { return res->epochs; }

const dc_metric_desc *dc_results_metrics(const dc_results *res, int *n)
{
    *n = res->n_metrics;
    return res->metrics;
}

const char *const *dc_results_curves(const dc_results *res, int *n)
{
    *n = res->n_curves;
    return res->curve_ptrs;
}

int dc_results_metric_index(const dc_results *res, const char *name)
{
    for (int k = 0; k < res->n_metrics; k++)
        if (name && strcmp(res->metrics[k].name, name) == 0) return k;
    return -1;
}

int dc_results_curve_index(const dc_results *res, const char *name)
{
    for (int k = 0; k < res->n_curves; k++)
        if (name && strcmp(res->curve_names[k], name) == 0) return k;
    return -1;
}

void dc_results_hdf5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

hid_t dc_results_file_access(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* Lock where the file system can, go on where it cannot (Lustre/NFS mounted without flock). */
    if (fapl >= 0 && H5Pset_file_locking(fapl, 1, 1) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

dc_results *dc_results_alloc(dc_error *err)
{
    dc_results *res = dc_calloc(1, sizeof *res, err);
    if (!res) return NULL;
    res->file = res->runs = res->row_type = res->status_type = res->params = -1;
    for (int c = 0; c < DC_MAX_CURVES; c++) res->curves[c] = -1;
    res->fd = -1;
    return res;
}

/* The metric columns and curve names of a file, kept in res (create and open). */
int dc_results_set_layout(dc_results *res, int n_metrics, const dc_metric_desc *metrics,
                          int n_curves, const char *const *curves, dc_error *err)
{
    if (n_metrics < 0 || n_metrics > DC_MAX_METRICS || n_curves < 1 || n_curves > DC_MAX_CURVES)
        return dc_error_set(err, DC_ERR_INPUT, "results: %d metrics (at most %d) and %d curves (1..%d)",
                            n_metrics, DC_MAX_METRICS, n_curves, DC_MAX_CURVES);
    res->n_metrics = n_metrics;
    if (n_metrics > 0) memcpy(res->metrics, metrics, (size_t)n_metrics * sizeof *metrics);
    res->n_curves = n_curves;
    for (int c = 0; c < n_curves; c++) {
        dc_results_copy_field(res->curve_names[c], sizeof res->curve_names[c], curves[c]);
        res->curve_ptrs[c] = res->curve_names[c];
    }
    return DC_OK;
}

/* Called last by create and open: types, fd, and whether this process may flush alone. */
int dc_results_finish_open(dc_results *res, const char *path, int alone, dc_error *err)
{
    int rc = DC_OK;
    res->can_flush = alone;
    if (res->row_type < 0) DC_TRY(dc_results_row_type(&res->row_type, 0, res->n_metrics, res->metrics, err));
    DC_TRY(status_type_create(&res->status_type, err));
    /* fsync through a plain descriptor reaches the same file pages as the MPI-IO writes. */
    res->fd = open(path, O_RDONLY);
cleanup:
    return rc;
}

int dc_results_close(dc_results *res, dc_error *err)
{
    int rc = DC_OK;
    if (!res) return rc;
    for (int c = 0; c < DC_MAX_CURVES; c++)
        if (res->curves[c] >= 0) H5Dclose(res->curves[c]);
    if (res->runs >= 0) H5Dclose(res->runs);
    if (res->params >= 0) H5Dclose(res->params);
    if (res->row_type >= 0) H5Tclose(res->row_type);
    if (res->status_type >= 0) H5Tclose(res->status_type);
    if (res->fd >= 0) close(res->fd);
    if (res->file >= 0 && H5Fclose(res->file) < 0)
        rc = dc_error_set(err, DC_ERR_HDF5, "%s:%d: H5Fclose failed", __FILE__, __LINE__);
    free(res);
    return rc;
}

/* ---- rows ---- */

/* Selects rows [first, first + n) (x cols columns when the dataset is 2-D). */
static int select_rows(hid_t dset, int first, int n, int cols, hid_t *file_space, hid_t *mem_space,
                       dc_error *err)
{
    int rc = DC_OK;
    hsize_t start[2] = {(hsize_t)first, 0}, count[2] = {(hsize_t)n, (hsize_t)cols};
    hsize_t mem_dims[1] = {(hsize_t)n * (hsize_t)(cols ? cols : 1)};
    H5_CHECK(*file_space = H5Dget_space(dset));
    H5_CHECK(H5Sselect_hyperslab(*file_space, H5S_SELECT_SET, start, NULL, count, NULL));
    H5_CHECK(*mem_space = H5Screate_simple(1, mem_dims, NULL));
cleanup:
    return rc;
}

static int write_rows(dc_results *res, hid_t dset, hid_t type, int first, int n, int cols,
                      const void *buf, dc_error *err)
{
    int rc = DC_OK;
    hid_t fs = -1, ms = -1;
    DC_TRY(select_rows(dset, first, n, cols, &fs, &ms, err));
    H5_CHECK(H5Dwrite(dset, type, ms, fs, H5P_DEFAULT, buf));
cleanup:
    (void)res;
    if (fs >= 0) H5Sclose(fs);
    if (ms >= 0) H5Sclose(ms);
    return rc;
}

/* Makes every write so far durable before the next one: HDF5's own buffers (serial sieve buffer)
 * when we may flush alone, then the kernel's (or parallel file system client's) pages. */
static int sync_file(dc_results *res, dc_error *err)
{
    int rc = DC_OK;
    if (res->can_flush) H5_CHECK(H5Fflush(res->file, H5F_SCOPE_LOCAL));
    if (res->fd >= 0 && fsync(res->fd) != 0 && errno == EIO)
        DC_FAIL(DC_ERR_IO, "fsync of the results file failed: %s", strerror(errno));
cleanup:
    return rc;
}

int dc_results_write_run(dc_results *res, const dc_results_row *row, const double *curves,
                         const float *params, dc_error *err)
{
    int rc = DC_OK;
    if (row->run < 0 || row->run >= res->n_runs)
        DC_FAIL(DC_ERR_INTERNAL, "run %d outside the results file's %d runs", row->run, res->n_runs);
    if (curves)
        for (int c = 0; c < res->n_curves; c++)
            DC_TRY(write_rows(res, res->curves[c], H5T_NATIVE_DOUBLE, row->run, 1, res->epochs,
                              curves + (size_t)c * (size_t)res->epochs, err));
    if (params && res->params >= 0) DC_TRY(dc_results_write_params(res, row->run, params, err));
    dc_results_row first = *row;
    dc_results_copy_field(first.status, sizeof first.status, dc_run_status_name(DC_RUN_PENDING));
    DC_TRY(write_rows(res, res->runs, res->row_type, row->run, 1, 0, &first, err));
    DC_TRY(sync_file(res, err));
    DC_TRY(write_rows(res, res->runs, res->status_type, row->run, 1, 0, row->status, err));
    DC_TRY(sync_file(res, err));
cleanup:
    return rc;
}

int dc_results_read_rows(dc_results *res, int first, int n, dc_results_row *rows, dc_error *err)
{
    int rc = DC_OK;
    hid_t fs = -1, ms = -1;
    if (first < 0 || n < 0 || first + n > res->n_runs)
        DC_FAIL(DC_ERR_INTERNAL, "rows [%d, %d) outside the results file's %d runs", first,
                first + n, res->n_runs);
    if (n == 0) return DC_OK;
    memset(rows, 0, (size_t)n * sizeof *rows);  /* the byte after each string stays its NUL */
    DC_TRY(select_rows(res->runs, first, n, 0, &fs, &ms, err));
    H5_CHECK(H5Dread(res->runs, res->row_type, ms, fs, H5P_DEFAULT, rows));
    for (int i = 0; i < n; i++) /* columns the file does not have, as dc_results_row_init leaves them */
        for (int k = res->n_metrics; k < DC_MAX_METRICS; k++) rows[i].metric[k] = NAN;
cleanup:
    if (fs >= 0) H5Sclose(fs);
    if (ms >= 0) H5Sclose(ms);
    return rc;
}

int dc_results_read_curve(dc_results *res, int c, double *out, dc_error *err)
{
    int rc = DC_OK;
    if (c < 0 || c >= res->n_curves) DC_FAIL(DC_ERR_INTERNAL, "curve %d out of range", c);
    H5_CHECK(H5Dread(res->curves[c], H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out));
cleanup:
    return rc;
}

int dc_results_write_curve(dc_results *res, int c, const double *data, dc_error *err)
{
    int rc = DC_OK;
    if (c < 0 || c >= res->n_curves) DC_FAIL(DC_ERR_INTERNAL, "curve %d out of range", c);
    H5_CHECK(H5Dwrite(res->curves[c], H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
cleanup:
    return rc;
}
