/* Creating and opening a results file (include/dcsweep/results/results.h): the steps shared by
 * the serial interface (here) and the collective one (results_mpi.c), which differ only in the
 * file access properties and in which process writes raw data. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "dcsweep/results/results_mpi.h"
#include "results_internal.h"

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
 * then crashes in MPI_Finalize). Once created the file never grows (see results.c), so a disk
 * that fills up later cannot stop rows from being written. */
double dc_results_file_bytes(const dc_results_meta *meta)
{
    double row = (double)dc_results_packed_row_size(meta->n_metrics);
    return (double)meta->n_runs * row + 8.0 * meta->n_curves * meta->n_runs * meta->epochs +
           4.0 * (double)meta->n_runs * (double)meta->n_params +
           (meta->sweep_text ? (double)strlen(meta->sweep_text) : 0) +
           (meta->sweep_effective ? (double)strlen(meta->sweep_effective) : 0) +
           (meta->task_field ? 8.0 * ((double)meta->task_field->rows * meta->task_field->cols +
                                      meta->task_field->rows + meta->task_field->cols) : 0) + 32768;
}

int dc_results_reserve_space(const char *path, const dc_results_meta *meta, dc_error *err)
{
    double bytes = dc_results_file_bytes(meta);
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

static int create_runs(dc_results *res, const dc_results_meta *meta, dc_error *err)
{
    int rc = DC_OK;
    hid_t ftype = -1, space = -1, dcpl = -1;
    DC_TRY(dc_results_row_type(&res->row_type, 0, res->n_metrics, res->metrics, err));
    DC_TRY(dc_results_row_type(&ftype, 1, res->n_metrics, res->metrics, err));
    dc_results_row fill_row;
    dc_run nothing = {.index = -1, .irelu_scale = NAN, .extent = DC_EXTENT_NONE,
                      .rescaling = DC_RESCALE_NONE, .seed = 0};
    dc_results_row_init(&fill_row, &nothing);
    memset(fill_row.extent, 0, sizeof fill_row.extent);
    memset(fill_row.rescaling, 0, sizeof fill_row.rescaling);
    hsize_t dims[1] = {(hsize_t)meta->n_runs};
    H5_CHECK(space = H5Screate_simple(1, dims, NULL));
    H5_CHECK(dcpl = fixed_dcpl(res->row_type, &fill_row));
    H5_CHECK(res->runs = H5Dcreate2(res->file, "runs", ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
cleanup:
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    if (ftype >= 0) H5Tclose(ftype);
    return rc;
}

static int create_curves(dc_results *res, const dc_results_meta *meta, dc_error *err)
{
    int rc = DC_OK;
    hid_t space = -1, dcpl = -1, gcpl = -1, group = -1;
    double nan = NAN;
    hsize_t dims[2] = {(hsize_t)meta->n_runs, (hsize_t)meta->epochs};
    H5_CHECK(gcpl = H5Pcreate(H5P_GROUP_CREATE));
    H5_CHECK(H5Pset_obj_track_times(gcpl, 0));
    H5_CHECK(group = H5Gcreate2(res->file, "curves", H5P_DEFAULT, gcpl, H5P_DEFAULT));
    H5_CHECK(space = H5Screate_simple(2, dims, NULL));
    H5_CHECK(dcpl = fixed_dcpl(H5T_NATIVE_DOUBLE, &nan));
    for (int c = 0; c < res->n_curves; c++)
        H5_CHECK(res->curves[c] = H5Dcreate2(group, res->curve_names[c], H5T_IEEE_F64LE, space,
                                             H5P_DEFAULT, dcpl, H5P_DEFAULT));
cleanup:
    if (group >= 0) H5Gclose(group);
    if (gcpl >= 0) H5Pclose(gcpl);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    return rc;
}

int dc_results_create_with(dc_results **out, const char *path, const dc_results_meta *meta,
                           const dc_results_row *rows, hid_t fapl, int writer, int alone,
                           dc_error *err)
{
    int rc = DC_OK;
    dc_results *res = NULL;
    hid_t dcpl = -1;
    *out = NULL;
    dc_results_hdf5_quiet();
    if (meta->n_runs < 1 || meta->epochs < 1)
        DC_FAIL(DC_ERR_INPUT, "%s: a results file needs at least one run and one epoch", path);
    if (!(res = dc_results_alloc(err))) return DC_ERR_NOMEM;
    res->n_runs = meta->n_runs;
    res->epochs = meta->epochs;
    DC_TRY(dc_results_set_layout(res, meta->n_metrics, meta->metrics, meta->n_curves, meta->curves, err));
    res->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (res->file < 0) DC_FAIL(DC_ERR_IO, "%s: cannot create the results file", path);
    DC_TRY(create_runs(res, meta, err));
    DC_TRY(create_curves(res, meta, err));
    float nanf_fill = NAN;
    H5_CHECK(dcpl = fixed_dcpl(H5T_NATIVE_FLOAT, &nanf_fill));
    DC_TRY(dc_results_create_models(res, meta, dcpl, writer, err));
    DC_TRY(dc_results_write_meta(res->file, meta, writer, err));
    if (writer) H5_CHECK(H5Dwrite(res->runs, res->row_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows));
    /* Collective: from here on the metadata is on disk and never changes. */
    H5_CHECK(H5Fflush(res->file, H5F_SCOPE_GLOBAL));
    DC_TRY(dc_results_finish_open(res, path, alone, err));
    *out = res;
    res = NULL;
cleanup:
    if (dcpl >= 0) H5Pclose(dcpl);
    if (res) dc_results_close(res, NULL);
    return rc;
}

/* Before HDF5 opens it: a missing file, or one that is not a regular file (a FIFO would block
 * H5Fopen for ever, a device would be read as garbage), gets its own message. Every command that
 * reads a results file words these the same way: "PATH: no such file", "PATH: cannot open: why"
 * for a path that does not lead to a readable file, "PATH: not a dcsweep results file (why)" for
 * one that is not ours; all are the user's input (exit 2), an I/O error of the system is not. */
static int check_path(const char *path, dc_error *err)
{
    struct stat st;
    if (!path || !*path) return dc_error_set(err, DC_ERR_INPUT, "empty results file path");
    if (stat(path, &st) != 0) {
        int input = errno == ENOTDIR || errno == EACCES || errno == ENAMETOOLONG ||
                    errno == ELOOP;
        if (errno == ENOENT) return dc_error_set(err, DC_ERR_INPUT, "%s: no such file", path);
        return dc_error_set(err, input ? DC_ERR_INPUT : DC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return dc_error_set(err, DC_ERR_INPUT, "%s: not a dcsweep results file (%s)", path,
                            S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO"
                            : S_ISCHR(st.st_mode) ? "a character device" : S_ISSOCK(st.st_mode) ? "a socket"
                            : "not a regular file");
    if (access(path, R_OK) != 0)
        return dc_error_set(err, errno == EACCES ? DC_ERR_INPUT : DC_ERR_IO, "%s: cannot open: %s", path,
                            strerror(errno));
    return DC_OK;
}

/* H5Fopen refused a readable regular file: for a file given to read, the user's input either way
 * (not HDF5 at all, or an HDF5 file HDF5 cannot open: truncated, damaged); opening for writing
 * comes after a probe that read it, so it is a runtime failure. */
int dc_results_is_hdf5(const char *path)
{
    static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char head[8] = {0};
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(head, 1, sizeof head, f) : 0;
    if (f) fclose(f);
    return n == sizeof head && memcmp(head, signature, sizeof head) == 0;
}

static int open_failed(const char *path, int writable, dc_error *err)
{
    if (writable) return dc_error_set(err, DC_ERR_IO, "%s: cannot open as an HDF5 file for writing", path);
    if (!dc_results_is_hdf5(path))
        return dc_error_set(err, DC_ERR_INPUT, "%s: not a dcsweep results file (not HDF5)", path);
    return dc_error_set(err, DC_ERR_INPUT, "%s: cannot open as an HDF5 file", path);
}

/* Opens dataset name and checks that it has the given rank and dimensions. */
static int open_checked(hid_t file, const char *path, const char *name, int ndims,
                        const hsize_t *want, hid_t *out, dc_error *err)
{
    int rc = DC_OK;
    hid_t space = -1;
    hsize_t dims[2] = {0, 0};
    *out = H5Dopen2(file, name, H5P_DEFAULT);
    if (*out < 0) DC_FAIL(DC_ERR_INPUT, "%s: no /%s dataset", path, name);
    H5_CHECK(space = H5Dget_space(*out));
    if (H5Sget_simple_extent_ndims(space) != ndims || H5Sget_simple_extent_dims(space, dims, NULL) < 0 ||
        dims[0] != want[0] || (ndims == 2 && dims[1] != want[1]))
        DC_FAIL(DC_ERR_INPUT, "%s: /%s does not have the file's n_runs%s", path, name,
                ndims == 2 ? " x epochs" : "");
cleanup:
    if (space >= 0) H5Sclose(space);
    return rc;
}

int dc_results_open_with(dc_results **out, const char *path, int writable, hid_t fapl, int alone,
                         dc_error *err)
{
    int rc = DC_OK;
    dc_results *res = NULL;
    dc_results_info info;
    *out = NULL;
    dc_results_hdf5_quiet();
    if ((rc = check_path(path, err)) != DC_OK) return rc;
    if (writable && access(path, W_OK) != 0)
        return dc_error_set(err, DC_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    if (!(res = dc_results_alloc(err))) return DC_ERR_NOMEM;
    res->file = H5Fopen(path, writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
    if (res->file < 0) {
        rc = open_failed(path, writable, err);
        goto cleanup;
    }
    DC_TRY(dc_results_check_identity(res->file, path, &info, err));
    res->n_runs = info.n_runs;
    res->epochs = info.epochs;
    DC_TRY(dc_results_read_layout(res, path, err));
    hsize_t dims[2] = {(hsize_t)info.n_runs, (hsize_t)info.epochs};
    DC_TRY(open_checked(res->file, path, "runs", 1, dims, &res->runs, err));
    for (int c = 0; c < res->n_curves; c++) {
        char name[DC_METRIC_NAME_MAX + 8];
        snprintf(name, sizeof name, "curves/%s", res->curve_names[c]);
        DC_TRY(open_checked(res->file, path, name, 2, dims, &res->curves[c], err));
    }
    DC_TRY(dc_results_open_models(res, path, err));
    DC_TRY(dc_results_finish_open(res, path, alone, err));
    *out = res;
    res = NULL;
cleanup:
    if (res) dc_results_close(res, NULL);
    return rc;
}

/* ---- the serial interface ---- */

int dc_results_create(dc_results **out, const char *path, const dc_results_meta *meta,
                      const dc_results_row *rows, dc_error *err)
{
    int rc = DC_OK;
    hid_t fapl = -1;
    *out = NULL;
    DC_TRY(dc_results_reserve_space(path, meta, err));
    H5_CHECK(fapl = dc_results_file_access());
    DC_TRY(dc_results_create_with(out, path, meta, rows, fapl, 1, 1, err));
cleanup:
    if (fapl >= 0) H5Pclose(fapl);
    return rc;
}

int dc_results_open(dc_results **out, const char *path, int writable, dc_error *err)
{
    int rc = DC_OK;
    hid_t fapl = -1;
    *out = NULL;
    H5_CHECK(fapl = dc_results_file_access());
    DC_TRY(dc_results_open_with(out, path, writable, fapl, 1, err));
cleanup:
    if (fapl >= 0) H5Pclose(fapl);
    return rc;
}

int dc_results_probe(const char *path, dc_results_info *info, dc_error *err)
{
    int rc = DC_OK;
    hid_t file = -1, fapl = -1;
    memset(info, 0, sizeof *info);
    dc_results_hdf5_quiet();
    if ((rc = check_path(path, err)) != DC_OK) return rc;
    H5_CHECK(fapl = dc_results_file_access());
    file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (file < 0) {
        rc = open_failed(path, 0, err);
        goto cleanup;
    }
    DC_TRY(dc_results_check_identity(file, path, info, err));
cleanup:
    if (file >= 0) H5Fclose(file);
    if (fapl >= 0) H5Pclose(fapl);
    return rc;
}
