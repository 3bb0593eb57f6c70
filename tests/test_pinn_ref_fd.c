/* The double reference PINN against central finite differences, without any shared data: a random
 * small MLP (non-zero biases) on random points, every extent, two IReLU scales, with and without
 * label rescaling.
 *   (a) u_x and u_t (forward-mode tangents) against differences of u in x and t, every point;
 *   (b) the loss terms against their definitions, from predict's u, u_x, u_t (which checks that
 *       the training tangent along (beta, 1) is the residual);
 *   (c) the gradient of the total loss, every parameter;
 *   (d) u_xx from the order-2 jet (dc_pinn_ref_predict_xx) against the second difference of u in
 *       x and the first difference of u_x, and its u, u_x against predict's.
 * Errors are normalised by the largest magnitude of the quantity's tensor (as the golden test). */
#include <stdint.h>

#include "check.h"
#include "dcsweep/core/rng.h"
#include "dcsweep/model/pinn.h"
#include "pinn_golden.h" /* its comparison helpers */

#define NR 5
#define N0 4
#define NB 3
#define NP (NR + N0 + 2 * NB)

static const double TOL = 1e-6;

typedef struct fixture {
    dc_pinn_shape shape;
    dc_pinn_layout layout;
    double xt[2 * NP], target[N0];
    dc_pinn_problem problem;
    double *params;
} fixture;

static void make_fixture(fixture *f, uint64_t seed, double shift, double scale)
{
    dc_rng rng;
    dc_rng_seed(&rng, seed, 7);
    f->shape = (dc_pinn_shape){.width = 5, .depth = 3};
    dc_error err;
    dc_pinn_layout_init(&f->layout, &f->shape, &err);
    f->params = calloc((size_t)f->layout.n_params, sizeof *f->params);
    for (int64_t k = 0; k < f->layout.n_params; k++) f->params[k] = 0.8 * dc_rng_normal(&rng);
    for (int i = 0; i < NP; i++) {
        f->xt[2 * i] = dc_rng_uniform(&rng);
        f->xt[2 * i + 1] = 2.0 * dc_rng_uniform(&rng);
    }
    for (int j = 0; j < N0; j++) f->xt[2 * (NR + j) + 1] = 0.0;
    for (int k = 0; k < NB; k++) {
        f->xt[2 * (NR + N0 + k)] = 0.0;
        f->xt[2 * (NR + N0 + NB + k)] = 1.0;
        f->xt[2 * (NR + N0 + NB + k) + 1] = f->xt[2 * (NR + N0 + k) + 1];
    }
    for (int j = 0; j < N0; j++) f->target[j] = dc_rng_normal(&rng);
    f->problem = (dc_pinn_problem){.n_interior = NR, .n_initial = N0, .n_boundary = NB,
                                   .xt = f->xt, .ic_target = f->target, .beta = 0.4,
                                   .w_residual = 1.0, .w_initial = 0.7, .w_boundary = 1.3,
                                   .shift = shift, .scale = scale};
}

static double total_loss(const fixture *f, const dc_activation *act, const double *p)
{
    dc_pinn_loss loss;
    dc_error err = {0};
    int rc = dc_pinn_ref_loss_grad(&f->shape, act, p, &f->problem, &loss, NULL, &err);
    CHECK(rc == DC_OK, "loss: %s", err.message);
    return loss.total;
}

static void check_case(const fixture *f, const dc_activation *act, const char *label)
{
    dc_error err = {0};
    double u[NP], ux[NP], ut[NP], fd_x[NP], fd_t[NP], up[NP], um[NP];
    int rc = dc_pinn_ref_predict(&f->shape, act, f->params, f->xt, NP, u, ux, ut, &err);
    CHECK(rc == DC_OK, "%s: predict: %s", label, err.message);
    /* (a) */
    const double h = 1e-6;
    for (int dim = 0; dim < 2; dim++) {
        double shifted[2 * NP];
        memcpy(shifted, f->xt, sizeof shifted);
        for (int i = 0; i < NP; i++) shifted[2 * i + dim] = f->xt[2 * i + dim] + h;
        dc_pinn_ref_predict(&f->shape, act, f->params, shifted, NP, up, NULL, NULL, &err);
        for (int i = 0; i < NP; i++) shifted[2 * i + dim] = f->xt[2 * i + dim] - h;
        dc_pinn_ref_predict(&f->shape, act, f->params, shifted, NP, um, NULL, NULL, &err);
        double *fd = dim == 0 ? fd_x : fd_t;
        for (int i = 0; i < NP; i++) fd[i] = (up[i] - um[i]) / (2.0 * h);
    }
    const double ex = golden_rel_err(ux, fd_x, NP), et = golden_rel_err(ut, fd_t, NP);
    CHECK(ex <= TOL, "%s: u_x vs differences: rel err %.3g", label, ex);
    CHECK(et <= TOL, "%s: u_t vs differences: rel err %.3g", label, et);

    /* (b) */
    const dc_pinn_problem *pb = &f->problem;
    double lr = 0.0, l0 = 0.0, lb = 0.0;
    for (int i = 0; i < NP; i++) lr += pow(ut[i] + pb->beta * ux[i], 2) / NP;
    for (int j = 0; j < N0; j++) l0 += pow(u[NR + j] - (f->target[j] - pb->shift) / pb->scale, 2) / N0;
    for (int k = 0; k < NB; k++) lb += pow(u[NR + N0 + k] - u[NR + N0 + NB + k], 2) / NB;
    dc_pinn_loss loss;
    double *grad = calloc((size_t)f->layout.n_params, sizeof *grad);
    rc = dc_pinn_ref_loss_grad(&f->shape, act, f->params, pb, &loss, grad, &err);
    CHECK(rc == DC_OK, "%s: loss_grad: %s", label, err.message);
    CHECK_CLOSE(loss.residual, lr, 1e-12);
    CHECK_CLOSE(loss.initial, l0, 1e-12);
    CHECK_CLOSE(loss.boundary, lb, 1e-12);
    CHECK_CLOSE(loss.total, pb->w_residual * lr + pb->w_initial * l0 + pb->w_boundary * lb, 1e-12);

    /* (c) */
    const int64_t n = f->layout.n_params;
    double *p = calloc((size_t)n, sizeof *p), *fd = calloc((size_t)n, sizeof *fd);
    memcpy(p, f->params, (size_t)n * sizeof *p);
    for (int64_t k = 0; k < n; k++) {
        const double saved = p[k];
        p[k] = saved + h;
        const double lp = total_loss(f, act, p);
        p[k] = saved - h;
        const double lm = total_loss(f, act, p);
        p[k] = saved;
        fd[k] = (lp - lm) / (2.0 * h);
    }
    double worst = 0.0;
    for (int t = 0; t < f->layout.n_tensors; t++) {
        const dc_tensor *ten = &f->layout.tensors[t];
        const double e = golden_rel_err(grad + ten->offset, fd + ten->offset, ten->rows * ten->cols);
        CHECK(e <= TOL, "%s: grad of %s vs differences: rel err %.3g", label, ten->name, e);
        worst = fmax(worst, e);
    }

    /* (d) */
    double u2[NP], ux2[NP], uxx[NP], uxp[NP], uxm[NP], fd2[NP], fd1[NP], shifted[2 * NP];
    rc = dc_pinn_ref_predict_xx(&f->shape, act, f->params, f->xt, NP, u2, ux2, uxx, &err);
    CHECK(rc == DC_OK, "%s: predict_xx: %s", label, err.message);
    CHECK(memcmp(u2, u, sizeof u) == 0 && memcmp(ux2, ux, sizeof ux) == 0,
          "%s: predict_xx's u, u_x differ from predict's", label);
    const double h2 = 1e-4;
    memcpy(shifted, f->xt, sizeof shifted);
    for (int i = 0; i < NP; i++) shifted[2 * i] = f->xt[2 * i] + h2;
    dc_pinn_ref_predict(&f->shape, act, f->params, shifted, NP, up, NULL, NULL, &err);
    for (int i = 0; i < NP; i++) shifted[2 * i] = f->xt[2 * i] - h2;
    dc_pinn_ref_predict(&f->shape, act, f->params, shifted, NP, um, NULL, NULL, &err);
    for (int i = 0; i < NP; i++) fd2[i] = (up[i] - 2.0 * u[i] + um[i]) / (h2 * h2);
    for (int i = 0; i < NP; i++) shifted[2 * i] = f->xt[2 * i] + h;
    dc_pinn_ref_predict(&f->shape, act, f->params, shifted, NP, NULL, uxp, NULL, &err);
    for (int i = 0; i < NP; i++) shifted[2 * i] = f->xt[2 * i] - h;
    dc_pinn_ref_predict(&f->shape, act, f->params, shifted, NP, NULL, uxm, NULL, &err);
    for (int i = 0; i < NP; i++) fd1[i] = (uxp[i] - uxm[i]) / (2.0 * h);
    const double exx2 = golden_rel_err(uxx, fd2, NP), exx1 = golden_rel_err(uxx, fd1, NP);
    CHECK(exx2 <= 1e-5, "%s: u_xx vs second differences of u: rel err %.3g", label, exx2);
    CHECK(exx1 <= TOL, "%s: u_xx vs differences of u_x: rel err %.3g", label, exx1);
    printf("%-34s u_x %.2g  u_t %.2g  grad %.2g  u_xx %.2g / %.2g (loss %.4g)\n", label, ex, et,
           worst, exx2, exx1, loss.total);
    free(p);
    free(fd);
    free(grad);
}

int main(void)
{
    const struct { double shift, scale; } rescalings[] = {{0.0, 1.0}, {0.3, 2.5}};
    const dc_extent extents[] = {DC_EXTENT_NONE, DC_EXTENT_OUTPUT, DC_EXTENT_FULL};
    const double scales[] = {0.5, 1.3};
    for (int r = 0; r < 2; r++) {
        fixture f;
        make_fixture(&f, 11 + (uint64_t)r, rescalings[r].shift, rescalings[r].scale);
        for (int e = 0; e < 3; e++)
            for (int s = 0; s < (extents[e] == DC_EXTENT_NONE ? 1 : 2); s++) {
                dc_activation act = {.extent = extents[e], .irelu_scale = scales[s]};
                char label[96];
                snprintf(label, sizeof label, "%s c=%g shift=%g scale=%g", dc_extent_name(act.extent),
                         act.irelu_scale, rescalings[r].shift, rescalings[r].scale);
                check_case(&f, &act, label);
            }
        free(f.params);
    }
    return check_finish();
}
