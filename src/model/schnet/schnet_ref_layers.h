/* Layers of the double-precision reference SchNet (internal to src/model/schnet/schnet_ref*.c).
 *
 * Every layer has a primal forward, a tangent forward (the directional derivative along the force
 * seed g of docs/model.md "Loss and its gradient", written x') and one backward that carries both adjoints (xbar of x and
 * xtbar of x'). Tangent pointers may be NULL where the tangent is identically zero (the force pass
 * runs before any tangent exists); then only the primal adjoint flows.
 * Backward functions ACCUMULATE (+=) into their outputs: callers zero them first. */
#ifndef DCSWEEP_SCHNET_REF_LAYERS_H
#define DCSWEEP_SCHNET_REF_LAYERS_H

#include <stdint.h>

typedef struct ref_act {
    int irelu;      /* 0: shifted softplus, 1: irelu_c */
    double c;
} ref_act;

/* y[rows][out] = x[rows][in] W^T + b; W [out][in], b [out] or NULL (tangents take no bias). */
void dc_ref_dense_forward(double *y, const double *x, const double *w, const double *b, int64_t rows,
                          int in, int out);
/* xbar[rows][in] += ybar W, wbar[out][in] += ybar^T x, bbar[out] += column sums of ybar.
 * Any of xbar, wbar, bbar may be NULL. */
void dc_ref_dense_backward(double *xbar, double *wbar, double *bbar, const double *ybar, const double *x,
                           const double *w, int64_t rows, int in, int out);

/* y[n] = s(x) */
void dc_ref_act_forward(double *y, const double *x, int64_t n, ref_act act);
/* yt[n] = s'(x) xt */
void dc_ref_act_tangent(double *yt, const double *x, const double *xt, int64_t n, ref_act act);
/* xbar += ybar s'(x) + ytbar s''(x) xt; xtbar += ytbar s'(x). xt, ytbar, xtbar may be NULL. */
void dc_ref_act_backward(double *xbar, double *xtbar, const double *ybar, const double *ytbar,
                         const double *x, const double *xt, int64_t n, ref_act act);

/* wf[E][nf] = f * fc (fc per edge) */
void dc_ref_cutoff_forward(double *wf, const double *f, const double *fc, int64_t E, int nf);
/* wft = ft fc + f fct */
void dc_ref_cutoff_tangent(double *wft, const double *f, const double *ft, const double *fc,
                           const double *fct, int64_t E, int nf);
/* fbar += wfbar fc + wftbar fct; ftbar += wftbar fc; fcbar[E] += sum_k wfbar f (the way to d for
 * forces; fct, wftbar, ftbar, fcbar may be NULL). */
void dc_ref_cutoff_backward(double *fbar, double *ftbar, double *fcbar, const double *wfbar,
                            const double *wftbar, const double *f, const double *fc, const double *fct,
                            int64_t E, int nf);

/* m[N][nf] = sum over edges (j -> i) of wf_ij * x_j (m overwritten) */
void dc_ref_cfconv_forward(double *m, const double *wf, const double *x, const int *src, const int *dst,
                           int N, int64_t E, int nf);
/* mt = sum (wft_ij * x_j + wf_ij * xt_j); xt may be NULL (zero in the first block) */
void dc_ref_cfconv_tangent(double *mt, const double *wf, const double *wft, const double *x,
                           const double *xt, const int *src, const int *dst, int N, int64_t E, int nf);
/* wfbar_ij += mbar_i x_j + mtbar_i xt_j; wftbar_ij += mtbar_i x_j;
 * xbar_j += mbar_i wf_ij + mtbar_i wft_ij; xtbar_j += mtbar_i wf_ij.
 * Tangent arguments (wft, xt, mtbar, wftbar, xtbar) may be NULL. */
void dc_ref_cfconv_backward(double *wfbar, double *wftbar, double *xbar, double *xtbar, const double *mbar,
                            const double *mtbar, const double *wf, const double *wft, const double *x,
                            const double *xt, const int *src, const int *dst, int64_t E, int nf);

#endif
