/* The float diffusion-sorption engine's elementwise loops (see diffsorp_kernels.h), written so that
 * GCC -O3 vectorises the inner loops over a layer's units without -march or -ffast-math: no libm
 * call in a hot loop (tanh is the kit's rational function, dc_act_f32.h), restrict everywhere.
 * The activation's kind is a constant argument of an always-inlined row function, so each kind
 * gets its own branch-free loop. */
#include "dc_act_f32.h"
#include "dc_kernel.h" /* DC_KERNEL: one clone per ISA, the same bits on each */
#include "diffsorp_kernels.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* s and its derivatives 1..3 at x */
ALWAYS_INLINE void jet3(int irelu, float c, float x, float *s, float *d1, float *d2, float *d3)
{
    if (irelu) {
        dc_irelu3_f32(c, x, s, d1, d2, d3);
    } else {
        *s = dc_tanh_f32(x);
        dc_tanh_derivs_f32(*s, d1, d2, d3);
    }
}

/* One point with every stream: y [W] primal, yx, yt, yxx [W] its stream rows. */
ALWAYS_INLINE void row_full(int irelu, float c, float *restrict y, float *restrict yx,
                            float *restrict yt, float *restrict yxx, float *restrict d1,
                            float *restrict ex, float *restrict q, float *restrict et,
                            const float *restrict bias, int W)
{
    for (int k = 0; k < W; k++) {
        float s, s1, s2, s3;
        jet3(irelu, c, y[k] + bias[k], &s, &s1, &s2, &s3);
        const float ax = yx[k], at = yt[k], axx = yxx[k];
        y[k] = s;
        yx[k] = s1 * ax;
        yt[k] = s1 * at;
        yxx[k] = s2 * ax * ax + s1 * axx;
        d1[k] = s1;
        ex[k] = s2 * ax;
        q[k] = s3 * ax * ax + s2 * axx;
        et[k] = s2 * at;
    }
}

/* One point with its value alone (a data point): y [W], d1 [W] = s'. */
ALWAYS_INLINE void row_value(int irelu, float c, float *restrict y, float *restrict d1,
                             const float *restrict bias, int W)
{
    for (int k = 0; k < W; k++) {
        float s, s1, s2, s3;
        jet3(irelu, c, y[k] + bias[k], &s, &s1, &s2, &s3);
        y[k] = s;
        d1[k] = s1;
    }
}

DC_KERNEL void dc_diffsorp_act_forward(dc_diffsorp_act a, float *y,
                                       const dc_diffsorp_act_saved *sv, const float *bias,
                                       int64_t n, int64_t m, int W)
{
    const int64_t mW = m * (int64_t)W;
    float *yx = y + n * (int64_t)W, *yt = yx + mW, *yxx = yt + mW;
    for (int64_t i = 0; i < m; i++) {
        const int64_t o = i * W;
        if (a.irelu)
            row_full(1, a.c, y + o, yx + o, yt + o, yxx + o, sv->d1 + o, sv->ex + o, sv->q + o,
                     sv->et + o, bias, W);
        else
            row_full(0, a.c, y + o, yx + o, yt + o, yxx + o, sv->d1 + o, sv->ex + o, sv->q + o,
                     sv->et + o, bias, W);
    }
    for (int64_t i = m; i < n; i++) {
        const int64_t o = i * W;
        if (a.irelu)
            row_value(1, a.c, y + o, sv->d1 + o, bias, W);
        else
            row_value(0, a.c, y + o, sv->d1 + o, bias, W);
    }
}

/* One point with every stream: gh, gx, gt, gxx [W] its adjoint rows, in place. */
ALWAYS_INLINE void row_reverse(float *restrict gh, float *restrict gx, float *restrict gt,
                               float *restrict gxx, const float *restrict d1,
                               const float *restrict ex, const float *restrict q,
                               const float *restrict et, int W)
{
    for (int k = 0; k < W; k++) {
        const float hb = gh[k], xb = gx[k], tb = gt[k], xxb = gxx[k];
        gh[k] = hb * d1[k] + xb * ex[k] + tb * et[k] + xxb * q[k];
        gx[k] = xb * d1[k] + 2.0f * xxb * ex[k];
        gt[k] = tb * d1[k];
        gxx[k] = xxb * d1[k];
    }
}

DC_KERNEL void dc_diffsorp_act_reverse(float *g, const dc_diffsorp_act_saved *sv, int64_t n,
                                       int64_t m, int W)
{
    const int64_t mW = m * (int64_t)W;
    float *gx = g + n * (int64_t)W, *gt = gx + mW, *gxx = gt + mW;
    for (int64_t i = 0; i < m; i++) {
        const int64_t o = i * W;
        row_reverse(g + o, gx + o, gt + o, gxx + o, sv->d1 + o, sv->ex + o, sv->q + o,
                    sv->et + o, W);
    }
    for (int64_t i = m; i < n; i++) {
        float *restrict gh = g + i * W;
        const float *restrict d1 = sv->d1 + i * W;
        for (int k = 0; k < W; k++) gh[k] = gh[k] * d1[k];
    }
}
