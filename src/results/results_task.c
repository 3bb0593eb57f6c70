/* The task field of a results file (include/dcsweep/results/results.h): /task/<name> float64
 * [rows][cols], the array a model family keeps of its task (the reference solution), with its
 * axes /task/x [cols] and /task/t [rows]. Written once at creation, read by merge. */
#include <stdlib.h>
#include <string.h>

#include "results_internal.h"

/* A float64 dataset of rank 1 or 2 under group, written by the writer only (all processes create it:
 * under MPI-IO creation is collective). */
static int write_doubles(hid_t group, const char *name, int ndims, const hsize_t *dims,
                         const double *values, int writer, dc_error *err)
{
    int rc = DC_OK;
    hid_t space = -1, dset = -1;
    H5_CHECK(space = H5Screate_simple(ndims, dims, NULL));
    H5_CHECK(dset = H5Dcreate2(group, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    if (writer) H5_CHECK(H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values));
cleanup:
    if (dset >= 0) H5Dclose(dset);
    if (space >= 0) H5Sclose(space);
    return rc;
}

int dc_results_write_task(hid_t file, const dc_results_meta *meta, int writer, dc_error *err)
{
    int rc = DC_OK;
    hid_t group = -1;
    const dc_task_field *f = meta->task_field;
    if (!f || !f->name[0]) return DC_OK;
    if (f->rows < 1 || f->cols < 1 || !f->values)
        DC_FAIL(DC_ERR_INTERNAL, "the task field %s is %d x %d", f->name, f->rows, f->cols);
    H5_CHECK(group = H5Gcreate2(file, "task", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    const hsize_t dims[2] = {(hsize_t)f->rows, (hsize_t)f->cols};
    DC_TRY(write_doubles(group, f->name, 2, dims, f->values, writer, err));
    if (f->x) DC_TRY(write_doubles(group, "x", 1, &dims[1], f->x, writer, err));
    if (f->t) DC_TRY(write_doubles(group, "t", 1, &dims[0], f->t, writer, err));
cleanup:
    if (group >= 0) H5Gclose(group);
    return rc;
}

void dc_results_task_field_free(dc_task_field *field)
{
    free((void *)field->values);
    free((void *)field->x);
    free((void *)field->t);
    memset(field, 0, sizeof *field);
}

/* Reads a float64 dataset of n values into a new array; DC_ERR_INPUT unless it has n values. */
static int read_doubles(hid_t group, const char *name, int ndims, const hsize_t *want, double **out,
                        dc_error *err)
{
    int rc = DC_OK;
    hid_t dset = -1, space = -1;
    hsize_t dims[2] = {0, 0};
    double *v = NULL;
    H5_CHECK(dset = H5Dopen2(group, name, H5P_DEFAULT));
    H5_CHECK(space = H5Dget_space(dset));
    if (H5Sget_simple_extent_ndims(space) != ndims || H5Sget_simple_extent_dims(space, dims, NULL) < 0 ||
        dims[0] != want[0] || (ndims == 2 && dims[1] != want[1]))
        DC_FAIL(DC_ERR_INPUT, "/task/%s does not have the shape of the task field", name);
    DC_ALLOC(v, ndims == 2 ? want[0] * want[1] : want[0]);
    H5_CHECK(H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    *out = v;
    v = NULL;
cleanup:
    free(v);
    if (space >= 0) H5Sclose(space);
    if (dset >= 0) H5Dclose(dset);
    return rc;
}

/* The name of the group's member that is not an axis, into name (DC_METRIC_NAME_MAX). */
static int field_name(hid_t group, char *name, dc_error *err)
{
    int rc = DC_OK;
    H5G_info_t info;
    name[0] = '\0';
    H5_CHECK(H5Gget_info(group, &info));
    for (hsize_t k = 0; k < info.nlinks; k++) {
        char buf[DC_METRIC_NAME_MAX];
        ssize_t n = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, k, buf, sizeof buf, H5P_DEFAULT);
        if (n < 0) DC_FAIL(DC_ERR_IO, "cannot read the names under /task");
        if ((size_t)n >= sizeof buf) DC_FAIL(DC_ERR_INPUT, "/task holds a name longer than %d bytes",
                                             DC_METRIC_NAME_MAX - 1);
        if (!strcmp(buf, "x") || !strcmp(buf, "t")) continue;
        if (name[0]) DC_FAIL(DC_ERR_INPUT, "/task holds two fields, %s and %s", name, buf);
        memcpy(name, buf, (size_t)n + 1);
    }
    if (!name[0]) DC_FAIL(DC_ERR_INPUT, "/task holds no field");
cleanup:
    return rc;
}

int dc_results_read_task_field(dc_results *res, dc_task_field *out, dc_error *err)
{
    int rc = DC_OK;
    hid_t group = -1, dset = -1, space = -1;
    hsize_t dims[2] = {0, 0};
    double *values = NULL, *x = NULL, *t = NULL;
    memset(out, 0, sizeof *out);
    if (H5Lexists(res->file, "task", H5P_DEFAULT) <= 0) return DC_OK;
    H5_CHECK(group = H5Gopen2(res->file, "task", H5P_DEFAULT));
    DC_TRY(field_name(group, out->name, err));
    H5_CHECK(dset = H5Dopen2(group, out->name, H5P_DEFAULT));
    H5_CHECK(space = H5Dget_space(dset));
    if (H5Sget_simple_extent_ndims(space) != 2 || H5Sget_simple_extent_dims(space, dims, NULL) < 0 ||
        dims[0] < 1 || dims[1] < 1 || dims[0] * dims[1] > DC_MAX_TASK_FIELD)
        DC_FAIL(DC_ERR_INPUT, "/task/%s is not a 2-D array of at most %d values", out->name,
                DC_MAX_TASK_FIELD);
    DC_TRY(read_doubles(group, out->name, 2, dims, &values, err));
    if (H5Lexists(group, "x", H5P_DEFAULT) > 0) DC_TRY(read_doubles(group, "x", 1, &dims[1], &x, err));
    if (H5Lexists(group, "t", H5P_DEFAULT) > 0) DC_TRY(read_doubles(group, "t", 1, &dims[0], &t, err));
    out->rows = (int)dims[0];
    out->cols = (int)dims[1];
    out->values = values;
    out->x = x;
    out->t = t;
    values = x = t = NULL;
cleanup:
    free(values);
    free(x);
    free(t);
    if (rc != DC_OK) memset(out, 0, sizeof *out);
    if (space >= 0) H5Sclose(space);
    if (dset >= 0) H5Dclose(dset);
    if (group >= 0) H5Gclose(group);
    return rc;
}
