/* The rules of every op kind (dc_op.h), for jets of order K <= 2 in derivative form:
 *   pointwise y = f(x):   y1 = f' x1,  y2 = f'' x1^2 + f' x2             (Faa di Bruno)
 *   product y = x z:      y_k = sum_i C(k, i) x_i z_{k-i}                 (Leibniz)
 *   linear ops (dense without its bias, add, gather, scatter-add, row sum): the same map on
 *   every plane.
 * A vjp is the transpose of the linearisation of the whole jet map (planes 0..K in and out), so
 * e.g. the pointwise rule gives x0bar += y0bar f' + y1bar f'' x1 + y2bar (f''' x1^2 + f'' x2),
 * x1bar += y1bar f' + 2 y2bar f'' x1, x2bar += y2bar f'. Every vjp ADDS into its adjoints. */
#include <math.h>
#include <string.h>

#include "dc_op.h"

static const double PI = 3.14159265358979323846;

static dc_buf *B(dc_sched *s, int id) { return &s->bufs[id]; }
static int64_t size_of(const dc_buf *b) { return b->rows * (int64_t)b->cols; }

/* The parameter adjoint of a view, or NULL when no gradient is bound. */
static double *param_adj(dc_sched *s, int id)
{
    return s->has_grad && id >= 0 ? s->bufs[id].adj[0] : NULL;
}

/* ---- pointwise functions of one input: act, sqrt, gauss_rbf, cos_cutoff ---- */

/* d[0..3]: the value and derivatives 1..3 of column col's function at x. */
static void scalar_derivs(const dc_op *op, double x, int col, double d[4])
{
    switch (op->kind) {
    case DC_OP_ACT: dc_act_eval(op->act, x, 3, d); break;
    case DC_OP_SQRT: {
        const double r = sqrt(x);
        d[0] = r, d[1] = 0.5 / r, d[2] = -0.25 / (x * r), d[3] = 0.375 / (x * x * r);
        break;
    }
    case DC_OP_GAUSS_RBF: {
        const double g = op->alpha, m = x - op->mu[col], b = exp(-g * m * m);
        d[0] = b;
        d[1] = -2.0 * g * m * b;
        d[2] = (4.0 * g * g * m * m - 2.0 * g) * b;
        d[3] = (12.0 * g * g * m - 8.0 * g * g * g * m * m * m) * b;
        break;
    }
    case DC_OP_COS_CUTOFF:
    default: {
        const double a = PI / op->alpha, c = cos(PI * x / op->alpha), sn = sin(PI * x / op->alpha);
        d[0] = 0.5 * (c + 1.0), d[1] = -0.5 * a * sn, d[2] = -0.5 * a * a * c;
        d[3] = 0.5 * a * a * a * sn;
        break;
    }
    }
}

/* Output element (r, c) reads x[r][c], or x[r] when x has one column (gauss_rbf broadcasts). */
static int64_t pointwise_src(const dc_buf *x, int64_t r, int c)
{
    return r * x->cols + (x->cols == 1 ? 0 : c);
}

static void pointwise_eval(const dc_op *op, dc_sched *s, int k)
{
    dc_buf *x = B(s, op->in[0]), *y = B(s, op->out);
    double d[4];
    for (int64_t r = 0; r < y->rows; r++)
        for (int c = 0; c < y->cols; c++) {
            const int64_t q = r * y->cols + c, p = pointwise_src(x, r, c);
            scalar_derivs(op, x->val[0][p], c, d);
            if (k == 0) y->val[0][q] = d[0];
            else if (k == 1) y->val[1][q] = d[1] * x->val[1][p];
            else y->val[2][q] = d[2] * x->val[1][p] * x->val[1][p] + d[1] * x->val[2][p];
        }
}

static void pointwise_vjp(const dc_op *op, dc_sched *s, int K, int jmax)
{
    dc_buf *x = B(s, op->in[0]), *y = B(s, op->out);
    double d[4];
    for (int64_t r = 0; r < y->rows; r++)
        for (int c = 0; c < y->cols; c++) {
            const int64_t q = r * y->cols + c, p = pointwise_src(x, r, c);
            scalar_derivs(op, x->val[0][p], c, d);
            const double y0 = y->adj[0][q], y1 = K >= 1 ? y->adj[1][q] : 0.0,
                         y2 = K >= 2 ? y->adj[2][q] : 0.0;
            const double x1 = K >= 1 ? x->val[1][p] : 0.0, x2 = K >= 2 ? x->val[2][p] : 0.0;
            x->adj[0][p] += y0 * d[1] + y1 * d[2] * x1 + y2 * (d[3] * x1 * x1 + d[2] * x2);
            if (jmax >= 1) x->adj[1][p] += y1 * d[1] + 2.0 * y2 * d[2] * x1;
            if (jmax >= 2) x->adj[2][p] += y2 * d[1];
        }
}

/* ---- dense ---- */

static void dense_eval(const dc_op *op, dc_sched *s, int k)
{
    dc_buf *x = B(s, op->in[0]), *y = B(s, op->out);
    const double *w = B(s, op->w)->val[0], *b = k == 0 && op->b >= 0 ? B(s, op->b)->val[0] : NULL;
    const int in = x->cols, out = y->cols;
    for (int64_t r = 0; r < y->rows; r++) {
        const double *xr = x->val[k] + r * in;
        double *yr = y->val[k] + r * out;
        for (int o = 0; o < out; o++) {
            const double *wo = w + (int64_t)o * in;
            double acc = b ? b[o] : 0.0;
            for (int i = 0; i < in; i++) acc += xr[i] * wo[i];
            yr[o] = acc;
        }
    }
}

/* xbar_j += ybar_j W (j <= jmax); Wbar += sum_k ybar_k^T x_k; bbar += column sums of ybar_0. */
static void dense_vjp(const dc_op *op, dc_sched *s, int K, int jmax)
{
    dc_buf *x = B(s, op->in[0]), *y = B(s, op->out);
    const double *w = B(s, op->w)->val[0];
    double *wbar = param_adj(s, op->w), *bbar = param_adj(s, op->b);
    const int in = x->cols, out = y->cols;
    for (int k = 0; k <= K; k++)
        for (int64_t r = 0; r < y->rows; r++) {
            const double *xr = x->val[k] + r * in, *gr = y->adj[k] + r * out;
            double *xbar = k <= jmax ? x->adj[k] + r * in : NULL;
            for (int o = 0; o < out; o++) {
                const double go = gr[o];
                if (go == 0.0) continue; /* exact: every term below is a product with go */
                const double *wo = w + (int64_t)o * in;
                if (xbar)
                    for (int i = 0; i < in; i++) xbar[i] += go * wo[i];
                if (wbar)
                    for (int i = 0; i < in; i++) wbar[(int64_t)o * in + i] += go * xr[i];
                if (bbar && k == 0) bbar[o] += go;
            }
        }
}

/* ---- add, mul ---- */

static void add_eval(const dc_op *op, dc_sched *s, int k)
{
    dc_buf *x = B(s, op->in[0]), *z = B(s, op->in[1]), *y = B(s, op->out);
    for (int64_t q = 0; q < size_of(y); q++)
        y->val[k][q] = op->alpha * x->val[k][q] + op->beta * z->val[k][q];
}

static void add_vjp(const dc_op *op, dc_sched *s, int K, int jmax)
{
    (void)K;
    dc_buf *x = B(s, op->in[0]), *z = B(s, op->in[1]), *y = B(s, op->out);
    for (int j = 0; j <= jmax; j++)
        for (int64_t q = 0; q < size_of(y); q++) {
            x->adj[j][q] += op->alpha * y->adj[j][q];
            z->adj[j][q] += op->beta * y->adj[j][q];
        }
}

static const double BINOM[DC_JET_MAX + 1][DC_JET_MAX + 1] = {{1, 0, 0}, {1, 1, 0}, {1, 2, 1}};

/* z's element for y's element q: the same, or its row's when z has one column. */
static int64_t mul_zsrc(const dc_buf *y, const dc_buf *z, int64_t q)
{
    return z->cols == y->cols ? q : q / y->cols;
}

static void mul_eval(const dc_op *op, dc_sched *s, int k)
{
    dc_buf *x = B(s, op->in[0]), *z = B(s, op->in[1]), *y = B(s, op->out);
    for (int64_t q = 0; q < size_of(y); q++) {
        const int64_t p = mul_zsrc(y, z, q);
        double acc = 0.0;
        for (int i = 0; i <= k; i++) acc += BINOM[k][i] * x->val[i][q] * z->val[k - i][p];
        y->val[k][q] = acc;
    }
}

/* x_j bar += sum_{k >= j} C(k, j) ybar_k z_{k-j}, and the same for z with x. */
static void mul_vjp(const dc_op *op, dc_sched *s, int K, int jmax)
{
    dc_buf *x = B(s, op->in[0]), *z = B(s, op->in[1]), *y = B(s, op->out);
    for (int64_t q = 0; q < size_of(y); q++) {
        const int64_t p = mul_zsrc(y, z, q);
        for (int j = 0; j <= jmax; j++)
            for (int k = j; k <= K; k++) {
                const double g = BINOM[k][j] * y->adj[k][q];
                x->adj[j][q] += g * z->val[k - j][p];
                z->adj[j][p] += g * x->val[k - j][q];
            }
    }
}

/* ---- index ops: gather, scatter-add, embed; row sum ---- */

static void gather_eval(const dc_op *op, dc_sched *s, int k)
{
    dc_buf *x = B(s, op->in[0]), *y = B(s, op->out);
    const int c = y->cols;
    for (int64_t r = 0; r < y->rows; r++)
        memcpy(y->val[k] + r * c, x->val[k] + (int64_t)op->idx[r] * c, (size_t)c * sizeof(double));
}

static void gather_vjp(const dc_op *op, dc_sched *s, int K, int jmax)
{
    (void)K;
    dc_buf *x = B(s, op->in[0]), *y = B(s, op->out);
    const int c = y->cols;
    for (int j = 0; j <= jmax; j++)
        for (int64_t r = 0; r < y->rows; r++)
            for (int i = 0; i < c; i++) x->adj[j][(int64_t)op->idx[r] * c + i] += y->adj[j][r * c + i];
}

static void scatter_eval(const dc_op *op, dc_sched *s, int k)
{
    dc_buf *x = B(s, op->in[0]), *y = B(s, op->out);
    const int c = y->cols;
    memset(y->val[k], 0, (size_t)size_of(y) * sizeof(double));
    for (int64_t r = 0; r < x->rows; r++)
        for (int i = 0; i < c; i++) y->val[k][(int64_t)op->idx[r] * c + i] += x->val[k][r * c + i];
}

static void scatter_vjp(const dc_op *op, dc_sched *s, int K, int jmax)
{
    (void)K;
    dc_buf *x = B(s, op->in[0]), *y = B(s, op->out);
    const int c = y->cols;
    for (int j = 0; j <= jmax; j++)
        for (int64_t r = 0; r < x->rows; r++)
            for (int i = 0; i < c; i++) x->adj[j][r * c + i] += y->adj[j][(int64_t)op->idx[r] * c + i];
}

static void row_sum_eval(const dc_op *op, dc_sched *s, int k)
{
    dc_buf *x = B(s, op->in[0]), *y = B(s, op->out);
    for (int64_t r = 0; r < x->rows; r++) {
        double acc = 0.0;
        for (int i = 0; i < x->cols; i++) acc += x->val[k][r * x->cols + i];
        y->val[k][r] = acc;
    }
}

static void row_sum_vjp(const dc_op *op, dc_sched *s, int K, int jmax)
{
    (void)K;
    dc_buf *x = B(s, op->in[0]), *y = B(s, op->out);
    for (int j = 0; j <= jmax; j++)
        for (int64_t r = 0; r < x->rows; r++)
            for (int i = 0; i < x->cols; i++) x->adj[j][r * x->cols + i] += y->adj[j][r];
}

/* A parameter has no tangent, so neither has its lookup: planes k >= 1 are zero. */
static void embed_eval(const dc_op *op, dc_sched *s, int k)
{
    dc_buf *t = B(s, op->w), *y = B(s, op->out);
    const int c = y->cols;
    if (k > 0) {
        memset(y->val[k], 0, (size_t)size_of(y) * sizeof(double));
        return;
    }
    for (int64_t r = 0; r < y->rows; r++)
        memcpy(y->val[0] + r * c, t->val[0] + (int64_t)op->idx[r] * c, (size_t)c * sizeof(double));
}

static void embed_vjp(const dc_op *op, dc_sched *s, int K, int jmax)
{
    (void)K, (void)jmax;
    dc_buf *y = B(s, op->out);
    double *tbar = param_adj(s, op->w);
    const int c = y->cols;
    if (!tbar) return;
    for (int64_t r = 0; r < y->rows; r++)
        for (int i = 0; i < c; i++) tbar[(int64_t)op->idx[r] * c + i] += y->adj[0][r * c + i];
}

const dc_op_rules dc_op_table[DC_N_OP_KINDS] = {
    [DC_OP_DENSE] = {"dense", dense_eval, dense_vjp},
    [DC_OP_ACT] = {"act", pointwise_eval, pointwise_vjp},
    [DC_OP_ADD] = {"add", add_eval, add_vjp},
    [DC_OP_MUL] = {"mul", mul_eval, mul_vjp},
    [DC_OP_GATHER] = {"gather", gather_eval, gather_vjp},
    [DC_OP_SCATTER_ADD] = {"scatter_add", scatter_eval, scatter_vjp},
    [DC_OP_ROW_SUM] = {"row_sum", row_sum_eval, row_sum_vjp},
    [DC_OP_EMBED] = {"embed", embed_eval, embed_vjp},
    [DC_OP_SQRT] = {"sqrt", pointwise_eval, pointwise_vjp},
    [DC_OP_GAUSS_RBF] = {"gauss_rbf", pointwise_eval, pointwise_vjp},
    [DC_OP_COS_CUTOFF] = {"cos_cutoff", pointwise_eval, pointwise_vjp},
    [DC_OP_PAIR_FILTER] = {"pair_filter", dc_op_pair_filter_eval, dc_op_pair_filter_vjp},
    [DC_OP_RECIP] = {"recip", dc_op_recip_eval, dc_op_recip_vjp},
    [DC_OP_CONCAT] = {"concat", dc_op_concat_eval, dc_op_concat_vjp},
    [DC_OP_DIMENET_RBF] = {"dimenet_rbf", dc_op_columns_eval, dc_op_columns_vjp},
    [DC_OP_SPH_RADIAL] = {"sph_radial", dc_op_columns_eval, dc_op_columns_vjp},
    [DC_OP_SPH_ANGULAR] = {"sph_angular", dc_op_columns_eval, dc_op_columns_vjp},
};
