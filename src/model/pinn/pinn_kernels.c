/* The float engine's elementwise loops (see pinn_kernels.h), written so that GCC -O3 vectorises
 * the inner loops over a layer's units without -march or -ffast-math: no libm call in a hot loop
 * (tanh is the kit's rational function, dc_act_f32.h), restrict everywhere. */
#include <string.h>

#include "dc_act_f32.h"
#include "dc_kernel.h" /* DC_KERNEL: one clone per ISA, the same bits on each */
#include "pinn_kernels.h"

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
                dc_irelu_f32(c, yi[k] + bias[k], &yi[k], &di[k]);
            }
        } else {
            for (int k = 0; k < W; k++) {
                const float t = dc_tanh_f32(yi[k] + bias[k]);
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
