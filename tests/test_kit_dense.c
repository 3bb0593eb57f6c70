/* The kit's float dense layer (src/model/kit/dc_dense_f32.h) against plain double products on
 * stacked rows: forward with and without the bias and the residual, the tangent (never a bias),
 * the input adjoint and the weight gradient, each writing or adding as its flags say, on odd
 * shapes, the weight gradient on 0 rows; and the FLOPs it counts (2 rows in out per product). */
#include <stdint.h>

#include "check.h"
#include "dc_dense_f32.h"
#include "dcsweep/core/rng.h"

#define IN 7
#define OUT 5
#define ROWS 9

static float x[ROWS][IN], w[OUT][IN], b[OUT], ybar[ROWS][OUT];

static double worst_diff(const float *got, const double *want, int n)
{
    double e = 0.0;
    for (int k = 0; k < n; k++) e = fmax(e, fabs(got[k] - want[k]) / fmax(1.0, fabs(want[k])));
    return e;
}

static void check_layer(unsigned flags)
{
    dc_dnnl ctx;
    dc_dense_f32 d;
    dc_error err = {0};
    double flops = 0.0;
    CHECK(dc_dnnl_init(&ctx, &err) == DC_OK, "%s", err.message);
    CHECK(dc_dense_f32_create(&d, &ctx, IN, OUT, flags, &flops, &err) == DC_OK, "%s", err.message);
    const int add_y = (flags & DC_DENSE_RESIDUAL) != 0, add_x = (flags & DC_DENSE_BWD_ADD) != 0;
    const int add_w = (flags & DC_DENSE_WGRAD_ADD) != 0, bias = (flags & DC_DENSE_BIAS) != 0;
    float y[ROWS][OUT], yt[ROWS][OUT], xbar[ROWS][IN], wbar[OUT][IN];
    double want_y[ROWS][OUT], want_yt[ROWS][OUT], want_x[ROWS][IN], want_w[OUT][IN];
    for (int r = 0; r < ROWS; r++)
        for (int o = 0; o < OUT; o++) {
            y[r][o] = yt[r][o] = 0.25f * (float)(r - o);
            double s = 0.0;
            for (int i = 0; i < IN; i++) s += (double)x[r][i] * w[o][i];
            want_y[r][o] = s + (bias ? b[o] : 0.0) + (add_y ? y[r][o] : 0.0);
            want_yt[r][o] = s + (add_y ? yt[r][o] : 0.0);
        }
    for (int r = 0; r < ROWS; r++)
        for (int i = 0; i < IN; i++) {
            xbar[r][i] = 0.5f;
            double s = 0.0;
            for (int o = 0; o < OUT; o++) s += (double)ybar[r][o] * w[o][i];
            want_x[r][i] = s + (add_x ? 0.5 : 0.0);
        }
    for (int o = 0; o < OUT; o++)
        for (int i = 0; i < IN; i++) {
            wbar[o][i] = -1.0f;
            double s = 0.0;
            for (int r = 0; r < ROWS; r++) s += (double)ybar[r][o] * x[r][i];
            want_w[o][i] = s + (add_w ? -1.0 : 0.0);
        }
    CHECK(dc_dense_f32_forward(&d, ROWS, &x[0][0], &w[0][0], b, &y[0][0], &err) == DC_OK, "fwd");
    CHECK(dc_dense_f32_tangent(&d, ROWS, &x[0][0], &w[0][0], &yt[0][0], &err) == DC_OK, "tan");
    CHECK(dc_dense_f32_backward(&d, ROWS, &ybar[0][0], &w[0][0], &xbar[0][0], &err) == DC_OK, "bwd");
    CHECK(dc_dense_f32_wgrad(&d, ROWS, &ybar[0][0], &x[0][0], &wbar[0][0], &err) == DC_OK, "wgrad");
    const double tol = 1e-6;
    CHECK(worst_diff(&y[0][0], &want_y[0][0], ROWS * OUT) <= tol, "flags %u: forward", flags);
    CHECK(worst_diff(&yt[0][0], &want_yt[0][0], ROWS * OUT) <= tol, "flags %u: tangent", flags);
    CHECK(worst_diff(&xbar[0][0], &want_x[0][0], ROWS * IN) <= tol, "flags %u: backward", flags);
    CHECK(worst_diff(&wbar[0][0], &want_w[0][0], OUT * IN) <= tol, "flags %u: wgrad", flags);
    CHECK(flops == 4.0 * 2.0 * ROWS * IN * OUT, "flags %u: %.0f FLOPs counted", flags, flops);
    /* 0 rows: a forward writes nothing, a weight gradient is 0 (or left alone when adding) */
    CHECK(dc_dense_f32_wgrad(&d, 0, &ybar[0][0], &x[0][0], &wbar[0][0], &err) == DC_OK, "wgrad 0");
    CHECK(add_w ? fabs(wbar[2][3] - want_w[2][3]) <= tol : wbar[2][3] == 0.0f,
          "flags %u: wgrad on 0 rows gave %g", flags, wbar[2][3]);
    dc_dense_f32_destroy(&d);
    dc_dnnl_fini(&ctx);
}

int main(void)
{
    dc_rng rng;
    dc_rng_seed(&rng, 22, 2);
    for (int r = 0; r < ROWS; r++)
        for (int i = 0; i < IN; i++) x[r][i] = (float)dc_rng_normal(&rng);
    for (int o = 0; o < OUT; o++) {
        b[o] = (float)dc_rng_normal(&rng);
        for (int i = 0; i < IN; i++) w[o][i] = (float)dc_rng_normal(&rng);
        for (int r = 0; r < ROWS; r++) ybar[r][o] = (float)dc_rng_normal(&rng);
    }
    check_layer(0);
    check_layer(DC_DENSE_BIAS | DC_DENSE_RESIDUAL);
    check_layer(DC_DENSE_BWD_ADD | DC_DENSE_WGRAD_ADD);
    check_layer(DC_DENSE_BIAS | DC_DENSE_WGRAD_ADD);
    return check_finish();
}
