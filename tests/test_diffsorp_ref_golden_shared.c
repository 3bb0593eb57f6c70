/* The double-precision diffusion-sorption reference against PyTorch float64 autograd on
 * diffsorp.h5, every case: u', u'_x, u'_t, u'_xx at every point, r', the five loss terms and the
 * loss, the gradient of the loss and of each term, and three Adam steps (dc_adam_step_f64), each to
 * 1e-10 of the tensor's largest magnitude (DIFFSORP.md: anything above rounding noise is a bug in
 * the maths). Then the task's definition: the case's shift and scale, rescaling/ of inputs/labels
 * and rescaling_task/ of the task's labels (data-free and with the paper's 153907 data values) by
 * dc_rescale_fit to 1e-12. The metrics of every case against reference/u to 1e-10 relative. */
#include "check.h"
#include "dcsweep/data/rescale.h"
#include "dcsweep/train/adam.h"
#include "diffsorp_golden.h"
#include "diffsorp_solver.h" /* the data selection and its targets */

#define TOL 1e-10
#define TOL_RESCALE 1e-12
#define STEPS 3
#define LR 1e-3

static void note(double e, const char *what, double *worst, const char **worst_what)
{
    if (!(e <= *worst)) {
        *worst = e;
        *worst_what = what;
    }
}

/* The gradient of each term alone against grad_<term>/, through the vjp at that term's seeds. */
static void check_term_grads(const diffsorp_golden *g, const diffsorp_golden_case *c,
                             const double *out[4], double *bar[4], double *grad, double *worst,
                             const char **worst_what)
{
    dc_error err = {0};
    for (int t = 0; t < DIFFSORP_N_TERMS; t++) {
        diffsorp_golden_term_seeds(c, t, g->n_points, out[0], out[1], out[2], out[3], bar);
        int rc = dc_diffsorp_ref_vjp(&g->shape, &c->act, g->params, c->problem.tau, g->xt,
                                     g->n_points, bar[0], bar[1], bar[2], bar[3], grad, &err);
        CHECK(rc == DC_OK, "%s: vjp: %s", c->name, err.message);
        int wt = 0;
        double e = pinn_golden_tensor_err(&g->layout, grad, c->grad_term[t], &wt);
        CHECK(e <= TOL, "%s: grad_%s of %s: rel err %.3g", c->name, diffsorp_term_names[t],
              g->layout.tensors[wt].name, e);
        note(e, diffsorp_term_names[t], worst, worst_what);
    }
}

/* Three Adam steps from params/ on the loss: p [n_params] gets the result. */
static int adam3(const diffsorp_golden *g, const diffsorp_golden_case *c, dc_adam *adam, double *p,
                 double *grad, double *m, double *v, dc_error *err)
{
    const int64_t n = g->layout.n_params;
    memcpy(p, g->params, (size_t)n * sizeof *p);
    memset(m, 0, (size_t)n * sizeof *m);
    memset(v, 0, (size_t)n * sizeof *v);
    dc_adam_reset(adam);
    for (int t = 1; t <= STEPS; t++) {
        int rc = dc_diffsorp_ref_loss_grad(&g->shape, &c->act, p, &c->problem, NULL, grad, err);
        if (rc) return rc;
        dc_adam_step_f64(adam, t, p, grad, m, v, LR);
    }
    return DC_OK;
}

/* metrics/ of the case's weights against the reference's evaluation frames u_eval [20][1024]. */
static void check_metrics(const diffsorp_golden *g, const diffsorp_golden_case *c,
                          const double *u_eval)
{
    dc_diffsorp_ref_predictor pred = {.shape = g->shape, .act = c->act, .params = g->params,
                                      .tau = c->problem.tau};
    dc_diffsorp_metrics m;
    dc_error err = {0};
    int rc = dc_diffsorp_metrics_eval(u_eval, g->t_end, &c->problem,
                                      dc_diffsorp_ref_predictor_call, &pred, &m, &err);
    CHECK(rc == DC_OK, "%s: metrics: %s", c->name, err.message);
    const struct { const char *name; double mine, ref; } ms[] = {
        {"u_nrmse", m.u_nrmse, c->metrics.u_nrmse}, {"u_rmse", m.u_rmse, c->metrics.u_rmse},
        {"u_max_err", m.u_max_err, c->metrics.u_max_err},
        {"ux_nrmse", m.ux_nrmse, c->metrics.ux_nrmse},
        {"residual_rms", m.residual_rms, c->metrics.residual_rms}};
    double worst = 0.0;
    for (int k = 0; k < 5; k++) {
        const double e = pinn_scalar_err(ms[k].mine, ms[k].ref);
        CHECK(e <= TOL, "%s: metric %s %.17g, golden %.17g", c->name, ms[k].name, ms[k].mine,
              ms[k].ref);
        worst = fmax(worst, e);
    }
    printf("%-28s metrics worst rel err %.3g (u_nrmse %.6g, residual_rms %.6g)\n", c->name, worst,
           m.u_nrmse, m.residual_rms);
}

static void check_case(const diffsorp_golden *g, const diffsorp_golden_case *c, dc_adam *adam)
{
    const int64_t n = g->n_points, np = g->layout.n_params;
    double *buf = calloc((size_t)(9 * n + 4 * np), sizeof *buf);
    double *u = buf, *ux = u + n, *uxx = ux + n, *ut = uxx + n, *r = ut + n;
    double *bar[4] = {r + n, r + 2 * n, r + 3 * n, r + 4 * n};
    double *grad = bar[3] + n, *p = grad + np, *m = p + np, *v = m + np;
    dc_error err = {0};
    double worst = 0.0;
    const char *worst_what = "";

    int rc = dc_diffsorp_ref_predict(&g->shape, &c->act, g->params, c->problem.tau, g->xt, n, u,
                                     ux, uxx, ut, &err);
    CHECK(rc == DC_OK, "%s: predict: %s", c->name, err.message);
    dc_diffsorp_loss_seeds(&c->problem, u, ux, uxx, ut, NULL, NULL, NULL, NULL, r, NULL);
    const struct { const char *name; const double *mine, *ref; int64_t n; } outs[] = {
        {"u", u, c->u, n}, {"u_x", ux, c->u_x, n}, {"u_xx", uxx, c->u_xx, n},
        {"u_t", ut, c->u_t, n}, {"residual", r, c->residual, g->n_residual}};
    for (int o = 0; o < 5; o++) {
        double e = golden_rel_err(outs[o].mine, outs[o].ref, outs[o].n);
        CHECK(e <= TOL, "%s: %s rel err %.3g", c->name, outs[o].name, e);
        note(e, outs[o].name, &worst, &worst_what);
    }

    dc_diffsorp_loss loss;
    rc = dc_diffsorp_ref_loss_grad(&g->shape, &c->act, g->params, &c->problem, &loss, grad, &err);
    CHECK(rc == DC_OK, "%s: loss_grad: %s", c->name, err.message);
    const struct { const char *name; double mine, ref; } terms[] = {
        {"loss_residual", loss.residual, c->loss.residual},
        {"loss_initial", loss.initial, c->loss.initial},
        {"loss_left", loss.left, c->loss.left},
        {"loss_right", loss.right, c->loss.right},
        {"loss_data", loss.data, c->loss.data},
        {"loss", loss.total, c->loss.total}};
    for (int t = 0; t < 6; t++) {
        double e = pinn_scalar_err(terms[t].mine, terms[t].ref);
        CHECK(e <= TOL, "%s: %s %.17g, golden %.17g", c->name, terms[t].name, terms[t].mine,
              terms[t].ref);
        note(e, terms[t].name, &worst, &worst_what);
    }
    int wt = 0;
    double ge = pinn_golden_tensor_err(&g->layout, grad, c->grad, &wt);
    CHECK(ge <= TOL, "%s: grad of %s: rel err %.3g", c->name, g->layout.tensors[wt].name, ge);
    note(ge, "grad", &worst, &worst_what);

    const double *out[4] = {u, ux, uxx, ut};
    check_term_grads(g, c, out, bar, grad, &worst, &worst_what);

    double moved = pinn_golden_tensor_err(&g->layout, g->params, c->adam3, NULL);
    CHECK(moved > 1e-4, "%s: golden adam3 barely differs from params (%g)", c->name, moved);
    rc = adam3(g, c, adam, p, grad, m, v, &err);
    CHECK(rc == DC_OK, "%s: adam: %s", c->name, err.message);
    int wa = 0;
    double ae = pinn_golden_tensor_err(&g->layout, p, c->adam3, &wa);
    CHECK(ae <= TOL, "%s: adam3 of %s: rel err %.3g", c->name, g->layout.tensors[wa].name, ae);
    printf("%-28s worst rel err %.3g (%s); adam3 %.3g (%s)\n", c->name, worst, worst_what, ae,
           g->layout.tensors[wa].name);
    free(buf);
}

/* shift and scale of method over labels [n] against the golden pair at path (1e-12 relative, an
 * expected failure where the golden scale is 0). */
static void check_rescale(const diffsorp_golden *g, const char *path, dc_rescaling method,
                          const double *labels, int n)
{
    double want[2];
    char msg[512];
    if (golden_read_(g->file, path, H5T_NATIVE_DOUBLE, want, 2, msg, sizeof msg)) {
        CHECK(0, "%s", msg);
        return;
    }
    dc_rescale rs;
    dc_error err = {0};
    int rc = dc_rescale_fit(&rs, method, labels, n, &err);
    if (want[1] == 0.0) {
        CHECK(rc != DC_OK, "%s: degenerate in the golden, fitted (%g, %g)", path, rs.shift,
              rs.scale);
        printf("%-40s degenerate, refused: %s\n", path, err.message);
        return;
    }
    CHECK(rc == DC_OK, "%s: %s", path, err.message);
    const double es = fabs(rs.shift - want[0]) / fmax(fabs(want[1]), 1e-300);
    const double ec = fabs(rs.scale - want[1]) / fabs(want[1]);
    CHECK(es <= TOL_RESCALE && ec <= TOL_RESCALE, "%s: (%.17g, %.17g), golden (%.17g, %.17g)",
          path, rs.shift, rs.scale, want[0], want[1]);
    printf("%-40s (%.9g, %.9g) err %.2g %.2g\n", path, rs.shift, rs.scale, es, ec);
}

/* Every method over one label set, golden group prefix. */
static void check_rescale_group(const diffsorp_golden *g, const char *prefix,
                                const double *labels, int n)
{
    for (int m = 0; m < DC_N_RESCALINGS; m++) {
        char path[192];
        snprintf(path, sizeof path, "%s/%s", prefix, dc_rescaling_name((dc_rescaling)m));
        check_rescale(g, path, (dc_rescaling)m, labels, n);
    }
}

/* rescaling_task/: the task's labels (5000 zeros, 500 ones, data-free or with the paper's 153907
 * data values: reference/u at the solver's selection, whose first 4 are inputs/'s). The selection
 * itself is the solver's test's (data_selection/). */
static void check_task_rescaling(const diffsorp_golden *g)
{
    char msg[512];
    long long n_paper;
    const int64_t NX = DC_DIFFSORP_NX, NT = (int64_t)g->t_end + 1;
    const int N0 = 5000, Nb = 500;
    double *ref = calloc((size_t)(NX * NT), sizeof *ref);
    int64_t *idx = NULL;
    double *labels = NULL;
    dc_error err = {0};
    if (!ref ||
        golden_read_(g->file, "/data_selection/n_paper", H5T_NATIVE_LLONG, &n_paper, 1, msg,
                     sizeof msg) ||
        golden_read_(g->file, "/reference/u", H5T_NATIVE_DOUBLE, ref, NX * NT, msg, sizeof msg)) {
        CHECK(0, "%s", ref ? msg : "out of memory");
        free(ref);
        return;
    }
    idx = calloc((size_t)n_paper, sizeof *idx);
    labels = calloc((size_t)(N0 + Nb + n_paper), sizeof *labels);
    CHECK(idx && labels, "out of memory");
    if (!idx || !labels) goto done;
    int rc = dc_diffsorp_data_select(NX * NT, n_paper, idx, &err);
    CHECK(rc == DC_OK, "data_select: %s", err.message);
    double *targets = labels + N0 + Nb;
    dc_diffsorp_data_points(DC_DIFFSORP_NX, ref, idx, n_paper, NULL, targets);
    int bad = 0;
    double tgt_err = 0.0;
    for (int k = 0; k < g->n_data; k++) {
        bad += idx[k] != g->data_index[k];
        tgt_err = fmax(tgt_err, fabs(targets[k] - g->data_target[k]));
    }
    CHECK(bad == 0 && tgt_err <= 1e-15, "inputs/: %d data indices differ, targets by %g", bad,
          tgt_err);
    dc_diffsorp_labels(0.0, N0, Nb, targets, n_paper, labels);
    check_rescale_group(g, "/rescaling_task/data_153907", labels, (int)(N0 + Nb + n_paper));
    dc_diffsorp_labels(0.0, N0, Nb, NULL, 0, labels);
    check_rescale_group(g, "/rescaling_task/data_free", labels, N0 + Nb);
done:
    free(ref);
    free(idx);
    free(labels);
}

/* The task's labels and points on the file's counts against inputs/. */
static void check_inputs(const diffsorp_golden *g)
{
    const int nl = g->n_initial + g->n_boundary + g->n_data;
    double labels[64];
    dc_diffsorp_labels(g->u_init, g->n_initial, g->n_boundary, g->data_target, g->n_data, labels);
    CHECK(golden_rel_err(labels, g->labels, nl) == 0.0, "labels differ from inputs/labels");
    check_rescale_group(g, "/rescaling", labels, nl);
    double xt[2];
    dc_diffsorp_points(g->t_end, 0, 0, 0, g->data_index, 1, xt);
    const double *want = g->xt + 2 * g->n_residual;
    CHECK(xt[0] == want[0] && xt[1] == want[1], "data point (%g, %g), golden (%g, %g)", xt[0],
          xt[1], want[0], want[1]);
    CHECK(fabs(dc_diffsorp_sorption_k() - g->K) <= 1e-15 * g->K && g->D == DC_DIFFSORP_D &&
              g->n_f == DC_DIFFSORP_N_F,
          "constants: K %.17g (golden %.17g), D %g, n_f %g", dc_diffsorp_sorption_k(), g->K,
          g->D, g->n_f);
}

int main(void)
{
    diffsorp_golden g;
    int opened = diffsorp_golden_open_shared(&g);
    if (opened) return opened == CHECK_SKIP_EXIT ? opened : check_finish();
    dc_error err = {0};
    dc_adam adam;
    CHECK(dc_adam_init(&adam, g.layout.n_params, 0.0, &err) == DC_OK, "%s", err.message);
    char msg[512];
    const size_t n_eval = (size_t)DC_DIFFSORP_EVAL_NT * DC_DIFFSORP_NX;
    double *u_eval = calloc(n_eval, sizeof *u_eval);
    CHECK(u_eval, "out of memory");
    CHECK(!diffsorp_golden_read_eval(&g, u_eval, NULL, msg, sizeof msg), "%s", msg);
    for (int k = 0; k < g.n_cases; k++) {
        diffsorp_golden_case c;
        if (diffsorp_golden_load_case(&g, k, &c, msg, sizeof msg)) {
            CHECK(0, "%s", msg);
            continue;
        }
        /* the case's shift and scale are its rescaling of inputs/labels */
        dc_rescaling method;
        dc_rescale rs;
        CHECK(!dc_rescaling_parse(c.rescaling, &method), "%s: rescaling '%s'", c.name,
              c.rescaling);
        CHECK(dc_rescale_fit(&rs, method, g.labels, g.n_initial + g.n_boundary + g.n_data,
                             &err) == DC_OK &&
                  fabs(rs.shift - c.problem.shift) <= TOL_RESCALE * fabs(c.problem.scale) &&
                  fabs(rs.scale - c.problem.scale) <= TOL_RESCALE * fabs(c.problem.scale),
              "%s: %s of the labels (%.17g, %.17g), case (%.17g, %.17g)", c.name, c.rescaling,
              rs.shift, rs.scale, c.problem.shift, c.problem.scale);
        check_case(&g, &c, &adam);
        check_metrics(&g, &c, u_eval);
        diffsorp_golden_case_free(&c);
    }
    check_inputs(&g);
    check_task_rescaling(&g);
    dc_adam_free(&adam);
    free(u_eval);
    diffsorp_golden_free(&g);
    return check_finish();
}
