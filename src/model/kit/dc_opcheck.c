/* The per-op checker (dc_opcheck.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_opcheck.h"
#include "dcsweep/core/rng.h"

static const double H = 1e-5;   /* central differences: error ~ H^2, rounding ~ 1e-16 / H */
static const double TOL = 1e-6;

/* ---- fixtures: one op of each kind on a few rows ---- */

static const int IDX6[6] = {2, 0, 3, 2, 1, 0}; /* rows of a 4-row buffer, with repeats */

int dc_opcheck_fixture(dc_sched *s, dc_op_kind kind, int v)
{
    static const double MU[5] = {0.0, 0.8, 1.6, 2.4, 3.2};
    int x, z, w, b, t;
    switch (kind) {
    case DC_OP_DENSE: /* v 0: with a bias, 1: without */
        x = dc_sched_input(s, "x", 4, 3);
        w = dc_sched_param(s, "W", 0, 2, 3);
        b = v == 0 ? dc_sched_param(s, "b", 6, 2, 1) : -1;
        dc_sched_dense(s, "y", x, w, b);
        return 2;
    case DC_OP_ACT: { /* v: the activation kind */
        const dc_act act = {.kind = (dc_act_kind)v, .c = 0.7};
        x = dc_sched_input(s, "x", 4, 3);
        dc_sched_act(s, dc_act_name(act.kind), x, act);
        return DC_N_ACT_KINDS;
    }
    case DC_OP_ADD: /* v 0: two inputs, 1: the same input twice */
        x = dc_sched_input(s, "x", 3, 4);
        z = v == 0 ? dc_sched_input(s, "z", 3, 4) : x;
        dc_sched_add(s, "y", x, 1.3, z, -0.6);
        return 2;
    case DC_OP_MUL: /* v 0: same shapes, 1: z scales rows, 2: x * x */
        x = dc_sched_input(s, "x", 3, 4);
        z = v == 0 ? dc_sched_input(s, "z", 3, 4) : v == 1 ? dc_sched_input(s, "z", 3, 1) : x;
        dc_sched_mul(s, "y", x, z);
        return 3;
    case DC_OP_GATHER:
        x = dc_sched_input(s, "x", 4, 3);
        dc_sched_gather(s, "y", x, IDX6, 6);
        return 1;
    case DC_OP_SCATTER_ADD:
        x = dc_sched_input(s, "x", 6, 2);
        dc_sched_scatter_add(s, "y", x, IDX6, 4);
        return 1;
    case DC_OP_ROW_SUM:
        x = dc_sched_input(s, "x", 4, 3);
        dc_sched_row_sum(s, "y", x);
        return 1;
    case DC_OP_EMBED:
        t = dc_sched_param(s, "table", 0, 4, 3);
        dc_sched_embed(s, "y", t, IDX6, 6);
        return 1;
    case DC_OP_SQRT:
        x = dc_sched_input(s, "x", 3, 2);
        if (x >= 0) s->bufs[x].lo = 0.3, s->bufs[x].hi = 2.0;
        dc_sched_sqrt(s, "y", x);
        return 1;
    case DC_OP_GAUSS_RBF:
        x = dc_sched_input(s, "d", 4, 1);
        if (x >= 0) s->bufs[x].lo = 0.2, s->bufs[x].hi = 3.0;
        dc_sched_gauss_rbf(s, "rbf", x, MU, 5, 0.8);
        return 1;
    case DC_OP_COS_CUTOFF:
        x = dc_sched_input(s, "d", 4, 1);
        if (x >= 0) s->bufs[x].lo = 0.1, s->bufs[x].hi = 4.9;
        dc_sched_cos_cutoff(s, "fc", x, 5.0);
        return 1;
    case DC_OP_PAIR_FILTER: { /* v: SchNet's filter activations, ssp and irelu_c; then tanh */
        static const dc_act ACTS[3] = {{DC_ACT_SSP, 0.0}, {DC_ACT_IRELU, 0.7}, {DC_ACT_TANH, 0.0}};
        x = dc_sched_input(s, "d", 4, 1);
        if (x >= 0) s->bufs[x].lo = 0.2, s->bufs[x].hi = 4.8;
        w = dc_sched_param(s, "W1", 0, 3, 5);
        b = dc_sched_param(s, "b1", 15, 3, 1);
        z = dc_sched_param(s, "W2", 18, 3, 3);
        t = dc_sched_param(s, "b2", 27, 3, 1);
        dc_sched_pair_filter(s, "W", x, MU, 5, 0.8, 5.0, w, b, z, t, ACTS[v]);
        return 3;
    }
    case DC_OP_RECIP: /* v 0: positive, 1: negative inputs */
        x = dc_sched_input(s, "x", 3, 2);
        if (x >= 0) s->bufs[x].lo = v ? -2.0 : 0.4, s->bufs[x].hi = v ? -0.4 : 2.0;
        dc_sched_recip(s, "y", x);
        return 2;
    case DC_OP_CONCAT:
        x = dc_sched_input(s, "x", 3, 2);
        z = dc_sched_input(s, "z", 3, 3);
        dc_sched_concat(s, "y", x, z);
        return 1;
    case DC_OP_DIMENET_RBF: /* v: envelope exponents 5 and 3 (p = 6, 4) */
        x = dc_sched_input(s, "d", 5, 1);
        if (x >= 0) s->bufs[x].lo = 0.4, s->bufs[x].hi = 4.9;
        w = dc_sched_param(s, "freq", 0, 3, 1);
        dc_sched_dimenet_rbf(s, "rbf", x, w, 5.0, v ? 4 : 6);
        return 2;
    case DC_OP_SPH_RADIAL: { /* the rounded zeros of j_0..j_2, made-up normalisers */
        static const double Z[6] = {3.14159274, 6.28318548, 4.49340963, 7.72525167, 5.76345921,
                                    9.09501171};
        static const double NRM[6] = {4.4, 8.9, 6.5, 11.0, 8.5, 13.1};
        x = dc_sched_input(s, "d", 5, 1);
        if (x >= 0) s->bufs[x].lo = 0.4, s->bufs[x].hi = 4.9;
        dc_sched_sph_radial(s, "sbf_rad", x, Z, NRM, 3, 2, 5.0, 6);
        return 1;
    }
    case DC_OP_SPH_ANGULAR:
        x = dc_sched_input(s, "cos", 5, 1);
        if (x >= 0) s->bufs[x].lo = -1.0, s->bufs[x].hi = 1.0;
        dc_sched_sph_angular(s, "sbf_ang", x, 5, 2);
        return 1;
    default: return 0;
    }
}

/* ---- the checks ---- */

typedef struct ctx {
    dc_sched *s;
    int K, out, n_src;
    int *src;          /* [n_src] input buffer ids */
    int64_t n_in;      /* elements of one plane of all inputs */
    int64_t n_out;     /* elements of one plane of the output */
    double *params, *grad, *pbar, *dp; /* [n_params] */
    double *x0, *xbar; /* [K+1][n_in] */
    double *dx;        /* [n_in] */
    double *y0, *yp, *ym, *ybar; /* [K+1][n_out] */
} ctx;

static void record(dc_opcheck_result *res, double err, const char *what, const dc_sched *s,
                   int K)
{
    res->checks++;
    if (err > res->worst) res->worst = err;
    if (err <= TOL) {
        res->passed++;
        return;
    }
    if (!res->failure[0])
        snprintf(res->failure, sizeof res->failure, "%s (%s, K = %d): rel err %.3g",
                 dc_op_table[s->ops[s->n_ops - 1].kind].name, what, K, err);
}

/* Copies plane k of every input to / from dst [n_in]. */
static void inputs_get(const ctx *c, int k, double *dst, int adj)
{
    for (int i = 0; i < c->n_src; i++) {
        const dc_buf *b = &c->s->bufs[c->src[i]];
        const int64_t n = b->rows * b->cols;
        memcpy(dst, adj ? b->adj[k] : b->val[k], (size_t)n * sizeof *dst);
        dst += n;
    }
}

static void inputs_set(const ctx *c, int k, const double *from)
{
    for (int i = 0; i < c->n_src; i++) {
        const dc_buf *b = &c->s->bufs[c->src[i]];
        const int64_t n = b->rows * b->cols;
        memcpy(b->val[k], from, (size_t)n * sizeof *from);
        from += n;
    }
}

/* Forward of planes 0..upto, then the output's planes into y [K+1][n_out]. */
static void run(ctx *c, int upto, double *y)
{
    const dc_buf *o = &c->s->bufs[c->out];
    for (int k = 0; k <= upto; k++) {
        dc_sched_forward(c->s, k);
        if (y) memcpy(y + k * c->n_out, o->val[k], (size_t)c->n_out * sizeof *y);
    }
}

static double max_abs(const double *a, int64_t n)
{
    double m = 0.0;
    for (int64_t q = 0; q < n; q++) m = fmax(m, fabs(a[q]));
    return m;
}

/* Plane k of the output against the difference of plane k-1 along the jet's curve. */
static void check_jvp(ctx *c, int k, dc_opcheck_result *res)
{
    for (int sign = -1; sign <= 1; sign += 2) {
        const double e = sign * H;
        for (int j = 0; j <= c->K; j++) {
            /* x_j(e) = sum_i e^i / i! x_{j+i} */
            double *xj = c->dx;
            memcpy(xj, c->x0 + j * c->n_in, (size_t)c->n_in * sizeof *xj);
            double coef = 1.0;
            for (int i = 1; j + i <= c->K; i++) {
                coef *= e / i;
                for (int64_t q = 0; q < c->n_in; q++) xj[q] += coef * c->x0[(j + i) * c->n_in + q];
            }
            inputs_set(c, j, xj);
        }
        run(c, k - 1, sign > 0 ? c->yp : c->ym);
    }
    const double *yk = c->y0 + k * c->n_out, *p = c->yp + (k - 1) * c->n_out,
                 *m = c->ym + (k - 1) * c->n_out;
    double worst = 0.0;
    for (int64_t q = 0; q < c->n_out; q++) worst = fmax(worst, fabs((p[q] - m[q]) / (2 * H) - yk[q]));
    record(res, worst / fmax(max_abs(yk, c->n_out), 1e-3), "jvp vs differences", c->s, c->K);
    for (int j = 0; j <= c->K; j++) inputs_set(c, j, c->x0 + j * c->n_in);
}

/* <ybar, (y(+) - y(-)) / 2H> for the runs in yp, ym, and sum |ybar| |dy| for the scale. */
static double ybar_dot_dy(const ctx *c, double *scale)
{
    double dot = 0.0;
    for (int64_t q = 0; q < (c->K + 1) * c->n_out; q++) {
        const double t = c->ybar[q] * (c->yp[q] - c->ym[q]) / (2 * H);
        dot += t;
        *scale += fabs(t);
    }
    return dot;
}

static void dot_record(dc_opcheck_result *res, double lhs, double rhs, double scale,
                       const char *what, const ctx *c)
{
    const double err = scale > 0.0 ? fabs(lhs - rhs) / scale : fabs(lhs - rhs);
    record(res, err, what, c->s, c->K);
}

/* The dot-product test of adjoint half j (an input plane). */
static void check_vjp_plane(ctx *c, int j, dc_rng *rng, dc_opcheck_result *res)
{
    double rhs = 0.0, scale = 0.0;
    for (int64_t q = 0; q < c->n_in; q++) {
        c->dx[q] = dc_rng_normal(rng);
        rhs += c->xbar[j * c->n_in + q] * c->dx[q];
        scale += fabs(c->xbar[j * c->n_in + q] * c->dx[q]);
    }
    double *shifted = malloc((size_t)c->n_in * sizeof *shifted + 1);
    if (!shifted) {  /* a check that could not run is a failed one, never a skipped one */
        record(res, INFINITY, "out of memory for the dot-product test", c->s, c->K);
        return;
    }
    for (int sign = -1; sign <= 1; sign += 2) {
        for (int64_t q = 0; q < c->n_in; q++) shifted[q] = c->x0[j * c->n_in + q] + sign * H * c->dx[q];
        inputs_set(c, j, shifted);
        run(c, c->K, sign > 0 ? c->yp : c->ym);
    }
    inputs_set(c, j, c->x0 + j * c->n_in);
    free(shifted);
    const double lhs = ybar_dot_dy(c, &scale);
    char what[48];
    snprintf(what, sizeof what, j == 0 ? "dot test, primal half" : "dot test, tangent half %d", j);
    dot_record(res, lhs, rhs, scale, what, c);
}

static void check_vjp_params(ctx *c, dc_rng *rng, dc_opcheck_result *res)
{
    const int64_t n = c->s->n_params;
    double rhs = 0.0, scale = 0.0;
    for (int64_t q = 0; q < n; q++) {
        c->dp[q] = dc_rng_normal(rng);
        rhs += c->pbar[q] * c->dp[q];
        scale += fabs(c->pbar[q] * c->dp[q]);
    }
    for (int sign = -1; sign <= 1; sign += 2) {
        for (int64_t q = 0; q < n; q++) c->params[q] += sign * H * c->dp[q];
        run(c, c->K, sign > 0 ? c->yp : c->ym);
        for (int64_t q = 0; q < n; q++) c->params[q] -= sign * H * c->dp[q];
    }
    const double lhs = ybar_dot_dy(c, &scale);
    dot_record(res, lhs, rhs, scale, "dot test, parameter half", c);
}

/* Adjoints seeded with ybar, reverse with jmax; grad into c->grad. */
static void reverse(ctx *c, int jmax)
{
    dc_buf *o = &c->s->bufs[c->out];
    dc_sched_zero_adj(c->s, c->K);
    memset(c->grad, 0, (size_t)c->s->n_params * sizeof *c->grad);
    for (int k = 0; k <= c->K; k++)
        memcpy(o->adj[k], c->ybar + k * c->n_out, (size_t)c->n_out * sizeof *c->ybar);
    dc_sched_reverse(c->s, c->K, jmax);
}

int dc_opcheck_run(dc_sched *s, uint64_t seed, dc_opcheck_result *res, dc_error *err)
{
    int rc = DC_OK;
    ctx c = {.s = s, .K = s->K, .out = s->ops[s->n_ops - 1].out};
    dc_rng rng;
    dc_rng_seed(&rng, seed, 22);
    DC_ALLOC(c.src, s->n_bufs);
    for (int i = 0; i < s->n_bufs; i++) {
        int written = s->bufs[i].param;
        for (int o = 0; o < s->n_ops && !written; o++) written = s->ops[o].out == i;
        if (written) continue;
        c.src[c.n_src++] = i;
        c.n_in += s->bufs[i].rows * s->bufs[i].cols;
    }
    c.n_out = s->bufs[c.out].rows * s->bufs[c.out].cols;
    const int64_t P = s->n_params + 1, planes = c.K + 1;
    DC_ALLOC(c.params, P);
    DC_ALLOC(c.grad, P);
    DC_ALLOC(c.pbar, P);
    DC_ALLOC(c.dp, P);
    DC_ALLOC(c.x0, planes * c.n_in + 1);
    DC_ALLOC(c.xbar, planes * c.n_in + 1);
    DC_ALLOC(c.dx, c.n_in + 1);
    DC_ALLOC(c.y0, planes * c.n_out);
    DC_ALLOC(c.yp, planes * c.n_out);
    DC_ALLOC(c.ym, planes * c.n_out);
    DC_ALLOC(c.ybar, planes * c.n_out);

    for (int64_t q = 0; q < s->n_params; q++) c.params[q] = 0.7 * dc_rng_normal(&rng);
    for (int i = 0; i < c.n_src; i++) {
        dc_buf *b = &s->bufs[c.src[i]];
        for (int64_t q = 0; q < b->rows * b->cols; q++) {
            b->val[0][q] = b->lo + (b->hi - b->lo) * dc_rng_uniform(&rng);
            for (int k = 1; k <= c.K; k++) b->val[k][q] = 0.7 * dc_rng_normal(&rng);
        }
    }
    for (int k = 0; k <= c.K; k++) inputs_get(&c, k, c.x0 + k * c.n_in, 0);
    dc_sched_bind(s, c.params, c.grad);
    run(&c, c.K, c.y0);

    for (int k = 1; k <= c.K; k++) check_jvp(&c, k, res);

    for (int64_t q = 0; q < planes * c.n_out; q++) c.ybar[q] = dc_rng_normal(&rng);
    reverse(&c, c.K);
    for (int k = 0; k <= c.K; k++) inputs_get(&c, k, c.xbar + k * c.n_in, 1);
    memcpy(c.pbar, c.grad, (size_t)P * sizeof *c.pbar);
    if (c.n_in > 0)
        for (int j = 0; j <= c.K; j++) check_vjp_plane(&c, j, &rng, res);
    if (s->n_params > 0) check_vjp_params(&c, &rng, res);
    if (s->n_ops == 1 && c.n_in > 0) {
        reverse(&c, 0);
        double worst = 0.0;
        inputs_get(&c, 0, c.dx, 1);
        for (int64_t q = 0; q < c.n_in; q++) worst = fmax(worst, fabs(c.dx[q] - c.xbar[q]));
        record(res, worst / fmax(max_abs(c.xbar, c.n_in), 1e-300), "primal adjoints with jmax 0",
               s, c.K);
    }
cleanup:
    free(c.src);
    free(c.params);
    free(c.grad);
    free(c.pbar);
    free(c.dp);
    free(c.x0);
    free(c.xbar);
    free(c.dx);
    free(c.y0);
    free(c.yp);
    free(c.ym);
    free(c.ybar);
    return rc;
}
