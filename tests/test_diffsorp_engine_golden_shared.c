/* The float diffusion-sorption engine against PyTorch float64 autograd on diffsorp.h5, every case,
 * at DIFFSORP.md's float32 tolerances: u', u'_x, u'_t, u'_xx at every point, r', the five loss
 * terms and the loss, the gradient of the loss, each to 1e-4 of the tensor's largest magnitude;
 * the gradient of each term alone likewise, with a floor for tensors a term barely reaches
 * (term_grad_err); three Adam steps (dc_adam_step, what training runs) to 1e-5
 * absolute; the metrics of these weights against reference/u to 1e-4 relative (through the
 * engine's predictor). Prints the worst error of each case. */
#include "check.h"
#include "dcsweep/train/adam.h"
#include "diffsorp_golden.h"

#define TOL 1e-4
#define TOL_ADAM 1e-5
#define TOL_METRICS 1e-4
#define STEPS 3
#define LR 1e-3

static void note(double e, const char *what, double *worst, const char **worst_what)
{
    if (!(e <= *worst)) {
        *worst = e;
        *worst_what = what;
    }
}

/* The seeds of one term alone, from the engine's own outputs. */
typedef struct term_ctx {
    const diffsorp_golden_case *c;
    int term;
} term_ctx;

static int term_seeds(void *vctx, int64_t n, int64_t m, const double *u, const double *u_x,
                      const double *u_xx, const double *u_t, double *u_bar, double *u_x_bar,
                      double *u_xx_bar, double *u_t_bar, dc_error *err)
{
    (void)m, (void)err;
    const term_ctx *t = vctx;
    double *bar[4] = {u_bar, u_x_bar, u_xx_bar, u_t_bar};
    diffsorp_golden_term_seeds(t->c, t->term, n, u, u_x, u_xx, u_t, bar);
    return DC_OK;
}

/* A term's gradient gf [n_params] against want [n_params]: per tensor, the largest difference
 * over the larger of the tensor's largest magnitude and 1e-4 of the term gradient's largest entry
 * over every tensor. The floor is for tensors a term barely reaches: with t_input raw, the data
 * points saturate the first layer's tanh (|z| in the hundreds), and its weight's data gradient is
 * tanh' ~ 1e-13 in double, 0 in float (1 - t^2 with t rounded to 1), beside O(1e-2) in the
 * output layer's. Tensors of that term at 1e-4 of its largest are held to the full 1e-4. */
static double term_grad_err(const diffsorp_golden *g, const float *gf, const double *want,
                            int *wt)
{
    double all = 0.0, worst = 0.0;
    for (int64_t k = 0; k < g->layout.n_params; k++) all = fmax(all, fabs(want[k]));
    for (int t = 0; t < g->layout.n_tensors; t++) {
        const dc_tensor *tn = &g->layout.tensors[t];
        double tmax = 0.0, dmax = 0.0;
        for (int64_t k = tn->offset; k < tn->offset + tn->rows * tn->cols; k++) {
            tmax = fmax(tmax, fabs(want[k]));
            const double d = fabs((double)gf[k] - want[k]);
            dmax = d == d ? fmax(dmax, d) : INFINITY;
        }
        const double e = dmax / fmax(fmax(tmax, 1e-4 * all), 1e-300);
        if (!(e <= worst)) {
            worst = e;
            *wt = t;
        }
    }
    return worst;
}

/* The float gradient gf [n_params] against want [n_params]: its worst relative error. */
static double grad_err(const diffsorp_golden *g, const float *gf, const double *want, int *wt)
{
    const int64_t np = g->layout.n_params;
    double *gd = calloc((size_t)np, sizeof *gd);
    for (int64_t k = 0; k < np; k++) gd[k] = gf[k];
    const double e = pinn_golden_tensor_err(&g->layout, gd, want, wt);
    free(gd);
    return e;
}

static void check_case(const diffsorp_golden *g, const diffsorp_golden_case *c, dc_diffsorp *e,
                       dc_adam *adam, const double *u_eval)
{
    const int64_t n = g->n_points, np = g->layout.n_params;
    double *buf = calloc((size_t)(5 * n), sizeof *buf);
    double *u = buf, *ux = u + n, *uxx = ux + n, *ut = uxx + n, *r = ut + n;
    float *pf = calloc((size_t)np, sizeof *pf), *gf = calloc((size_t)np, sizeof *gf);
    dc_error err = {0};
    double worst = 0.0;
    const char *worst_what = "";
    memcpy(pf, g->params_f, (size_t)np * sizeof *pf);

    int rc = dc_diffsorp_predict(e, &c->act, pf, c->problem.tau, g->xt, n, u, ux, uxx, ut, &err);
    CHECK(rc == DC_OK, "%s: predict: %s", c->name, err.message);
    dc_diffsorp_loss_seeds(&c->problem, u, ux, uxx, ut, NULL, NULL, NULL, NULL, r, NULL);
    const struct { const char *name; const double *mine, *ref; int64_t n; } outs[] = {
        {"u", u, c->u, n}, {"u_x", ux, c->u_x, n}, {"u_xx", uxx, c->u_xx, n},
        {"u_t", ut, c->u_t, n}, {"residual", r, c->residual, g->n_residual}};
    for (int o = 0; o < 5; o++) {
        double er = golden_rel_err(outs[o].mine, outs[o].ref, outs[o].n);
        CHECK(er <= TOL, "%s: %s rel err %.3g", c->name, outs[o].name, er);
        note(er, outs[o].name, &worst, &worst_what);
    }

    dc_diffsorp_loss loss;
    rc = dc_diffsorp_loss_grad(e, &c->act, pf, &c->problem, &loss, gf, &err);
    CHECK(rc == DC_OK, "%s: loss_grad: %s", c->name, err.message);
    const struct { const char *name; double mine, ref; } terms[] = {
        {"loss_residual", loss.residual, c->loss.residual},
        {"loss_initial", loss.initial, c->loss.initial},
        {"loss_left", loss.left, c->loss.left},
        {"loss_right", loss.right, c->loss.right},
        {"loss_data", loss.data, c->loss.data},
        {"loss", loss.total, c->loss.total}};
    for (int t = 0; t < 6; t++) {
        double er = pinn_scalar_err(terms[t].mine, terms[t].ref);
        CHECK(er <= TOL, "%s: %s %.9g, golden %.9g", c->name, terms[t].name, terms[t].mine,
              terms[t].ref);
        note(er, terms[t].name, &worst, &worst_what);
    }
    int wt = 0;
    double ge = grad_err(g, gf, c->grad, &wt);
    CHECK(ge <= TOL, "%s: grad of %s: rel err %.3g", c->name, g->layout.tensors[wt].name, ge);
    note(ge, "grad", &worst, &worst_what);
    dc_diffsorp_loss loss_only;
    rc = dc_diffsorp_loss_grad(e, &c->act, pf, &c->problem, &loss_only, NULL, &err);
    CHECK(rc == DC_OK && loss_only.total == loss.total, "%s: the loss alone %.9g, with grad %.9g",
          c->name, loss_only.total, loss.total);

    /* each term alone (grad_residual tests u_xx's gradient: that term is tiny in the loss) */
    const int64_t m = g->n_residual;
    for (int t = 0; t < DIFFSORP_N_TERMS; t++) {
        term_ctx tc = {.c = c, .term = t};
        rc = dc_diffsorp_seeded_grad(e, &c->act, pf, c->problem.tau, g->xt, n, m, term_seeds, &tc,
                                     gf, &err);
        CHECK(rc == DC_OK, "%s: term grad: %s", c->name, err.message);
        double te = term_grad_err(g, gf, c->grad_term[t], &wt);
        CHECK(te <= TOL, "%s: grad_%s of %s: rel err %.3g", c->name, diffsorp_term_names[t],
              g->layout.tensors[wt].name, te);
        static const char *const grad_names[DIFFSORP_N_TERMS] = {
            "grad_residual", "grad_initial", "grad_left", "grad_right", "grad_data"};
        note(te, grad_names[t], &worst, &worst_what);
    }

    /* three Adam steps in float, as training runs them */
    dc_adam_reset(adam);
    for (int s = 0; s < STEPS && rc == DC_OK; s++) {
        rc = dc_diffsorp_loss_grad(e, &c->act, pf, &c->problem, NULL, gf, &err);
        dc_adam_step(adam, pf, gf, LR);
    }
    CHECK(rc == DC_OK, "%s: adam: %s", c->name, err.message);
    double ae = 0.0;
    int64_t ak = 0;
    for (int64_t k = 0; k < np; k++) {
        const double d = fabs((double)pf[k] - c->adam3[k]);
        if (!(d <= ae)) {
            ae = d;
            ak = k;
        }
    }
    CHECK(ae <= TOL_ADAM, "%s: adam3[%lld] %.9g, golden %.9g", c->name, (long long)ak,
          (double)pf[ak], c->adam3[ak]);

    /* the metrics of the initial weights through the engine's predictor */
    dc_diffsorp_predictor pred = {.engine = e, .act = c->act, .params = g->params_f,
                                  .tau = c->problem.tau};
    dc_diffsorp_metrics mt;
    rc = dc_diffsorp_metrics_eval(u_eval, g->t_end, &c->problem, dc_diffsorp_predictor_call,
                                  &pred, &mt, &err);
    CHECK(rc == DC_OK, "%s: metrics: %s", c->name, err.message);
    const struct { const char *name; double mine, ref; } ms[] = {
        {"u_nrmse", mt.u_nrmse, c->metrics.u_nrmse}, {"u_rmse", mt.u_rmse, c->metrics.u_rmse},
        {"u_max_err", mt.u_max_err, c->metrics.u_max_err},
        {"ux_nrmse", mt.ux_nrmse, c->metrics.ux_nrmse},
        {"residual_rms", mt.residual_rms, c->metrics.residual_rms}};
    double me = 0.0;
    const char *me_what = "";
    for (int k = 0; k < 5; k++) {
        const double er = pinn_scalar_err(ms[k].mine, ms[k].ref);
        CHECK(er <= TOL_METRICS, "%s: metric %s %.9g, golden %.9g", c->name, ms[k].name,
              ms[k].mine, ms[k].ref);
        note(er, ms[k].name, &me, &me_what);
    }
    printf("%-28s worst rel err %.3g (%s); adam3 abs %.3g; metrics rel %.3g (%s)\n", c->name,
           worst, worst_what, ae, me, me_what);
    free(buf);
    free(pf);
    free(gf);
}

int main(void)
{
    diffsorp_golden g;
    int opened = diffsorp_golden_open_shared(&g);
    if (opened) return opened == CHECK_SKIP_EXIT ? opened : check_finish();
    dc_error err = {0};
    dc_adam adam;
    CHECK(dc_adam_init(&adam, g.layout.n_params, 0.0, &err) == DC_OK, "%s", err.message);
    dc_diffsorp *e = NULL;
    int rc = dc_diffsorp_create(&e, &g.shape, g.n_points, g.n_points, &err);
    CHECK(rc == DC_OK, "engine: %s", err.message);
    char msg[512];
    const size_t n_eval = (size_t)DC_DIFFSORP_EVAL_NT * DC_DIFFSORP_NX;
    double *u_eval = calloc(n_eval, sizeof *u_eval);
    CHECK(u_eval && !diffsorp_golden_read_eval(&g, u_eval, NULL, msg, sizeof msg), "%s", msg);
    for (int k = 0; k < g.n_cases && e; k++) {
        diffsorp_golden_case c;
        if (diffsorp_golden_load_case(&g, k, &c, msg, sizeof msg)) {
            CHECK(0, "%s", msg);
            continue;
        }
        check_case(&g, &c, e, &adam, u_eval);
        diffsorp_golden_case_free(&c);
    }
    dc_diffsorp_destroy(e);
    dc_adam_free(&adam);
    free(u_eval);
    diffsorp_golden_free(&g);
    return check_finish();
}
