/* The float engine's elementwise loops (see pinn_kernels.h), written so that GCC -O3 vectorises
 * the inner loops over a layer's units without -march or -ffast-math: no libm call in a hot loop
 * (tanh is a rational function), restrict everywhere. */
#include <string.h>

#include "dc_kernel.h" /* DC_KERNEL: one clone per ISA, the same bits on each */
#include "pinn_kernels.h"

/* x with its magnitude clamped to lim > 0; NaN stays NaN (a diverged run must stay visible).
 * Done on the bits: non-negative floats order as their bit patterns do, and an integer min is
 * what GCC vectorises in every clone. A float select with a constant arm is not: GCC threads the
 * constant through the polynomial below and leaves a branch in the loop. */
static inline float clamp_magnitude(float x, float lim)
{
    int32_t xb, lb;
    memcpy(&xb, &x, sizeof xb);
    memcpy(&lb, &lim, sizeof lb);
    const int32_t mag = xb & INT32_MAX;
    const int32_t nan = mag > 0x7f800000;
    const int32_t clamped = mag < lb ? mag : lb;
    const int32_t r = (xb & INT32_MIN) | (nan ? mag : clamped);
    float out;
    memcpy(&out, &r, sizeof out);
    return out;
}

/* tanh as the odd/even rational minimax approximation that Eigen uses for float
 * (generic_fast_tanh_float), without Eigen's |x| < 4e-4 shortcut to x: that select would keep the
 * AVX2 and baseline clones from vectorising, and the rational function alone is within 4e-7
 * relative everywhere (checked against double tanh on 4e5 points from 1e-30 to 10). Past
 * |x| = 7.905 float tanh is 1 to the last bit. */
static inline float tanh_rational(float x)
{
    const float xc = clamp_magnitude(x, 7.90531110763549805f);
    const float x2 = xc * xc;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 - 8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return xc * p / q;
}

DC_KERNEL void dc_pinn_act_forward(dc_pinn_act a, float *y, float *ds, float *ddt,
                                        const float *restrict bias, int64_t n, int W, int n_tan)
{
    const int64_t nW = n * (int64_t)W;
    const float c = a.c, two_c = 2.0f * a.c;
    for (int64_t i = 0; i < n; i++) {
        float *restrict yi = y + i * W;  /* primal row: pre-activation in, s(a) out */
        float *restrict di = ds + i * W; /* s'(a) */
        if (a.irelu) {
            for (int k = 0; k < W; k++) {
                const float x = yi[k] + bias[k];
                const float p = x > 0.0f ? x : 0.0f;
                yi[k] = c * p * p;
                di[k] = two_c * p;
            }
        } else {
            for (int k = 0; k < W; k++) {
                const float t = tanh_rational(yi[k] + bias[k]);
                yi[k] = t;
                di[k] = 1.0f - t * t;
            }
        }
        for (int tan = 0; tan < n_tan; tan++) {
            float *restrict yt = y + (tan + 1) * nW + i * W; /* a' in, s'(a) a' out */
            if (tan == 0 && ddt) {
                float *restrict dd = ddt + i * W;
                /* s'' from what is at hand: irelu 2c [a > 0] (= [s' != 0] unless c = 0, where
                 * s'' = 0 anyway); tanh -2 s s' */
                if (a.irelu)
                    for (int k = 0; k < W; k++) dd[k] = (di[k] != 0.0f ? two_c : 0.0f) * yt[k];
                else
                    for (int k = 0; k < W; k++) dd[k] = -2.0f * yi[k] * di[k] * yt[k];
            }
            for (int k = 0; k < W; k++) yt[k] = di[k] * yt[k];
        }
    }
}

DC_KERNEL void dc_pinn_act_reverse(float *g, const float *restrict ds,
                                        const float *restrict ddt, int64_t n, int W)
{
    const int64_t nW = n * (int64_t)W;
    for (int64_t i = 0; i < n; i++) {
        float *restrict gh = g + i * W;      /* hbar -> abar */
        float *restrict gt = g + nW + i * W; /* h'bar -> a'bar */
        const float *restrict di = ds + i * W, *restrict dd = ddt + i * W;
        for (int k = 0; k < W; k++) {
            const float hb = gh[k], tb = gt[k];
            gh[k] = hb * di[k] + tb * dd[k];
            gt[k] = tb * di[k];
        }
    }
}
