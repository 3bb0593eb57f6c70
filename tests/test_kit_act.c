/* The kit's activation table (src/model/kit/dc_act.h): each derivative against a central finite
 * difference of the one below it, at points on both sides of 0 and in the saturated tails, and
 * the closed forms at a few exact points. */
#include "check.h"
#include "dc_act.h"
#include "dc_act_f32.h"

static void check_kind(dc_act a)
{
    static const double xs[] = {-30.0, -4.0, -1.3, -0.2, 0.05, 0.7, 2.5, 30.0};
    const double h = 1e-5;
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double d[4], dp[4], dm[4];
        dc_act_eval(a, xs[i], 3, d);
        dc_act_eval(a, xs[i] + h, 3, dp);
        dc_act_eval(a, xs[i] - h, 3, dm);
        for (int k = 1; k <= 3; k++) {
            const double fd = (dp[k - 1] - dm[k - 1]) / (2 * h);
            CHECK(fabs(d[k] - fd) <= 1e-6 * fmax(1.0, fabs(fd)), "%s(c=%g) order %d at x=%g: %.12g, fd %.12g",
                  dc_act_name(a.kind), a.c, k, xs[i], d[k], fd);
        }
        /* a lower order asked for leaves the rest alone */
        double partial[4] = {7, 7, 7, 7};
        dc_act_eval(a, xs[i], 1, partial);
        CHECK(partial[0] == d[0] && partial[1] == d[1] && partial[2] == 7 && partial[3] == 7,
              "%s: order 1 wrote past d[1]", dc_act_name(a.kind));
    }
}

/* The float forms the engines' kernels use (dc_act_f32.h): value and first derivative against the
 * double table, to 5 float ulps of the larger of the value and 1 (absolute near 0, where ssp and
 * tanh cross it), on a dense grid over both tails. The bound is set by tanh' = 1 - t^2 where t
 * rounds to 1 (past |x| = 7.9 it is 0, the true value below 5e-7). */
static void check_f32(dc_act a)
{
    double worst = 0.0, worst_x = 0.0;
    for (int i = -4000; i <= 4000; i++) {
        const float x = (float)i * 0.0123f;
        float y = 0.0f, ds = 0.0f;
        switch (a.kind) {
        case DC_ACT_SSP: dc_ssp_f32(x, &y, &ds); break;
        case DC_ACT_TANH: y = dc_tanh_f32(x); ds = 1.0f - y * y; break;
        case DC_ACT_SILU: dc_silu_f32(x, &y, &ds); break;
        case DC_ACT_IRELU: dc_irelu_f32((float)a.c, x, &y, &ds); break;
        }
        double d[2];
        dc_act_eval(a, x, 1, d);
        const double e = fmax(fabs(y - d[0]) / fmax(1.0, fabs(d[0])),
                              fabs(ds - d[1]) / fmax(1.0, fabs(d[1])));
        if (!(e <= worst)) {
            worst = e;
            worst_x = x;
        }
    }
    CHECK(worst <= 6e-7, "float %s: worst error %.3g at x = %g", dc_act_name(a.kind), worst,
          worst_x);
}

/* The order-3 float forms (dc_tanh_derivs_f32, dc_irelu3_f32) against the double table on the
 * same grid, each derivative relative to the larger of 1 and its magnitude (|tanh'''| <= 2). tanh's
 * derivatives come from the float t, so they carry its error times |d t^(k)/dt| <= 4: the bound
 * is set where t rounds to +-1 (|x| > 7.9), tanh' = 5.4e-7 becomes 0 and tanh''' = 4 tanh'. */
static void check_f32_order3(dc_act a)
{
    double worst[4] = {0}, worst_x[4] = {0};
    for (int i = -4000; i <= 4000; i++) {
        const float x = (float)i * 0.0123f;
        float f[4];
        if (a.kind == DC_ACT_TANH) {
            f[0] = dc_tanh_f32(x);
            dc_tanh_derivs_f32(f[0], &f[1], &f[2], &f[3]);
        } else {
            dc_irelu3_f32((float)a.c, x, &f[0], &f[1], &f[2], &f[3]);
        }
        double d[4];
        dc_act_eval(a, x, 3, d);
        for (int k = 0; k < 4; k++) {
            const double e = fabs(f[k] - d[k]) / fmax(1.0, fabs(d[k]));
            if (!(e <= worst[k])) {
                worst[k] = e;
                worst_x[k] = x;
            }
        }
    }
    for (int k = 0; k < 4; k++)
        CHECK(worst[k] <= 2.5e-6, "float %s order %d: worst error %.3g at x = %g",
              dc_act_name(a.kind), k, worst[k], worst_x[k]);
    /* IReLU's second derivative is exact: 2c right of 0, 0 at and left of it */
    if (a.kind == DC_ACT_IRELU) {
        float y, d1, d2, d3;
        dc_irelu3_f32((float)a.c, 0.0f, &y, &d1, &d2, &d3);
        CHECK(y == 0.0f && d1 == 0.0f && d2 == 0.0f && d3 == 0.0f, "irelu3 at 0: %g %g %g %g", y,
              d1, d2, d3);
        dc_irelu3_f32((float)a.c, 1e-30f, &y, &d1, &d2, &d3);
        CHECK(d2 == (float)(2.0 * a.c), "irelu3'' at 1e-30: %g", d2);
    }
}

int main(void)
{
    check_f32_order3((dc_act){DC_ACT_TANH, 0});
    check_f32_order3((dc_act){DC_ACT_IRELU, 0.5});
    check_f32_order3((dc_act){DC_ACT_IRELU, 0.25});
    check_f32((dc_act){DC_ACT_SSP, 0});
    check_f32((dc_act){DC_ACT_TANH, 0});
    check_f32((dc_act){DC_ACT_SILU, 0});
    check_f32((dc_act){DC_ACT_IRELU, 0.5});
    check_kind((dc_act){DC_ACT_SSP, 0});
    check_kind((dc_act){DC_ACT_TANH, 0});
    check_kind((dc_act){DC_ACT_SILU, 0});
    check_kind((dc_act){DC_ACT_IRELU, 0.5});
    check_kind((dc_act){DC_ACT_IRELU, 0.1});
    double d[4];
    dc_act_eval((dc_act){DC_ACT_SSP, 0}, 0.0, 3, d);
    CHECK(d[0] == 0.0 && d[1] == 0.5 && d[2] == 0.25 && d[3] == 0.0, "ssp at 0: %g %g %g %g", d[0], d[1], d[2], d[3]);
    dc_act_eval((dc_act){DC_ACT_IRELU, 0.75}, 2.0, 3, d);
    CHECK(d[0] == 3.0 && d[1] == 3.0 && d[2] == 1.5 && d[3] == 0.0, "irelu_0.75 at 2: %g %g %g %g", d[0], d[1], d[2], d[3]);
    dc_act_eval((dc_act){DC_ACT_IRELU, 0.75}, -2.0, 3, d);
    CHECK(d[0] == 0.0 && d[1] == 0.0 && d[2] == 0.0, "irelu at -2 is not 0");
    dc_act_eval((dc_act){DC_ACT_SILU, 0}, 0.0, 3, d);
    CHECK(d[0] == 0.0 && d[1] == 0.5 && d[2] == 0.5 && d[3] == 0.0, "silu at 0: %g %g %g %g", d[0], d[1], d[2], d[3]);
    return check_finish();
}
