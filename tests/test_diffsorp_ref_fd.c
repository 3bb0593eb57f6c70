/* The double diffusion-sorption reference against central finite differences, without shared
 * data: a random small MLP on random points (u of both signs, so both branches of u+), tanh and
 * IReLU extents, with and without label rescaling, scaled and raw time input. D is raised to 0.3
 * so that the D/R(u) u_xx part of the residual weighs as much as u_t.
 *   (a) u'_x, u'_t against first differences of u'; u'_xx against the second difference of u' and
 *       the first difference of u'_x;
 *   (b) the five terms and the total against their definitions, from predict's outputs;
 *   (c) the gradient of the total, and of the residual term alone (the one that needs the third
 *       derivatives), every parameter.
 * Errors are normalised by the largest magnitude of the quantity's tensor (as the golden test). */
#include <stdint.h>

#include "check.h"
#include "dcsweep/core/rng.h"
#include "dcsweep/model/diffsorp.h"
#include "pinn_golden.h" /* its comparison helpers */

#define NR 6
#define N0 4
#define NB 3
#define ND 3
#define NRES (NR + N0 + 2 * NB)
#define NP (NRES + ND)

static const double TOL = 1e-6;

typedef struct fixture {
    dc_pinn_shape shape;
    dc_pinn_layout layout;
    double xt[2 * NP], target[ND];
    dc_diffsorp_problem problem;
    double *params;
} fixture;

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A random network whose physical u = scale u' + shift changes sign at about half the residual points
 * (its output bias moved), so that R's both branches are exercised. */
static void make_fixture(fixture *f, const dc_activation *act, uint64_t seed, double t_end,
                         double tau, double shift, double scale)
{
    dc_rng rng;
    dc_rng_seed(&rng, seed, 11);
    f->shape = (dc_pinn_shape){.width = 5, .depth = 3};
    dc_error err;
    dc_pinn_layout_init(&f->layout, &f->shape, &err);
    f->params = calloc((size_t)f->layout.n_params, sizeof *f->params);
    for (int64_t k = 0; k < f->layout.n_params; k++) f->params[k] = 0.8 * dc_rng_normal(&rng);
    int64_t index[ND];
    for (int n = 0; n < ND; n++) index[n] = (int64_t)dc_rng_below(&rng, 1024 * 3);
    dc_diffsorp_points(t_end, NR, N0, NB, index, ND, f->xt);
    /* move the interior points off the regular pattern */
    for (int i = 0; i < NR; i++) f->xt[2 * i] = dc_rng_uniform(&rng);
    for (int n = 0; n < ND; n++) f->target[n] = dc_rng_uniform(&rng);
    f->problem = (dc_diffsorp_problem){
        .n_interior = NR, .n_initial = N0, .n_boundary = NB, .n_data = ND, .xt = f->xt,
        .data_target = f->target, .u_init = 0.2, .D = 0.3, .K = dc_diffsorp_sorption_k(),
        .n_f = DC_DIFFSORP_N_F, .tau = tau, .w_residual = 1.1, .w_initial = 0.7,
        .w_boundary = 1.3, .w_data = 0.9, .shift = shift, .scale = scale};
    double u[NP];
    dc_diffsorp_ref_predict(&f->shape, act, f->params, tau, f->xt, NP, u, NULL, NULL, NULL, &err);
    for (int i = 0; i < NRES; i++) u[i] = scale * u[i] + shift;
    qsort(u, NRES, sizeof *u, cmp_double);
    /* the zero in the widest gap among the middle values: no point within a step of u+'s kink,
     * where differences straddle it and R' ~ (u + 1e-6)^(n_f - 2) is steep */
    int gap = NRES / 4;
    for (int i = NRES / 4; i < NRES - NRES / 4 - 1; i++)
        if (u[i + 1] - u[i] > u[gap + 1] - u[gap]) gap = i;
    const int out_bias = f->layout.n_tensors - 1;
    f->params[f->layout.tensors[out_bias].offset] -= 0.5 * (u[gap] + u[gap + 1]) / scale;
}

static double loss_of(const fixture *f, const dc_diffsorp_problem *pb, const dc_activation *act,
                      const double *p)
{
    dc_diffsorp_loss loss;
    dc_error err = {0};
    int rc = dc_diffsorp_ref_loss_grad(&f->shape, act, p, pb, &loss, NULL, &err);
    CHECK(rc == DC_OK, "loss: %s", err.message);
    return loss.total;
}

static void predict(const fixture *f, const dc_activation *act, const double *xt, double *u,
                    double *ux, double *uxx, double *ut)
{
    dc_error err = {0};
    int rc = dc_diffsorp_ref_predict(&f->shape, act, f->params, f->problem.tau, xt, NP, u, ux,
                                     uxx, ut, &err);
    CHECK(rc == DC_OK, "predict: %s", err.message);
}

/* (a) */
static void check_derivatives(const fixture *f, const dc_activation *act, const char *label,
                              const double *u, const double *ux, const double *uxx,
                              const double *ut)
{
    double shifted[2 * NP], up[NP], um[NP], uxp[NP], uxm[NP];
    double fd_x[NP], fd_t[NP], fd_xx[NP], fd_xx1[NP];
    const double h = 1e-6, h2 = 1e-4;
    for (int dim = 0; dim < 2; dim++) {
        memcpy(shifted, f->xt, sizeof shifted);
        for (int i = 0; i < NP; i++) shifted[2 * i + dim] = f->xt[2 * i + dim] + h;
        predict(f, act, shifted, up, uxp, NULL, NULL);
        for (int i = 0; i < NP; i++) shifted[2 * i + dim] = f->xt[2 * i + dim] - h;
        predict(f, act, shifted, um, uxm, NULL, NULL);
        for (int i = 0; i < NP; i++) {
            (dim == 0 ? fd_x : fd_t)[i] = (up[i] - um[i]) / (2.0 * h);
            if (dim == 0) fd_xx1[i] = (uxp[i] - uxm[i]) / (2.0 * h);
        }
    }
    memcpy(shifted, f->xt, sizeof shifted);
    for (int i = 0; i < NP; i++) shifted[2 * i] = f->xt[2 * i] + h2;
    predict(f, act, shifted, up, NULL, NULL, NULL);
    for (int i = 0; i < NP; i++) shifted[2 * i] = f->xt[2 * i] - h2;
    predict(f, act, shifted, um, NULL, NULL, NULL);
    for (int i = 0; i < NP; i++) fd_xx[i] = (up[i] - 2.0 * u[i] + um[i]) / (h2 * h2);
    const double ex = golden_rel_err(ux, fd_x, NP), et = golden_rel_err(ut, fd_t, NP);
    const double exx = golden_rel_err(uxx, fd_xx, NP), exx1 = golden_rel_err(uxx, fd_xx1, NP);
    CHECK(ex <= TOL, "%s: u_x vs differences: rel err %.3g", label, ex);
    CHECK(et <= TOL, "%s: u_t vs differences: rel err %.3g", label, et);
    CHECK(exx <= 1e-5, "%s: u_xx vs second differences: rel err %.3g", label, exx);
    CHECK(exx1 <= TOL, "%s: u_xx vs differences of u_x: rel err %.3g", label, exx1);
    printf("%-36s u_x %.2g u_t %.2g u_xx %.2g (of u_x %.2g)\n", label, ex, et, exx, exx1);
}

/* (b): the terms recomputed from the definitions; returns how many u are positive (R's branch). */
static int check_terms(const fixture *f, const dc_activation *act, const char *label,
                       const double *u, const double *ux, const double *uxx, const double *ut)
{
    const dc_diffsorp_problem *pb = &f->problem;
    double lr = 0.0, l0 = 0.0, ll = 0.0, lright = 0.0, ld = 0.0;
    int positive = 0;
    for (int i = 0; i < NRES; i++) {
        const double uu = pb->scale * u[i] + pb->shift;
        positive += uu > 0.0;
        const double R = 1.0 + pb->K * pow(fmax(uu, 0.0) + 1e-6, pb->n_f - 1.0);
        lr += pow(ut[i] - pb->D / R * uxx[i], 2) / NRES;
    }
    for (int j = NR; j < NR + N0; j++) l0 += pow(u[j] - (pb->u_init - pb->shift) / pb->scale, 2) / N0;
    for (int k = NR + N0; k < NR + N0 + NB; k++) ll += pow(u[k] - (1.0 - pb->shift) / pb->scale, 2) / NB;
    for (int k = NR + N0 + NB; k < NRES; k++)
        lright += pow(u[k] + pb->D * ux[k] + pb->shift / pb->scale, 2) / NB;
    for (int n = 0; n < ND; n++) ld += pow(u[NRES + n] - (f->target[n] - pb->shift) / pb->scale, 2) / ND;
    dc_diffsorp_loss loss;
    dc_error err = {0};
    int rc = dc_diffsorp_ref_loss_grad(&f->shape, act, f->params, pb, &loss, NULL, &err);
    CHECK(rc == DC_OK, "%s: loss: %s", label, err.message);
    CHECK_CLOSE(loss.residual, lr, 1e-12 * fmax(1.0, lr));
    CHECK_CLOSE(loss.initial, l0, 1e-12 * fmax(1.0, l0));
    CHECK_CLOSE(loss.left, ll, 1e-12 * fmax(1.0, ll));
    CHECK_CLOSE(loss.right, lright, 1e-12 * fmax(1.0, lright));
    CHECK_CLOSE(loss.data, ld, 1e-12 * fmax(1.0, ld));
    const double total = pb->w_residual * lr + pb->w_initial * l0 + pb->w_boundary * (ll + lright) +
                         pb->w_data * ld;
    CHECK_CLOSE(loss.total, total, 1e-12 * fmax(1.0, total));
    return positive;
}

/* (c) for the problem pb: the worst per-tensor error of the gradient against differences. */
static double check_grad(const fixture *f, const dc_diffsorp_problem *pb,
                         const dc_activation *act, const char *label, const char *what)
{
    const int64_t n = f->layout.n_params;
    double *grad = calloc((size_t)n, sizeof *grad), *p = calloc((size_t)n, sizeof *p);
    double *fd = calloc((size_t)n, sizeof *fd);
    dc_error err = {0};
    int rc = dc_diffsorp_ref_loss_grad(&f->shape, act, f->params, pb, NULL, grad, &err);
    CHECK(rc == DC_OK, "%s: grad: %s", label, err.message);
    memcpy(p, f->params, (size_t)n * sizeof *p);
    /* Fourth-order differences at h = 1e-5: the residual term alone is a small gradient of a
     * large loss (IReLU squares its inputs layer after layer), so cancellation limits a small h,
     * and R'(u) ~ (u + 1e-6)^(n_f - 2) near u = 0 makes second-order truncation visible at 1e-5. */
    const double h = 1e-5;
    for (int64_t k = 0; k < n; k++) {
        const double saved = p[k];
        double l[4]; /* at -2h, -h, +h, +2h */
        const double step[4] = {-2.0 * h, -h, h, 2.0 * h};
        for (int q = 0; q < 4; q++) {
            p[k] = saved + step[q];
            l[q] = loss_of(f, pb, act, p);
        }
        p[k] = saved;
        fd[k] = (8.0 * (l[2] - l[1]) - (l[3] - l[0])) / (12.0 * h);
    }
    int wt = 0;
    const double e = pinn_golden_tensor_err(&f->layout, grad, fd, &wt);
    CHECK(e <= TOL, "%s: grad of the %s vs differences: %s rel err %.3g", label, what,
          f->layout.tensors[wt].name, e);
    free(grad);
    free(p);
    free(fd);
    return e;
}

static void check_case(const fixture *f, const dc_activation *act, const char *label)
{
    double u[NP], ux[NP], uxx[NP], ut[NP];
    predict(f, act, f->xt, u, ux, uxx, ut);
    check_derivatives(f, act, label, u, ux, uxx, ut);
    const int positive = check_terms(f, act, label, u, ux, uxx, ut);
    CHECK(positive > 0 && positive < NRES, "%s: u of one sign at every residual point (%d of %d "
          "positive): R's branches untested", label, positive, NRES);
    const double e = check_grad(f, &f->problem, act, label, "loss");
    dc_diffsorp_problem residual_only = f->problem;
    residual_only.w_initial = residual_only.w_boundary = residual_only.w_data = 0.0;
    const double er = check_grad(f, &residual_only, act, label, "residual term");
    printf("%-36s grad %.2g, residual term alone %.2g (%d of %d u > 0)\n", label, e, er,
           positive, NRES);
}

int main(void)
{
    const struct { dc_extent extent; double c; const char *name; } acts[] = {
        {DC_EXTENT_NONE, 0.0, "tanh"},
        {DC_EXTENT_OUTPUT, 0.5, "irelu output c0.5"},
        {DC_EXTENT_FULL, 1.0, "irelu full c1.0"},
    };
    const struct { double t_end, tau, shift, scale; const char *name; } setups[] = {
        {3.0, 3.0, 0.0, 1.0, "scaled"},
        {3.0, 3.0, 0.3, 0.7, "scaled, rescaled"},
        {2.0, 1.0, -0.1, 1.6, "raw, rescaled"},
    };
    for (int a = 0; a < 3; a++)
        for (int s = 0; s < 3; s++) {
            fixture f;
            const dc_activation act = {.extent = acts[a].extent, .irelu_scale = acts[a].c};
            make_fixture(&f, &act, 100 + (uint64_t)(3 * a + s), setups[s].t_end, setups[s].tau,
                         setups[s].shift, setups[s].scale);
            char label[96];
            snprintf(label, sizeof label, "%s, %s", acts[a].name, setups[s].name);
            check_case(&f, &act, label);
            free(f.params);
        }
    /* an empty data term is NaN and left out of the total */
    fixture f;
    const dc_activation tanh_act = {.extent = DC_EXTENT_NONE};
    make_fixture(&f, &tanh_act, 7, 3.0, 3.0, 0.0, 1.0);
    f.problem.n_data = 0;
    dc_diffsorp_loss loss;
    dc_error err = {0};
    CHECK(dc_diffsorp_ref_loss_grad(&f.shape, &tanh_act, f.params, &f.problem, &loss, NULL,
                                    &err) == DC_OK, "%s", err.message);
    CHECK(isnan(loss.data) && isfinite(loss.total), "data-free: data %g, total %g", loss.data,
          loss.total);
    f.problem.tau = 0.0;
    CHECK(dc_diffsorp_ref_loss_grad(&f.shape, &tanh_act, f.params, &f.problem, &loss, NULL,
                                    &err) == DC_ERR_INPUT, "tau 0 accepted");
    free(f.params);
    return check_finish();
}
