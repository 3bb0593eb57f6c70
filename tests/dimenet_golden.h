/* Reading ../shared/golden/dimenet_golden.h5 (PyTorch float64 values of ../shared/spec/DIMENET.md)
 * for the DimeNet++ tests. Header-only, like tests/golden.h. */
#ifndef DCSWEEP_TESTS_DIMENET_GOLDEN_H
#define DCSWEEP_TESTS_DIMENET_GOLDEN_H

#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/model/dimenet.h"

/* Reads dataset path of exactly n elements as mem_type; 0 on success. */
static inline int dg_read(hid_t file, const char *path, hid_t mem_type, void *buf, int64_t n)
{
    if (H5Lexists(file, path, H5P_DEFAULT) <= 0) {
        fprintf(stderr, "golden: no dataset %s\n", path);
        return -1;
    }
    hid_t ds = H5Dopen2(file, path, H5P_DEFAULT);
    if (ds < 0) return -1;
    hid_t sp = H5Dget_space(ds);
    const hssize_t count = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    int rc = 0;
    if (count != n) {
        fprintf(stderr, "golden: %s has %lld elements, expected %lld\n", path, (long long)count,
                (long long)n);
        rc = -1;
    } else if (H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        rc = -1;
    }
    H5Dclose(ds);
    return rc;
}

/* The number of elements of dataset path, or -1. */
static inline int64_t dg_count(hid_t file, const char *path)
{
    if (H5Lexists(file, path, H5P_DEFAULT) <= 0) return -1;
    hid_t ds = H5Dopen2(file, path, H5P_DEFAULT);
    hid_t sp = H5Dget_space(ds);
    const hssize_t n = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    H5Dclose(ds);
    return (int64_t)n;
}

static inline int dg_attr(hid_t file, const char *obj, const char *name, hid_t type, void *buf)
{
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return -1;
    const int rc = H5Aread(a, type, buf) < 0 ? -1 : 0;
    H5Aclose(a);
    return rc;
}

static inline double dg_scalar(hid_t file, const char *path)
{
    double v = NAN;
    if (dg_read(file, path, H5T_NATIVE_DOUBLE, &v, 1)) return NAN;
    return v;
}

/* Every tensor of layout from group prefix into flat; 0 on success. */
static inline int dg_read_params(hid_t file, const dc_dimenet_layout *L, const char *prefix,
                                 double *flat)
{
    char path[256];
    for (int k = 0; k < L->n_tensors; k++) {
        const dc_dimenet_tensor *t = &L->tensors[k];
        snprintf(path, sizeof path, "%s/%s", prefix, t->name);
        if (dg_read(file, path, H5T_NATIVE_DOUBLE, flat + t->offset, dc_dimenet_tensor_size(t)))
            return -1;
    }
    return 0;
}

/* The golden model's shape, from the root attributes. */
static inline int dg_shape(hid_t file, dc_dimenet_shape *s)
{
    int rc = 0;
    rc |= dg_attr(file, "/", "hidden_channels", H5T_NATIVE_INT, &s->hidden);
    rc |= dg_attr(file, "/", "out_emb_channels", H5T_NATIVE_INT, &s->out_emb);
    rc |= dg_attr(file, "/", "int_emb_size", H5T_NATIVE_INT, &s->int_emb);
    rc |= dg_attr(file, "/", "basis_emb_size", H5T_NATIVE_INT, &s->basis_emb);
    rc |= dg_attr(file, "/", "num_spherical", H5T_NATIVE_INT, &s->num_spherical);
    rc |= dg_attr(file, "/", "num_radial", H5T_NATIVE_INT, &s->num_radial);
    rc |= dg_attr(file, "/", "cutoff", H5T_NATIVE_DOUBLE, &s->cutoff);
    rc |= dg_attr(file, "/", "envelope_exponent", H5T_NATIVE_INT, &s->envelope_exponent);
    rc |= dg_attr(file, "/", "num_blocks", H5T_NATIVE_INT, &s->num_blocks);
    rc |= dg_attr(file, "/", "num_before_skip", H5T_NATIVE_INT, &s->num_before_skip);
    rc |= dg_attr(file, "/", "num_after_skip", H5T_NATIVE_INT, &s->num_after_skip);
    rc |= dg_attr(file, "/", "num_output_layers", H5T_NATIVE_INT, &s->num_output_layers);
    return rc;
}

/* The error measure of MODEL.md: max |a - b| / max |b| (max |a - b| when b is all zero). */
static inline double dg_rel_err(const double *a, const double *b, int64_t n)
{
    double num = 0.0, den = 0.0;
    for (int64_t k = 0; k < n; k++) {
        const double d = fabs(a[k] - b[k]);
        num = (d > num || isnan(d)) ? d : num;
        den = fmax(den, fabs(b[k]));
    }
    return den > 0.0 ? num / den : num;
}


/* The golden file's input batch: atoms, their molecules, positions and labels. */
typedef struct dg_batch {
    int n_mol, n_atoms;
    int *z, *atom_off;   /* [n_atoms], [n_mol + 1] */
    double *pos, *E_t, *F_t;
} dg_batch;

static inline void dg_read_batch(hid_t f, dg_batch *b)
{
    memset(b, 0, sizeof *b);
    b->n_atoms = (int)dg_count(f, "inputs/atomic_numbers");
    int *molecule = calloc((size_t)b->n_atoms, sizeof *molecule);
    b->z = calloc((size_t)b->n_atoms, sizeof *b->z);
    b->pos = calloc(3 * (size_t)b->n_atoms, sizeof *b->pos);
    b->F_t = calloc(3 * (size_t)b->n_atoms, sizeof *b->F_t);
    dg_read(f, "inputs/atomic_numbers", H5T_NATIVE_INT, b->z, b->n_atoms);
    dg_read(f, "inputs/molecule", H5T_NATIVE_INT, molecule, b->n_atoms);
    dg_read(f, "inputs/positions", H5T_NATIVE_DOUBLE, b->pos, 3 * (int64_t)b->n_atoms);
    dg_read(f, "labels/forces", H5T_NATIVE_DOUBLE, b->F_t, 3 * (int64_t)b->n_atoms);
    b->n_mol = molecule[b->n_atoms - 1] + 1;
    b->atom_off = calloc((size_t)b->n_mol + 1, sizeof *b->atom_off);
    b->E_t = calloc((size_t)b->n_mol, sizeof *b->E_t);
    dg_read(f, "labels/energy", H5T_NATIVE_DOUBLE, b->E_t, b->n_mol);
    for (int a = 0; a < b->n_atoms; a++) b->atom_off[molecule[a] + 1] = a + 1;
    free(molecule);
}

static inline void dg_batch_free(dg_batch *b)
{
    free(b->z);
    free(b->pos);
    free(b->F_t);
    free(b->E_t);
    free(b->atom_off);
}

#endif
