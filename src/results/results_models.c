/* Kept models (include/dcsweep/results/results.h): the selected weights of every run in
 * /models/params [n_runs][n_params] float32, preallocated and filled with NaN like every other
 * dataset of the file; /models/layout [n_tensors] (name, offset, rows, cols) and the model's spec
 * as attributes of /models (one float64 per hyperparameter, `elements` the atomic numbers), so
 * that h5py alone can rebuild every named tensor of a run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results_internal.h"

typedef struct layout_row {
    char name[DC_TENSOR_NAME_MAX];
    int64_t offset, rows, cols;
} layout_row;

/* The on-file name width: 48 bytes, as every file before DimeNet++ (so their bytes stay), or
 * DC_TENSOR_NAME_MAX when a name needs it. Readers convert any width to the memory type. */
static size_t layout_name_width(const dc_tensor *tensors, int n)
{
    size_t longest = 0;
    for (int t = 0; t < n; t++) longest = strlen(tensors[t].name) > longest ? strlen(tensors[t].name) : longest;
    return longest < 48 ? 48 : DC_TENSOR_NAME_MAX;
}

static int layout_types(hid_t *mem, hid_t *file, size_t file_width, dc_error *err)
{
    int rc = DC_OK;
    hid_t name = -1, file_name = -1;
    *mem = *file = -1;
    H5_CHECK(name = dc_results_string_type(DC_TENSOR_NAME_MAX));
    H5_CHECK(file_name = dc_results_string_type(file_width));
    H5_CHECK(*mem = H5Tcreate(H5T_COMPOUND, sizeof(layout_row)));
    H5_CHECK(H5Tinsert(*mem, "name", offsetof(layout_row, name), name));
    H5_CHECK(H5Tinsert(*mem, "offset", offsetof(layout_row, offset), H5T_NATIVE_INT64));
    H5_CHECK(H5Tinsert(*mem, "rows", offsetof(layout_row, rows), H5T_NATIVE_INT64));
    H5_CHECK(H5Tinsert(*mem, "cols", offsetof(layout_row, cols), H5T_NATIVE_INT64));
    H5_CHECK(*file = H5Tcreate(H5T_COMPOUND, file_width + 24));
    H5_CHECK(H5Tinsert(*file, "name", 0, file_name));
    H5_CHECK(H5Tinsert(*file, "offset", file_width, H5T_STD_I64LE));
    H5_CHECK(H5Tinsert(*file, "rows", file_width + 8, H5T_STD_I64LE));
    H5_CHECK(H5Tinsert(*file, "cols", file_width + 16, H5T_STD_I64LE));
cleanup:
    if (name >= 0) H5Tclose(name);
    if (file_name >= 0) H5Tclose(file_name);
    return rc;
}

static int write_spec(hid_t group, const dc_model_spec *spec, dc_error *err)
{
    int rc = DC_OK;
    hid_t space = -1, attr = -1;
    for (int k = 0; k < spec->n; k++) {
        H5_CHECK(space = H5Screate(H5S_SCALAR));
        H5_CHECK(attr = H5Acreate2(group, spec->names[k], H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT));
        H5_CHECK(H5Awrite(attr, H5T_NATIVE_DOUBLE, &spec->values[k]));
        H5Aclose(attr);
        H5Sclose(space);
        attr = space = -1;
    }
    hsize_t n = (hsize_t)spec->n_elements;
    H5_CHECK(space = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_NULL));
    H5_CHECK(attr = H5Acreate2(group, "elements", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT));
    if (n) H5_CHECK(H5Awrite(attr, H5T_NATIVE_INT, spec->elements));
    if (spec->n_train_elements > 0) {
        H5Aclose(attr);
        H5Sclose(space);
        attr = space = -1;
        n = (hsize_t)spec->n_train_elements;
        H5_CHECK(space = H5Screate_simple(1, &n, NULL));
        H5_CHECK(attr = H5Acreate2(group, "train_elements", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT));
        H5_CHECK(H5Awrite(attr, H5T_NATIVE_INT, spec->train_elements));
    }
cleanup:
    if (attr >= 0) H5Aclose(attr);
    if (space >= 0) H5Sclose(space);
    return rc;
}

int dc_results_create_models(dc_results *res, const dc_results_meta *meta, hid_t dcpl, int writer,
                             dc_error *err)
{
    int rc = DC_OK;
    hid_t gcpl = -1, group = -1, space = -1, mtype = -1, ftype = -1, lset = -1;
    layout_row *rows = NULL;
    res->n_params = meta->n_params;
    if (meta->n_params <= 0) return DC_OK;
    if (meta->n_tensors < 1 || meta->n_tensors > DC_MAX_TENSORS || !meta->spec)
        DC_FAIL(DC_ERR_INTERNAL, "results: a kept model needs 1..%d tensors and a spec", DC_MAX_TENSORS);
    H5_CHECK(gcpl = H5Pcreate(H5P_GROUP_CREATE));
    H5_CHECK(H5Pset_obj_track_times(gcpl, 0));
    H5_CHECK(group = H5Gcreate2(res->file, "models", H5P_DEFAULT, gcpl, H5P_DEFAULT));
    hsize_t dims[2] = {(hsize_t)meta->n_runs, (hsize_t)meta->n_params};
    H5_CHECK(space = H5Screate_simple(2, dims, NULL));
    H5_CHECK(res->params = H5Dcreate2(group, "params", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
    H5Sclose(space);
    space = -1;
    DC_ALLOC(rows, meta->n_tensors);
    for (int t = 0; t < meta->n_tensors; t++) {
        dc_results_copy_field(rows[t].name, sizeof rows[t].name, meta->tensors[t].name);
        rows[t].offset = meta->tensors[t].offset;
        rows[t].rows = meta->tensors[t].rows;
        rows[t].cols = meta->tensors[t].cols;
    }
    DC_TRY(layout_types(&mtype, &ftype, layout_name_width(meta->tensors, meta->n_tensors), err));
    hsize_t n = (hsize_t)meta->n_tensors;
    H5_CHECK(space = H5Screate_simple(1, &n, NULL));
    H5_CHECK(lset = H5Dcreate2(group, "layout", ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (writer) H5_CHECK(H5Dwrite(lset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows));
    DC_TRY(write_spec(group, meta->spec, err));
    res->spec = *meta->spec;
    res->n_tensors = meta->n_tensors;
    memcpy(res->tensors, meta->tensors, (size_t)meta->n_tensors * sizeof *meta->tensors);
cleanup:
    free(rows);
    if (lset >= 0) H5Dclose(lset);
    if (ftype >= 0) H5Tclose(ftype);
    if (mtype >= 0) H5Tclose(mtype);
    if (space >= 0) H5Sclose(space);
    if (group >= 0) H5Gclose(group);
    if (gcpl >= 0) H5Pclose(gcpl);
    return rc;
}

/* The spec back from the attributes of /models: every float64 scalar is a hyperparameter. */
static herr_t read_spec_attr(hid_t group, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    dc_model_spec *spec = data;
    if (strcmp(name, "elements") == 0 || strcmp(name, "train_elements") == 0 || spec->n >= DC_SPEC_MAX) return 0;
    hid_t attr = H5Aopen(group, name, H5P_DEFAULT);
    if (attr < 0) return -1;
    double v = NAN;
    herr_t st = H5Aread(attr, H5T_NATIVE_DOUBLE, &v);
    H5Aclose(attr);
    if (st < 0) return -1;
    snprintf(spec->names[spec->n], DC_SPEC_NAME_MAX, "%s", name);
    spec->values[spec->n++] = v;
    return 0;
}

int dc_results_open_models(dc_results *res, const char *path, dc_error *err)
{
    int rc = DC_OK;
    hid_t group = -1, lset = -1, space = -1, mtype = -1, ftype = -1, attr = -1;
    layout_row *rows = NULL;
    hsize_t dims[2] = {0, 0};
    if (H5Lexists(res->file, "models", H5P_DEFAULT) <= 0) return DC_OK;  /* none kept */
    H5_CHECK(group = H5Gopen2(res->file, "models", H5P_DEFAULT));
    res->params = H5Dopen2(group, "params", H5P_DEFAULT);
    if (res->params < 0) DC_FAIL(DC_ERR_INPUT, "%s: /models has no params", path);
    H5_CHECK(space = H5Dget_space(res->params));
    if (H5Sget_simple_extent_ndims(space) != 2 || H5Sget_simple_extent_dims(space, dims, NULL) < 0 ||
        dims[0] != (hsize_t)res->n_runs || dims[1] < 1)
        DC_FAIL(DC_ERR_INPUT, "%s: /models/params is not [n_runs][n_params]", path);
    H5Sclose(space);
    space = -1;
    res->n_params = (int64_t)dims[1];
    if ((lset = H5Dopen2(group, "layout", H5P_DEFAULT)) < 0) DC_FAIL(DC_ERR_INPUT, "%s: /models has no layout", path);
    H5_CHECK(space = H5Dget_space(lset));
    hsize_t n = 0;
    if (H5Sget_simple_extent_dims(space, &n, NULL) != 1 || n < 1 || n > DC_MAX_TENSORS)
        DC_FAIL(DC_ERR_INPUT, "%s: /models/layout has no 1..%d tensors", path, DC_MAX_TENSORS);
    DC_ALLOC(rows, n);
    DC_TRY(layout_types(&mtype, &ftype, DC_TENSOR_NAME_MAX, err));
    H5_CHECK(H5Dread(lset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows));
    res->n_tensors = (int)n;
    for (hsize_t t = 0; t < n; t++) {
        dc_tensor *d = &res->tensors[t];
        memset(d, 0, sizeof *d);
        memcpy(d->name, rows[t].name, sizeof d->name - 1);
        d->offset = rows[t].offset;
        d->rows = rows[t].rows;
        d->cols = rows[t].cols;
        d->is_bias = strstr(d->name, "bias") != NULL;
        if (d->offset < 0 || d->rows < 1 || d->cols < 1 || d->offset + d->rows * d->cols > res->n_params)
            DC_FAIL(DC_ERR_INPUT, "%s: /models/layout: tensor %s lies outside the parameters", path, d->name);
    }
    memset(&res->spec, 0, sizeof res->spec);
    hsize_t idx = 0;
    H5_CHECK(H5Aiterate2(group, H5_INDEX_NAME, H5_ITER_INC, &idx, read_spec_attr, &res->spec));
    if ((attr = H5Aopen(group, "elements", H5P_DEFAULT)) >= 0) {
        hid_t aspace = H5Aget_space(attr);
        hssize_t ne = aspace >= 0 ? H5Sget_simple_extent_npoints(aspace) : -1;
        if (aspace >= 0) H5Sclose(aspace);
        if (ne < 0 || ne > DC_MAX_SPEC_ELEMENTS) DC_FAIL(DC_ERR_INPUT, "%s: /models: bad element list", path);
        res->spec.n_elements = (int)ne;
        if (ne > 0) H5_CHECK(H5Aread(attr, H5T_NATIVE_INT, res->spec.elements));
    }
    if (H5Aexists(group, "train_elements") > 0) {
        if (attr >= 0) H5Aclose(attr);
        H5_CHECK(attr = H5Aopen(group, "train_elements", H5P_DEFAULT));
        hid_t aspace = H5Aget_space(attr);
        hssize_t ne = aspace >= 0 ? H5Sget_simple_extent_npoints(aspace) : -1;
        if (aspace >= 0) H5Sclose(aspace);
        if (ne < 1 || ne > DC_MAX_SPEC_ELEMENTS) DC_FAIL(DC_ERR_INPUT, "%s: /models: bad train_elements list", path);
        res->spec.n_train_elements = (int)ne;
        H5_CHECK(H5Aread(attr, H5T_NATIVE_INT, res->spec.train_elements));
    }
cleanup:
    free(rows);
    if (attr >= 0) H5Aclose(attr);
    if (ftype >= 0) H5Tclose(ftype);
    if (mtype >= 0) H5Tclose(mtype);
    if (space >= 0) H5Sclose(space);
    if (lset >= 0) H5Dclose(lset);
    if (group >= 0) H5Gclose(group);
    return rc;
}

int64_t dc_results_n_params(const dc_results *res) { return res->params >= 0 ? res->n_params : 0; }

const dc_tensor *dc_results_tensors(const dc_results *res, int *n)
{
    *n = res->n_tensors;
    return res->tensors;
}

const dc_model_spec *dc_results_spec(const dc_results *res) { return &res->spec; }

/* Row `run` of /models/params. */
static int params_row(dc_results *res, int run, hid_t *fs, hid_t *ms, dc_error *err)
{
    int rc = DC_OK;
    hsize_t start[2] = {(hsize_t)run, 0}, count[2] = {1, (hsize_t)res->n_params};
    hsize_t mem[1] = {(hsize_t)res->n_params};
    if (res->params < 0) DC_FAIL(DC_ERR_INPUT, "the results file keeps no models (output.keep_models was false)");
    if (run < 0 || run >= res->n_runs) DC_FAIL(DC_ERR_INPUT, "run %d is not in the file's %d runs", run, res->n_runs);
    H5_CHECK(*fs = H5Dget_space(res->params));
    H5_CHECK(H5Sselect_hyperslab(*fs, H5S_SELECT_SET, start, NULL, count, NULL));
    H5_CHECK(*ms = H5Screate_simple(1, mem, NULL));
cleanup:
    return rc;
}

int dc_results_read_params(dc_results *res, int run, float *params, dc_error *err)
{
    int rc = DC_OK;
    hid_t fs = -1, ms = -1;
    DC_TRY(params_row(res, run, &fs, &ms, err));
    H5_CHECK(H5Dread(res->params, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, params));
cleanup:
    if (fs >= 0) H5Sclose(fs);
    if (ms >= 0) H5Sclose(ms);
    return rc;
}

int dc_results_write_params(dc_results *res, int run, const float *params, dc_error *err)
{
    int rc = DC_OK;
    hid_t fs = -1, ms = -1;
    DC_TRY(params_row(res, run, &fs, &ms, err));
    H5_CHECK(H5Dwrite(res->params, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, params));
cleanup:
    if (fs >= 0) H5Sclose(fs);
    if (ms >= 0) H5Sclose(ms);
    return rc;
}
