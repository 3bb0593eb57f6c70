/* Private: the hand-written loops of the float engine (activations, cutoff product, cfconv gathers
 * and scatters, readout). Everything not a dense layer. Row-major float arrays, shapes in comments;
 * n = rows, c = columns. Every loop runs in a fixed order, so results are bitwise reproducible. */
#ifndef DCSWEEP_SCHNET_KERNELS_H
#define DCSWEEP_SCHNET_KERNELS_H

#include <stdint.h>

/* An activation site: ssp or irelu_c (docs/model.md). Its own guard: tests/schnet_kernels_isa.h
 * includes this header once per instruction set. */
#ifndef DCSWEEP_SCHNET_ACT
#define DCSWEEP_SCHNET_ACT
typedef struct dc_schnet_act {
    int irelu;
    float c;
} dc_schnet_act;
#endif

/* Radial basis rbf[e][k] = exp(-gamma (d_e - mu_k)^2) and drbf = d rbf / dd   [E][G] each, in
 * float from double d [E] and centres mu [G] (0 below 2^-64: see DC_EXP_FLUSH in schnet_kernels.c). */
void dc_schnet_rbf(float *rbf, float *drbf, const double *d, const double *mu, double gamma,
                   int64_t n_edges, int G);

/* An activation of x + bias: y = s(x_r + bias), ds = s'(x_r + bias) per row r (the sum rounded to
 * float, as oneDNN adds a bias), y, ds, x [n][c], bias [c]. For the filter's first activation also
 * q = ds Pm, its derivative in the pair length d (Pm = drbf W1^T = d a1 / dd; q, Pm [n][c]); q and
 * Pm NULL elsewhere. */
void dc_schnet_act_forward_bias(dc_schnet_act a, float *y, float *ds, const float *x,
                                const float *bias, int64_t n, int c, float *q, const float *Pm);
/* y' = s'(x) x'   [n] */
void dc_schnet_act_tangent(float *yt, const float *ds, const float *xt, int64_t n);
/* Reverse of (y, y') = (s(x), s'(x) x'):
 * xbar = ybar s' + y'bar s'' x',  x'bar = y'bar s'  (in place: gy -> gx, gyt -> gxt; [n] each).
 * s'' is recovered from s' (ssp: s'(1 - s'); irelu: 2c [s' > 0]). xt may be NULL (x' = 0). */
void dc_schnet_act_reverse(dc_schnet_act a, float *g, float *gt, const float *ds, const float *xt,
                           int64_t n);
/* Reverse of the primal only: gx = g ds   [n] */
void dc_schnet_act_reverse_primal(float *gx, const float *g, const float *ds, int64_t n);

/* Reverse of (s1, q) = (s(a1), s'(a1) Pm) for the filter's activation: g = g ds + (gq Pm) s'',
 * gq = gq ds (the adjoint of Pm, what filter1's weight gradient takes against drbf). In place;
 * g (s1bar -> a1bar), gq (qbar -> Pmbar), ds, Pm [n][c]. gbias [c] += the column sums of the new
 * g (filter1's bias gradient), in float over blocks of 16 rows, the blocks in double. */
void dc_schnet_filter_act_reverse(dc_schnet_act a, float *g, float *gq, float *gbias,
                                  const float *ds, const float *Pm, int64_t n, int c);

/* cfconv gather, with the cutoff product W = f fc (one filter row per pair) formed on the fly:
 * m_i = sum_{e: dst e = i} W[pair e] * x[src e]; edges sorted by dst, row_start [n+1] gives each
 * atom's edge range, of_edge [E] each edge's pair. With fd given, the tangent instead (docs/model.md
 * ("Loss and its gradient") rule m' = sum W' x + W x'), with W' = fd fdc + f fct (fd = df/dd,
 * fdc = fc d', fct = fc' d'): xt == NULL means x' = 0.
 * m [n][c], f, fd [P][c], fc, fdc, fct [P], x, xt [n][c]. */
void dc_schnet_cfconv_gather(float *m, const float *f, const float *fd, const float *fc,
                             const float *fdc, const float *fct, const float *x, const float *xt,
                             const int64_t *row_start, const int *src, const int64_t *of_edge,
                             int n_atoms, int c);

/* The widest row (filters) the cfconv kernels take: a per-row scratch lives on the stack. */
#define DC_MAX_ROW 4096

/* Reverse of cfconv and cutoff per atom pair p = {a, b}, whose filter W_p = f_p fc_p serves both
 * of its edges b -> a and a -> b; primal only (the force pass), down to the pair length:
 *   Wbar = mbar_a * x_b + mbar_b * x_a;  xbar_b += mbar_a * W;  xbar_a += mbar_b * W;
 *   dbar += sum_k Wbar_k dW_k/dd,  dW/dd = fd fc + f fcd  (fd = df/dd: the filter network's
 *   derivative, computed in the forward; so no adjoint of f is needed here).
 * gx [n][c] (accumulates), dbar [P] (accumulates); gm, x [n][c]; f, fd [P][c]; pa, pb [P]. */
void dc_schnet_cfconv_reverse_primal(float *gx, float *dbar, const float *gm, const float *x,
                                     const float *f, const float *fd, const float *fc,
                                     const float *fcd, const int *pa, const int *pb, int64_t n_pairs,
                                     int c);

/* Reverse of cfconv and cutoff over primal and tangent values (docs/model.md ("Loss and its
 * gradient") rules, summed over the pair's two edges), with W = f fc, W' = fd fdc + f fct:
 *   Wbar = mbar_a x_b + mbar_b x_a + m'bar_a x'_b + m'bar_b x'_a;  W'bar = m'bar_a x_b + m'bar_b x_a;
 *   xbar_b += mbar_a W + m'bar_a W'   (and a <-> b);   fbar = Wbar fc + W'bar fct;
 *   fdbar = W'bar fdc.
 * The primal adjoints of x only (the tangent ones come from the force pass). gf, gfd [P][c]
 * (out), gx [n][c] (accumulates), gbias [c] += the column sums of gf (filter2's bias gradient),
 * in float over blocks of 16 rows, the blocks in double. */
void dc_schnet_cfconv_reverse(float *gf, float *gfd, float *gx, const float *gm, const float *gmt,
                              const float *x, const float *xt, const float *f, const float *fd,
                              const float *fc, const float *fdc, const float *fct, const int *pa,
                              const int *pb, int64_t n_pairs, int c, float *gbias);

#endif
