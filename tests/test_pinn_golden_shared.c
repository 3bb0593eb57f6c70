/* Both PINN implementations against PyTorch float64 autograd on pinn_golden.h5, every case:
 * u, u_x, u_t at every point, the three loss terms and the loss, every parameter gradient, and the
 * parameters after three Adam steps (lr 1e-3): the double reference with dc_adam_step_f64
 * (anything above rounding noise is a bug in the maths), the float engine with dc_adam_step (what
 * training runs). Errors are relative to the largest magnitude of each tensor. */
#include "check.h"
#include "dcsweep/model/pinn.h"
#include "dcsweep/train/adam.h"
#include "pinn_golden.h"

#define STEPS 3
#define LR 1e-3

/* One implementation behind double-precision arrays; the float engine converts at the edges. */
typedef struct impl {
    const char *name;
    double tol;
    dc_pinn *engine; /* NULL for the reference */
    float *pf, *gf;  /* [n_params] float staging */
} impl;

static int impl_predict(impl *im, const pinn_golden *g, const dc_activation *act, const double *p,
                        double *u, double *ux, double *ut, dc_error *err)
{
    if (!im->engine)
        return dc_pinn_ref_predict(&g->shape, act, p, g->xt, g->n_points, u, ux, ut, err);
    for (int64_t k = 0; k < g->layout.n_params; k++) im->pf[k] = (float)p[k];
    return dc_pinn_predict(im->engine, act, im->pf, g->xt, g->n_points, u, ux, ut, err);
}

static int impl_loss_grad(impl *im, const pinn_golden *g, const dc_activation *act,
                          const double *p, dc_pinn_loss *loss, double *grad, dc_error *err)
{
    if (!im->engine) return dc_pinn_ref_loss_grad(&g->shape, act, p, &g->problem, loss, grad, err);
    for (int64_t k = 0; k < g->layout.n_params; k++) im->pf[k] = (float)p[k];
    int rc = dc_pinn_loss_grad(im->engine, act, im->pf, &g->problem, loss, im->gf, err);
    for (int64_t k = 0; k < g->layout.n_params; k++) grad[k] = im->gf[k];
    return rc;
}

/* Three Adam steps from params/: p [n_params] gets the result. */
static int impl_adam3(impl *im, const pinn_golden *g, const dc_activation *act, dc_adam *adam,
                      double *p, double *grad, double *m, double *v, dc_error *err)
{
    const int64_t n = g->layout.n_params;
    memcpy(p, g->params, (size_t)n * sizeof *p);
    memset(m, 0, (size_t)n * sizeof *m);
    memset(v, 0, (size_t)n * sizeof *v);
    dc_adam_reset(adam);
    for (int64_t k = 0; k < n; k++) im->pf[k] = g->params_f[k];
    for (int t = 1; t <= STEPS; t++) {
        int rc = im->engine
                     ? dc_pinn_loss_grad(im->engine, act, im->pf, &g->problem, NULL, im->gf, err)
                     : dc_pinn_ref_loss_grad(&g->shape, act, p, &g->problem, NULL, grad, err);
        if (rc) return rc;
        if (im->engine) dc_adam_step(adam, im->pf, im->gf, LR);
        else dc_adam_step_f64(adam, t, p, grad, m, v, LR);
    }
    if (im->engine)
        for (int64_t k = 0; k < n; k++) p[k] = im->pf[k];
    return DC_OK;
}

static void note(double e, const char *what, double *worst, const char **worst_what)
{
    if (!(e <= *worst)) {
        *worst = e;
        *worst_what = what;
    }
}

int main(void)
{
    pinn_golden g;
    int opened = pinn_golden_open_shared(&g);
    if (opened) return opened == CHECK_SKIP_EXIT ? opened : check_finish();
    const int64_t n = g.n_points, np = g.layout.n_params;
    double *u = calloc((size_t)n, sizeof *u), *ux = calloc((size_t)n, sizeof *ux);
    double *ut = calloc((size_t)n, sizeof *ut), *grad = calloc((size_t)np, sizeof *grad);
    double *p = calloc((size_t)np, sizeof *p), *m = calloc((size_t)np, sizeof *m);
    double *v = calloc((size_t)np, sizeof *v);
    dc_error err = {0};
    dc_adam adam;
    CHECK(dc_adam_init(&adam, np, 0.0, &err) == DC_OK, "%s", err.message);
    impl impls[2] = {{.name = "double", .tol = 1e-10}, {.name = "float", .tol = 1e-4}};
    CHECK(dc_pinn_create(&impls[1].engine, &g.shape, n, &err) == DC_OK, "engine: %s", err.message);
    for (int i = 0; i < 2; i++) {
        impls[i].pf = calloc((size_t)np, sizeof(float));
        impls[i].gf = calloc((size_t)np, sizeof(float));
    }
    char msg[512];
    for (int k = 0; k < g.n_cases; k++) {
        pinn_golden_case c;
        if (pinn_golden_load_case(&g, k, &c, msg, sizeof msg)) {
            CHECK(0, "%s", msg);
            continue;
        }
        for (int i = 0; i < 2 && impls[1].engine; i++) {
            impl *im = &impls[i];
            double worst = 0.0;
            const char *worst_what = "";
            int rc = impl_predict(im, &g, &c.act, g.params, u, ux, ut, &err);
            CHECK(rc == DC_OK, "%s %s: predict: %s", c.name, im->name, err.message);
            const struct { const char *name; const double *mine, *ref; } outs[] = {
                {"u", u, c.u}, {"u_x", ux, c.u_x}, {"u_t", ut, c.u_t}};
            for (int o = 0; o < 3; o++) {
                double e = golden_rel_err(outs[o].mine, outs[o].ref, n);
                CHECK(e <= im->tol, "%s %s: %s rel err %.3g", c.name, im->name, outs[o].name, e);
                note(e, outs[o].name, &worst, &worst_what);
            }
            dc_pinn_loss loss;
            rc = impl_loss_grad(im, &g, &c.act, g.params, &loss, grad, &err);
            CHECK(rc == DC_OK, "%s %s: loss_grad: %s", c.name, im->name, err.message);
            const struct { const char *name; double mine, ref; } terms[] = {
                {"loss_residual", loss.residual, c.loss.residual},
                {"loss_initial", loss.initial, c.loss.initial},
                {"loss_boundary", loss.boundary, c.loss.boundary},
                {"loss", loss.total, c.loss.total}};
            for (int t = 0; t < 4; t++) {
                double e = pinn_scalar_err(terms[t].mine, terms[t].ref);
                CHECK(e <= im->tol, "%s %s: %s %.17g, golden %.17g", c.name, im->name,
                      terms[t].name, terms[t].mine, terms[t].ref);
                note(e, terms[t].name, &worst, &worst_what);
            }
            int wt = 0;
            double ge = pinn_golden_tensor_err(&g.layout, grad, c.grad, &wt);
            CHECK(ge <= im->tol, "%s %s: grad of %s: rel err %.3g", c.name, im->name,
                  g.layout.tensors[wt].name, ge);
            note(ge, g.layout.tensors[wt].name, &worst, &worst_what);
            double moved = pinn_golden_tensor_err(&g.layout, g.params, c.adam3, NULL);
            CHECK(moved > 1e-4, "%s: golden adam3 barely differs from params (%g)", c.name, moved);
            rc = impl_adam3(im, &g, &c.act, &adam, p, grad, m, v, &err);
            CHECK(rc == DC_OK, "%s %s: adam: %s", c.name, im->name, err.message);
            int wa = 0;
            double ae = pinn_golden_tensor_err(&g.layout, p, c.adam3, &wa);
            CHECK(ae <= im->tol, "%s %s: adam3 of %s: rel err %.3g", c.name, im->name,
                  g.layout.tensors[wa].name, ae);
            printf("%-18s %-6s worst rel err %.3g (%s); adam3 %.3g (%s)\n", c.name, im->name, worst,
                   worst_what, ae, g.layout.tensors[wa].name);
        }
        pinn_golden_case_free(&c);
    }
    for (int i = 0; i < 2; i++) {
        free(impls[i].pf);
        free(impls[i].gf);
    }
    dc_pinn_destroy(impls[1].engine);
    dc_adam_free(&adam);
    free(u); free(ux); free(ut); free(grad); free(p); free(m); free(v);
    pinn_golden_free(&g);
    return check_finish();
}
