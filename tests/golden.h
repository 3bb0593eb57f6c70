/* Reading ../shared/golden/schnet_golden.h5 (PyTorch float64 reference values, docs/model.md) for the
 * tests of both SchNet engines. Header-only so any test can include it without build changes.
 *
 *   golden gd;
 *   char msg[256];
 *   if (golden_load(&gd, path, msg, sizeof msg)) { ...msg... }
 *   for (int k = 0; k < gd.n_cases; k++) {
 *       golden_case gc;
 *       if (golden_load_case(&gd, k, &gc, msg, sizeof msg)) { ... }
 *       ... dc_schnet_ref_eval(&gd.shape, &gc.act, gd.params, &gd.batch, ...) or the float engine
 *           with gd.params_f; compare with golden_rel_err(mine, gc.grad[DC_LOSS_MSE], n) ...
 *       golden_case_free(&gc);
 *   }
 *   golden_free(&gd);
 *
 * Arrays are in the engine's flat layout (gd.layout); the batch's targets are labels/energy and
 * labels/forces (already scaled), and its edge list is built here (all ordered pairs of a molecule
 * closer than the cutoff, sorted by dst then src), checked against inputs/n_edges. */
#ifndef DCSWEEP_TESTS_GOLDEN_H
#define DCSWEEP_TESTS_GOLDEN_H

#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dcsweep/model/schnet.h"

#define GOLDEN_MAX_CASES 16
#define GOLDEN_NAME_MAX 64

typedef struct golden {
    hid_t file;
    dc_schnet_shape shape;
    dc_schnet_layout layout;
    double force_weight;            /* alpha of the l1 and mse cases */
    int n_mol, n_atoms;
    int64_t n_edges;
    int *types, *mol;               /* [n_atoms] */
    double *pos;                    /* [n_atoms][3] */
    int *src, *dst;                 /* [n_edges] */
    double *energy_label;           /* [n_mol] */
    double *force_label;            /* [n_atoms][3] */
    double *params;                 /* [layout.n_params] params/ in the flat layout */
    float *params_f;                /* [layout.n_params] the same, rounded to float */
    dc_batch batch;                 /* views of the arrays above, with the labels as targets */
    int n_cases;
    char case_names[GOLDEN_MAX_CASES][GOLDEN_NAME_MAX];
} golden;

typedef struct golden_case {
    char name[GOLDEN_NAME_MAX];
    dc_activation act;
    double *energy;     /* [n_mol] */
    double *forces;     /* [n_atoms][3] */
    double
        loss[2]; /* total loss (alpha applied), indexed by dc_loss: [DC_LOSS_L1], [DC_LOSS_MSE] */
    double *grad[2];    /* [n_params] gradient of that loss, flat layout, indexed by dc_loss */
    double *adam3;      /* [n_params] parameters after three Adam steps (lr 1e-3) on mse */
} golden_case;

static inline int golden_fail_(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int golden_fail_(char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (msg && len) vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* Reads dataset `path` of exactly n elements, converting to mem_type. */
static inline int golden_read_(hid_t file, const char *path, hid_t mem_type, void *buf, int64_t n,
                               char *msg, size_t len)
{
    hid_t ds = H5Dopen2(file, path, H5P_DEFAULT);
    if (ds < 0) return golden_fail_(msg, len, "golden: no dataset %s", path);
    hid_t sp = H5Dget_space(ds);
    hssize_t count = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    int rc = 0;
    if (count != n)
        rc = golden_fail_(msg, len, "golden: %s has %lld elements, expected %lld", path,
                          (long long)count, (long long)n);
    else if (H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = golden_fail_(msg, len, "golden: cannot read %s", path);
    H5Dclose(ds);
    return rc;
}

/* A scalar attribute of the object at obj_path. */
static inline int golden_attr_(hid_t file, const char *obj_path, const char *name, hid_t mem_type,
                               void *buf, char *msg, size_t len)
{
    hid_t a = H5Aopen_by_name(file, obj_path, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return golden_fail_(msg, len, "golden: no attribute %s of %s", name, obj_path);
    int rc =
        H5Aread(a, mem_type, buf) < 0 ? golden_fail_(msg, len, "golden: cannot read %s", name) : 0;
    H5Aclose(a);
    return rc;
}

static inline int golden_attr_string_(hid_t file, const char *obj_path, const char *name, char *out,
                                      size_t out_len, char *msg, size_t len)
{
    /* h5py writes UTF-8 variable-length strings; HDF5 converts none between character sets. */
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char *s = NULL;
    int rc = golden_attr_(file, obj_path, name, t, &s, msg, len);
    if (rc == 0) snprintf(out, out_len, "%s", s ? s : "");
    if (s) H5free_memory(s);
    H5Tclose(t);
    return rc;
}

/* Reads n tensors (any model's layout) from group prefix ("params", "cases/x/mse/grad") of file
 * into the flat buffer at their offsets. */
static inline int golden_read_tensor_list_(hid_t file, const dc_tensor *tensors, int n,
                                           const char *prefix, double *flat, char *msg, size_t len)
{
    char path[256];
    for (int k = 0; k < n; k++) {
        const dc_tensor *t = &tensors[k];
        snprintf(path, sizeof path, "%s/%s", prefix, t->name);
        if (golden_read_(file, path, H5T_NATIVE_DOUBLE, flat + t->offset, t->rows * t->cols, msg,
                         len))
            return -1;
    }
    return 0;
}

/* Every tensor of the SchNet layout. */
static inline int golden_read_tensors_(const golden *g, const char *prefix, double *flat, char *msg,
                                       size_t len)
{
    return golden_read_tensor_list_(g->file, g->layout.tensors, g->layout.n_tensors, prefix, flat,
                                    msg, len);
}

/* The names of the groups under group_path (the cases), up to max of them; -1 without it. */
static inline int golden_list_groups_(hid_t file, const char *group_path,
                                      char names[][GOLDEN_NAME_MAX], int max)
{
    hid_t grp = H5Gopen2(file, group_path, H5P_DEFAULT);
    H5G_info_t info;
    if (grp < 0 || H5Gget_info(grp, &info) < 0) {
        if (grp >= 0) H5Gclose(grp);
        return -1;
    }
    int n = 0;
    for (hsize_t k = 0; k < info.nlinks && n < max; k++)
        if (H5Lget_name_by_idx(grp, ".", H5_INDEX_NAME, H5_ITER_INC, k, names[n], GOLDEN_NAME_MAX,
                               H5P_DEFAULT) > 0)
            n++;
    H5Gclose(grp);
    return n;
}

static inline void golden_free(golden *g)
{
    if (g->file > 0) H5Fclose(g->file);
    free(g->types); free(g->mol); free(g->pos); free(g->src); free(g->dst);
    free(g->energy_label); free(g->force_label); free(g->params); free(g->params_f);
    memset(g, 0, sizeof *g);
}

static inline int golden_load(golden *g, const char *path, char *msg, size_t len)
{
    memset(g, 0, sizeof *g);
    g->file = -1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors come back as messages, not HDF5 stack dumps */
    g->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (g->file < 0) return golden_fail_(msg, len, "golden: cannot open %s", path);
    long long F, nf, T, G;
    char elements[256];
    if (golden_attr_(g->file, "/", "features", H5T_NATIVE_LLONG, &F, msg, len) ||
        golden_attr_(g->file, "/", "filters", H5T_NATIVE_LLONG, &nf, msg, len) ||
        golden_attr_(g->file, "/", "interactions", H5T_NATIVE_LLONG, &T, msg, len) ||
        golden_attr_(g->file, "/", "gaussians", H5T_NATIVE_LLONG, &G, msg, len) ||
        golden_attr_(g->file, "/", "cutoff", H5T_NATIVE_DOUBLE, &g->shape.cutoff, msg, len) ||
        golden_attr_(g->file, "/", "force_weight", H5T_NATIVE_DOUBLE, &g->force_weight, msg, len) ||
        golden_attr_string_(g->file, "/", "elements", elements, sizeof elements, msg, len))
        goto fail;
    g->shape.features = (int)F;
    g->shape.filters = (int)nf;
    g->shape.interactions = (int)T;
    g->shape.gaussians = (int)G;
    g->shape.n_types = 1;
    for (const char *c = elements; *c; c++) g->shape.n_types += *c == ',';
    dc_error err;
    if (dc_schnet_layout_init(&g->layout, &g->shape, &err)) {
        golden_fail_(msg, len, "golden: %s", err.message);
        goto fail;
    }

    hid_t ds = H5Dopen2(g->file, "/inputs/types", H5P_DEFAULT);
    if (ds < 0) { golden_fail_(msg, len, "golden: no /inputs/types"); goto fail; }
    hid_t sp = H5Dget_space(ds);
    g->n_atoms = (int)H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    H5Dclose(ds);
    g->types = calloc((size_t)g->n_atoms, sizeof *g->types);
    g->mol = calloc((size_t)g->n_atoms, sizeof *g->mol);
    g->pos = calloc(3 * (size_t)g->n_atoms, sizeof *g->pos);
    g->force_label = calloc(3 * (size_t)g->n_atoms, sizeof *g->force_label);
    g->params = calloc((size_t)g->layout.n_params, sizeof *g->params);
    g->params_f = calloc((size_t)g->layout.n_params, sizeof *g->params_f);
    if (!g->types || !g->mol || !g->pos || !g->force_label || !g->params || !g->params_f) {
        golden_fail_(msg, len, "golden: out of memory");
        goto fail;
    }
    long long n_edges_file;
    if (golden_read_(g->file, "/inputs/types", H5T_NATIVE_INT, g->types, g->n_atoms, msg, len) ||
        golden_read_(g->file, "/inputs/molecule", H5T_NATIVE_INT, g->mol, g->n_atoms, msg, len) ||
        golden_read_(g->file, "/inputs/positions", H5T_NATIVE_DOUBLE, g->pos, 3 * g->n_atoms, msg,
                     len) ||
        golden_read_(g->file, "/labels/forces", H5T_NATIVE_DOUBLE, g->force_label,
                     3 * g->n_atoms, msg, len) ||
        golden_read_(g->file, "/inputs/n_edges", H5T_NATIVE_LLONG, &n_edges_file, 1, msg, len) ||
        golden_read_tensors_(g, "/params", g->params, msg, len))
        goto fail;
    for (int i = 0; i < g->n_atoms; i++)
        g->n_mol = g->mol[i] + 1 > g->n_mol ? g->mol[i] + 1 : g->n_mol;
    g->energy_label = calloc((size_t)g->n_mol, sizeof *g->energy_label);
    if (!g->energy_label) { golden_fail_(msg, len, "golden: out of memory"); goto fail; }
    if (golden_read_(g->file, "/labels/energy", H5T_NATIVE_DOUBLE, g->energy_label, g->n_mol, msg,
                     len))
        goto fail;
    for (int64_t k = 0; k < g->layout.n_params; k++) g->params_f[k] = (float)g->params[k];

    g->n_edges = check_brute_edges(g->n_atoms, g->mol, g->pos, g->shape.cutoff, NULL, NULL);
    if (g->n_edges != n_edges_file) {
        golden_fail_(msg, len, "golden: built %lld edges, the file says %lld",
                     (long long)g->n_edges, n_edges_file);
        goto fail;
    }
    g->src = calloc((size_t)g->n_edges + 1, sizeof *g->src);
    g->dst = calloc((size_t)g->n_edges + 1, sizeof *g->dst);
    if (!g->src || !g->dst) { golden_fail_(msg, len, "golden: out of memory"); goto fail; }
    check_brute_edges(g->n_atoms, g->mol, g->pos, g->shape.cutoff, g->src, g->dst);
    g->batch = (dc_batch){.n_mol = g->n_mol, .n_atoms = g->n_atoms, .n_edges = g->n_edges,
                          .types = g->types, .mol = g->mol, .pos = g->pos, .src = g->src,
                          .dst = g->dst, .energy_target = g->energy_label,
                          .force_target = g->force_label};

    g->n_cases = golden_list_groups_(g->file, "/cases", g->case_names, GOLDEN_MAX_CASES);
    if (g->n_cases < 0) {
        golden_fail_(msg, len, "golden: no /cases group");
        goto fail;
    }
    return 0;
fail:
    golden_free(g);
    return -1;
}

static inline void golden_case_free(golden_case *c)
{
    free(c->energy); free(c->forces); free(c->grad[0]); free(c->grad[1]); free(c->adam3);
    memset(c, 0, sizeof *c);
}

static inline int golden_load_case(const golden *g, int index, golden_case *c, char *msg,
                                   size_t len)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", g->case_names[index]);
    char base[128], path[192], extent[32];
    snprintf(base, sizeof base, "/cases/%s", c->name);
    if (golden_attr_string_(g->file, base, "extent", extent, sizeof extent, msg, len) ||
        golden_attr_(g->file, base, "irelu_scale", H5T_NATIVE_DOUBLE, &c->act.irelu_scale, msg,
                     len))
        goto fail;
    if (strcmp(extent, "none") == 0) c->act.extent = DC_EXTENT_NONE;
    else if (strcmp(extent, "output") == 0) c->act.extent = DC_EXTENT_OUTPUT;
    else if (strcmp(extent, "full") == 0) c->act.extent = DC_EXTENT_FULL;
    else { golden_fail_(msg, len, "golden: %s: unknown extent '%s'", c->name, extent); goto fail; }
    size_t np = (size_t)g->layout.n_params;
    c->energy = calloc((size_t)g->n_mol, sizeof *c->energy);
    c->forces = calloc(3 * (size_t)g->n_atoms, sizeof *c->forces);
    c->grad[0] = calloc(np, sizeof(double));
    c->grad[1] = calloc(np, sizeof(double));
    c->adam3 = calloc(np, sizeof(double));
    if (!c->energy || !c->forces || !c->grad[0] || !c->grad[1] || !c->adam3) {
        golden_fail_(msg, len, "golden: out of memory");
        goto fail;
    }
    snprintf(path, sizeof path, "%s/energy", base);
    if (golden_read_(g->file, path, H5T_NATIVE_DOUBLE, c->energy, g->n_mol, msg, len)) goto fail;
    snprintf(path, sizeof path, "%s/forces", base);
    if (golden_read_(g->file, path, H5T_NATIVE_DOUBLE, c->forces, 3 * g->n_atoms, msg, len))
        goto fail;
    const char *losses[2] = {[DC_LOSS_L1] = "l1", [DC_LOSS_MSE] = "mse"};
    for (int l = 0; l < 2; l++) {
        snprintf(path, sizeof path, "%s/%s/loss", base, losses[l]);
        if (golden_read_(g->file, path, H5T_NATIVE_DOUBLE, &c->loss[l], 1, msg, len)) goto fail;
        snprintf(path, sizeof path, "%s/%s/grad", base, losses[l]);
        if (golden_read_tensors_(g, path, c->grad[l], msg, len)) goto fail;
    }
    snprintf(path, sizeof path, "%s/adam3", base);
    if (golden_read_tensors_(g, path, c->adam3, msg, len)) goto fail;
    return 0;
fail:
    golden_case_free(c);
    return -1;
}

/* max |a - b| / max |b| (b the reference; absolute error when b is all zeros). */
static inline double golden_rel_err(const double *a, const double *b, int64_t n)
{
    double num = 0.0, den = 0.0;
    for (int64_t k = 0; k < n; k++) {
        num = fmax(num, fabs(a[k] - b[k]));
        den = fmax(den, fabs(b[k]));
    }
    if (num != num) return INFINITY;
    return den > 0.0 ? num / den : num;
}

/* The worst golden_rel_err over n tensors (any model's layout) of a flat array; *worst_tensor
 * (may be NULL) gets the index of that tensor. */
static inline double golden_tensor_list_err(const dc_tensor *tensors, int n, const double *mine,
                                            const double *ref, int *worst_tensor)
{
    double worst = 0.0;
    for (int k = 0; k < n; k++) {
        const dc_tensor *t = &tensors[k];
        double e = golden_rel_err(mine + t->offset, ref + t->offset, t->rows * t->cols);
        if (!(e <= worst)) {
            worst = e;
            if (worst_tensor) *worst_tensor = k;
        }
    }
    return worst;
}

/* The same over the SchNet layout of g (a flat gradient or parameter set). */
static inline double golden_tensor_err(const golden *g, const double *mine, const double *ref,
                                       int *worst_tensor)
{
    return golden_tensor_list_err(g->layout.tensors, g->layout.n_tensors, mine, ref, worst_tensor);
}

/* Path of the golden file under the shared directory. */
static inline void golden_path(char *out, size_t len, const char *shared_dir)
{
    snprintf(out, len, "%s/golden/schnet_golden.h5", shared_dir);
}

/* The golden file of the developers' shared folder, loaded into gd for a test: 0 when loaded (with
 * its four cases), CHECK_SKIP_EXIT where this machine has no shared folder, 1 after a failed CHECK
 * when it cannot be read. */
static inline int golden_open_shared(golden *gd)
{
    const char *shared = check_shared_dir();
    if (!shared) {
        printf("skipped: no shared directory\n");
        return CHECK_SKIP_EXIT;
    }
    char path[4096], msg[512];
    golden_path(path, sizeof path, shared);
    if (golden_load(gd, path, msg, sizeof msg)) {
        CHECK(0, "%s", msg);
        return 1;
    }
    CHECK(gd->n_cases == 4, "expected 4 golden cases, found %d", gd->n_cases);
    return 0;
}

#endif
