/* Three Adam steps (lr 1e-3, mse loss, alpha 30) from the golden params/ on the golden batch must
 * reproduce PyTorch's cases/<case>/adam3 for every activation case: the float engine's gradient
 * with the float Adam (what training runs), and the double reference with the double Adam path
 * (which isolates the optimiser's formula from float rounding). */
#include "check.h"
#include "dcsweep/train/adam.h"
#include "dcsweep/model/schnet.h"
#include "golden.h"

#define STEPS 3
#define LR 1e-3

/* The double path: reference gradient + dc_adam_step_f64. */
static double run_double(const golden *gd, const golden_case *gc, const dc_loss_spec *spec,
                         const dc_adam *adam, double *p, double *g, double *m, double *v)
{
    int64_t n = gd->layout.n_params;
    memcpy(p, gd->params, (size_t)n * sizeof *p);
    memset(m, 0, (size_t)n * sizeof *m);
    memset(v, 0, (size_t)n * sizeof *v);
    for (int t = 1; t <= STEPS; t++) {
        dc_error err = {0};
        int rc = dc_schnet_ref_eval(&gd->shape, &gc->act, p, &gd->batch, spec, NULL, NULL, g, NULL,
                                    &err);
        CHECK(rc == DC_OK, "%s: ref step %d: %s", gc->name, t, err.message);
        dc_adam_step_f64(adam, t, p, g, m, v, LR);
    }
    return golden_tensor_err(gd, p, gc->adam3, NULL);
}

/* The float path: engine gradient + dc_adam_step. */
static double run_float(const golden *gd, const golden_case *gc, const dc_loss_spec *spec,
                        dc_schnet *engine, dc_adam *adam, float *pf, float *gf, double *p, int *worst)
{
    int64_t n = gd->layout.n_params;
    memcpy(pf, gd->params_f, (size_t)n * sizeof *pf);
    dc_adam_reset(adam);
    for (int t = 1; t <= STEPS; t++) {
        dc_error err = {0};
        dc_loss_value lv;
        int rc = dc_schnet_loss_grad(engine, &gc->act, pf, &gd->batch, spec, NULL, NULL, gf, &lv,
                                     &err);
        CHECK(rc == DC_OK, "%s: engine step %d: %s", gc->name, t, err.message);
        if (t == 1)
            CHECK(fabs(lv.total - gc->loss[DC_LOSS_MSE]) <= 1e-4 * fabs(gc->loss[DC_LOSS_MSE]),
                  "%s: float mse loss %.8g, golden %.8g", gc->name, lv.total, gc->loss[DC_LOSS_MSE]);
        dc_adam_step(adam, pf, gf, LR);
    }
    CHECK(adam->t == STEPS, "adam t = %lld", (long long)adam->t);
    for (int64_t k = 0; k < n; k++) p[k] = pf[k];
    return golden_tensor_err(gd, p, gc->adam3, worst);
}

int main(void)
{
    golden gd;
    int opened = golden_open_shared(&gd);
    if (opened) return opened == CHECK_SKIP_EXIT ? opened : check_finish();
    char msg[512];
    int64_t n = gd.layout.n_params;
    double *p = calloc((size_t)n, sizeof *p), *g = calloc((size_t)n, sizeof *g);
    double *m = calloc((size_t)n, sizeof *m), *v = calloc((size_t)n, sizeof *v);
    float *pf = calloc((size_t)n, sizeof *pf), *gf = calloc((size_t)n, sizeof *gf);
    dc_adam adam;
    dc_schnet *engine = NULL;
    dc_error err = {0};
    int rc = dc_adam_init(&adam, n, 0.0, &err);
    CHECK(rc == DC_OK, "%s", err.message);
    rc = dc_schnet_create(&engine, &gd.shape, gd.n_mol, gd.n_atoms, gd.n_edges, &err);
    CHECK(rc == DC_OK, "engine: %s", err.message);
    const dc_loss_spec spec = {.kind = DC_LOSS_MSE, .force_weight = gd.force_weight};
    for (int k = 0; k < gd.n_cases && rc == DC_OK; k++) {
        golden_case gc;
        if (golden_load_case(&gd, k, &gc, msg, sizeof msg)) {
            CHECK(0, "%s", msg);
            continue;
        }
        /* the parameters must actually move: three steps of lr 1e-3 each */
        double moved = golden_tensor_err(&gd, gd.params, gc.adam3, NULL);
        CHECK(moved > 1e-4, "%s: golden adam3 barely differs from params (%g)", gc.name, moved);
        double ed = run_double(&gd, &gc, &spec, &adam, p, g, m, v);
        CHECK(ed <= 1e-9, "%s: double Adam rel err %.3g", gc.name, ed);
        int wt = 0;
        double ef = run_float(&gd, &gc, &spec, engine, &adam, pf, gf, p, &wt);
        CHECK(ef <= 1e-4, "%s: float Adam rel err %.3g (%s)", gc.name, ef, gd.layout.tensors[wt].name);
        printf("%-22s double %.3g  float %.3g (worst tensor %s)\n", gc.name, ed, ef,
               gd.layout.tensors[wt].name);
        golden_case_free(&gc);
    }
    dc_schnet_destroy(engine);
    dc_adam_free(&adam);
    free(p); free(g); free(m); free(v); free(pf); free(gf);
    golden_free(&gd);
    return check_finish();
}
