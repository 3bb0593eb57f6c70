/* Reading ../shared/golden/diffsorp.h5 (PyTorch float64 autograd values of DIFFSORP.md's tiny
 * network) for the tests of both diffusion-sorption implementations. Header-only, on the HDF5
 * helpers of golden.h and the comparison helpers of pinn_golden.h.
 *
 *   diffsorp_golden g;
 *   int opened = diffsorp_golden_open_shared(&g);   0, CHECK_SKIP_EXIT or 1 (after a failed CHECK)
 *   for (int k = 0; k < g.n_cases; k++) {
 *       diffsorp_golden_case c;
 *       if (diffsorp_golden_load_case(&g, k, &c, msg, sizeof msg)) { ... }
 *       ... dc_diffsorp_ref_loss_grad(&g.shape, &c.act, g.params, &c.problem, ...) ...
 *       diffsorp_golden_case_free(&c);
 *   }
 *   diffsorp_golden_free(&g);
 *
 * A case's problem is the file's 20 points (6 interior, 4 initial, 3 left, 3 right, 4 data) with
 * its data targets, weights 1, the case's shift, scale and tau (T for t_input "scaled", 1 for
 * "raw"). Its per-term gradients are grad_term[DIFFSORP_TERM_*]. */
#ifndef DCSWEEP_TESTS_DIFFSORP_GOLDEN_H
#define DCSWEEP_TESTS_DIFFSORP_GOLDEN_H

#include "dcsweep/model/diffsorp.h"
#include "pinn_golden.h"

enum { DIFFSORP_TERM_RESIDUAL, DIFFSORP_TERM_INITIAL, DIFFSORP_TERM_LEFT, DIFFSORP_TERM_RIGHT,
       DIFFSORP_TERM_DATA, DIFFSORP_N_TERMS };
static const char *const diffsorp_term_names[DIFFSORP_N_TERMS] = {"residual", "initial", "left",
                                                                  "right", "data"};

typedef struct diffsorp_golden {
    hid_t file;
    dc_pinn_shape shape;
    dc_pinn_layout layout;
    double t_end, u_init, D, K, n_f;
    int n_interior, n_initial, n_boundary, n_data;
    int64_t n_points, n_residual; /* all 20; the 16 the residual is evaluated on */
    double *xt;          /* [n_points][2] */
    double *data_target; /* [n_data] */
    int64_t *data_index; /* [n_data] flat grid indices */
    double *labels;      /* [n_initial + n_boundary + n_data] inputs/labels */
    double *params;      /* [n_params] params/ */
    float *params_f;     /* [n_params] the same, rounded to float */
    int n_cases;
    char case_names[GOLDEN_MAX_CASES][GOLDEN_NAME_MAX];
} diffsorp_golden;

typedef struct diffsorp_golden_case {
    char name[GOLDEN_NAME_MAX];
    char rescaling[32], t_input[16];
    dc_activation act;
    dc_diffsorp_problem problem;        /* the file's points, this case's shift, scale, tau */
    double *u, *u_x, *u_t, *u_xx;       /* [n_points] the network's u' and its derivatives */
    double *residual;                   /* [n_residual] r' */
    dc_diffsorp_loss loss;              /* loss_* and loss */
    double *grad;                       /* [n_params] of the loss */
    double *grad_term[DIFFSORP_N_TERMS]; /* [n_params] each: of one term, weights 1 */
    double *adam3;                      /* [n_params] after three Adam steps, lr 1e-3 */
    dc_diffsorp_metrics metrics;        /* metrics/ of these weights against reference/u */
} diffsorp_golden_case;

static inline void diffsorp_golden_free(diffsorp_golden *g)
{
    if (g->file > 0) H5Fclose(g->file);
    free(g->xt);
    free(g->data_target);
    free(g->data_index);
    free(g->labels);
    free(g->params);
    free(g->params_f);
    memset(g, 0, sizeof *g);
}

static inline int diffsorp_golden_read_tensors(const diffsorp_golden *g, const char *prefix,
                                               double *flat, char *msg, size_t len)
{
    return golden_read_tensor_list_(g->file, g->layout.tensors, g->layout.n_tensors, prefix, flat,
                                    msg, len);
}

static inline int diffsorp_golden_load(diffsorp_golden *g, const char *path, char *msg, size_t len)
{
    memset(g, 0, sizeof *g);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    g->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (g->file < 0) return golden_fail_(msg, len, "diffsorp golden: cannot open %s", path);
    long long width, depth, nr, n0, nb, nd;
    if (golden_attr_(g->file, "/", "width", H5T_NATIVE_LLONG, &width, msg, len) ||
        golden_attr_(g->file, "/", "depth", H5T_NATIVE_LLONG, &depth, msg, len) ||
        golden_attr_(g->file, "/", "T", H5T_NATIVE_DOUBLE, &g->t_end, msg, len) ||
        golden_attr_(g->file, "/", "u_init", H5T_NATIVE_DOUBLE, &g->u_init, msg, len) ||
        golden_attr_(g->file, "/", "D", H5T_NATIVE_DOUBLE, &g->D, msg, len) ||
        golden_attr_(g->file, "/", "K", H5T_NATIVE_DOUBLE, &g->K, msg, len) ||
        golden_attr_(g->file, "/", "n_f", H5T_NATIVE_DOUBLE, &g->n_f, msg, len) ||
        golden_read_(g->file, "/inputs/n_interior", H5T_NATIVE_LLONG, &nr, 1, msg, len) ||
        golden_read_(g->file, "/inputs/n_initial", H5T_NATIVE_LLONG, &n0, 1, msg, len) ||
        golden_read_(g->file, "/inputs/n_boundary", H5T_NATIVE_LLONG, &nb, 1, msg, len) ||
        golden_read_(g->file, "/inputs/n_data", H5T_NATIVE_LLONG, &nd, 1, msg, len))
        goto fail;
    g->shape = (dc_pinn_shape){.width = (int)width, .depth = (int)depth};
    dc_error err;
    if (dc_pinn_layout_init(&g->layout, &g->shape, &err)) {
        golden_fail_(msg, len, "diffsorp golden: %s", err.message);
        goto fail;
    }
    g->n_interior = (int)nr;
    g->n_initial = (int)n0;
    g->n_boundary = (int)nb;
    g->n_data = (int)nd;
    g->n_residual = dc_diffsorp_n_residual_points(g->n_interior, g->n_initial, g->n_boundary);
    g->n_points = g->n_residual + g->n_data;
    const int64_t n_labels = g->n_initial + g->n_boundary + g->n_data;
    g->xt = calloc(2 * (size_t)g->n_points, sizeof *g->xt);
    g->data_target = calloc((size_t)g->n_data + 1, sizeof *g->data_target);
    g->data_index = calloc((size_t)g->n_data + 1, sizeof *g->data_index);
    g->labels = calloc((size_t)n_labels + 1, sizeof *g->labels);
    g->params = calloc((size_t)g->layout.n_params, sizeof *g->params);
    g->params_f = calloc((size_t)g->layout.n_params, sizeof *g->params_f);
    if (!g->xt || !g->data_target || !g->data_index || !g->labels || !g->params || !g->params_f) {
        golden_fail_(msg, len, "diffsorp golden: out of memory");
        goto fail;
    }
    if (golden_read_(g->file, "/inputs/points", H5T_NATIVE_DOUBLE, g->xt, 2 * g->n_points, msg,
                     len) ||
        golden_read_(g->file, "/inputs/data_targets", H5T_NATIVE_DOUBLE, g->data_target,
                     g->n_data, msg, len) ||
        golden_read_(g->file, "/inputs/data_flat_index", H5T_NATIVE_INT64, g->data_index,
                     g->n_data, msg, len) ||
        golden_read_(g->file, "/inputs/labels", H5T_NATIVE_DOUBLE, g->labels, n_labels, msg,
                     len) ||
        diffsorp_golden_read_tensors(g, "/params", g->params, msg, len))
        goto fail;
    for (int64_t k = 0; k < g->layout.n_params; k++) g->params_f[k] = (float)g->params[k];
    g->n_cases = golden_list_groups_(g->file, "/cases", g->case_names, GOLDEN_MAX_CASES);
    if (g->n_cases < 0) {
        golden_fail_(msg, len, "diffsorp golden: no /cases group");
        goto fail;
    }
    return 0;
fail:
    diffsorp_golden_free(g);
    return -1;
}

static inline void diffsorp_golden_case_free(diffsorp_golden_case *c)
{
    free(c->u);
    free(c->u_x);
    free(c->u_t);
    free(c->u_xx);
    free(c->residual);
    free(c->grad);
    for (int t = 0; t < DIFFSORP_N_TERMS; t++) free(c->grad_term[t]);
    free(c->adam3);
    memset(c, 0, sizeof *c);
}

static inline int diffsorp_golden_load_case(const diffsorp_golden *g, int index,
                                            diffsorp_golden_case *c, char *msg, size_t len)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", g->case_names[index]);
    char base[128], path[192], extent[32];
    double shift, scale;
    snprintf(base, sizeof base, "/cases/%s", c->name);
    if (golden_attr_string_(g->file, base, "extent", extent, sizeof extent, msg, len) ||
        golden_attr_string_(g->file, base, "rescaling", c->rescaling, sizeof c->rescaling, msg,
                            len) ||
        golden_attr_string_(g->file, base, "t_input", c->t_input, sizeof c->t_input, msg, len) ||
        golden_attr_(g->file, base, "irelu_scale", H5T_NATIVE_DOUBLE, &c->act.irelu_scale, msg,
                     len) ||
        golden_attr_(g->file, base, "shift", H5T_NATIVE_DOUBLE, &shift, msg, len) ||
        golden_attr_(g->file, base, "scale", H5T_NATIVE_DOUBLE, &scale, msg, len))
        goto fail;
    if (dc_extent_parse(extent, &c->act.extent)) {
        golden_fail_(msg, len, "diffsorp golden: %s: unknown extent '%s'", c->name, extent);
        goto fail;
    }
    if (strcmp(c->t_input, "scaled") && strcmp(c->t_input, "raw")) {
        golden_fail_(msg, len, "diffsorp golden: %s: unknown t_input '%s'", c->name, c->t_input);
        goto fail;
    }
    c->problem = (dc_diffsorp_problem){
        .n_interior = g->n_interior, .n_initial = g->n_initial, .n_boundary = g->n_boundary,
        .n_data = g->n_data, .xt = g->xt, .data_target = g->data_target, .u_init = g->u_init,
        .D = g->D, .K = g->K, .n_f = g->n_f,
        .tau = strcmp(c->t_input, "raw") ? g->t_end : 1.0,
        .w_residual = 1.0, .w_initial = 1.0, .w_boundary = 1.0, .w_data = 1.0,
        .shift = shift, .scale = scale};
    const size_t n = (size_t)g->n_points, np = (size_t)g->layout.n_params;
    c->u = calloc(n, sizeof *c->u);
    c->u_x = calloc(n, sizeof *c->u_x);
    c->u_t = calloc(n, sizeof *c->u_t);
    c->u_xx = calloc(n, sizeof *c->u_xx);
    c->residual = calloc(n, sizeof *c->residual);
    c->grad = calloc(np, sizeof *c->grad);
    c->adam3 = calloc(np, sizeof *c->adam3);
    int ok = c->u && c->u_x && c->u_t && c->u_xx && c->residual && c->grad && c->adam3;
    for (int t = 0; t < DIFFSORP_N_TERMS; t++) ok = ok && (c->grad_term[t] = calloc(np, sizeof(double)));
    if (!ok) {
        golden_fail_(msg, len, "diffsorp golden: out of memory");
        goto fail;
    }
    struct { const char *name; double *buf; int64_t count; } items[] = {
        {"u", c->u, g->n_points},
        {"u_x", c->u_x, g->n_points},
        {"u_t", c->u_t, g->n_points},
        {"u_xx", c->u_xx, g->n_points},
        {"residual", c->residual, g->n_residual},
        {"loss_residual", &c->loss.residual, 1},
        {"loss_initial", &c->loss.initial, 1},
        {"loss_left", &c->loss.left, 1},
        {"loss_right", &c->loss.right, 1},
        {"loss_data", &c->loss.data, 1},
        {"loss", &c->loss.total, 1},
        {"metrics/u_nrmse", &c->metrics.u_nrmse, 1},
        {"metrics/u_rmse", &c->metrics.u_rmse, 1},
        {"metrics/u_max_err", &c->metrics.u_max_err, 1},
        {"metrics/ux_nrmse", &c->metrics.ux_nrmse, 1},
        {"metrics/residual_rms", &c->metrics.residual_rms, 1},
    };
    for (size_t k = 0; k < sizeof items / sizeof *items; k++) {
        snprintf(path, sizeof path, "%s/%s", base, items[k].name);
        if (golden_read_(g->file, path, H5T_NATIVE_DOUBLE, items[k].buf, items[k].count, msg, len))
            goto fail;
    }
    snprintf(path, sizeof path, "%s/grad", base);
    if (diffsorp_golden_read_tensors(g, path, c->grad, msg, len)) goto fail;
    for (int t = 0; t < DIFFSORP_N_TERMS; t++) {
        snprintf(path, sizeof path, "%s/grad_%s", base, diffsorp_term_names[t]);
        if (diffsorp_golden_read_tensors(g, path, c->grad_term[t], msg, len)) goto fail;
    }
    snprintf(path, sizeof path, "%s/adam3", base);
    if (diffsorp_golden_read_tensors(g, path, c->adam3, msg, len)) goto fail;
    return 0;
fail:
    diffsorp_golden_case_free(c);
    return -1;
}

/* The reverse-pass seeds of term t alone (weight 1) at the network's outputs u, u_x, u_xx, u_t
 * [n_points]: bar[4][n_points] (u', u'_x, u'_xx, u'_t). Left and right share w_boundary, so each
 * keeps only its own rows' seeds (the left term reads the left rows only, the right term the
 * right rows only). */
static inline void diffsorp_golden_term_seeds(const diffsorp_golden_case *c, int t, int64_t n,
                                              const double *u, const double *u_x,
                                              const double *u_xx, const double *u_t,
                                              double *bar[4])
{
    dc_diffsorp_problem p = c->problem;
    p.w_residual = t == DIFFSORP_TERM_RESIDUAL;
    p.w_initial = t == DIFFSORP_TERM_INITIAL;
    p.w_boundary = t == DIFFSORP_TERM_LEFT || t == DIFFSORP_TERM_RIGHT;
    p.w_data = t == DIFFSORP_TERM_DATA;
    dc_diffsorp_loss_seeds(&p, u, u_x, u_xx, u_t, bar[0], bar[1], bar[2], bar[3], NULL, NULL);
    const int64_t left = p.n_interior + p.n_initial, right = left + p.n_boundary;
    const int64_t drop = t == DIFFSORP_TERM_LEFT ? right : left;
    if (t == DIFFSORP_TERM_LEFT || t == DIFFSORP_TERM_RIGHT)
        for (int k = 0; k < 4; k++)
            for (int64_t i = drop; i < drop + p.n_boundary && i < n; i++) bar[k][i] = 0.0;
}

/* reference/u at the evaluation frames: u_eval [20][1024] (rows T - 19 .. T of the field), and
 * reference/u_x_eval [20][1024] (may be NULL). */
static inline int diffsorp_golden_read_eval(const diffsorp_golden *g, double *u_eval,
                                            double *u_x_eval, char *msg, size_t len)
{
    const int64_t NX = DC_DIFFSORP_NX, NT = (int64_t)g->t_end + 1;
    double *field = calloc((size_t)(NX * NT), sizeof *field);
    if (!field) return golden_fail_(msg, len, "diffsorp golden: out of memory");
    int rc = golden_read_(g->file, "/reference/u", H5T_NATIVE_DOUBLE, field, NX * NT, msg, len);
    if (!rc) memcpy(u_eval, field + (NT - DC_DIFFSORP_EVAL_NT) * NX,
                    (size_t)(DC_DIFFSORP_EVAL_NT * NX) * sizeof *u_eval);
    free(field);
    if (!rc && u_x_eval)
        rc = golden_read_(g->file, "/reference/u_x_eval", H5T_NATIVE_DOUBLE, u_x_eval,
                          DC_DIFFSORP_EVAL_NT * NX, msg, len);
    return rc;
}

/* The golden file of the developers' shared folder loaded into g: 0 when loaded (with its six
 * cases), CHECK_SKIP_EXIT where DC_SHARED_DIR/golden/diffsorp.h5 is absent, 1 after a failed
 * CHECK when it cannot be read. */
static inline int diffsorp_golden_open_shared(diffsorp_golden *g)
{
    const char *shared = getenv("DC_SHARED_DIR");
    char path[4096], msg[512];
    snprintf(path, sizeof path, "%s/golden/diffsorp.h5", shared ? shared : "");
    FILE *probe = shared && *shared ? fopen(path, "rb") : NULL;
    if (!probe) {
        printf("skipped: no %s\n", path);
        return CHECK_SKIP_EXIT;
    }
    fclose(probe);
    if (diffsorp_golden_load(g, path, msg, sizeof msg)) {
        CHECK(0, "%s", msg);
        return 1;
    }
    CHECK(g->n_cases == 6, "expected 6 golden cases, found %d", g->n_cases);
    return 0;
}

#endif
