/* DimeNet++'s op kinds (dc_op.h; ../shared/spec/DIMENET.md "Bases"):
 *   recip         y = 1 / x, for cos theta = (u . w) / (|u| |w|) from the kit's gather/mul/row sum;
 *   concat        y = [x, z] along the columns (the embedding block's [h_i, h_j, r_e]);
 *   dimenet_rbf   y_n = u(x) sin(f_n x), x = d / c, with the frequencies f a trained parameter;
 *   sph_radial    y_ln = u(x) N_ln j_l(z_ln x): the radial half of the spherical basis, per edge;
 *   sph_angular   y_ln = K_l P_l(cos theta): its angular half, per triplet (repeated over n so that
 *                 the kit's mul forms the product after a gather of the radial half by idx_kj).
 * The last three are "column functions" of one scalar per row, y [r][c] = f_c(x [r]), so their jet
 * rules are those of dc_op.c's pointwise ops (Faa di Bruno along the row's scalar):
 *   y1 = f' x1,  y2 = f'' x1^2 + f' x2,
 *   x0bar += sum_c y0bar f' + y1bar f'' x1 + y2bar (f''' x1^2 + f'' x2),
 *   x1bar += sum_c y1bar f' + 2 y2bar f'' x1,   x2bar += sum_c y2bar f',
 * and for the rbf's frequency f_c (each column its own parameter), with g = d f_c / d freq_c:
 *   freq_c bar += y0bar g + y1bar g' x1 + y2bar (g'' x1^2 + g' x2).
 * The envelope u(x) = 1/x + a x^(p-1) + b x^p + cc x^(p+1) for x < 1 (else 0) is singular at 0: the
 * family refuses coincident atoms before it gets here. Derivatives in d are those in x over c^m. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dc_op.h"

static const double PI = 3.14159265358979323846;
static const double BINOM4[4][4] = {{1, 0, 0, 0}, {1, 1, 0, 0}, {1, 2, 1, 0}, {1, 3, 3, 1}};

static dc_buf *B(dc_sched *s, int id) { return &s->bufs[id]; }
static int64_t size_of(const dc_buf *b) { return b->rows * (int64_t)b->cols; }

/* ---- recip ---- */

static void recip_derivs(double x, double d[4])
{
    const double r = 1.0 / x;
    d[0] = r, d[1] = -r * r, d[2] = 2.0 * r * r * r, d[3] = -6.0 * r * r * r * r;
}

void dc_op_recip_eval(const dc_op *op, dc_sched *s, int k)
{
    dc_buf *x = B(s, op->in[0]), *y = B(s, op->out);
    double d[4];
    for (int64_t q = 0; q < size_of(y); q++) {
        recip_derivs(x->val[0][q], d);
        if (k == 0) y->val[0][q] = d[0];
        else if (k == 1) y->val[1][q] = d[1] * x->val[1][q];
        else y->val[2][q] = d[2] * x->val[1][q] * x->val[1][q] + d[1] * x->val[2][q];
    }
}

void dc_op_recip_vjp(const dc_op *op, dc_sched *s, int K, int jmax)
{
    dc_buf *x = B(s, op->in[0]), *y = B(s, op->out);
    double d[4];
    for (int64_t q = 0; q < size_of(y); q++) {
        recip_derivs(x->val[0][q], d);
        const double y0 = y->adj[0][q], y1 = K >= 1 ? y->adj[1][q] : 0.0,
                     y2 = K >= 2 ? y->adj[2][q] : 0.0;
        const double x1 = K >= 1 ? x->val[1][q] : 0.0, x2 = K >= 2 ? x->val[2][q] : 0.0;
        x->adj[0][q] += y0 * d[1] + y1 * d[2] * x1 + y2 * (d[3] * x1 * x1 + d[2] * x2);
        if (jmax >= 1) x->adj[1][q] += y1 * d[1] + 2.0 * y2 * d[2] * x1;
        if (jmax >= 2) x->adj[2][q] += y2 * d[1];
    }
}

/* ---- concat ---- */

void dc_op_concat_eval(const dc_op *op, dc_sched *s, int k)
{
    dc_buf *x = B(s, op->in[0]), *z = B(s, op->in[1]), *y = B(s, op->out);
    const int a = x->cols, b = z->cols;
    for (int64_t r = 0; r < y->rows; r++) {
        memcpy(y->val[k] + r * (a + b), x->val[k] + r * a, (size_t)a * sizeof(double));
        memcpy(y->val[k] + r * (a + b) + a, z->val[k] + r * b, (size_t)b * sizeof(double));
    }
}

void dc_op_concat_vjp(const dc_op *op, dc_sched *s, int K, int jmax)
{
    (void)K;
    dc_buf *x = B(s, op->in[0]), *z = B(s, op->in[1]), *y = B(s, op->out);
    const int a = x->cols, b = z->cols;
    for (int j = 0; j <= jmax; j++)
        for (int64_t r = 0; r < y->rows; r++) {
            const double *g = y->adj[j] + r * (a + b);
            for (int i = 0; i < a; i++) x->adj[j][r * a + i] += g[i];
            for (int i = 0; i < b; i++) z->adj[j][r * b + i] += g[a + i];
        }
}

/* ---- the column functions: dimenet_rbf, sph_radial, sph_angular ----
 * op->mu: scratch d [4][cols] and g [3][cols] first, then the kind's constants (sph_radial: S, z
 * and N [S R], then j_l's derivative polynomials [S][4][2][S + 4]). */

static int64_t columns_scratch(int cols) { return 7 * (int64_t)cols; }
static int poly_len(int S) { return S + 4; }

/* u^(m)(x), m = 0..3, for exponent p (op->beta): a power series in x with falling factorials. */
static void envelope(double x, int p, double u[4])
{
    const double a = -(p + 1.0) * (p + 2.0) / 2.0, b = p * (p + 2.0), cc = -p * (p + 1.0) / 2.0;
    const double coef[4] = {1.0, a, b, cc}, expo[4] = {-1.0, p - 1.0, p, p + 1.0};
    for (int m = 0; m < 4; m++) {
        u[m] = 0.0;
        if (!(x < 1.0)) continue;
        for (int t = 0; t < 4; t++) {
            double f = coef[t];
            for (int i = 0; i < m; i++) f *= expo[t] - i;
            u[m] += f * pow(x, expo[t] - m);
        }
    }
}

/* sin^(j)(t) */
static double sin_d(double t, int j)
{
    switch (j & 3) {
    case 0: return sin(t);
    case 1: return cos(t);
    case 2: return -sin(t);
    default: return -cos(t);
    }
}

/* rbf: f_n(x) = u(x) sin(w x); d/dx^m = sum_i C(m, i) u^(i) w^(m-i) sin^(m-i)(w x); and its
 * derivative in w, using d/dw [w^j sin^(j)(w x)] = j w^(j-1) sin^(j)(w x) + w^j x sin^(j+1)(w x). */
static void rbf_col(double x, double w, int p, int n, double *d, double *g, int cols, int c)
{
    double u[4];
    envelope(x, p, u);
    double sj[4], dsj[4]; /* w^j sin^(j)(w x) and its derivative in w */
    for (int j = 0; j <= n; j++) {
        const double wj = pow(w, j);
        sj[j] = wj * sin_d(w * x, j);
        dsj[j] = (j ? j * pow(w, j - 1) * sin_d(w * x, j) : 0.0) + wj * x * sin_d(w * x, j + 1);
    }
    for (int m = 0; m <= n; m++) {
        double v = 0.0, dv = 0.0;
        for (int i = 0; i <= m; i++) {
            v += BINOM4[m][i] * u[i] * sj[m - i];
            dv += BINOM4[m][i] * u[i] * dsj[m - i];
        }
        d[m * cols + c] = v;
        if (g && m < 3) g[m * cols + c] = dv;
    }
}

/* j_l^(q)(y) from the polynomials A, B [2][len] of order q: sin y A(1/y) + cos y B(1/y). */
static double bessel_poly(const double *ab, int len, double y)
{
    const double inv = 1.0 / y;
    double ps = 0.0, pc = 0.0, v = 1.0;
    for (int k = 0; k < len; k++, v *= inv) {
        ps += ab[k] * v;
        pc += ab[len + k] * v;
    }
    return sin(y) * ps + cos(y) * pc;
}

/* Orders 0..n (n <= 3) of every column at the row's scalar x; g (NULL: none) the rbf's
 * frequency derivatives of orders 0..min(n, 2). */
static void columns_at(const dc_op *op, const dc_sched *s, double x, int n, double *d, double *g)
{
    const int cols = s->bufs[op->out].cols;
    if (op->kind == DC_OP_DIMENET_RBF) {
        const double c = op->alpha, *freq = s->bufs[op->w].val[0];
        for (int col = 0; col < cols; col++) {
            rbf_col(x / c, freq[col], (int)op->beta, n, d, g, cols, col);
            for (int m = 1; m <= n; m++) {
                d[m * cols + col] /= pow(c, m);
                if (g && m < 3) g[m * cols + col] /= pow(c, m);
            }
        }
        return;
    }
    if (op->kind == DC_OP_SPH_ANGULAR) {
        const int S = (int)op->alpha, R = (int)op->beta;
        double P[4][2] = {{0}}; /* P_{l-1}^(m), P_l^(m) */
        for (int l = 0; l < S; l++) {
            double cur[4];
            if (l == 0) {
                for (int m = 0; m < 4; m++) cur[m] = m == 0 ? 1.0 : 0.0;
            } else if (l == 1) {
                for (int m = 0; m < 4; m++) cur[m] = m == 0 ? x : m == 1 ? 1.0 : 0.0;
            } else {
                const int q = l - 1; /* (q+1) P_{q+1} = (2q+1) x P_q - q P_{q-1} */
                for (int m = 0; m < 4; m++)
                    cur[m] = ((2 * q + 1) * (x * P[m][1] + (m ? m * P[m - 1][1] : 0.0)) -
                              q * P[m][0]) / (q + 1);
            }
            for (int m = 0; m < 4; m++) P[m][0] = P[m][1], P[m][1] = cur[m];
            const double K = sqrt((2 * l + 1) / (4.0 * PI));
            for (int m = 0; m <= n; m++)
                for (int r = 0; r < R; r++) d[m * cols + l * R + r] = K * cur[m];
        }
        return;
    }
    /* sph_radial: constants S, z [S R], N [S R], the polynomials */
    const double c = op->alpha, *kc = op->mu + columns_scratch(cols);
    const int S = (int)kc[0], Rn = cols / S, len = poly_len(S);
    const double *z = kc + 1, *N = z + cols, *poly = N + cols;
    double u[4];
    envelope(x / c, (int)op->beta, u);
    for (int l = 0; l < S; l++)
        for (int r = 0; r < Rn; r++) {
            const int col = l * Rn + r;
            const double zz = z[col], y = zz * x / c;
            double jq[4];
            for (int q = 0; q <= n; q++)
                jq[q] = pow(zz, q) * bessel_poly(poly + ((int64_t)l * 4 + q) * 2 * len, len, y);
            for (int m = 0; m <= n; m++) {
                double v = 0.0;
                for (int i = 0; i <= m; i++) v += BINOM4[m][i] * u[i] * jq[m - i];
                d[m * cols + col] = N[col] * v / pow(c, m);
            }
        }
}

void dc_op_columns_eval(const dc_op *op, dc_sched *s, int k)
{
    dc_buf *x = B(s, op->in[0]), *y = B(s, op->out);
    const int cols = y->cols;
    double *d = op->mu;
    for (int64_t r = 0; r < y->rows; r++) {
        columns_at(op, s, x->val[0][r], k, d, NULL);
        const double x1 = k >= 1 ? x->val[1][r] : 0.0, x2 = k >= 2 ? x->val[2][r] : 0.0;
        double *yr = y->val[k] + r * cols;
        for (int c = 0; c < cols; c++)
            yr[c] = k == 0   ? d[c]
                    : k == 1 ? d[cols + c] * x1
                             : d[2 * cols + c] * x1 * x1 + d[cols + c] * x2;
    }
}

void dc_op_columns_vjp(const dc_op *op, dc_sched *s, int K, int jmax)
{
    dc_buf *x = B(s, op->in[0]), *y = B(s, op->out);
    const int cols = y->cols;
    double *d = op->mu, *g = op->mu + 4 * (int64_t)cols;
    double *fbar = op->kind == DC_OP_DIMENET_RBF && s->has_grad ? s->bufs[op->w].adj[0] : NULL;
    for (int64_t r = 0; r < y->rows; r++) {
        columns_at(op, s, x->val[0][r], K + 1, d, fbar ? g : NULL);
        const double x1 = K >= 1 ? x->val[1][r] : 0.0, x2 = K >= 2 ? x->val[2][r] : 0.0;
        const double *y0 = y->adj[0] + r * cols, *y1 = K >= 1 ? y->adj[1] + r * cols : NULL,
                     *y2 = K >= 2 ? y->adj[2] + r * cols : NULL;
        double b0 = 0.0, b1 = 0.0, b2 = 0.0;
        for (int c = 0; c < cols; c++) {
            const double f1 = d[cols + c], f2 = K >= 1 ? d[2 * cols + c] : 0.0,
                         f3 = K >= 2 ? d[3 * cols + c] : 0.0;
            const double a1 = y1 ? y1[c] : 0.0, a2 = y2 ? y2[c] : 0.0;
            b0 += y0[c] * f1 + a1 * f2 * x1 + a2 * (f3 * x1 * x1 + f2 * x2);
            b1 += a1 * f1 + 2.0 * a2 * f2 * x1;
            b2 += a2 * f1;
            if (fbar) {
                const double g0 = g[c], g1 = K >= 1 ? g[cols + c] : 0.0,
                             g2 = K >= 2 ? g[2 * cols + c] : 0.0;
                fbar[c] += y0[c] * g0 + a1 * g1 * x1 + a2 * (g2 * x1 * x1 + g1 * x2);
            }
        }
        x->adj[0][r] += b0;
        if (jmax >= 1) x->adj[1][r] += b1;
        if (jmax >= 2) x->adj[2][r] += b2;
    }
}

/* ---- builders ---- */

static int valid(const dc_sched *s, int id) { return id >= 0 && id < s->n_bufs; }

int dc_sched_recip(dc_sched *s, const char *name, int x)
{
    if (s->failed) return -1;
    if (!valid(s, x)) return dc_sched_fail(s, name, "bad input");
    return dc_sched_push(s, name, dc_sched_blank_op(DC_OP_RECIP, x, -1), s->bufs[x].rows,
                         s->bufs[x].cols);
}

int dc_sched_concat(dc_sched *s, const char *name, int x, int z)
{
    if (s->failed) return -1;
    if (!valid(s, x) || !valid(s, z) || s->bufs[x].rows != s->bufs[z].rows)
        return dc_sched_fail(s, name, "concat: x and z differ in rows");
    return dc_sched_push(s, name, dc_sched_blank_op(DC_OP_CONCAT, x, z), s->bufs[x].rows,
                         s->bufs[x].cols + s->bufs[z].cols);
}

/* A column-function op on d [rows][1] with cols outputs and extra constants after the scratch. */
static int columns_op(dc_sched *s, const char *name, dc_op op, int d, int cols, int64_t extra,
                      double **constants)
{
    if (s->failed) return -1;
    if (!valid(s, d) || s->bufs[d].cols != 1 || cols < 1)
        return dc_sched_fail(s, name, "x has one column, and there is one output column or more");
    op.mu = calloc((size_t)(columns_scratch(cols) + extra + 1), sizeof *op.mu);
    if (!op.mu) return dc_sched_fail(s, name, "out of memory");
    if (constants) *constants = op.mu + columns_scratch(cols);
    const int id = dc_sched_push(s, name, op, s->bufs[d].rows, cols);
    if (id < 0) free(op.mu);
    return id;
}

int dc_sched_dimenet_rbf(dc_sched *s, const char *name, int d, int freq, double cutoff, int p)
{
    if (s->failed) return -1;
    if (!valid(s, freq) || !s->bufs[freq].param || !(cutoff > 0.0) || p < 1)
        return dc_sched_fail(s, name, "dimenet_rbf: freq is a parameter, cutoff > 0, p >= 1");
    dc_op op = dc_sched_blank_op(DC_OP_DIMENET_RBF, d, -1);
    op.w = freq, op.alpha = cutoff, op.beta = p;
    return columns_op(s, name, op, d,
                      (int)(s->bufs[freq].rows * s->bufs[freq].cols), 0, NULL);
}

/* The polynomials of j_l^(q), l < S, q <= 3, into poly [S][4][2][len]: j_0 = sin y / y,
 * j_1 = sin y / y^2 - cos y / y, j_{l+1} = (2l+1)/y j_l - j_{l-1}; and a derivative maps
 * (A, B) to A'[k] = -B[k] - (k-1) A[k-1], B'[k] = A[k] - (k-1) B[k-1]. */
static void bessel_polys(int S, double *poly)
{
    const int len = poly_len(S);
#define AB(l, q, h, k) poly[((((int64_t)(l) * 4 + (q)) * 2 + (h)) * len) + (k)]
    for (int l = 0; l < S; l++) {
        if (l == 0) AB(0, 0, 0, 1) = 1.0;
        else if (l == 1) AB(1, 0, 0, 2) = 1.0, AB(1, 0, 1, 1) = -1.0;
        else
            for (int h = 0; h < 2; h++)
                for (int k = 0; k < len; k++)
                    AB(l, 0, h, k) = (k ? (2 * l - 1) * AB(l - 1, 0, h, k - 1) : 0.0) -
                                     AB(l - 2, 0, h, k);
        for (int q = 1; q < 4; q++)
            for (int k = 0; k < len; k++) {
                const double a_1 = k ? AB(l, q - 1, 0, k - 1) : 0.0,
                             b_1 = k ? AB(l, q - 1, 1, k - 1) : 0.0;
                AB(l, q, 0, k) = -AB(l, q - 1, 1, k) - (k - 1) * a_1;
                AB(l, q, 1, k) = AB(l, q - 1, 0, k) - (k - 1) * b_1;
            }
    }
#undef AB
}

int dc_sched_sph_radial(dc_sched *s, const char *name, int d, const double *z, const double *N,
                        int S, int R, double cutoff, int p)
{
    if (s->failed) return -1;
    if (S < 1 || R < 1 || !(cutoff > 0.0) || p < 1)
        return dc_sched_fail(s, name, "sph_radial: S, R >= 1, cutoff > 0, p >= 1");
    dc_op op = dc_sched_blank_op(DC_OP_SPH_RADIAL, d, -1);
    op.alpha = cutoff, op.beta = p;
    const int cols = S * R;
    double *k = NULL;
    /* constants: S, then z [S R], N [S R], the polynomials */
    const int id = columns_op(s, name, op, d, cols,
                              1 + 2 * (int64_t)cols + (int64_t)S * 8 * poly_len(S), &k);
    if (id < 0) return -1;
    k[0] = S;
    memcpy(k + 1, z, (size_t)cols * sizeof *z);
    memcpy(k + 1 + cols, N, (size_t)cols * sizeof *N);
    bessel_polys(S, k + 1 + 2 * cols);
    return id;
}

int dc_sched_sph_angular(dc_sched *s, const char *name, int cos_theta, int S, int R)
{
    if (s->failed) return -1;
    if (S < 1 || R < 1) return dc_sched_fail(s, name, "sph_angular: S, R >= 1");
    dc_op op = dc_sched_blank_op(DC_OP_SPH_ANGULAR, cos_theta, -1);
    op.alpha = S, op.beta = R;
    return columns_op(s, name, op, cos_theta, S * R, 0, NULL);
}
