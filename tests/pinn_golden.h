/* Reading ../shared/golden/pinn_golden.h5 (PyTorch float64 autograd values of PINN.md) for the
 * tests of both PINN implementations. Header-only, on the HDF5 helpers of golden.h.
 *
 *   pinn_golden g;
 *   int opened = pinn_golden_open_shared(&g);     0, CHECK_SKIP_EXIT or 1 (after a failed CHECK)
 *   for (int k = 0; k < g.n_cases; k++) {
 *       pinn_golden_case c;
 *       if (pinn_golden_load_case(&g, k, &c, msg, sizeof msg)) { ... }
 *       ... dc_pinn_ref_loss_grad(&g.shape, &c.act, g.params, &g.problem, ...) ...
 *       pinn_golden_case_free(&c);
 *   }
 *   pinn_golden_free(&g);
 *
 * The comparison helpers (golden_rel_err, pinn_golden_tensor_err, pinn_scalar_err) need no file
 * and serve the tests without shared data too.
 *
 * Parameters and gradients are in the flat layout (g.layout); the problem is the file's points
 * (interior, initial, boundary x = 0, boundary x = 1) with inputs/ic_targets as targets, no
 * rescaling and weights 1 (the golden cases' setting). */
#ifndef DCSWEEP_TESTS_PINN_GOLDEN_H
#define DCSWEEP_TESTS_PINN_GOLDEN_H

#include "dcsweep/model/pinn.h"
#include "golden.h"

typedef struct pinn_golden {
    hid_t file;
    dc_pinn_shape shape;
    dc_pinn_layout layout;
    double beta, t_end;
    int n_interior, n_initial, n_boundary;
    int64_t n_points;
    double *xt;        /* [n_points][2] */
    double *ic_target; /* [n_initial] */
    double *params;    /* [n_params] params/ */
    float *params_f;   /* [n_params] the same, rounded to float */
    dc_pinn_problem problem;
    int n_cases;
    char case_names[GOLDEN_MAX_CASES][GOLDEN_NAME_MAX];
} pinn_golden;

typedef struct pinn_golden_case {
    char name[GOLDEN_NAME_MAX];
    dc_activation act;
    double *u, *u_x, *u_t; /* [n_points] */
    dc_pinn_loss loss;     /* loss_residual, loss_initial, loss_boundary, loss */
    double *grad;          /* [n_params] */
    double *adam3;         /* [n_params] parameters after three Adam steps, lr 1e-3 */
} pinn_golden_case;

/* Every tensor of the PINN layout from group prefix ("/params", "/cases/x/grad") into flat. */
static inline int pinn_golden_read_tensors(const pinn_golden *g, const char *prefix, double *flat,
                                           char *msg, size_t len)
{
    return golden_read_tensor_list_(g->file, g->layout.tensors, g->layout.n_tensors, prefix, flat,
                                    msg, len);
}

static inline void pinn_golden_free(pinn_golden *g)
{
    if (g->file > 0) H5Fclose(g->file);
    free(g->xt);
    free(g->ic_target);
    free(g->params);
    free(g->params_f);
    memset(g, 0, sizeof *g);
}

static inline int pinn_golden_load(pinn_golden *g, const char *path, char *msg, size_t len)
{
    memset(g, 0, sizeof *g);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    g->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (g->file < 0) return golden_fail_(msg, len, "pinn golden: cannot open %s", path);
    long long width, depth, nr, n0, nb;
    if (golden_attr_(g->file, "/", "width", H5T_NATIVE_LLONG, &width, msg, len) ||
        golden_attr_(g->file, "/", "depth", H5T_NATIVE_LLONG, &depth, msg, len) ||
        golden_attr_(g->file, "/", "beta", H5T_NATIVE_DOUBLE, &g->beta, msg, len) ||
        golden_attr_(g->file, "/", "T", H5T_NATIVE_DOUBLE, &g->t_end, msg, len) ||
        golden_read_(g->file, "/inputs/n_interior", H5T_NATIVE_LLONG, &nr, 1, msg, len) ||
        golden_read_(g->file, "/inputs/n_initial", H5T_NATIVE_LLONG, &n0, 1, msg, len) ||
        golden_read_(g->file, "/inputs/n_boundary_pairs", H5T_NATIVE_LLONG, &nb, 1, msg, len))
        goto fail;
    g->shape = (dc_pinn_shape){.width = (int)width, .depth = (int)depth};
    dc_error err;
    if (dc_pinn_layout_init(&g->layout, &g->shape, &err)) {
        golden_fail_(msg, len, "pinn golden: %s", err.message);
        goto fail;
    }
    g->n_interior = (int)nr;
    g->n_initial = (int)n0;
    g->n_boundary = (int)nb;
    g->n_points = dc_pinn_n_points(g->n_interior, g->n_initial, g->n_boundary);
    g->xt = calloc(2 * (size_t)g->n_points, sizeof *g->xt);
    g->ic_target = calloc((size_t)g->n_initial + 1, sizeof *g->ic_target);
    g->params = calloc((size_t)g->layout.n_params, sizeof *g->params);
    g->params_f = calloc((size_t)g->layout.n_params, sizeof *g->params_f);
    if (!g->xt || !g->ic_target || !g->params || !g->params_f) {
        golden_fail_(msg, len, "pinn golden: out of memory");
        goto fail;
    }
    if (golden_read_(g->file, "/inputs/points", H5T_NATIVE_DOUBLE, g->xt, 2 * g->n_points, msg,
                     len) ||
        golden_read_(g->file, "/inputs/ic_targets", H5T_NATIVE_DOUBLE, g->ic_target,
                     g->n_initial, msg, len) ||
        pinn_golden_read_tensors(g, "/params", g->params, msg, len))
        goto fail;
    for (int64_t k = 0; k < g->layout.n_params; k++) g->params_f[k] = (float)g->params[k];
    g->problem = (dc_pinn_problem){.n_interior = g->n_interior, .n_initial = g->n_initial,
                                   .n_boundary = g->n_boundary, .xt = g->xt,
                                   .ic_target = g->ic_target, .beta = g->beta, .w_residual = 1.0,
                                   .w_initial = 1.0, .w_boundary = 1.0, .shift = 0.0,
                                   .scale = 1.0};
    g->n_cases = golden_list_groups_(g->file, "/cases", g->case_names, GOLDEN_MAX_CASES);
    if (g->n_cases < 0) {
        golden_fail_(msg, len, "pinn golden: no /cases group");
        goto fail;
    }
    return 0;
fail:
    pinn_golden_free(g);
    return -1;
}

static inline void pinn_golden_case_free(pinn_golden_case *c)
{
    free(c->u);
    free(c->u_x);
    free(c->u_t);
    free(c->grad);
    free(c->adam3);
    memset(c, 0, sizeof *c);
}

static inline int pinn_golden_load_case(const pinn_golden *g, int index, pinn_golden_case *c,
                                        char *msg, size_t len)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", g->case_names[index]);
    char base[128], path[192], extent[32];
    snprintf(base, sizeof base, "/cases/%s", c->name);
    if (golden_attr_string_(g->file, base, "extent", extent, sizeof extent, msg, len) ||
        golden_attr_(g->file, base, "irelu_scale", H5T_NATIVE_DOUBLE, &c->act.irelu_scale, msg,
                     len))
        goto fail;
    if (dc_extent_parse(extent, &c->act.extent)) {
        golden_fail_(msg, len, "pinn golden: %s: unknown extent '%s'", c->name, extent);
        goto fail;
    }
    const size_t n = (size_t)g->n_points, np = (size_t)g->layout.n_params;
    c->u = calloc(n, sizeof *c->u);
    c->u_x = calloc(n, sizeof *c->u_x);
    c->u_t = calloc(n, sizeof *c->u_t);
    c->grad = calloc(np, sizeof *c->grad);
    c->adam3 = calloc(np, sizeof *c->adam3);
    if (!c->u || !c->u_x || !c->u_t || !c->grad || !c->adam3) {
        golden_fail_(msg, len, "pinn golden: out of memory");
        goto fail;
    }
    struct { const char *name; double *buf; int64_t count; } items[] = {
        {"u", c->u, g->n_points},
        {"u_x", c->u_x, g->n_points},
        {"u_t", c->u_t, g->n_points},
        {"loss_residual", &c->loss.residual, 1},
        {"loss_initial", &c->loss.initial, 1},
        {"loss_boundary", &c->loss.boundary, 1},
        {"loss", &c->loss.total, 1},
    };
    for (size_t k = 0; k < sizeof items / sizeof *items; k++) {
        snprintf(path, sizeof path, "%s/%s", base, items[k].name);
        if (golden_read_(g->file, path, H5T_NATIVE_DOUBLE, items[k].buf, items[k].count, msg, len))
            goto fail;
    }
    snprintf(path, sizeof path, "%s/grad", base);
    if (pinn_golden_read_tensors(g, path, c->grad, msg, len)) goto fail;
    snprintf(path, sizeof path, "%s/adam3", base);
    if (pinn_golden_read_tensors(g, path, c->adam3, msg, len)) goto fail;
    return 0;
fail:
    pinn_golden_case_free(c);
    return -1;
}

/* The worst golden_rel_err over the tensors of a flat PINN parameter array; *worst_tensor (may be
 * NULL) gets that tensor's index in layout. */
static inline double pinn_golden_tensor_err(const dc_pinn_layout *layout, const double *mine,
                                            const double *ref, int *worst_tensor)
{
    return golden_tensor_list_err(layout->tensors, layout->n_tensors, mine, ref, worst_tensor);
}

/* |a - b| / |b| for scalars (absolute when b is 0). */
static inline double pinn_scalar_err(double a, double b)
{
    double d = fabs(a - b);
    if (d != d) return INFINITY;
    return b != 0.0 ? d / fabs(b) : d;
}

/* The golden file of the developers' shared folder loaded into g: 0 when loaded (with its four
 * cases), CHECK_SKIP_EXIT where DC_SHARED_DIR/golden/pinn_golden.h5 is absent, 1 after a failed
 * CHECK when it cannot be read. */
static inline int pinn_golden_open_shared(pinn_golden *g)
{
    const char *shared = getenv("DC_SHARED_DIR");
    char path[4096], msg[512];
    snprintf(path, sizeof path, "%s/golden/pinn_golden.h5", shared ? shared : "");
    FILE *probe = shared && *shared ? fopen(path, "rb") : NULL;
    if (!probe) {
        printf("skipped: no %s\n", path);
        return CHECK_SKIP_EXIT;
    }
    fclose(probe);
    if (pinn_golden_load(g, path, msg, sizeof msg)) {
        CHECK(0, "%s", msg);
        return 1;
    }
    CHECK(g->n_cases == 4, "expected 4 golden cases, found %d", g->n_cases);
    return 0;
}

#endif
