/* Layers of the double-precision reference SchNet: straightforward loops, no blocking, because
 * this code is the yardstick the fast engine is measured against. Its rules: docs/model.md, "Loss and its gradient". */
#include "schnet_ref_layers.h"

#include <math.h>
#include <stddef.h>

/* ---- activations: value, first and second derivative ---- */

static const double LN2 = 0.69314718055994530942;

/* ln(1 + e^x) without overflow for large x nor loss of digits for very negative x. */
static double softplus(double x) { return fmax(x, 0.0) + log1p(exp(-fabs(x))); }

static double sigmoid(double x)
{
    if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
    double ex = exp(x);
    return ex / (1.0 + ex);
}

static double act_value(double x, ref_act a)
{
    if (a.irelu) return x > 0.0 ? a.c * x * x : 0.0;
    return softplus(x) - LN2;
}

static double act_d1(double x, ref_act a)
{
    if (a.irelu) return x > 0.0 ? 2.0 * a.c * x : 0.0;
    return sigmoid(x);
}

static double act_d2(double x, ref_act a)
{
    if (a.irelu) return x > 0.0 ? 2.0 * a.c : 0.0;
    double s = sigmoid(x);
    return s * (1.0 - s);
}

void dc_ref_act_forward(double *y, const double *x, int64_t n, ref_act act)
{
    for (int64_t k = 0; k < n; k++) y[k] = act_value(x[k], act);
}

void dc_ref_act_tangent(double *yt, const double *x, const double *xt, int64_t n, ref_act act)
{
    for (int64_t k = 0; k < n; k++) yt[k] = act_d1(x[k], act) * xt[k];
}

void dc_ref_act_backward(double *xbar, double *xtbar, const double *ybar, const double *ytbar,
                         const double *x, const double *xt, int64_t n, ref_act act)
{
    for (int64_t k = 0; k < n; k++) {
        double s1 = act_d1(x[k], act);
        xbar[k] += ybar[k] * s1;
        if (ytbar) {
            xbar[k] += ytbar[k] * act_d2(x[k], act) * xt[k];
            xtbar[k] += ytbar[k] * s1;
        }
    }
}

/* ---- dense ---- */

void dc_ref_dense_forward(double *y, const double *x, const double *w, const double *b, int64_t rows,
                          int in, int out)
{
    for (int64_t r = 0; r < rows; r++) {
        const double *xr = x + r * in;
        double *yr = y + r * out;
        for (int o = 0; o < out; o++) {
            const double *wo = w + (int64_t)o * in;
            double s = b ? b[o] : 0.0;
            for (int i = 0; i < in; i++) s += xr[i] * wo[i];
            yr[o] = s;
        }
    }
}

void dc_ref_dense_backward(double *xbar, double *wbar, double *bbar, const double *ybar, const double *x,
                           const double *w, int64_t rows, int in, int out)
{
    for (int64_t r = 0; r < rows; r++) {
        const double *xr = x + r * in, *gr = ybar + r * out;
        for (int o = 0; o < out; o++) {
            double go = gr[o];
            if (go == 0.0) continue; /* exact: every term below is a product with go */
            const double *wo = w + (int64_t)o * in;
            if (xbar)
                for (int i = 0; i < in; i++) xbar[r * in + i] += go * wo[i];
            if (wbar)
                for (int i = 0; i < in; i++) wbar[(int64_t)o * in + i] += go * xr[i];
            if (bbar) bbar[o] += go;
        }
    }
}

/* ---- cosine cutoff product ---- */

void dc_ref_cutoff_forward(double *wf, const double *f, const double *fc, int64_t E, int nf)
{
    for (int64_t e = 0; e < E; e++)
        for (int k = 0; k < nf; k++) wf[e * nf + k] = f[e * nf + k] * fc[e];
}

void dc_ref_cutoff_tangent(double *wft, const double *f, const double *ft, const double *fc,
                           const double *fct, int64_t E, int nf)
{
    for (int64_t e = 0; e < E; e++)
        for (int k = 0; k < nf; k++)
            wft[e * nf + k] = ft[e * nf + k] * fc[e] + f[e * nf + k] * fct[e];
}

void dc_ref_cutoff_backward(double *fbar, double *ftbar, double *fcbar, const double *wfbar,
                            const double *wftbar, const double *f, const double *fc, const double *fct,
                            int64_t E, int nf)
{
    for (int64_t e = 0; e < E; e++) {
        double s = 0.0;
        for (int k = 0; k < nf; k++) {
            int64_t q = e * nf + k;
            fbar[q] += wfbar[q] * fc[e];
            if (wftbar) {
                fbar[q] += wftbar[q] * fct[e];
                ftbar[q] += wftbar[q] * fc[e];
            }
            s += wfbar[q] * f[q];
        }
        if (fcbar) fcbar[e] += s;
    }
}

/* ---- continuous-filter convolution ---- */

void dc_ref_cfconv_forward(double *m, const double *wf, const double *x, const int *src, const int *dst,
                           int N, int64_t E, int nf)
{
    for (int64_t q = 0; q < (int64_t)N * nf; q++) m[q] = 0.0;
    for (int64_t e = 0; e < E; e++) {
        double *mi = m + (int64_t)dst[e] * nf;
        const double *xj = x + (int64_t)src[e] * nf, *we = wf + e * nf;
        for (int k = 0; k < nf; k++) mi[k] += we[k] * xj[k];
    }
}

void dc_ref_cfconv_tangent(double *mt, const double *wf, const double *wft, const double *x,
                           const double *xt, const int *src, const int *dst, int N, int64_t E, int nf)
{
    for (int64_t q = 0; q < (int64_t)N * nf; q++) mt[q] = 0.0;
    for (int64_t e = 0; e < E; e++) {
        double *mi = mt + (int64_t)dst[e] * nf;
        const double *xj = x + (int64_t)src[e] * nf, *we = wf + e * nf, *wte = wft + e * nf;
        for (int k = 0; k < nf; k++) mi[k] += wte[k] * xj[k];
        if (xt) {
            const double *xtj = xt + (int64_t)src[e] * nf;
            for (int k = 0; k < nf; k++) mi[k] += we[k] * xtj[k];
        }
    }
}

void dc_ref_cfconv_backward(double *wfbar, double *wftbar, double *xbar, double *xtbar, const double *mbar,
                            const double *mtbar, const double *wf, const double *wft, const double *x,
                            const double *xt, const int *src, const int *dst, int64_t E, int nf)
{
    for (int64_t e = 0; e < E; e++) {
        int64_t i = dst[e], j = src[e];
        for (int k = 0; k < nf; k++) {
            int64_t q = e * nf + k, ik = i * nf + k, jk = j * nf + k;
            wfbar[q] += mbar[ik] * x[jk];
            xbar[jk] += mbar[ik] * wf[q];
            if (mtbar) {
                if (xt) wfbar[q] += mtbar[ik] * xt[jk];
                wftbar[q] += mtbar[ik] * x[jk];
                xbar[jk] += mtbar[ik] * wft[q];
                xtbar[jk] += mtbar[ik] * wf[q];
            }
        }
    }
}
