/* The results file's metadata (include/dcsweep/results/results.h): root attributes, the /rescaling table,
 * the identity check of an existing file, and the SHA-256 of dataset files. */
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_version.h"
#include "dcsweep/core/sha256.h"
#include "results_internal.h"

/* Variable-length UTF-8 strings, so that h5py gives str for attributes. */
static int write_attr_string(hid_t obj, const char *name, const char *value, dc_error *err)
{
    int rc = DC_OK;
    hid_t type = -1, space = -1, attr = -1;
    const char *v = value ? value : "";
    H5_CHECK(type = H5Tcopy(H5T_C_S1));
    H5_CHECK(H5Tset_size(type, H5T_VARIABLE));
    H5_CHECK(H5Tset_cset(type, H5T_CSET_UTF8));
    H5_CHECK(space = H5Screate(H5S_SCALAR));
    H5_CHECK(attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
    H5_CHECK(H5Awrite(attr, type, &v));
cleanup:
    if (attr >= 0) H5Aclose(attr);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    return rc;
}

static int write_attr_int(hid_t obj, const char *name, int value, dc_error *err)
{
    int rc = DC_OK;
    hid_t space = -1, attr = -1;
    H5_CHECK(space = H5Screate(H5S_SCALAR));
    H5_CHECK(attr = H5Acreate2(obj, name, H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT));
    H5_CHECK(H5Awrite(attr, H5T_NATIVE_INT, &value));
cleanup:
    if (attr >= 0) H5Aclose(attr);
    if (space >= 0) H5Sclose(space);
    return rc;
}

static int read_attr_int(hid_t obj, const char *name, int *value, dc_error *err)
{
    int rc = DC_OK;
    hid_t attr = -1;
    H5_CHECK(attr = H5Aopen(obj, name, H5P_DEFAULT));
    H5_CHECK(H5Aread(attr, H5T_NATIVE_INT, value));
cleanup:
    if (attr >= 0) H5Aclose(attr);
    return rc;
}

/* Reads a string attribute stored either variable-length (ours) or fixed-length (other tools). */
static int read_attr_string(hid_t obj, const char *name, char **out, dc_error *err)
{
    int rc = DC_OK;
    hid_t attr = -1, ftype = -1, mtype = -1;
    char *vlen = NULL;
    *out = NULL;
    H5_CHECK(attr = H5Aopen(obj, name, H5P_DEFAULT));
    H5_CHECK(ftype = H5Aget_type(attr));
    if (H5Tget_class(ftype) != H5T_STRING)
        DC_FAIL(DC_ERR_INPUT, "attribute %s is not a string", name);
    H5_CHECK(mtype = H5Tcopy(H5T_C_S1));
    H5_CHECK(H5Tset_cset(mtype, H5Tget_cset(ftype)));  /* HDF5 converts no ASCII <-> UTF-8 */
    if (H5Tis_variable_str(ftype) > 0) {
        H5_CHECK(H5Tset_size(mtype, H5T_VARIABLE));
        H5_CHECK(H5Aread(attr, mtype, &vlen));
        size_t n = vlen ? strlen(vlen) : 0;
        DC_ALLOC(*out, n + 1);
        if (n) memcpy(*out, vlen, n);
    } else {
        size_t n = H5Tget_size(ftype);
        H5_CHECK(H5Tset_size(mtype, n));
        H5_CHECK(H5Tset_strpad(mtype, H5T_STR_NULLPAD));
        DC_ALLOC(*out, n + 1);
        H5_CHECK(H5Aread(attr, mtype, *out));
    }
cleanup:
    if (vlen) H5free_memory(vlen);
    if (mtype >= 0) H5Tclose(mtype);
    if (ftype >= 0) H5Tclose(ftype);
    if (attr >= 0) H5Aclose(attr);
    return rc;
}


static int create_rescaling(hid_t file, const dc_results_meta *meta, int writer, dc_error *err)
{
    typedef struct { char method[DC_RESULTS_NAME_LEN + 1]; double shift, scale; } rs_row;
    int rc = DC_OK;
    hid_t mtype = -1, ftype = -1, str = -1, space = -1, dset = -1;
    rs_row rows[DC_N_RESCALINGS];
    memset(rows, 0, sizeof rows);
    for (int m = 0; m < DC_N_RESCALINGS; m++) {
        dc_results_copy_field(rows[m].method, sizeof rows[m].method, dc_rescaling_name((dc_rescaling)m));
        rows[m].shift = meta->rescaling[m].shift;
        rows[m].scale = meta->rescaling[m].scale;
    }
    H5_CHECK(str = dc_results_string_type(DC_RESULTS_NAME_LEN));
    H5_CHECK(mtype = H5Tcreate(H5T_COMPOUND, sizeof(rs_row)));
    H5_CHECK(H5Tinsert(mtype, "method", offsetof(rs_row, method), str));
    H5_CHECK(H5Tinsert(mtype, "shift", offsetof(rs_row, shift), H5T_NATIVE_DOUBLE));
    H5_CHECK(H5Tinsert(mtype, "scale", offsetof(rs_row, scale), H5T_NATIVE_DOUBLE));
    H5_CHECK(ftype = H5Tcreate(H5T_COMPOUND, DC_RESULTS_NAME_LEN + 16));
    H5_CHECK(H5Tinsert(ftype, "method", 0, str));
    H5_CHECK(H5Tinsert(ftype, "shift", DC_RESULTS_NAME_LEN, H5T_IEEE_F64LE));
    H5_CHECK(H5Tinsert(ftype, "scale", DC_RESULTS_NAME_LEN + 8, H5T_IEEE_F64LE));
    hsize_t dims[1] = {DC_N_RESCALINGS};
    H5_CHECK(space = H5Screate_simple(1, dims, NULL));
    H5_CHECK(dset = H5Dcreate2(file, "rescaling", ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (writer) H5_CHECK(H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows));
cleanup:
    if (dset >= 0) H5Dclose(dset);
    if (space >= 0) H5Sclose(space);
    if (ftype >= 0) H5Tclose(ftype);
    if (mtype >= 0) H5Tclose(mtype);
    if (str >= 0) H5Tclose(str);
    return rc;
}


/* /metrics: one row per metric column of /runs, so that readers know each column's unit and
 * direction without knowing the model. */
typedef struct metric_row {
    char name[DC_METRIC_NAME_MAX];
    char unit[DC_METRIC_UNIT_MAX];
    int32_t higher_is_better, fraction, headline;
} metric_row;

static int metric_types(hid_t *mem, hid_t *file, dc_error *err)
{
    int rc = DC_OK;
    hid_t name = -1, unit = -1;
    *mem = *file = -1;
    H5_CHECK(name = dc_results_string_type(DC_METRIC_NAME_MAX));
    H5_CHECK(unit = dc_results_string_type(DC_METRIC_UNIT_MAX));
    H5_CHECK(*mem = H5Tcreate(H5T_COMPOUND, sizeof(metric_row)));
    H5_CHECK(H5Tinsert(*mem, "name", offsetof(metric_row, name), name));
    H5_CHECK(H5Tinsert(*mem, "unit", offsetof(metric_row, unit), unit));
    H5_CHECK(H5Tinsert(*mem, "higher_is_better", offsetof(metric_row, higher_is_better), H5T_NATIVE_INT32));
    H5_CHECK(H5Tinsert(*mem, "fraction", offsetof(metric_row, fraction), H5T_NATIVE_INT32));
    H5_CHECK(H5Tinsert(*mem, "headline", offsetof(metric_row, headline), H5T_NATIVE_INT32));
    const size_t at = DC_METRIC_NAME_MAX + DC_METRIC_UNIT_MAX;
    H5_CHECK(*file = H5Tcreate(H5T_COMPOUND, at + 12));
    H5_CHECK(H5Tinsert(*file, "name", 0, name));
    H5_CHECK(H5Tinsert(*file, "unit", DC_METRIC_NAME_MAX, unit));
    H5_CHECK(H5Tinsert(*file, "higher_is_better", at, H5T_STD_I32LE));
    H5_CHECK(H5Tinsert(*file, "fraction", at + 4, H5T_STD_I32LE));
    H5_CHECK(H5Tinsert(*file, "headline", at + 8, H5T_STD_I32LE));
cleanup:
    if (name >= 0) H5Tclose(name);
    if (unit >= 0) H5Tclose(unit);
    return rc;
}

static int create_metrics(hid_t file, const dc_results_meta *meta, int writer, dc_error *err)
{
    int rc = DC_OK;
    hid_t mtype = -1, ftype = -1, space = -1, dset = -1;
    metric_row rows[DC_MAX_METRICS];
    memset(rows, 0, sizeof rows);
    for (int k = 0; k < meta->n_metrics; k++) {
        dc_results_copy_field(rows[k].name, sizeof rows[k].name, meta->metrics[k].name);
        dc_results_copy_field(rows[k].unit, sizeof rows[k].unit, meta->metrics[k].unit);
        rows[k].higher_is_better = meta->metrics[k].higher_is_better;
        rows[k].fraction = meta->metrics[k].fraction;
        rows[k].headline = meta->metrics[k].headline;
    }
    DC_TRY(metric_types(&mtype, &ftype, err));
    hsize_t dims[1] = {(hsize_t)meta->n_metrics};
    H5_CHECK(space = H5Screate_simple(1, dims, NULL));
    H5_CHECK(dset = H5Dcreate2(file, "metrics", ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (writer && meta->n_metrics > 0) H5_CHECK(H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows));
cleanup:
    if (dset >= 0) H5Dclose(dset);
    if (space >= 0) H5Sclose(space);
    if (ftype >= 0) H5Tclose(ftype);
    if (mtype >= 0) H5Tclose(mtype);
    return rc;
}

/* The curve names as one attribute, a name per line, in the order of a row's curves. */
static int write_curve_names(hid_t file, const dc_results_meta *meta, dc_error *err)
{
    int rc = DC_OK;
    char *text = NULL;
    size_t len = 0;
    DC_ALLOC(text, (size_t)meta->n_curves * (DC_METRIC_NAME_MAX + 1) + 1);
    for (int c = 0; c < meta->n_curves; c++)
        len += (size_t)sprintf(text + len, "%.*s\n", DC_METRIC_NAME_MAX - 1, meta->curves[c]);
    DC_TRY(write_attr_string(file, "curve_names", text, err));
cleanup:
    free(text);
    return rc;
}

int dc_results_read_layout(dc_results *res, const char *path, dc_error *err)
{
    int rc = DC_OK;
    hid_t dset = -1, space = -1, mtype = -1, ftype = -1;
    char *names = NULL;
    metric_row rows[DC_MAX_METRICS];
    dc_metric_desc metrics[DC_MAX_METRICS];
    const char *curves[DC_MAX_CURVES];
    int n_curves = 0;
    hsize_t n = 0;
    memset(rows, 0, sizeof rows);
    memset(metrics, 0, sizeof metrics);
    dset = H5Dopen2(res->file, "metrics", H5P_DEFAULT);
    if (dset < 0) DC_FAIL(DC_ERR_INPUT, "%s: no /metrics dataset", path);
    H5_CHECK(space = H5Dget_space(dset));
    if (H5Sget_simple_extent_ndims(space) != 1 || H5Sget_simple_extent_dims(space, &n, NULL) < 0 ||
        n > DC_MAX_METRICS)
        DC_FAIL(DC_ERR_INPUT, "%s: /metrics has more than %d rows", path, DC_MAX_METRICS);
    DC_TRY(metric_types(&mtype, &ftype, err));
    if (n > 0) H5_CHECK(H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows));
    for (hsize_t k = 0; k < n; k++) {
        memcpy(metrics[k].name, rows[k].name, sizeof rows[k].name - 1);
        memcpy(metrics[k].unit, rows[k].unit, sizeof rows[k].unit - 1);
        metrics[k].higher_is_better = rows[k].higher_is_better;
        metrics[k].fraction = rows[k].fraction;
        metrics[k].headline = rows[k].headline;
    }
    if (H5Aexists(res->file, "curve_names") <= 0)
        DC_FAIL(DC_ERR_INPUT, "%s: not a dcsweep results file (no attribute curve_names)", path);
    DC_TRY(read_attr_string(res->file, "curve_names", &names, err));
    for (char *p = names, *nl; *p && n_curves < DC_MAX_CURVES; p = nl + 1) {
        if (!(nl = strchr(p, '\n'))) break;
        *nl = '\0';
        curves[n_curves++] = p;
    }
    DC_TRY(dc_results_set_layout(res, (int)n, metrics, n_curves, curves, err));
cleanup:
    free(names);
    if (ftype >= 0) H5Tclose(ftype);
    if (mtype >= 0) H5Tclose(mtype);
    if (space >= 0) H5Sclose(space);
    if (dset >= 0) H5Dclose(dset);
    return rc;
}

int dc_results_write_meta(hid_t file, const dc_results_meta *meta, int writer, dc_error *err)
{
    int rc = DC_OK;
    DC_TRY(create_rescaling(file, meta, writer, err));
    DC_TRY(create_metrics(file, meta, writer, err));
    DC_TRY(write_curve_names(file, meta, err));
    if (!meta->model_kind || !meta->model_kind[0])
        DC_FAIL(DC_ERR_INTERNAL, "a results file's metadata has no model_kind");
    DC_TRY(write_attr_string(file, "model_kind", meta->model_kind, err));
    DC_TRY(write_attr_int(file, "format_version", DC_RESULTS_FORMAT_VERSION, err));
    DC_TRY(write_attr_string(file, "dcsweep_version", DC_VERSION, err));
    DC_TRY(write_attr_string(file, "created", meta->created, err));
    DC_TRY(write_attr_string(file, "sweep_name", meta->sweep_name, err));
    DC_TRY(write_attr_string(file, "sweep_text", meta->sweep_text, err));
    DC_TRY(write_attr_string(file, "sweep_effective", meta->sweep_effective, err));
    DC_TRY(write_attr_string(file, "sweep_sha256", meta->sweep_sha256, err));
    DC_TRY(write_attr_string(file, "dataset_sha256", meta->dataset_sha256, err));
    if (meta->energy_unit) DC_TRY(write_attr_string(file, "energy_unit", meta->energy_unit, err));
    if (meta->length_unit) DC_TRY(write_attr_string(file, "length_unit", meta->length_unit, err));
    DC_TRY(write_attr_int(file, "numerics_version", meta->numerics_version, err));
    if (meta->model_record) DC_TRY(write_attr_string(file, "model_record", meta->model_record, err));
    DC_TRY(write_attr_int(file, "n_runs", meta->n_runs, err));
    DC_TRY(write_attr_int(file, "epochs", meta->epochs, err));
    if (meta->shard) DC_TRY(write_attr_string(file, "shard", meta->shard, err));
    DC_TRY(dc_results_write_task(file, meta, writer, err));
cleanup:
    return rc;
}


int dc_results_check_identity(hid_t file, const char *path, dc_results_info *info, dc_error *err)
{
    int rc = DC_OK;
    char *sha = NULL;
    const char *need[] = {"format_version", "n_runs", "epochs", "sweep_sha256"};
    for (int i = 0; i < 4; i++)
        if (H5Aexists(file, need[i]) <= 0)
            DC_FAIL(DC_ERR_INPUT, "%s: not a dcsweep results file (no attribute %s)", path, need[i]);
    DC_TRY(read_attr_int(file, "format_version", &info->format_version, err));
    if (info->format_version != DC_RESULTS_FORMAT_VERSION)
        DC_FAIL(DC_ERR_INPUT, "%s: results format_version %d, this dcsweep reads %d", path,
                info->format_version, DC_RESULTS_FORMAT_VERSION);
    if (H5Aexists(file, "numerics_version") <= 0)
        DC_FAIL(DC_ERR_INPUT, "%s: not a dcsweep results file (no attribute numerics_version)", path);
    DC_TRY(read_attr_int(file, "numerics_version", &info->numerics_version, err));
    DC_TRY(read_attr_int(file, "n_runs", &info->n_runs, err));
    DC_TRY(read_attr_int(file, "epochs", &info->epochs, err));
    DC_TRY(read_attr_string(file, "sweep_sha256", &sha, err));
    dc_results_copy_field(info->sweep_sha256, sizeof info->sweep_sha256, sha);
cleanup:
    free(sha);
    return rc;
}

int dc_results_has_attr(dc_results *res, const char *name) { return H5Aexists(res->file, name) > 0; }

int dc_results_read_attr_string(dc_results *res, const char *name, char **out, dc_error *err)
{
    *out = NULL;
    if (H5Aexists(res->file, name) <= 0)
        return dc_error_set(err, DC_ERR_INPUT, "results file has no attribute %s", name);
    return read_attr_string(res->file, name, out, err);
}

int dc_results_read_rescaling(dc_results *res, dc_rescale out[DC_N_RESCALINGS], dc_error *err)
{
    typedef struct { double shift, scale; } rs_row;
    int rc = DC_OK;
    hid_t dset = -1, mtype = -1;
    rs_row rows[DC_N_RESCALINGS];
    H5_CHECK(dset = H5Dopen2(res->file, "rescaling", H5P_DEFAULT));
    H5_CHECK(mtype = H5Tcreate(H5T_COMPOUND, sizeof(rs_row)));
    H5_CHECK(H5Tinsert(mtype, "shift", offsetof(rs_row, shift), H5T_NATIVE_DOUBLE));
    H5_CHECK(H5Tinsert(mtype, "scale", offsetof(rs_row, scale), H5T_NATIVE_DOUBLE));
    H5_CHECK(H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows));
    for (int m = 0; m < DC_N_RESCALINGS; m++) {
        out[m].method = (dc_rescaling)m;
        out[m].shift = rows[m].shift;
        out[m].scale = rows[m].scale;
    }
cleanup:
    if (mtype >= 0) H5Tclose(mtype);
    if (dset >= 0) H5Dclose(dset);
    return rc;
}


/* ---- dataset digests ---- */

static int file_digest(const char *path, char hex[65], dc_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return dc_error_set(err, DC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    dc_sha256 ctx;
    dc_sha256_init(&ctx);
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) dc_sha256_update(&ctx, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) return dc_error_set(err, DC_ERR_IO, "%s: read error", path);
    uint8_t digest[32];
    dc_sha256_final(&ctx, digest);
    dc_sha256_to_hex(hex, digest);
    return DC_OK;
}

int dc_results_dataset_digest(const dc_dataset_config *dataset, char **out, dc_error *err)
{
    int rc = DC_OK;
    const char *paths[] = {dataset->train, dataset->validation, dataset->test, dataset->file,
                           dataset->e0_file};
    size_t cap = 1, len = 0;
    for (int i = 0; i < 5; i++)
        if (paths[i]) cap += strlen(paths[i]) + 64 + 3;
    char *text = NULL;
    *out = NULL;
    DC_ALLOC(text, cap);
    for (int i = 0; i < 5; i++) {
        if (!paths[i]) continue;
        char hex[65];
        DC_TRY(file_digest(paths[i], hex, err));
        len += (size_t)snprintf(text + len, cap - len, "%s  %s\n", hex, paths[i]);
    }
    *out = text;
    text = NULL;
cleanup:
    free(text);
    return rc;
}
