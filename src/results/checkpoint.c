/* Mid-run checkpoints (include/dcsweep/results/checkpoint.h).
 *
 *   /params, /adam_m, /adam_v [n_params] float32; /ema, /best [n_params] float32 when used;
 *   /curves [n_curves][n_epochs] float64;
 *   attributes: format ("dcsweep checkpoint 1"), sweep_sha256, numerics_version, the scalars of
 *   dc_run_state, and content_sha256 over all of it. */
#include "dcsweep/results/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dcsweep/core/sha256.h"
#include "results_internal.h"

#define CHECKPOINT_FORMAT "dcsweep checkpoint 1"

int dc_checkpoint_path(const char *output, int run, char *out, size_t size, dc_error *err)
{
    int n = snprintf(out, size, "%s.ckpt/run-%d.h5", output, run);
    if (n < 0 || (size_t)n >= size) return dc_error_set(err, DC_ERR_INPUT, "output path too long: %s", output);
    return DC_OK;
}

/* The scalars of a state in one canonical line (hashed, and compared on load). */
static void scalars_text(const dc_run_state *st, char *out, size_t size)
{
    snprintf(out, size, "run %d epoch %d n_params %lld adam_step %lld best %.17g@%d lr %.17g "
             "plateau %.17g %d %d stop %.17g %d %d curves %d x %d ema %d best %d",
             st->run, st->epoch, (long long)st->n_params, (long long)st->adam_step, st->best_value,
             st->best_epoch, st->lr, st->plateau_best, st->plateau_bad, st->plateau_cooldown,
             st->stop_best, st->stop_wait, st->stop_reason, st->n_curves, st->n_epochs, st->ema != NULL,
             st->best != NULL);
}

static void content_digest(const dc_run_state *st, const dc_checkpoint_id *id, char hex[65])
{
    char text[1024];
    dc_sha256 ctx;
    uint8_t digest[32];
    const size_t bytes = (size_t)st->n_params * sizeof(float);
    dc_sha256_init(&ctx);
    scalars_text(st, text, sizeof text);
    dc_sha256_update(&ctx, text, strlen(text));
    dc_sha256_update(&ctx, id->sweep_sha256, strlen(id->sweep_sha256));
    const float *arrays[5] = {st->params, st->adam_m, st->adam_v, st->ema, st->best};
    for (int k = 0; k < 5; k++)
        if (arrays[k]) dc_sha256_update(&ctx, arrays[k], bytes);
    dc_sha256_update(&ctx, st->curves, (size_t)st->n_curves * (size_t)st->n_epochs * sizeof(double));
    dc_sha256_final(&ctx, digest);
    dc_sha256_to_hex(hex, digest);
}

/* ---- attributes and arrays ---- */

static int put_attr(hid_t file, const char *name, hid_t mem, hid_t disk, const void *value,
                    dc_error *err)
{
    int rc = DC_OK;
    hid_t space = -1, attr = -1;
    H5_CHECK(space = H5Screate(H5S_SCALAR));
    H5_CHECK(attr = H5Acreate2(file, name, disk, space, H5P_DEFAULT, H5P_DEFAULT));
    H5_CHECK(H5Awrite(attr, mem, value));
cleanup:
    if (attr >= 0) H5Aclose(attr);
    if (space >= 0) H5Sclose(space);
    return rc;
}

static int get_attr(hid_t file, const char *name, hid_t mem, void *value, dc_error *err)
{
    int rc = DC_OK;
    hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
    if (attr < 0) return dc_error_set(err, DC_ERR_INPUT, "no attribute %s", name);
    H5_CHECK(H5Aread(attr, mem, value));
cleanup:
    H5Aclose(attr);
    return rc;
}

static int put_text(hid_t file, const char *name, const char *value, dc_error *err)
{
    int rc = DC_OK;
    hid_t type = -1;
    H5_CHECK(type = H5Tcopy(H5T_C_S1));
    H5_CHECK(H5Tset_size(type, strlen(value) + 1));
    DC_TRY(put_attr(file, name, type, type, value, err));
cleanup:
    if (type >= 0) H5Tclose(type);
    return rc;
}

static int get_text(hid_t file, const char *name, char *out, size_t size, dc_error *err)
{
    int rc = DC_OK;
    hid_t attr = -1, type = -1;
    if ((attr = H5Aopen(file, name, H5P_DEFAULT)) < 0)
        return dc_error_set(err, DC_ERR_INPUT, "no attribute %s", name);
    H5_CHECK(type = H5Aget_type(attr));
    if (H5Tget_class(type) != H5T_STRING || H5Tis_variable_str(type) > 0 || H5Tget_size(type) > size)
        DC_FAIL(DC_ERR_INPUT, "attribute %s is not a short string", name);
    memset(out, 0, size);
    H5_CHECK(H5Aread(attr, type, out));
    out[size - 1] = '\0';
cleanup:
    if (type >= 0) H5Tclose(type);
    H5Aclose(attr);
    return rc;
}

static int put_array(hid_t file, const char *name, hid_t mem, hid_t disk, int rank,
                     const hsize_t *dims, const void *data, dc_error *err)
{
    int rc = DC_OK;
    hid_t space = -1, dset = -1;
    H5_CHECK(space = H5Screate_simple(rank, dims, NULL));
    H5_CHECK(dset = H5Dcreate2(file, name, disk, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5_CHECK(H5Dwrite(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
cleanup:
    if (dset >= 0) H5Dclose(dset);
    if (space >= 0) H5Sclose(space);
    return rc;
}

/* Reads dataset name of exactly `count` elements into a new buffer of elem bytes each. */
static int get_array(hid_t file, const char *name, hid_t mem, size_t elem, hsize_t count,
                     void **out, dc_error *err)
{
    int rc = DC_OK;
    hid_t dset = -1, space = -1;
    *out = NULL;
    if ((dset = H5Dopen2(file, name, H5P_DEFAULT)) < 0)
        return dc_error_set(err, DC_ERR_INPUT, "no dataset %s", name);
    H5_CHECK(space = H5Dget_space(dset));
    if ((hsize_t)H5Sget_simple_extent_npoints(space) != count)
        DC_FAIL(DC_ERR_INPUT, "dataset %s has the wrong size", name);
    if (!(*out = dc_calloc(count ? count : 1, elem, err))) DC_FAIL(DC_ERR_NOMEM, "out of memory");
    H5_CHECK(H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out));
cleanup:
    if (space >= 0) H5Sclose(space);
    H5Dclose(dset);
    return rc;
}

/* ---- save ---- */

/* The checkpoint's contents, written into an open file. */
static int fill_file(hid_t file, const dc_checkpoint_id *id, const dc_run_state *st, dc_error *err)
{
    int rc = DC_OK;
    char digest[65];
    const hsize_t n[1] = {(hsize_t)st->n_params};
    const hsize_t curves[2] = {(hsize_t)st->n_curves, (hsize_t)st->n_epochs};
    DC_TRY(put_text(file, "format", CHECKPOINT_FORMAT, err));
    DC_TRY(put_text(file, "sweep_sha256", id->sweep_sha256, err));
    DC_TRY(put_attr(file, "numerics_version", H5T_NATIVE_INT, H5T_STD_I32LE, &id->numerics_version, err));
    const struct { const char *name; int64_t v; } ints[] = {
        {"run", st->run}, {"epoch", st->epoch}, {"n_params", st->n_params},
        {"adam_step", st->adam_step}, {"best_epoch", st->best_epoch},
        {"plateau_bad", st->plateau_bad}, {"plateau_cooldown", st->plateau_cooldown},
        {"stop_wait", st->stop_wait}, {"n_curves", st->n_curves}, {"n_epochs", st->n_epochs},
        {"has_ema", st->ema != NULL}, {"has_best", st->best != NULL}, {"stop_reason", st->stop_reason}};
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++)
        DC_TRY(put_attr(file, ints[k].name, H5T_NATIVE_INT64, H5T_STD_I64LE, &ints[k].v, err));
    const struct { const char *name; double v; } reals[] = {
        {"best_value", st->best_value}, {"lr", st->lr}, {"plateau_best", st->plateau_best},
        {"stop_best", st->stop_best}};
    for (size_t k = 0; k < sizeof reals / sizeof reals[0]; k++)
        DC_TRY(put_attr(file, reals[k].name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, &reals[k].v, err));
    const char *names[5] = {"params", "adam_m", "adam_v", "ema", "best"};
    const float *arrays[5] = {st->params, st->adam_m, st->adam_v, st->ema, st->best};
    for (int k = 0; k < 5; k++)
        if (arrays[k]) DC_TRY(put_array(file, names[k], H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 1, n, arrays[k], err));
    DC_TRY(put_array(file, "curves", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 2, curves, st->curves, err));
    content_digest(st, id, digest);
    DC_TRY(put_text(file, "content_sha256", digest, err));
cleanup:
    return rc;
}

/* The checkpoint as the bytes of an HDF5 file, built in memory (the core driver without a backing
 * store): HDF5 never writes to the disk here. A write that fails inside HDF5 (a full disk) leaves
 * a file that HDF5 1.10 cannot close, and its library shutdown in MPI_Finalize then crashes on it;
 * writing the bytes ourselves turns a full disk into an errno (write_image). */
static int build_image(const char *path, const dc_checkpoint_id *id, const dc_run_state *st,
                       unsigned char **image, size_t *bytes, dc_error *err)
{
    int rc = DC_OK;
    hid_t fapl = -1, file = -1;
    ssize_t n = 0;
    *image = NULL;
    *bytes = 0;
    size_t increment = (size_t)st->n_params * 5 * sizeof(float) +
                       (size_t)st->n_curves * (size_t)st->n_epochs * sizeof(double) + 65536;
    H5_CHECK(fapl = H5Pcreate(H5P_FILE_ACCESS));
    H5_CHECK(H5Pset_fapl_core(fapl, increment, 0));
    file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (file < 0) DC_FAIL(DC_ERR_HDF5, "%s: cannot build the checkpoint in memory", path);
    DC_TRY(fill_file(file, id, st, err));
    H5_CHECK(H5Fflush(file, H5F_SCOPE_LOCAL));
    H5_CHECK(n = H5Fget_file_image(file, NULL, 0));
    if (!(*image = malloc(n > 0 ? (size_t)n : 1))) DC_FAIL(DC_ERR_NOMEM, "out of memory");
    H5_CHECK(H5Fget_file_image(file, *image, (size_t)n));
    *bytes = (size_t)n;
cleanup:
    if (file >= 0 && H5Fclose(file) < 0 && rc == DC_OK)
        rc = dc_error_set(err, DC_ERR_HDF5, "%s: cannot close the checkpoint in memory", path);
    if (fapl >= 0) H5Pclose(fapl);
    if (rc != DC_OK) {
        free(*image);
        *image = NULL;
    }
    return rc;
}

/* Writes the image to tmp and syncs it. Its whole size is reserved first (posix_fallocate, as for
 * the results file), so a full disk or an exhausted quota is one errno before any byte is written;
 * errors name the checkpoint (path), not the temporary name. */
static int write_image(const char *path, const char *tmp, const unsigned char *image, size_t bytes,
                       dc_error *err)
{
    int rc = DC_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return dc_error_set(err, DC_ERR_IO, "%s: cannot write the checkpoint: %s", path, strerror(errno));
    int e = posix_fallocate(fd, 0, (off_t)bytes);
    if (e == ENOSPC || e == EDQUOT || e == EFBIG)
        DC_FAIL(DC_ERR_IO, "%s: cannot write the checkpoint: %s (it needs %.0f kB)", path, strerror(e),
                (double)bytes / 1024);
    for (size_t done = 0; done < bytes;) {
        ssize_t w = write(fd, image + done, bytes - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) DC_FAIL(DC_ERR_IO, "%s: cannot write the checkpoint: %s", path, w < 0 ? strerror(errno) : "short write");
        done += (size_t)w;
    }
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
        DC_FAIL(DC_ERR_IO, "%s: cannot write the checkpoint: fsync: %s", path, strerror(errno));
cleanup:
    if (close(fd) != 0 && rc == DC_OK)
        rc = dc_error_set(err, DC_ERR_IO, "%s: cannot write the checkpoint: %s", path, strerror(errno));
    return rc;
}

static int sync_dir(const char *path, dc_error *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return dc_error_set(err, DC_ERR_IO, "%s: cannot open to sync: %s", path, strerror(errno));
    int bad = fsync(fd) != 0 && errno == EIO;
    close(fd);
    return bad ? dc_error_set(err, DC_ERR_IO, "%s: fsync failed", path) : DC_OK;
}

int dc_checkpoint_save(const char *path, const dc_checkpoint_id *id, const dc_run_state *st,
                       dc_error *err)
{
    int rc = DC_OK;
    char dir[4096], tmp[4200];
    unsigned char *image = NULL;
    size_t bytes = 0;
    dc_results_hdf5_quiet();
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    DC_TRY(build_image(path, id, st, &image, &bytes, err));
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        DC_FAIL(DC_ERR_IO, "%s: cannot create the checkpoint folder: %s", dir, strerror(errno));
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    rc = write_image(path, tmp, image, bytes, err);
    if (rc == DC_OK && rename(tmp, path) != 0)
        rc = dc_error_set(err, DC_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (rc != DC_OK) {
        unlink(tmp);
        goto cleanup;
    }
    DC_TRY(sync_dir(dir, err));
cleanup:
    free(image);
    return rc;
}

/* ---- load ---- */

void dc_checkpoint_state_free(dc_run_state *st)
{
    if (!st) return;
    free(st->params);
    free(st->adam_m);
    free(st->adam_v);
    free(st->ema);
    free(st->best);
    free(st->curves);
    memset(st, 0, sizeof *st);
}

static int read_state(hid_t file, const dc_checkpoint_id *id, int run, dc_run_state *st, dc_error *err)
{
    int rc = DC_OK;
    char text[128], sha[80], digest[65];
    int numerics = -1;
    int64_t v[13];
    const char *ints[13] = {"run", "epoch", "n_params", "adam_step", "best_epoch", "plateau_bad",
                            "plateau_cooldown", "stop_wait", "n_curves", "n_epochs", "has_ema",
                            "has_best", "stop_reason"};
    DC_TRY(get_text(file, "format", text, sizeof text, err));
    if (strcmp(text, CHECKPOINT_FORMAT) != 0) DC_FAIL(DC_ERR_INPUT, "not a dcsweep checkpoint (%s)", text);
    DC_TRY(get_text(file, "sweep_sha256", sha, sizeof sha, err));
    if (strcmp(sha, id->sweep_sha256) != 0) DC_FAIL(DC_ERR_INPUT, "a checkpoint of another sweep (%.12s...)", sha);
    DC_TRY(get_attr(file, "numerics_version", H5T_NATIVE_INT, &numerics, err));
    if (numerics != id->numerics_version)
        DC_FAIL(DC_ERR_INPUT, "written by engine numerics version %d, this dcsweep has %d", numerics,
                id->numerics_version);
    for (int k = 0; k < 13; k++) DC_TRY(get_attr(file, ints[k], H5T_NATIVE_INT64, &v[k], err));
    if (v[0] != run) DC_FAIL(DC_ERR_INPUT, "a checkpoint of run %lld, not %d", (long long)v[0], run);
    if (v[2] < 1 || v[2] > ((int64_t)1 << 34) || v[8] < 1 || v[8] > DC_MAX_CURVES || v[9] < 1 ||
        v[9] > (1 << 30) || v[1] < 0 || v[1] > v[9])
        DC_FAIL(DC_ERR_INPUT, "its sizes are out of range");
    st->run = (int)v[0];
    st->epoch = (int)v[1];
    st->n_params = v[2];
    st->adam_step = v[3];
    st->best_epoch = (int)v[4];
    st->plateau_bad = (int)v[5];
    st->plateau_cooldown = (int)v[6];
    st->stop_wait = (int)v[7];
    st->n_curves = (int)v[8];
    st->n_epochs = (int)v[9];
    if (v[12] < 0 || v[12] >= DC_N_STOP_REASONS) DC_FAIL(DC_ERR_INPUT, "its stop reason is out of range");
    st->stop_reason = (int)v[12];
    DC_TRY(get_attr(file, "best_value", H5T_NATIVE_DOUBLE, &st->best_value, err));
    DC_TRY(get_attr(file, "lr", H5T_NATIVE_DOUBLE, &st->lr, err));
    DC_TRY(get_attr(file, "plateau_best", H5T_NATIVE_DOUBLE, &st->plateau_best, err));
    DC_TRY(get_attr(file, "stop_best", H5T_NATIVE_DOUBLE, &st->stop_best, err));
    const hsize_t n = (hsize_t)st->n_params;
    DC_TRY(get_array(file, "params", H5T_NATIVE_FLOAT, sizeof(float), n, (void **)&st->params, err));
    DC_TRY(get_array(file, "adam_m", H5T_NATIVE_FLOAT, sizeof(float), n, (void **)&st->adam_m, err));
    DC_TRY(get_array(file, "adam_v", H5T_NATIVE_FLOAT, sizeof(float), n, (void **)&st->adam_v, err));
    if (v[10]) DC_TRY(get_array(file, "ema", H5T_NATIVE_FLOAT, sizeof(float), n, (void **)&st->ema, err));
    if (v[11]) DC_TRY(get_array(file, "best", H5T_NATIVE_FLOAT, sizeof(float), n, (void **)&st->best, err));
    DC_TRY(get_array(file, "curves", H5T_NATIVE_DOUBLE, sizeof(double),
                     (hsize_t)st->n_curves * (hsize_t)st->n_epochs, (void **)&st->curves, err));
    DC_TRY(get_text(file, "content_sha256", sha, sizeof sha, err));
    content_digest(st, id, digest);
    if (strcmp(sha, digest) != 0) DC_FAIL(DC_ERR_INPUT, "its contents do not match their checksum");
cleanup:
    return rc;
}

int dc_checkpoint_load(const char *path, const dc_checkpoint_id *id, int run, dc_run_state *st,
                       dc_error *err)
{
    int rc = DC_OK;
    hid_t file = -1;
    struct stat sb;
    memset(st, 0, sizeof *st);
    dc_results_hdf5_quiet();
    if (stat(path, &sb) != 0) return dc_error_set(err, DC_ERR_IO, "%s: no checkpoint", path);
    if (!S_ISREG(sb.st_mode)) DC_FAIL(DC_ERR_INPUT, "%s: not a regular file", path);
    file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) DC_FAIL(DC_ERR_INPUT, "%s: not readable as HDF5 (damaged?)", path);
    rc = read_state(file, id, run, st, err);
    if (rc != DC_OK) {
        dc_error_prefix(err, "%s", path);
        if (rc != DC_ERR_NOMEM) rc = err->code = DC_ERR_INPUT;
    }
cleanup:
    if (file >= 0) H5Fclose(file);
    if (rc != DC_OK) dc_checkpoint_state_free(st);
    return rc;
}

int dc_checkpoint_peek(const char *path, int monitor_curve, dc_checkpoint_summary *out, dc_error *err)
{
    int rc = DC_OK;
    hid_t file = -1;
    struct stat sb;
    double *curves = NULL;
    int64_t v[5];
    const char *ints[5] = {"run", "epoch", "n_epochs", "best_epoch", "n_curves"};
    char text[128];
    memset(out, 0, sizeof *out);
    dc_results_hdf5_quiet();
    if (stat(path, &sb) != 0) return dc_error_set(err, DC_ERR_IO, "%s: no checkpoint", path);
    if (!S_ISREG(sb.st_mode)) DC_FAIL(DC_ERR_INPUT, "%s: not a regular file", path);
    out->saved = (double)sb.st_mtim.tv_sec + 1e-9 * (double)sb.st_mtim.tv_nsec;
    file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) DC_FAIL(DC_ERR_INPUT, "%s: not readable as HDF5 (damaged?)", path);
    DC_TRY(get_text(file, "format", text, sizeof text, err));
    if (strcmp(text, CHECKPOINT_FORMAT) != 0) DC_FAIL(DC_ERR_INPUT, "%s: not a dcsweep checkpoint", path);
    DC_TRY(get_text(file, "sweep_sha256", out->sweep_sha256, sizeof out->sweep_sha256, err));
    for (int k = 0; k < 5; k++) DC_TRY(get_attr(file, ints[k], H5T_NATIVE_INT64, &v[k], err));
    if (v[1] < 0 || v[2] < 1 || v[2] > (1 << 30) || v[1] > v[2] || v[4] < 1 || v[4] > DC_MAX_CURVES)
        DC_FAIL(DC_ERR_INPUT, "%s: its sizes are out of range", path);
    out->run = (int)v[0];
    out->epoch = (int)v[1];
    out->n_epochs = (int)v[2];
    out->best_epoch = (int)v[3];
    DC_TRY(get_attr(file, "best_value", H5T_NATIVE_DOUBLE, &out->best_value, err));
    DC_TRY(get_attr(file, "lr", H5T_NATIVE_DOUBLE, &out->lr, err));
    if (out->best_epoch <= 0) out->best_value = NAN;
    out->monitor = NAN;
    if (monitor_curve >= 0 && monitor_curve < v[4]) {
        DC_TRY(get_array(file, "curves", H5T_NATIVE_DOUBLE, sizeof(double), (hsize_t)v[4] * (hsize_t)v[2],
                         (void **)&curves, err));
        /* NaN in epochs without an evaluation (train.eval_every): the last one with a value */
        for (int e = out->epoch; e >= 1; e--) {
            double m = curves[(size_t)monitor_curve * (size_t)v[2] + (size_t)(e - 1)];
            if (!isnan(m)) {
                out->monitor = m;
                out->monitor_epoch = e;
                break;
            }
        }
    }
cleanup:
    if (rc != DC_OK && rc != DC_ERR_NOMEM && !strstr(err->message, path)) dc_error_prefix(err, "%s", path);
    if (rc != DC_OK && rc != DC_ERR_NOMEM) rc = err->code = DC_ERR_INPUT;
    free(curves);
    if (file >= 0) H5Fclose(file);
    return rc;
}

int dc_checkpoint_set_aside(const char *path, char *moved, size_t size, dc_error *err)
{
    int n = snprintf(moved, size, "%s.refused-%ld", path, (long)time(NULL));
    if (n < 0 || (size_t)n >= size) return dc_error_set(err, DC_ERR_INPUT, "path too long: %s", path);
    if (rename(path, moved) != 0)
        return dc_error_set(err, DC_ERR_IO, "cannot rename %s to %s: %s", path, moved, strerror(errno));
    return DC_OK;
}

void dc_checkpoint_clean(const char *output)
{
    char dir[4200], path[4500];
    snprintf(dir, sizeof dir, "%s.ckpt", output);
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".h5.tmp-")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
}

void dc_checkpoint_remove_folder(const char *output)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s.ckpt", output);
    rmdir(dir);  /* fails, as it should, while a checkpoint is inside */
}

int dc_checkpoint_remove(const char *path, dc_error *err)
{
    if (unlink(path) != 0 && errno != ENOENT)
        return dc_error_set(err, DC_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
    return DC_OK;
}
