/* The float DimeNet++ engine's own loops (dimenet_kernels.h): activations with their first and
 * second derivatives, elementwise jets, and the batched sparse parts (gathers by edge and triplet
 * index, scatter-adds). Every loop is serial, in row order: the same inputs give the same bits.
 * Activations are built per instruction set (DC_KERNEL); ISO C keeps every clone free of fused
 * multiply-adds, so they agree bit for bit. */
#include <string.h>

#include "dc_act_f32.h"
#include "dc_kernel.h"
#include "dimenet_kernels.h"

/* The value and derivatives 1, 2 of SiLU at x: s x, s (1 + x s-), s s- (2 + x (s- - s)) with
 * s = sigmoid(x), s- = sigmoid(-x) = 1 - s, both from t = e^-|x| (1 - s would cancel). */
static inline void silu3(float x, float *y, float *d1, float *d2)
{
    const int pos = x > 0.0f;
    const float t = dc_f32_exp_nonpos(-fabsf(x));
    const float inv = 1.0f / (1.0f + t);
    const float s = dc_f32_select(pos, inv, t * inv), sn = dc_f32_select(pos, t * inv, inv);
    *y = x * s;
    *d1 = s * (1.0f + x * sn);
    *d2 = s * sn * (2.0f + x * (sn - s));
}

/* irelu_c: c max(0, x)^2, 2c max(0, x), 2c [x > 0]. It keeps a NaN (max(0, NaN) = NaN here, 0 in
 * dc_act.c): in float a full-extent network overflows where double does not (DIMENET.md: |m| ~
 * 1e48 and beyond), and inf - inf = NaN must stay visible as a diverged run instead of being
 * squashed to 0 by the next activation. */
static inline void irelu3(float c, float x, float *y, float *d1, float *d2)
{
    const int off = x <= 0.0f;
    const float p = dc_f32_select(off, 0.0f, x), c2 = 2.0f * c;
    *y = c * p * p;
    *d1 = c2 * p;
    *d2 = dc_f32_select(off, 0.0f, c2);
}

DC_KERNEL void dc_dimenet_act_forward(dn_act a, float *restrict y, float *restrict ds,
                                      float *restrict d2s, const float *restrict x, int64_t n)
{
    if (a.irelu)
        for (int64_t q = 0; q < n; q++) irelu3(a.c, x[q], &y[q], &ds[q], &d2s[q]);
    else
        for (int64_t q = 0; q < n; q++) silu3(x[q], &y[q], &ds[q], &d2s[q]);
}

DC_KERNEL void dc_dimenet_act_reverse0(int assign, float *restrict xa0, const float *restrict ya0,
                                       const float *restrict ya1, const float *restrict ds,
                                       const float *restrict d2s, const float *restrict x1,
                                       int64_t n)
{
    if (assign)
        for (int64_t q = 0; q < n; q++) xa0[q] = ya0[q] * ds[q] + ya1[q] * d2s[q] * x1[q];
    else
        for (int64_t q = 0; q < n; q++) xa0[q] += ya0[q] * ds[q] + ya1[q] * d2s[q] * x1[q];
}

DC_KERNEL void dc_dimenet_add(float *restrict y, const float *restrict x, const float *restrict z,
                              int64_t n)
{
    for (int64_t q = 0; q < n; q++) y[q] = x[q] + z[q];
}

DC_KERNEL void dc_dimenet_acc(int assign, float *restrict x, const float *restrict y, int64_t n)
{
    if (assign)
        memcpy(x, y, (size_t)n * sizeof *x);
    else
        for (int64_t q = 0; q < n; q++) x[q] += y[q];
}

DC_KERNEL void dc_dimenet_mul(float *restrict y, const float *restrict x, const float *restrict z,
                              int64_t n)
{
    for (int64_t q = 0; q < n; q++) y[q] = x[q] * z[q];
}

DC_KERNEL void dc_dimenet_mul_tangent(float *restrict y, const float *restrict x0,
                                      const float *restrict x1, const float *restrict z0,
                                      const float *restrict z1, int64_t n)
{
    for (int64_t q = 0; q < n; q++) y[q] = x0[q] * z1[q] + x1[q] * z0[q];
}

DC_KERNEL void dc_dimenet_mul_acc(int assign, float *restrict x, const float *restrict y0,
                                  const float *restrict z0, const float *restrict y1,
                                  const float *restrict z1, int64_t n)
{
    if (y1 && assign)
        for (int64_t q = 0; q < n; q++) x[q] = y0[q] * z0[q] + y1[q] * z1[q];
    else if (y1)
        for (int64_t q = 0; q < n; q++) x[q] += y0[q] * z0[q] + y1[q] * z1[q];
    else if (assign)
        for (int64_t q = 0; q < n; q++) x[q] = y0[q] * z0[q];
    else
        for (int64_t q = 0; q < n; q++) x[q] += y0[q] * z0[q];
}

void dc_dimenet_gather(float *restrict y, const float *restrict x, const int *idx, int64_t n, int c)
{
    for (int64_t r = 0; r < n; r++)
        memcpy(y + r * c, x + (int64_t)idx[r] * c, (size_t)c * sizeof *y);
}

DC_KERNEL void dc_dimenet_gather_reverse(int assign, float *restrict x, int64_t x_rows,
                                         const float *restrict y, const int *idx, int64_t n, int c)
{
    if (assign) memset(x, 0, (size_t)(x_rows * c) * sizeof *x);
    for (int64_t r = 0; r < n; r++) {
        float *restrict xr = x + (int64_t)idx[r] * c;
        const float *restrict yr = y + r * c;
        for (int k = 0; k < c; k++) xr[k] += yr[k];
    }
}

DC_KERNEL void dc_dimenet_scatter(float *restrict y, int64_t rows, const float *restrict x,
                                  const int *idx, int64_t n, int c)
{
    memset(y, 0, (size_t)(rows * c) * sizeof *y);
    for (int64_t r = 0; r < n; r++) {
        float *restrict yr = y + (int64_t)idx[r] * c;
        const float *restrict xr = x + r * c;
        for (int k = 0; k < c; k++) yr[k] += xr[k];
    }
}

DC_KERNEL void dc_dimenet_scatter_reverse(int assign, float *restrict x, const float *restrict y,
                                          const int *idx, int64_t n, int c)
{
    for (int64_t r = 0; r < n; r++) {
        float *restrict xr = x + r * c;
        const float *restrict yr = y + (int64_t)idx[r] * c;
        if (assign)
            memcpy(xr, yr, (size_t)c * sizeof *xr);
        else
            for (int k = 0; k < c; k++) xr[k] += yr[k];
    }
}

DC_KERNEL void dc_dimenet_triplet(float *restrict y, int64_t E, const float *restrict x,
                                  const float *restrict s, const int *kj, const int *ji, int64_t T,
                                  int c)
{
    memset(y, 0, (size_t)(E * c) * sizeof *y);
    for (int64_t t = 0; t < T; t++) {
        float *restrict yr = y + (int64_t)ji[t] * c;
        const float *restrict xr = x + (int64_t)kj[t] * c, *restrict sr = s + t * c;
        for (int k = 0; k < c; k++) yr[k] += xr[k] * sr[k];
    }
}

DC_KERNEL void dc_dimenet_triplet_tangent(float *restrict y1, int64_t E, const float *restrict x0,
                                          const float *restrict x1, const float *restrict s0,
                                          const float *restrict s1, const int *kj, const int *ji,
                                          int64_t T, int c)
{
    memset(y1, 0, (size_t)(E * c) * sizeof *y1);
    for (int64_t t = 0; t < T; t++) {
        float *restrict yr = y1 + (int64_t)ji[t] * c;
        const int64_t xo = (int64_t)kj[t] * c, so = t * c;
        for (int k = 0; k < c; k++) yr[k] += x1[xo + k] * s0[so + k] + x0[xo + k] * s1[so + k];
    }
}

DC_KERNEL void dc_dimenet_triplet_reverse_x(int assign, float *restrict xa, int64_t E,
                                            const float *restrict ya, const float *restrict s0,
                                            const float *restrict yb, const float *restrict s1,
                                            const int *kj, const int *ji, int64_t T, int c)
{
    if (assign) memset(xa, 0, (size_t)(E * c) * sizeof *xa);
    for (int64_t t = 0; t < T; t++) {
        float *restrict xr = xa + (int64_t)kj[t] * c;
        const int64_t yo = (int64_t)ji[t] * c, so = t * c;
        if (yb)
            for (int k = 0; k < c; k++) xr[k] += ya[yo + k] * s0[so + k] + yb[yo + k] * s1[so + k];
        else
            for (int k = 0; k < c; k++) xr[k] += ya[yo + k] * s0[so + k];
    }
}

DC_KERNEL void dc_dimenet_triplet_reverse_s(int assign, float *restrict sa,
                                            const float *restrict ya, const float *restrict x0,
                                            const float *restrict yb, const float *restrict x1,
                                            const int *kj, const int *ji, int64_t T, int c)
{
    for (int64_t t = 0; t < T; t++) {
        float *restrict sr = sa + t * c;
        const int64_t yo = (int64_t)ji[t] * c, xo = (int64_t)kj[t] * c;
        if (yb && assign)
            for (int k = 0; k < c; k++) sr[k] = ya[yo + k] * x0[xo + k] + yb[yo + k] * x1[xo + k];
        else if (yb)
            for (int k = 0; k < c; k++) sr[k] += ya[yo + k] * x0[xo + k] + yb[yo + k] * x1[xo + k];
        else if (assign)
            for (int k = 0; k < c; k++) sr[k] = ya[yo + k] * x0[xo + k];
        else
            for (int k = 0; k < c; k++) sr[k] += ya[yo + k] * x0[xo + k];
    }
}

void dc_dimenet_concat(float *restrict y, const float *restrict x, int a, const float *restrict z,
                       int b, int64_t n)
{
    for (int64_t r = 0; r < n; r++) {
        memcpy(y + r * (a + b), x + r * a, (size_t)a * sizeof *y);
        memcpy(y + r * (a + b) + a, z + r * b, (size_t)b * sizeof *y);
    }
}

void dc_dimenet_concat_reverse(const int assign[2], float *restrict x, int a, float *restrict z,
                               int b, const float *restrict y, int64_t n)
{
    for (int64_t r = 0; r < n; r++) {
        const float *yr = y + r * (a + b);
        if (x && assign[0])
            memcpy(x + r * a, yr, (size_t)a * sizeof *x);
        else if (x)
            for (int k = 0; k < a; k++) x[r * a + k] += yr[k];
        if (z && assign[1])
            memcpy(z + r * b, yr + a, (size_t)b * sizeof *z);
        else if (z)
            for (int k = 0; k < b; k++) z[r * b + k] += yr[a + k];
    }
}
