/* The float engine's hand-written loops (see schnet_kernels.h). Written so that GCC -O3
 * vectorises the inner loops over features without -march or -ffast-math: no calls to libm in
 * the hot loops (the kit's float activations, dc_act_f32.h, are branch-free polynomials),
 * restrict everywhere. */
#include <math.h>
#include <string.h>

#include "dc_act_f32.h"
#include "dc_kernel.h" /* DC_KERNEL: one clone per ISA, the same bits on each */
#include "schnet_kernels.h"

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

DC_KERNEL void dc_schnet_rbf(float *restrict rbf, float *restrict drbf, const double *restrict d,
                             const double *restrict mu, double gamma, int64_t n_edges, int G)
{
    const float g = (float)gamma;
    for (int64_t e = 0; e < n_edges; e++) {
        float *restrict re = rbf + e * G, *restrict de = drbf + e * G;
        for (int k = 0; k < G; k++) {
            float dm = (float)(d[e] - mu[k]);
            float b = dc_f32_exp_nonpos(-g * dm * dm);
            re[k] = b;
            de[k] = -2.0f * g * dm * b;
        }
    }
}

DC_KERNEL void dc_schnet_act_forward_bias(dc_schnet_act a, float *restrict y, float *restrict ds,
                                          const float *restrict x, const float *restrict bias,
                                          int64_t n, int c, float *restrict q,
                                          const float *restrict Pm)
{
    for (int64_t r = 0; r < n; r++) {
        const float *restrict xr = x + r * c;
        float *restrict yr = y + r * c, *restrict dr = ds + r * c;
        if (a.irelu)
            for (int k = 0; k < c; k++) dc_irelu_f32(a.c, xr[k] + bias[k], &yr[k], &dr[k]);
        else
            for (int k = 0; k < c; k++) dc_ssp_f32(xr[k] + bias[k], &yr[k], &dr[k]);
        if (q) {
            float *restrict qr = q + r * c;
            const float *restrict pr = Pm + r * c;
            for (int k = 0; k < c; k++) qr[k] = dr[k] * pr[k];
        }
    }
}

DC_KERNEL void dc_schnet_act_tangent(float *restrict yt, const float *restrict ds, const float *restrict xt, int64_t n)
{
    for (int64_t k = 0; k < n; k++) yt[k] = ds[k] * xt[k];
}

DC_KERNEL void dc_schnet_act_reverse(dc_schnet_act a, float *restrict g, float *restrict gt, const float *restrict ds,
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

DC_KERNEL void dc_schnet_act_reverse_primal(float *restrict gx, const float *restrict g,
                                            const float *restrict ds, int64_t n)
{
    for (int64_t k = 0; k < n; k++) gx[k] = g[k] * ds[k];
}

DC_KERNEL void dc_schnet_filter_act_reverse(dc_schnet_act a, float *restrict g, float *restrict gq,
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

DC_KERNEL void dc_schnet_cfconv_gather(float *restrict m, const float *restrict f,
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

DC_KERNEL void dc_schnet_cfconv_reverse_primal(float *restrict gx, float *restrict dbar,
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

DC_KERNEL void dc_schnet_cfconv_reverse(float *restrict gf, float *restrict gfd, float *restrict gx,
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
