/* The custom op pair_filter (dc_op.h): SchNet's continuous filter as ONE op of the pair length d,
 *   y [E][nf] = W(d) = f(d) fc(d),  f = act(a) W2^T + b2,  a = rbf(d) W1^T + b1,
 *   rbf_g(d) = exp(-gamma (d - mu_g)^2),  fc(d) = (cos(pi d / rc) + 1) / 2,
 * with hand-written rules, as the float engine computes W and dW/dd in its forward pass
 * (schnet_engine.c), instead of the six generic ops it replaces (gauss_rbf, dense, act, dense,
 * cos_cutoff, mul): the schedule is shorter and the filter's intermediates are not buffers.
 *
 * Derivation. Per row the op maps one scalar d to R^nf, so (dc_op.h: jets are derivatives along
 * one direction, x_k = d^k x / d eps^k) its planes are those of a function of a scalar curve,
 * with ' = d/dd below (Faa di Bruno):
 *   y0 = W,   y1 = W' d1,   y2 = W'' d1^2 + W' d2.
 * The derivatives of W in d, order n <= 3, through the layers:
 *   r^(n):  the Gaussians' (closed form, as gauss_rbf's),
 *   a^(n) = W1 r^(n)  (+ b1 at n = 0),
 *   s = act(a):  s' = act' a',  s'' = act'' a'^2 + act' a'',
 *                s''' = act''' a'^3 + 3 act'' a' a'' + act' a'''   (act's derivatives at a),
 *   f^(n) = W2 s^(n)  (+ b2 at n = 0),
 *   W^(n) = sum_i C(n, i) f^(i) fc^(n-i)   (Leibniz).
 * The vjp is the transpose of the linearisation of the jet map (planes 0..K of d, and theta, to
 * planes 0..K of y). In d's planes, with W and its derivatives fixed functions of d0:
 *   d0bar += sum_c y0bar W' + y1bar W'' d1 + y2bar (W''' d1^2 + W'' d2)
 *   d1bar += sum_c y1bar W' + 2 y2bar W'' d1,    d2bar += sum_c y2bar W'.
 * In the parameters: the planes depend on theta only through W, W', W'', whose adjoints are
 *   Wbar_0 = y0bar,  Wbar_1 = y1bar d1 + y2bar d2,  Wbar_2 = y2bar d1^2;
 * backwards through Leibniz, fbar_i = sum_{n >= i} C(n, i) Wbar_n fc^(n-i); through filter2,
 *   W2bar += sum_i fbar_i s^(i)^T,  b2bar += fbar_0,  sbar_i = W2^T fbar_i;
 * through the activation's jet (the tangents of a are a', a''; the pointwise rule of dc_op.c),
 *   abar_0 = sbar_0 act' + sbar_1 act'' a' + sbar_2 (act''' a'^2 + act'' a''),
 *   abar_1 = sbar_1 act' + 2 sbar_2 act'' a',   abar_2 = sbar_2 act';
 * and through filter1, W1bar += sum_i abar_i r^(i)^T,  b1bar += abar_0.
 * The planes of W are recomputed per row from d0 by each rule (nothing is cached between calls, so
 * a rule never reads values of another evaluation). */
#include <math.h>
#include <string.h>

#include "dc_op.h"

static const double PI = 3.14159265358979323846;
static const double BINOM3[4][4] = {{1, 0, 0, 0}, {1, 1, 0, 0}, {1, 2, 1, 0}, {1, 3, 3, 1}};

/* Orders 0..3 of every quantity along d, for one row; the scratch after the op's centres. */
typedef struct row_jet {
    int G, nf;
    double *r;   /* [4][G]  the Gaussians and their derivatives in d */
    double *a;   /* [4][nf] filter1's output and its derivatives */
    double *ds;  /* [4][nf] act and its derivatives 1..3 at a0 */
    double *sv;  /* [4][nf] s = act(a) and its derivatives in d */
    double *f;   /* [4][nf] filter2's output and its derivatives */
    double *w;   /* [4][nf] W = f fc and its derivatives */
    double fc[4];        /* the cutoff and its derivatives */
    double *wbar, *fbar; /* [3][nf] each: the vjp's adjoints of W^(i), f^(i) */
    double *sbar, *abar; /* [3][nf] each: of s^(i), a^(i) */
} row_jet;

int64_t dc_op_pair_filter_scratch(int G, int nf)
{
    return 4 * (int64_t)G + 36 * (int64_t)nf;
}

static row_jet scratch(const dc_op *op, const dc_sched *s)
{
    row_jet j;
    j.G = s->bufs[op->w].cols;
    j.nf = s->bufs[op->out].cols;
    double *p = op->mu + j.G; /* the op's own scratch: rules of one schedule run one at a time */
    j.r = p, p += 4 * j.G;
    j.a = p, p += 4 * j.nf;
    j.ds = p, p += 4 * j.nf;
    j.sv = p, p += 4 * j.nf;
    j.f = p, p += 4 * j.nf;
    j.w = p, p += 4 * j.nf;
    j.wbar = p, p += 3 * j.nf;
    j.fbar = p, p += 3 * j.nf;
    j.sbar = p, p += 3 * j.nf;
    j.abar = p;
    return j;
}

/* Orders 0..n (n <= 3) of r, a, s, f, W at the length d. */
static void filter_jet(const dc_op *op, const dc_sched *s, double d, int n, row_jet *j)
{
    const int G = j->G, nf = j->nf;
    const double *w1 = s->bufs[op->w].val[0], *b1 = s->bufs[op->b].val[0];
    const double *w2 = s->bufs[op->w2].val[0], *b2 = s->bufs[op->b2].val[0];
    const double g = op->alpha;
    for (int k = 0; k < G; k++) {
        const double m = d - op->mu[k], e = exp(-g * m * m);
        j->r[k] = e;
        j->r[G + k] = -2.0 * g * m * e;
        j->r[2 * G + k] = (4.0 * g * g * m * m - 2.0 * g) * e;
        j->r[3 * G + k] = (12.0 * g * g * m - 8.0 * g * g * g * m * m * m) * e;
    }
    for (int o = 0; o < nf; o++) {
        const double *wo = w1 + (int64_t)o * G;
        for (int i = 0; i <= n; i++) {
            double acc = i == 0 ? b1[o] : 0.0;
            for (int k = 0; k < G; k++) acc += wo[k] * j->r[i * G + k];
            j->a[i * nf + o] = acc;
        }
        double dv[DC_ACT_MAX_ORDER + 1];
        dc_act_eval(op->act, j->a[o], 3, dv);
        const double a1 = n >= 1 ? j->a[nf + o] : 0.0, a2 = n >= 2 ? j->a[2 * nf + o] : 0.0,
                     a3 = n >= 3 ? j->a[3 * nf + o] : 0.0;
        for (int i = 0; i < 4; i++) j->ds[i * nf + o] = dv[i];
        j->sv[o] = dv[0];
        j->sv[nf + o] = dv[1] * a1;
        j->sv[2 * nf + o] = dv[2] * a1 * a1 + dv[1] * a2;
        j->sv[3 * nf + o] = dv[3] * a1 * a1 * a1 + 3.0 * dv[2] * a1 * a2 + dv[1] * a3;
    }
    for (int o = 0; o < nf; o++) {
        const double *wo = w2 + (int64_t)o * nf;
        for (int i = 0; i <= n; i++) {
            double acc = i == 0 ? b2[o] : 0.0;
            for (int c = 0; c < nf; c++) acc += wo[c] * j->sv[i * nf + c];
            j->f[i * nf + o] = acc;
        }
    }
    const double q = PI / op->beta, c = cos(q * d), sn = sin(q * d);
    j->fc[0] = 0.5 * (c + 1.0), j->fc[1] = -0.5 * q * sn, j->fc[2] = -0.5 * q * q * c;
    j->fc[3] = 0.5 * q * q * q * sn;
    for (int i = 0; i <= n; i++)
        for (int o = 0; o < nf; o++) {
            double acc = 0.0;
            for (int l = 0; l <= i; l++) acc += BINOM3[i][l] * j->f[l * nf + o] * j->fc[i - l];
            j->w[i * nf + o] = acc;
        }
}

void dc_op_pair_filter_eval(const dc_op *op, dc_sched *s, int k)
{
    const dc_buf *x = &s->bufs[op->in[0]];
    dc_buf *y = &s->bufs[op->out];
    row_jet j = scratch(op, s);
    const int nf = j.nf;
    for (int64_t r = 0; r < y->rows; r++) {
        filter_jet(op, s, x->val[0][r], k, &j);
        double *yr = y->val[k] + r * nf;
        const double d1 = k >= 1 ? x->val[1][r] : 0.0, d2 = k >= 2 ? x->val[2][r] : 0.0;
        for (int o = 0; o < nf; o++)
            yr[o] = k == 0   ? j.w[o]
                    : k == 1 ? j.w[nf + o] * d1
                             : j.w[2 * nf + o] * d1 * d1 + j.w[nf + o] * d2;
    }
}

/* The parameter adjoints of one row, from Wbar_i = j->wbar[i] (i <= K) (the derivation above). */
static void params_vjp(const dc_op *op, dc_sched *s, int K, row_jet *j)
{
    const int G = j->G, nf = j->nf;
    const double *w2 = s->bufs[op->w2].val[0];
    double *w1bar = s->bufs[op->w].adj[0], *b1bar = s->bufs[op->b].adj[0];
    double *w2bar = s->bufs[op->w2].adj[0], *b2bar = s->bufs[op->b2].adj[0];
    for (int i = 0; i <= K; i++)
        for (int o = 0; o < nf; o++) {
            double acc = 0.0;
            for (int n = i; n <= K; n++) acc += BINOM3[n][i] * j->wbar[n * nf + o] * j->fc[n - i];
            j->fbar[i * nf + o] = acc;
        }
    for (int i = 0; i <= K; i++) memset(j->sbar + i * nf, 0, (size_t)nf * sizeof *j->sbar);
    for (int o = 0; o < nf; o++) {
        const double *wo = w2 + (int64_t)o * nf;
        for (int i = 0; i <= K; i++) {
            const double fb = j->fbar[i * nf + o];
            double *sb = j->sbar + i * nf;
            for (int c = 0; c < nf; c++) sb[c] += wo[c] * fb;
            if (w2bar)
                for (int c = 0; c < nf; c++) w2bar[(int64_t)o * nf + c] += fb * j->sv[i * nf + c];
        }
        if (b2bar) b2bar[o] += j->fbar[o];
    }
    for (int o = 0; o < nf; o++) {
        const double s0 = j->sbar[o], s1 = K >= 1 ? j->sbar[nf + o] : 0.0,
                     s2 = K >= 2 ? j->sbar[2 * nf + o] : 0.0;
        const double a1 = j->a[nf + o], a2 = K >= 1 ? j->a[2 * nf + o] : 0.0; /* orders <= K + 1 */
        const double g1 = j->ds[nf + o], g2 = j->ds[2 * nf + o], g3 = j->ds[3 * nf + o];
        j->abar[o] = s0 * g1 + s1 * g2 * a1 + s2 * (g3 * a1 * a1 + g2 * a2);
        j->abar[nf + o] = s1 * g1 + 2.0 * s2 * g2 * a1;
        j->abar[2 * nf + o] = s2 * g1;
        if (b1bar) b1bar[o] += j->abar[o];
        if (w1bar)
            for (int i = 0; i <= K; i++)
                for (int k = 0; k < G; k++)
                    w1bar[(int64_t)o * G + k] += j->abar[i * nf + o] * j->r[i * G + k];
    }
}

void dc_op_pair_filter_vjp(const dc_op *op, dc_sched *s, int K, int jmax)
{
    dc_buf *x = &s->bufs[op->in[0]];
    const dc_buf *y = &s->bufs[op->out];
    row_jet j = scratch(op, s);
    const int nf = j.nf;
    for (int64_t r = 0; r < y->rows; r++) {
        /* W''' enters d0bar only through y2bar: order K + 1 */
        filter_jet(op, s, x->val[0][r], K + 1, &j);
        const double d1 = K >= 1 ? x->val[1][r] : 0.0, d2 = K >= 2 ? x->val[2][r] : 0.0;
        const double *y0 = y->adj[0] + r * nf, *y1 = K >= 1 ? y->adj[1] + r * nf : NULL,
                     *y2 = K >= 2 ? y->adj[2] + r * nf : NULL;
        double b0 = 0.0, b1 = 0.0, b2 = 0.0;
        for (int o = 0; o < nf; o++) {
            /* orders above K + 1 were not computed (and enter only with zero weights) */
            const double w1 = j.w[nf + o], w2 = K >= 1 ? j.w[2 * nf + o] : 0.0,
                         w3 = K >= 2 ? j.w[3 * nf + o] : 0.0;
            const double g1 = y1 ? y1[o] : 0.0, g2 = y2 ? y2[o] : 0.0;
            b0 += y0[o] * w1 + g1 * w2 * d1 + g2 * (w3 * d1 * d1 + w2 * d2);
            b1 += g1 * w1 + 2.0 * g2 * w2 * d1;
            b2 += g2 * w1;
        }
        x->adj[0][r] += b0;
        if (jmax >= 1) x->adj[1][r] += b1;
        if (jmax >= 2) x->adj[2][r] += b2;
        if (!s->has_grad) continue;
        for (int o = 0; o < nf; o++) {
            const double g1 = y1 ? y1[o] : 0.0, g2 = y2 ? y2[o] : 0.0;
            j.wbar[o] = y0[o];
            j.wbar[nf + o] = g1 * d1 + g2 * d2;
            j.wbar[2 * nf + o] = g2 * d1 * d1;
        }
        params_vjp(op, s, K, &j);
    }
}
