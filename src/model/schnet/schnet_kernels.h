/* Private: the hand-written loops of the float engine (activations, cutoff product, cfconv gathers
 * and scatters, readout). Everything not a dense layer. Row-major float arrays, shapes in comments;
 * n = rows, c = columns. Every loop runs in a fixed order, so results are bitwise reproducible. */
#ifndef DCSWEEP_SCHNET_KERNELS_H
#define DCSWEEP_SCHNET_KERNELS_H

#include <stdint.h>

/* An activation site: ssp or irelu_c (docs/model.md). */
typedef struct dc_act {
    int irelu;
    float c;
} dc_act;

/* Radial basis rbf[e][k] = exp(-gamma (d_e - mu_k)^2) and drbf = d rbf / dd   [E][G] each, in
 * float from double d [E] and centres mu [G] (0 below 2^-64: see DC_EXP_FLUSH in schnet_kernels.c). */
void dc_rbf(float *rbf, float *drbf, const double *d, const double *mu, double gamma,
            int64_t n_edges, int G);

/* y = s(x), ds = s'(x)   [n] each */
void dc_act_forward(dc_act a, float *y, float *ds, const float *x, int64_t n);
/* y' = s'(x) x'   [n] */
void dc_act_tangent(float *yt, const float *ds, const float *xt, int64_t n);
/* Reverse of (y, y') = (s(x), s'(x) x'):
 * xbar = ybar s' + y'bar s'' x',  x'bar = y'bar s'  (in place: gy -> gx, gyt -> gxt; [n] each).
 * s'' is recovered from s' (ssp: s'(1 - s'); irelu: 2c [s' > 0]). xt may be NULL (x' = 0). */
void dc_act_reverse(dc_act a, float *g, float *gt, const float *ds, const float *xt, int64_t n);
/* Reverse of the primal only: g *= ds   [n] */
void dc_act_reverse_primal(float *g, const float *ds, int64_t n);

/* y[r][k] = x[r][k] * s[r]   (a per-row scale, e.g. the cutoff) [n][c] */
void dc_scale_rows(float *y, const float *x, const float *s, int64_t n, int64_t c);
/* y[r][k] = a[r][k] * s[r] + b[r][k] * t[r]   [n][c] */
void dc_scale_rows2(float *y, const float *a, const float *s, const float *b, const float *t,
                    int64_t n, int64_t c);

/* cfconv gather m_i = sum_{e: dst e = i} w[pair e] * x[src e]; edges sorted by dst, row_start
 * [n+1] gives each atom's edge range, of_edge [E] each edge's pair (one filter row per pair). If
 * w2 is given, adds w2[pair e] * x2[src e] too (the tangent rule m' = sum W' x + W x').
 * m [n][c], w, w2 [P][c], x, x2 [n][c]. */
void dc_cfconv_gather(float *m, const float *w, const float *x, const float *w2, const float *x2,
                      const int64_t *row_start, const int *src, const int64_t *of_edge,
                      int n_atoms, int c);

/* Sum of rows: out[k] += sum_r x[r][k]   [n][c] -> [c] (accumulates, double sums, fixed order) */
void dc_sum_rows(float *out, const float *x, int64_t n, int64_t c);

/* sum_k a[k] b[k] and sum_k a[k] b[k] d[k] in a fixed order (the same bits on every ISA). */
float dc_dot(const float *a, const float *b, int c);
float dc_dot3(const float *a, const float *b, const float *d, int c);

/* The widest row (filters) the cfconv kernels take: a per-row scratch lives on the stack. */
#define DC_MAX_ROW 4096

/* Reverse of cfconv and cutoff per atom pair p = {a, b}, whose filter W_p serves both of its
 * edges b -> a and a -> b; primal only (the force pass):
 *   Wbar = mbar_a * x_b + mbar_b * x_a;  xbar_b += mbar_a * W;  xbar_a += mbar_b * W;
 *   fbar = Wbar * fc;  dbar += fcd * sum_k Wbar_k f_k   (the cutoff's derivative in d).
 * gf [P][c] (out), gx [n][c] (accumulates), dbar [P] (accumulates); pa, pb [P]. */
void dc_cfconv_reverse_primal(float *gf, float *gx, float *dbar, const float *gm, const float *x,
                              const float *w, const float *f, const float *fc, const float *fcd,
                              const int *pa, const int *pb, int64_t n_pairs, int c);

/* Reverse of cfconv and cutoff over primal and tangent values (the rules of docs/model.md, summed over
 * the pair's two edges):
 *   Wbar = mbar_a x_b + mbar_b x_a + m'bar_a x'_b + m'bar_b x'_a;  W'bar = m'bar_a x_b + m'bar_b x_a;
 *   xbar_b += mbar_a W + m'bar_a W';  x'bar_b += m'bar_a W   (and a <-> b);
 *   fbar = Wbar fc + W'bar fct;       f'bar = W'bar fc      (fct = fc' d', the cutoff's tangent)
 * gxt == NULL skips x'bar (in interaction 0 nothing below needs it). */
void dc_cfconv_reverse(float *gf, float *gft, float *gx, float *gxt, const float *gm,
                       const float *gmt, const float *x, const float *xt, const float *w,
                       const float *wt, const float *fc, const float *fct, const int *pa,
                       const int *pb, int64_t n_pairs, int c);

#endif
