/* Building and running an op schedule (dc_op.h), and the energy driver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_op.h"

void dc_sched_init(dc_sched *s, int K)
{
    memset(s, 0, sizeof *s);
    s->K = K;
    if (K < 0 || K > DC_JET_MAX) {
        s->failed = 1;
        snprintf(s->failure, sizeof s->failure, "jet order %d outside 0..%d", K, DC_JET_MAX);
    }
}

int dc_sched_fail(dc_sched *s, const char *name, const char *why)
{
    if (!s->failed) snprintf(s->failure, sizeof s->failure, "%s: %s", name, why);
    s->failed = 1;
    return -1;
}

static int valid(const dc_sched *s, int id) { return id >= 0 && id < s->n_bufs; }

static int new_buf(dc_sched *s, const char *name, int64_t rows, int cols)
{
    if (s->failed) return -1;
    if (rows < 0 || cols < 1) return dc_sched_fail(s, name, "bad shape");
    if (s->n_bufs == s->cap_bufs) {
        const int cap = s->cap_bufs ? 2 * s->cap_bufs : 32;
        dc_buf *grown = realloc(s->bufs, (size_t)cap * sizeof *grown);
        if (!grown) return dc_sched_fail(s, name, "out of memory");
        s->bufs = grown;
        s->cap_bufs = cap;
    }
    dc_buf *b = &s->bufs[s->n_bufs];
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s", name);
    b->rows = rows;
    b->cols = cols;
    b->lo = -1.5;
    b->hi = 1.5;
    return s->n_bufs++;
}

/* Appends an op writing a new buffer of rows x cols; -1 after a failure. */
static int new_op(dc_sched *s, const char *name, dc_op op, int64_t rows, int cols)
{
    const int out = new_buf(s, name, rows, cols);
    if (out < 0) return -1;
    if (s->n_ops == s->cap_ops) {
        const int cap = s->cap_ops ? 2 * s->cap_ops : 32;
        dc_op *grown = realloc(s->ops, (size_t)cap * sizeof *grown);
        if (!grown) return dc_sched_fail(s, name, "out of memory");
        s->ops = grown;
        s->cap_ops = cap;
    }
    op.out = out;
    s->ops[s->n_ops++] = op;
    return out;
}

static dc_op blank(dc_op_kind kind, int x, int z)
{
    return (dc_op){.kind = kind, .in = {x, z}, .w = -1, .b = -1, .w2 = -1, .b2 = -1};
}

dc_op dc_sched_blank_op(dc_op_kind kind, int x, int z) { return blank(kind, x, z); }

int dc_sched_push(dc_sched *s, const char *name, dc_op op, int64_t rows, int cols)
{
    return new_op(s, name, op, rows, cols);
}

int dc_sched_input(dc_sched *s, const char *name, int64_t rows, int cols)
{
    return new_buf(s, name, rows, cols);
}

int dc_sched_param(dc_sched *s, const char *name, int64_t offset, int64_t rows, int cols)
{
    const int id = new_buf(s, name, rows, cols);
    if (id < 0) return -1;
    s->bufs[id].param = 1;
    s->bufs[id].offset = offset;
    if (offset + rows * cols > s->n_params) s->n_params = offset + rows * cols;
    return id;
}

int dc_sched_dense(dc_sched *s, const char *name, int x, int w, int b)
{
    if (s->failed) return -1;
    if (!valid(s, x) || !valid(s, w) || !s->bufs[w].param || s->bufs[w].cols != s->bufs[x].cols ||
        (b >= 0 && (!valid(s, b) || !s->bufs[b].param ||
                    s->bufs[b].rows * s->bufs[b].cols != s->bufs[w].rows)))
        return dc_sched_fail(s, name, "dense: shapes of x, W, b do not fit");
    dc_op op = blank(DC_OP_DENSE, x, -1);
    op.w = w, op.b = b;
    return new_op(s, name, op, s->bufs[x].rows, (int)s->bufs[w].rows);
}

/* Ops whose output has the shape of x. */
static int same_shape(dc_sched *s, const char *name, dc_op op, int x)
{
    if (s->failed) return -1;
    if (!valid(s, x)) return dc_sched_fail(s, name, "bad input");
    return new_op(s, name, op, s->bufs[x].rows, s->bufs[x].cols);
}

int dc_sched_act(dc_sched *s, const char *name, int x, dc_act act)
{
    dc_op op = blank(DC_OP_ACT, x, -1);
    op.act = act;
    return same_shape(s, name, op, x);
}

int dc_sched_sqrt(dc_sched *s, const char *name, int x)
{
    return same_shape(s, name, blank(DC_OP_SQRT, x, -1), x);
}

int dc_sched_cos_cutoff(dc_sched *s, const char *name, int x, double rc)
{
    dc_op op = blank(DC_OP_COS_CUTOFF, x, -1);
    op.alpha = rc;
    if (!s->failed && valid(s, x) && s->bufs[x].cols != 1)
        return dc_sched_fail(s, name, "x has one column");
    return same_shape(s, name, op, x);
}

int dc_sched_add(dc_sched *s, const char *name, int x, double alpha, int z, double beta)
{
    if (s->failed) return -1;
    if (!valid(s, x) || !valid(s, z) || s->bufs[x].rows != s->bufs[z].rows ||
        s->bufs[x].cols != s->bufs[z].cols)
        return dc_sched_fail(s, name, "add: shapes differ");
    dc_op op = blank(DC_OP_ADD, x, z);
    op.alpha = alpha, op.beta = beta;
    return new_op(s, name, op, s->bufs[x].rows, s->bufs[x].cols);
}

int dc_sched_mul(dc_sched *s, const char *name, int x, int z)
{
    if (s->failed) return -1;
    if (!valid(s, x) || !valid(s, z) || s->bufs[x].rows != s->bufs[z].rows ||
        (s->bufs[z].cols != s->bufs[x].cols && s->bufs[z].cols != 1))
        return dc_sched_fail(s, name, "mul: z has neither x's shape nor one column");
    return new_op(s, name, blank(DC_OP_MUL, x, z), s->bufs[x].rows, s->bufs[x].cols);
}

int dc_sched_gather(dc_sched *s, const char *name, int x, const int *idx, int64_t n)
{
    if (s->failed) return -1;
    if (!valid(s, x)) return dc_sched_fail(s, name, "bad input");
    for (int64_t r = 0; r < n; r++)
        if (idx[r] < 0 || idx[r] >= s->bufs[x].rows) return dc_sched_fail(s, name, "index out of range");
    dc_op op = blank(DC_OP_GATHER, x, -1);
    op.idx = idx;
    return new_op(s, name, op, n, s->bufs[x].cols);
}

int dc_sched_scatter_add(dc_sched *s, const char *name, int x, const int *idx, int64_t rows)
{
    if (s->failed) return -1;
    if (!valid(s, x)) return dc_sched_fail(s, name, "bad input");
    for (int64_t r = 0; r < s->bufs[x].rows; r++)
        if (idx[r] < 0 || idx[r] >= rows) return dc_sched_fail(s, name, "index out of range");
    dc_op op = blank(DC_OP_SCATTER_ADD, x, -1);
    op.idx = idx;
    return new_op(s, name, op, rows, s->bufs[x].cols);
}

int dc_sched_row_sum(dc_sched *s, const char *name, int x)
{
    if (s->failed) return -1;
    if (!valid(s, x)) return dc_sched_fail(s, name, "bad input");
    return new_op(s, name, blank(DC_OP_ROW_SUM, x, -1), s->bufs[x].rows, 1);
}

int dc_sched_embed(dc_sched *s, const char *name, int table, const int *idx, int64_t n)
{
    if (s->failed) return -1;
    if (!valid(s, table) || !s->bufs[table].param) return dc_sched_fail(s, name, "the table is a parameter");
    for (int64_t r = 0; r < n; r++)
        if (idx[r] < 0 || idx[r] >= s->bufs[table].rows) return dc_sched_fail(s, name, "index out of range");
    dc_op op = blank(DC_OP_EMBED, -1, -1);
    op.w = table;
    op.idx = idx;
    return new_op(s, name, op, n, s->bufs[table].cols);
}

int dc_sched_gauss_rbf(dc_sched *s, const char *name, int x, const double *mu, int G, double gamma)
{
    if (s->failed) return -1;
    if (!valid(s, x) || s->bufs[x].cols != 1 || G < 1) return dc_sched_fail(s, name, "x has one column");
    dc_op op = blank(DC_OP_GAUSS_RBF, x, -1);
    op.alpha = gamma;
    op.mu = malloc((size_t)G * sizeof *op.mu);
    if (!op.mu) return dc_sched_fail(s, name, "out of memory");
    memcpy(op.mu, mu, (size_t)G * sizeof *op.mu);
    const int id = new_op(s, name, op, s->bufs[x].rows, G);
    if (id < 0) free(op.mu);
    return id;
}

/* A parameter view with n elements (a bias: any shape of n elements). */
static int param_of(const dc_sched *s, int id, int64_t n)
{
    return valid(s, id) && s->bufs[id].param && s->bufs[id].rows * s->bufs[id].cols == n;
}

int dc_sched_pair_filter(dc_sched *s, const char *name, int d, const double *mu, int G,
                         double gamma, double rc, int w1, int b1, int w2, int b2, dc_act act)
{
    if (s->failed) return -1;
    if (!valid(s, d) || s->bufs[d].cols != 1 || G < 1 || !(rc > 0.0))
        return dc_sched_fail(s, name, "pair_filter: d has one column, G >= 1, rc > 0");
    const int nf = valid(s, w1) ? (int)s->bufs[w1].rows : 0;
    if (!param_of(s, w1, (int64_t)nf * G) || s->bufs[w1].cols != G || !param_of(s, b1, nf) ||
        !param_of(s, w2, (int64_t)nf * nf) || s->bufs[w2].cols != nf || !param_of(s, b2, nf))
        return dc_sched_fail(s, name,
                             "pair_filter: shapes of W1 [nf][G], b1, W2 [nf][nf], b2 do not fit");
    dc_op op = blank(DC_OP_PAIR_FILTER, d, -1);
    op.w = w1, op.b = b1, op.w2 = w2, op.b2 = b2;
    op.act = act;
    op.alpha = gamma, op.beta = rc;
    op.mu = malloc((size_t)(G + dc_op_pair_filter_scratch(G, nf)) * sizeof *op.mu);
    if (!op.mu) return dc_sched_fail(s, name, "out of memory");
    memcpy(op.mu, mu, (size_t)G * sizeof *op.mu);
    const int id = new_op(s, name, op, s->bufs[d].rows, nf);
    if (id < 0) free(op.mu);
    return id;
}

int dc_sched_alloc(dc_sched *s, dc_error *err)
{
    if (s->failed)
        return dc_error_set(err, strstr(s->failure, "out of memory") ? DC_ERR_NOMEM : DC_ERR_INPUT,
                            "op schedule: %s", s->failure);
    int64_t total = 0;
    for (int i = 0; i < s->n_bufs; i++)
        if (!s->bufs[i].param) total += 2 * (int64_t)(s->K + 1) * s->bufs[i].rows * s->bufs[i].cols;
    s->arena = dc_calloc((size_t)total + 1, sizeof *s->arena, err);
    if (!s->arena) return DC_ERR_NOMEM;
    double *p = s->arena;
    for (int i = 0; i < s->n_bufs; i++) {
        dc_buf *b = &s->bufs[i];
        if (b->param) continue;
        const int64_t n = b->rows * b->cols;
        for (int k = 0; k <= s->K; k++) {
            b->val[k] = p, p += n;
            b->adj[k] = p, p += n;
        }
    }
    return DC_OK;
}

void dc_sched_free(dc_sched *s)
{
    for (int i = 0; i < s->n_ops; i++) free(s->ops[i].mu);
    free(s->ops);
    free(s->bufs);
    free(s->arena);
    memset(s, 0, sizeof *s);
}

void dc_sched_bind(dc_sched *s, const double *params, double *grad)
{
    s->has_grad = grad != NULL;
    for (int i = 0; i < s->n_bufs; i++) {
        dc_buf *b = &s->bufs[i];
        if (!b->param) continue;
        b->val[0] = (double *)params + b->offset; /* read only: no rule writes a parameter */
        b->adj[0] = grad ? grad + b->offset : NULL;
    }
}

void dc_sched_forward(dc_sched *s, int k)
{
    for (int i = 0; i < s->n_ops; i++) dc_op_table[s->ops[i].kind].eval(&s->ops[i], s, k);
}

void dc_sched_zero_adj(dc_sched *s, int jmax)
{
    for (int i = 0; i < s->n_bufs; i++) {
        dc_buf *b = &s->bufs[i];
        if (b->param) continue;
        for (int j = 0; j <= jmax; j++)
            memset(b->adj[j], 0, (size_t)(b->rows * b->cols) * sizeof(double));
    }
}

void dc_sched_reverse(dc_sched *s, int K, int jmax)
{
    for (int i = s->n_ops - 1; i >= 0; i--) dc_op_table[s->ops[i].kind].vjp(&s->ops[i], s, K, jmax);
}

/* ---- the energy driver ---- */

void dc_energy_forces(dc_sched *s, int pos, int energy, const double *params,
                      const double *positions, double *E, double *F)
{
    dc_buf *r = &s->bufs[pos], *e = &s->bufs[energy];
    dc_sched_bind(s, params, NULL);
    memcpy(r->val[0], positions, (size_t)(r->rows * r->cols) * sizeof(double));
    dc_sched_forward(s, 0);
    if (E) memcpy(E, e->val[0], (size_t)e->rows * sizeof *E);
    dc_sched_zero_adj(s, 0);
    for (int64_t b = 0; b < e->rows; b++) e->adj[0][b] = 1.0;
    dc_sched_reverse(s, 0, 0);
    if (F)
        for (int64_t q = 0; q < r->rows * r->cols; q++) F[q] = -r->adj[0][q];
}

void dc_energy_grad(dc_sched *s, int pos, int energy, const double *params, const double *w,
                    const double *g, double *grad)
{
    dc_buf *r = &s->bufs[pos], *e = &s->bufs[energy];
    memset(grad, 0, (size_t)s->n_params * sizeof *grad);
    if (s->K < 1) return;  /* no tangent planes: a caller's bug that leaves the gradient 0 */
    dc_sched_bind(s, params, grad);
    memcpy(r->val[1], g, (size_t)(r->rows * r->cols) * sizeof(double));
    dc_sched_forward(s, 1);
    /* dS/dx' = -d(sum_b E_b)/dx for every value x: the force adjoints, negated. */
    for (int i = 0; i < s->n_bufs; i++) {
        dc_buf *b = &s->bufs[i];
        if (b->param) continue;
        for (int64_t q = 0; q < b->rows * b->cols; q++) b->adj[1][q] = -b->adj[0][q];
    }
    dc_sched_zero_adj(s, 0);
    for (int64_t b = 0; b < e->rows; b++) e->adj[0][b] = w[b];
    dc_sched_reverse(s, 1, 0);
}
