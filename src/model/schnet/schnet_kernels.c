/* The float engine's hand-written loops (see schnet_kernels.h). Written so that GCC -O3
 * vectorises the inner loops over features without -march or -ffast-math: no calls to libm in
 * the hot loops (the exp and log below are branch-free polynomials), restrict everywhere. */
#include <math.h>
#include <string.h>

#include "dc_kernel.h" /* DC_KERNEL: one clone per ISA, the same bits on each */
#include "schnet_kernels.h"

/* The helpers below are written so that GCC's if-conversion can turn every loop calling them
 * into straight-line code (otherwise: "not vectorized: control flow in loop"). Two things block
 * it. A float ?: is a branch in GIMPLE, and if-conversion refuses to speculate float arithmetic
 * (it may trap, -ftrapping-math) into it; worse, when one arm is a constant (the clamp), GCC
 * folds everything downstream of that arm to a constant and moves the whole polynomial into the
 * other arm. So selects go through bits: dc_select is integer and/or on the float's bits, which
 * the compiler cannot fold through, and both arms are always computed. Rounding is the 1.5 2^23
 * trick, and the exponent comes from the same float's bits (no float -> int conversion). */
static inline int32_t f2bits(float f)
{
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i;
}

static inline float bits2f(int32_t i)
{
    float f;
    memcpy(&f, &i, sizeof f);
    return f;
}

/* c ? a : b for c in {0, 1}, branch-free. */
static inline float dc_select(int c, float a, float b)
{
    const int32_t m = -(int32_t)c;
    return bits2f((f2bits(a) & m) | (f2bits(b) & ~m));
}

/* Below e^-44.36 = 2^-64, exp_nonpos gives 0. Its results (radial basis, sigmoid) only ever sit
 * next to a term at least 2^63 times larger (the nearest Gaussian is >= e^-1/8; sigmoid's other
 * branch is 1), so dropping them is far below float rounding; kept, they multiply with weights
 * and adjoints into subnormals, which cost a microcode assist of ~100 cycles each on Intel cores
 * (measured here: the paper-size step 3.3x, the default 1.3x slower with them). */
#define DC_EXP_FLUSH (-44.3614195558365f)

/* e^x for x <= 0 (Cephes expf polynomial, ~1 ulp): x = n ln2 + r, |r| <= ln2 / 2; 0 below
 * DC_EXP_FLUSH. */
static inline float exp_nonpos(float x)
{
    const int flush = x < DC_EXP_FLUSH;
    x = dc_select(flush, DC_EXP_FLUSH, x);
    /* n = round(x / ln2) in [-64, 0]: adding 1.5 2^23 leaves n in the low mantissa bits. */
    const float s = x * 1.44269504088896341f + 12582912.0f;
    const float n = s - 12582912.0f;
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    /* 2^n: (n + 127) << 23, with n = bits(s) - bits(1.5 2^23); n + 127 >= 1, no overflow. */
    const float scale = bits2f((f2bits(s) - 0x4B400000 + 127) << 23);
    return dc_select(flush, 0.0f, y * scale);
}

/* ln(y) for y in [1, 2] (Cephes logf polynomial): y = m 2^e with m in [sqrt(1/2), sqrt(2)). */
static inline float log_1to2(float y)
{
    const int big = y > 1.41421356f;
    const float m = dc_select(big, 0.5f * y - 1.0f, y - 1.0f);
    const float e = dc_select(big, 1.0f, 0.0f);
    float z = m * m;
    float p = 7.0376836292e-2f;
    p = p * m - 1.1514610310e-1f;
    p = p * m + 1.1676998740e-1f;
    p = p * m - 1.2420140846e-1f;
    p = p * m + 1.4249322787e-1f;
    p = p * m - 1.6668057665e-1f;
    p = p * m + 2.0000714765e-1f;
    p = p * m - 2.4999993993e-1f;
    p = p * m + 3.3333331174e-1f;
    float r = p * m * z;
    r += -2.12194440e-4f * e;
    r += -0.5f * z;
    return m + r + 0.693359375f * e;
}

/* A fixed-order sum of 16 lanes (pairwise), the same on every ISA. */
static inline float sum_lanes(const float lane[16])
{
    float s8[8], s4[4];
    for (int l = 0; l < 8; l++) s8[l] = lane[l] + lane[l + 8];
    for (int l = 0; l < 4; l++) s4[l] = s8[l] + s8[l + 4];
    return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}

/* sum_k a[k] b[k] with 16 independent partial sums: vectorises without reassociating, so the
 * result does not depend on the vector width. */
static inline float dot_lanes(const float *restrict a, const float *restrict b, int c)
{
    float lane[16] = {0};
    int k = 0;
    for (; k + 16 <= c; k += 16)
        for (int l = 0; l < 16; l++) lane[l] += a[k + l] * b[k + l];
    for (int l = 0; k < c; k++, l++) lane[l] += a[k] * b[k];
    return sum_lanes(lane);
}

/* Column sums of the rows a kernel writes, for a bias gradient: in float over blocks of
 * DC_COLSUM_BLOCK rows (vector adds, no conversions in the hot loop), the blocks added in double,
 * so the error stays that of a 16-term float sum whatever the row count. Call colsum_row after
 * writing row r of n; colsum_final adds the sums into out. */
#define DC_COLSUM_BLOCK 16

static inline void colsum_row(float *restrict part, double *restrict acc, const float *restrict row,
                              int c, int64_t r, int64_t n)
{
    for (int k = 0; k < c; k++) part[k] += row[k];
    if ((r + 1) % DC_COLSUM_BLOCK == 0 || r + 1 == n)
        for (int k = 0; k < c; k++) {
            acc[k] += part[k];
            part[k] = 0.0f;
        }
}

static inline void colsum_final(float *restrict out, const double *restrict acc, int c)
{
    for (int k = 0; k < c; k++) out[k] += (float)acc[k];
}

DC_KERNEL void dc_rbf(float *restrict rbf, float *restrict drbf, const double *restrict d,
                      const double *restrict mu, double gamma, int64_t n_edges, int G)
{
    const float g = (float)gamma;
    for (int64_t e = 0; e < n_edges; e++) {
        float *restrict re = rbf + e * G, *restrict de = drbf + e * G;
        for (int k = 0; k < G; k++) {
            float dm = (float)(d[e] - mu[k]);
            float b = exp_nonpos(-g * dm * dm);
            re[k] = b;
            de[k] = -2.0f * g * dm * b;
        }
    }
}

/* ssp(x) = max(x, 0) + ln(1 + e^-|x|) - ln 2, sigmoid from the same t = e^-|x|: no overflow. */
static inline void ssp_one(float v, float *y, float *ds)
{
    const int pos = v > 0.0f;
    const float t = exp_nonpos(-fabsf(v));
    const float inv = 1.0f / (1.0f + t);
    *y = dc_select(pos, v, 0.0f) + log_1to2(1.0f + t) - 0.69314718055994531f;
    *ds = dc_select(pos, inv, t * inv);
}

static inline void irelu_one(float c, float v, float *y, float *ds)
{
    const float p = v > 0.0f ? v : 0.0f;
    *y = c * p * p;
    *ds = 2.0f * c * p;
}

DC_KERNEL void dc_act_forward_bias(dc_act a, float *restrict y, float *restrict ds,
                                   const float *restrict x, const float *restrict bias, int64_t n,
                                   int c, float *restrict q, const float *restrict Pm)
{
    for (int64_t r = 0; r < n; r++) {
        const float *restrict xr = x + r * c;
        float *restrict yr = y + r * c, *restrict dr = ds + r * c;
        if (a.irelu)
            for (int k = 0; k < c; k++) irelu_one(a.c, xr[k] + bias[k], &yr[k], &dr[k]);
        else
            for (int k = 0; k < c; k++) ssp_one(xr[k] + bias[k], &yr[k], &dr[k]);
        if (q) {
            float *restrict qr = q + r * c;
            const float *restrict pr = Pm + r * c;
            for (int k = 0; k < c; k++) qr[k] = dr[k] * pr[k];
        }
    }
}

DC_KERNEL void dc_act_tangent(float *restrict yt, const float *restrict ds, const float *restrict xt, int64_t n)
{
    for (int64_t k = 0; k < n; k++) yt[k] = ds[k] * xt[k];
}

DC_KERNEL void dc_act_reverse(dc_act a, float *restrict g, float *restrict gt, const float *restrict ds,
                    const float *restrict xt, int64_t n)
{
    if (!xt) {
        for (int64_t k = 0; k < n; k++) {
            g[k] *= ds[k];
            gt[k] *= ds[k];
        }
        return;
    }
    if (a.irelu) {
        const float c2 = 2.0f * a.c;
        for (int64_t k = 0; k < n; k++) {
            float dds = ds[k] > 0.0f ? c2 : 0.0f;
            g[k] = g[k] * ds[k] + gt[k] * dds * xt[k];
            gt[k] *= ds[k];
        }
    } else {
        for (int64_t k = 0; k < n; k++) {
            float dds = ds[k] * (1.0f - ds[k]);
            g[k] = g[k] * ds[k] + gt[k] * dds * xt[k];
            gt[k] *= ds[k];
        }
    }
}

DC_KERNEL void dc_act_reverse_primal(float *restrict gx, const float *restrict g,
                                     const float *restrict ds, int64_t n)
{
    for (int64_t k = 0; k < n; k++) gx[k] = g[k] * ds[k];
}

DC_KERNEL void dc_filter_act_reverse(dc_act a, float *restrict g, float *restrict gq,
                                     float *restrict gbias, const float *restrict ds,
                                     const float *restrict Pm, int64_t n, int c)
{
    const float c2 = 2.0f * a.c;
    double acc[DC_MAX_ROW];
    float part[DC_MAX_ROW];
    for (int k = 0; k < c; k++) {
        acc[k] = 0.0;
        part[k] = 0.0f;
    }
    for (int64_t r = 0; r < n; r++) {
        float *restrict gr = g + r * c, *restrict gqr = gq + r * c;
        const float *restrict dsr = ds + r * c, *restrict pr = Pm + r * c;
        if (a.irelu) {
            for (int k = 0; k < c; k++) {
                const float dds = dsr[k] > 0.0f ? c2 : 0.0f;
                gr[k] = gr[k] * dsr[k] + (gqr[k] * pr[k]) * dds;
                gqr[k] = gqr[k] * dsr[k];
            }
        } else {
            for (int k = 0; k < c; k++) {
                const float dds = dsr[k] * (1.0f - dsr[k]);
                gr[k] = gr[k] * dsr[k] + (gqr[k] * pr[k]) * dds;
                gqr[k] = gqr[k] * dsr[k];
            }
        }
        colsum_row(part, acc, gr, c, r, n);
    }
    colsum_final(gbias, acc, c);
}

DC_KERNEL void dc_cfconv_gather(float *restrict m, const float *restrict f,
                                const float *restrict fd, const float *restrict fc,
                                const float *restrict fdc, const float *restrict fct,
                                const float *restrict x,
                                const float *restrict xt, const int64_t *restrict row_start,
                                const int *restrict src, const int64_t *restrict of_edge,
                                int n_atoms, int c)
{
    for (int i = 0; i < n_atoms; i++) {
        float *restrict mi = m + (int64_t)i * c;
        for (int k = 0; k < c; k++) mi[k] = 0.0f;
        for (int64_t e = row_start[i]; e < row_start[i + 1]; e++) {
            const int64_t p = of_edge[e];
            const float *restrict fp = f + p * c, *restrict xj = x + (int64_t)src[e] * c;
            const float fcp = fc[p];
            if (!fd) {
                for (int k = 0; k < c; k++) mi[k] += (fp[k] * fcp) * xj[k];
            } else if (!xt) {
                const float *restrict fdp = fd + p * c;
                const float fdcp = fdc[p], fctp = fct[p];
                for (int k = 0; k < c; k++) mi[k] += (fdp[k] * fdcp + fp[k] * fctp) * xj[k];
            } else {
                const float *restrict fdp = fd + p * c, *restrict xtj = xt + (int64_t)src[e] * c;
                const float fdcp = fdc[p], fctp = fct[p];
                for (int k = 0; k < c; k++)
                    mi[k] += (fdp[k] * fdcp + fp[k] * fctp) * xj[k] + (fp[k] * fcp) * xtj[k];
            }
        }
    }
}

DC_KERNEL void dc_cfconv_reverse_primal(float *restrict gx, float *restrict dbar,
                                        const float *restrict gm, const float *restrict x,
                                        const float *restrict f, const float *restrict fd,
                                        const float *restrict fc, const float *restrict fcd,
                                        const int *restrict pa, const int *restrict pb,
                                        int64_t n_pairs, int c)
{
    for (int64_t p = 0; p < n_pairs; p++) {
        const int64_t a = pa[p], b = pb[p];
        const float *restrict ma = gm + a * c, *restrict mb = gm + b * c;
        const float *restrict xa = x + a * c, *restrict xb = x + b * c;
        const float *restrict fp = f + p * c, *restrict fdp = fd + p * c;
        float *restrict gxa = gx + a * c, *restrict gxb = gx + b * c;
        const float fcp = fc[p], fcdp = fcd[p];
        float wbar[DC_MAX_ROW], wd[DC_MAX_ROW];
        for (int k = 0; k < c; k++) {
            const float w = fp[k] * fcp;
            wbar[k] = ma[k] * xb[k] + mb[k] * xa[k];
            wd[k] = fdp[k] * fcp + fp[k] * fcdp;
            gxb[k] += ma[k] * w;
            gxa[k] += mb[k] * w;
        }
        dbar[p] += dot_lanes(wbar, wd, c);
    }
}

DC_KERNEL void dc_cfconv_reverse(float *restrict gf, float *restrict gfd, float *restrict gx,
                                 const float *restrict gm, const float *restrict gmt,
                                 const float *restrict x, const float *restrict xt,
                                 const float *restrict f, const float *restrict fd,
                                 const float *restrict fc, const float *restrict fdc,
                                 const float *restrict fct, const int *restrict pa,
                                 const int *restrict pb, int64_t n_pairs, int c,
                                 float *restrict gbias)
{
    double acc[DC_MAX_ROW];
    float part[DC_MAX_ROW];
    for (int k = 0; k < c; k++) {
        acc[k] = 0.0;
        part[k] = 0.0f;
    }
    for (int64_t p = 0; p < n_pairs; p++) {
        const int64_t a = pa[p], b = pb[p];
        const float *restrict ma = gm + a * c, *restrict mb = gm + b * c;
        const float *restrict mta = gmt + a * c, *restrict mtb = gmt + b * c;
        const float *restrict xa = x + a * c, *restrict xb = x + b * c;
        const float *restrict xta = xt + a * c, *restrict xtb = xt + b * c;
        const float *restrict fp = f + p * c, *restrict fdp = fd + p * c;
        float *restrict gxa = gx + a * c, *restrict gxb = gx + b * c;
        float *restrict gfp = gf + p * c, *restrict gfdp = gfd + p * c;
        const float fcp = fc[p], fdcp = fdc[p], fctp = fct[p];
        for (int k = 0; k < c; k++) {
            const float w = fp[k] * fcp, wt = fdp[k] * fdcp + fp[k] * fctp;
            const float wbar = (ma[k] * xb[k] + mb[k] * xa[k]) + (mta[k] * xtb[k] + mtb[k] * xta[k]);
            const float wtbar = mta[k] * xb[k] + mtb[k] * xa[k];
            gxb[k] += ma[k] * w + mta[k] * wt;
            gxa[k] += mb[k] * w + mtb[k] * wt;
            gfp[k] = wbar * fcp + wtbar * fctp;
            gfdp[k] = wtbar * fdcp;
        }
        colsum_row(part, acc, gfp, c, p, n_pairs);
    }
    colsum_final(gbias, acc, c);
}
