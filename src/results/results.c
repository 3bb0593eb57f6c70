/* The results file (include/dcsweep/results.h, docs/results-format.md).
 *
 * Crash consistency comes from the layout, not from luck: every dataset is contiguous and
 * allocated (and filled) when it is created, time tracking is off, and the metadata is flushed
 * before any row is written. Writing a row afterwards is a plain write into existing bytes; no
 * HDF5 metadata changes, so a process killed in the middle of a write can leave at worst that one
 * row half written, and the row's status is written last, after its metrics reached storage. */
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

struct dc_results {
    hid_t file;
    hid_t runs;                 /* /runs [n_runs] */
    hid_t curves[DC_N_CURVES];  /* /curves/<name> [n_runs][epochs] */
    hid_t row_type;             /* memory compound of dc_results_row */
    hid_t status_type;          /* memory compound with only `status`: the last write of a row */
    int n_runs, epochs;
    int can_flush;              /* H5Fflush is collective under MPI-IO: only when we are alone */
    int fd;                     /* read-only descriptor of the file, to fsync it; -1 if none */
};

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
    {"val_energy_mae", ROW_OFF(val.energy_mae), M_F64, 0},
    {"val_energy_rmse", ROW_OFF(val.energy_rmse), M_F64, 0},
    {"val_force_mae", ROW_OFF(val.force_mae), M_F64, 0},
    {"val_force_rmse", ROW_OFF(val.force_rmse), M_F64, 0},
    {"val_efwt", ROW_OFF(val.efwt), M_F64, 0},
    {"test_energy_mae", ROW_OFF(test.energy_mae), M_F64, 0},
    {"test_energy_rmse", ROW_OFF(test.energy_rmse), M_F64, 0},
    {"test_force_mae", ROW_OFF(test.force_mae), M_F64, 0},
    {"test_force_rmse", ROW_OFF(test.force_rmse), M_F64, 0},
    {"test_efwt", ROW_OFF(test.efwt), M_F64, 0},
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

/* packed = 0: the in-memory dc_results_row; 1: the file's packed little-endian layout. */
static int row_type_create(hid_t *out, int packed, dc_error *err)
{
    int rc = DC_OK;
    hid_t t = -1, str = -1;
    size_t size = 0;
    if (packed) {
        for (int i = 0; i < N_MEMBERS; i++)
            size += members[i].kind == M_STR ? members[i].len : members[i].kind == M_I32 ? 4 : 8;
    } else {
        size = sizeof(dc_results_row);
    }
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
    double *metrics[] = {&row->val.energy_mae, &row->val.energy_rmse, &row->val.force_mae,
                         &row->val.force_rmse, &row->val.efwt, &row->test.energy_mae,
                         &row->test.energy_rmse, &row->test.force_mae, &row->test.force_rmse,
                         &row->test.efwt};
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++) *metrics[i] = NAN;
}

int dc_results_status_parse(const char *name)
{
    for (int s = DC_RUN_PENDING; s <= DC_RUN_FAILED; s++)
        if (strcmp(name, dc_run_status_name((dc_run_status)s)) == 0) return s;
    return -1;
}

int dc_results_n_runs(const dc_results *res) { return res->n_runs; }
int dc_results_epochs(const dc_results *res) { return res->epochs; }

void dc_results_hdf5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

hid_t dc_results_file(const dc_results *res) { return res->file; }

hid_t dc_results_file_access(MPI_Comm comm)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* Lock where the file system can, go on where it cannot (Lustre/NFS mounted without flock). */
    if (fapl >= 0 && H5Pset_file_locking(fapl, 1, 1) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    if (fapl >= 0 && comm != MPI_COMM_NULL && H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

static dc_results *results_alloc(dc_error *err)
{
    dc_results *res = dc_calloc(1, sizeof *res, err);
    if (!res) return NULL;
    res->file = res->runs = res->row_type = res->status_type = -1;
    for (int c = 0; c < DC_N_CURVES; c++) res->curves[c] = -1;
    res->fd = -1;
    return res;
}

/* Called last by create and open: types, fd, and whether this process may flush alone. */
static int results_finish_open(dc_results *res, const char *path, MPI_Comm comm, dc_error *err)
{
    int rc = DC_OK;
    int size = 1;
    if (comm != MPI_COMM_NULL && MPI_Comm_size(comm, &size) != MPI_SUCCESS)
        DC_FAIL(DC_ERR_MPI, "MPI_Comm_size failed");
    res->can_flush = size == 1;
    if (res->row_type < 0) DC_TRY(row_type_create(&res->row_type, 0, err));
    DC_TRY(status_type_create(&res->status_type, err));
    /* fsync through a plain descriptor reaches the same file pages as the MPI-IO writes. */
    res->fd = open(path, O_RDONLY);
cleanup:
    return rc;
}

/* ---- create ---- */

/* Contiguous, allocated and filled at creation, no timestamps: nothing about it changes later. */
static hid_t fixed_dcpl(hid_t fill_type, const void *fill)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl < 0) return dcpl;
    if (H5Pset_layout(dcpl, H5D_CONTIGUOUS) < 0 || H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0 ||
        H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC) < 0 || H5Pset_obj_track_times(dcpl, 0) < 0 ||
        H5Pset_fill_value(dcpl, fill_type, fill) < 0) {
        H5Pclose(dcpl);
        return -1;
    }
    return dcpl;
}

/* Reserves the new file's size (an upper estimate) on disk, through a probe file next to it, before
 * HDF5 writes anything: a full disk or an exhausted quota is then one clear error here, not a
 * failure inside HDF5, whose MPI-IO driver cannot close a file after a failed write (HDF5 1.10.8
 * then crashes in MPI_Finalize). Once created the file never grows (see the top of this file), so
 * a disk that fills up later cannot stop rows from being written. Rank 0 only. */
static int reserve_space(const char *path, const dc_results_meta *meta, dc_error *err)
{
    double row = 0;
    for (int i = 0; i < N_MEMBERS; i++)
        row += members[i].kind == M_STR ? (double)members[i].len : members[i].kind == M_I32 ? 4 : 8;
    double bytes = (double)meta->n_runs * row + 8.0 * DC_N_CURVES * meta->n_runs * meta->epochs +
                   (meta->sweep_text ? (double)strlen(meta->sweep_text) : 0) +
                   (meta->sweep_effective ? (double)strlen(meta->sweep_effective) : 0) + 32768;
    char probe[4200];
    snprintf(probe, sizeof probe, "%s.space-check", path);
    int fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return dc_error_set(err, DC_ERR_IO, "%s: cannot create the results file: %s", path,
                            strerror(errno));
    int e = posix_fallocate(fd, 0, (off_t)bytes);
    close(fd);
    unlink(probe);
    if (e == ENOSPC || e == EDQUOT || e == EFBIG)
        return dc_error_set(err, DC_ERR_IO, "%s: cannot create the results file: %s (it needs about "
                            "%.0f kB)", path, strerror(e), bytes / 1024);
    return DC_OK;  /* a file system without fallocate: HDF5 reports what goes wrong, if anything */
}

int dc_results_create(dc_results **out, const char *path, const dc_results_meta *meta,
                      const dc_results_row *rows, MPI_Comm comm, dc_error *err)
{
    int rc = DC_OK;
    dc_results *res = NULL;
    hid_t fapl = -1, ftype = -1, space = -1, dcpl = -1, gcpl = -1, group = -1;
    *out = NULL;
    dc_results_hdf5_quiet();
    if (meta->n_runs < 1 || meta->epochs < 1)
        DC_FAIL(DC_ERR_INPUT, "%s: a results file needs at least one run and one epoch", path);
    int rank = 0;
    if (comm != MPI_COMM_NULL && MPI_Comm_rank(comm, &rank) != MPI_SUCCESS)
        DC_FAIL(DC_ERR_MPI, "MPI_Comm_rank failed");
    if (!(res = results_alloc(err))) return DC_ERR_NOMEM;
    res->n_runs = meta->n_runs;
    res->epochs = meta->epochs;

    /* Collective: every rank learns rank 0's verdict (and message) before H5Fcreate. */
    dc_error space_err = {0};
    int space_rc = rank == 0 ? reserve_space(path, meta, &space_err) : DC_OK;
    if (comm != MPI_COMM_NULL && MPI_Bcast(&space_rc, 1, MPI_INT, 0, comm) != MPI_SUCCESS)
        DC_FAIL(DC_ERR_MPI, "MPI_Bcast failed");
    if (space_rc != DC_OK && comm != MPI_COMM_NULL &&
        MPI_Bcast(space_err.message, DC_ERROR_MAX, MPI_CHAR, 0, comm) != MPI_SUCCESS)
        DC_FAIL(DC_ERR_MPI, "MPI_Bcast failed");
    if (space_rc != DC_OK) DC_FAIL(space_rc, "%s", space_err.message);
    H5_CHECK(fapl = dc_results_file_access(comm));
    res->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (res->file < 0) DC_FAIL(DC_ERR_IO, "%s: cannot create the results file", path);
    DC_TRY(row_type_create(&res->row_type, 0, err));
    DC_TRY(row_type_create(&ftype, 1, err));

    dc_results_row fill_row;
    dc_run nothing = {.index = -1, .irelu_scale = NAN, .extent = DC_EXTENT_NONE,
                      .rescaling = DC_RESCALE_NONE, .seed = 0};
    dc_results_row_init(&fill_row, &nothing);
    memset(fill_row.extent, 0, sizeof fill_row.extent);
    memset(fill_row.rescaling, 0, sizeof fill_row.rescaling);
    hsize_t dims[2] = {(hsize_t)meta->n_runs, (hsize_t)meta->epochs};
    H5_CHECK(space = H5Screate_simple(1, dims, NULL));
    H5_CHECK(dcpl = fixed_dcpl(res->row_type, &fill_row));
    H5_CHECK(res->runs = H5Dcreate2(res->file, "runs", ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
    H5Pclose(dcpl);
    H5Sclose(space);
    dcpl = space = -1;

    double nan = NAN;
    H5_CHECK(gcpl = H5Pcreate(H5P_GROUP_CREATE));
    H5_CHECK(H5Pset_obj_track_times(gcpl, 0));
    H5_CHECK(group = H5Gcreate2(res->file, "curves", H5P_DEFAULT, gcpl, H5P_DEFAULT));
    H5_CHECK(space = H5Screate_simple(2, dims, NULL));
    H5_CHECK(dcpl = fixed_dcpl(H5T_NATIVE_DOUBLE, &nan));
    for (int c = 0; c < DC_N_CURVES; c++)
        H5_CHECK(res->curves[c] = H5Dcreate2(group, dc_curve_name((dc_curve)c), H5T_IEEE_F64LE,
                                             space, H5P_DEFAULT, dcpl, H5P_DEFAULT));

    DC_TRY(dc_results_write_meta(res->file, meta, rank == 0, err));
    if (rank == 0) H5_CHECK(H5Dwrite(res->runs, res->row_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows));
    /* Collective: from here on the metadata is on disk and never changes. */
    H5_CHECK(H5Fflush(res->file, H5F_SCOPE_GLOBAL));
    DC_TRY(results_finish_open(res, path, comm, err));
    *out = res;
    res = NULL;
cleanup:
    if (group >= 0) H5Gclose(group);
    if (gcpl >= 0) H5Pclose(gcpl);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    if (ftype >= 0) H5Tclose(ftype);
    if (fapl >= 0) H5Pclose(fapl);
    if (res) dc_results_close(res, NULL);
    return rc;
}

/* ---- open, probe, close ---- */

int dc_results_open(dc_results **out, const char *path, int writable, MPI_Comm comm, dc_error *err)
{
    int rc = DC_OK;
    dc_results *res = NULL;
    hid_t fapl = -1, space = -1;
    dc_results_info info;
    *out = NULL;
    dc_results_hdf5_quiet();
    if (!(res = results_alloc(err))) return DC_ERR_NOMEM;
    H5_CHECK(fapl = dc_results_file_access(comm));
    res->file = H5Fopen(path, writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
    if (res->file < 0)
        DC_FAIL(DC_ERR_IO, "%s: cannot open as an HDF5 file%s", path, writable ? " for writing" : "");
    DC_TRY(dc_results_check_identity(res->file, path, &info, err));
    res->n_runs = info.n_runs;
    res->epochs = info.epochs;
    res->runs = H5Dopen2(res->file, "runs", H5P_DEFAULT);
    if (res->runs < 0) DC_FAIL(DC_ERR_INPUT, "%s: no /runs dataset", path);
    hsize_t dims[2] = {0, 0};
    H5_CHECK(space = H5Dget_space(res->runs));
    if (H5Sget_simple_extent_ndims(space) != 1 || H5Sget_simple_extent_dims(space, dims, NULL) < 0 ||
        dims[0] != (hsize_t)info.n_runs)
        DC_FAIL(DC_ERR_INPUT, "%s: /runs does not have n_runs = %d rows", path, info.n_runs);
    H5Sclose(space);
    space = -1;
    for (int c = 0; c < DC_N_CURVES; c++) {
        char name[64];
        snprintf(name, sizeof name, "curves/%s", dc_curve_name((dc_curve)c));
        res->curves[c] = H5Dopen2(res->file, name, H5P_DEFAULT);
        if (res->curves[c] < 0) DC_FAIL(DC_ERR_INPUT, "%s: no /%s dataset", path, name);
        H5_CHECK(space = H5Dget_space(res->curves[c]));
        if (H5Sget_simple_extent_ndims(space) != 2 || H5Sget_simple_extent_dims(space, dims, NULL) < 0 ||
            dims[0] != (hsize_t)info.n_runs || dims[1] != (hsize_t)info.epochs)
            DC_FAIL(DC_ERR_INPUT, "%s: /%s is not [n_runs = %d][epochs = %d]", path, name,
                    info.n_runs, info.epochs);
        H5Sclose(space);
        space = -1;
    }
    DC_TRY(results_finish_open(res, path, comm, err));
    *out = res;
    res = NULL;
cleanup:
    if (space >= 0) H5Sclose(space);
    if (fapl >= 0) H5Pclose(fapl);
    if (res) dc_results_close(res, NULL);
    return rc;
}

int dc_results_close(dc_results *res, dc_error *err)
{
    int rc = DC_OK;
    if (!res) return rc;
    for (int c = 0; c < DC_N_CURVES; c++)
        if (res->curves[c] >= 0) H5Dclose(res->curves[c]);
    if (res->runs >= 0) H5Dclose(res->runs);
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
                         dc_error *err)
{
    int rc = DC_OK;
    if (row->run < 0 || row->run >= res->n_runs)
        DC_FAIL(DC_ERR_INTERNAL, "run %d outside the results file's %d runs", row->run, res->n_runs);
    if (curves)
        for (int c = 0; c < DC_N_CURVES; c++)
            DC_TRY(write_rows(res, res->curves[c], H5T_NATIVE_DOUBLE, row->run, 1, res->epochs,
                              curves + (size_t)c * (size_t)res->epochs, err));
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
cleanup:
    if (fs >= 0) H5Sclose(fs);
    if (ms >= 0) H5Sclose(ms);
    return rc;
}

int dc_results_read_curve(dc_results *res, dc_curve c, double *out, dc_error *err)
{
    int rc = DC_OK;
    if (c < 0 || c >= DC_N_CURVES) DC_FAIL(DC_ERR_INTERNAL, "curve %d out of range", (int)c);
    H5_CHECK(H5Dread(res->curves[c], H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out));
cleanup:
    return rc;
}
