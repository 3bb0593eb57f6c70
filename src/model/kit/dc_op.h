/* The kit's op schedules: the double-precision references of every family are a static list of ops
 * over named buffers, built once per evaluation (like oneDNN's net_fwd[] / net_bwd[]), and run by
 * the generic passes below. Each op carries its own rules; nothing is differentiated by hand
 * outside an op.
 *
 * Jets. Every buffer holds K + 1 planes (K <= DC_JET_MAX): the value (plane 0) and its derivatives
 * 1..K along ONE direction of the schedule's inputs, x_k = d^k x / d eps^k at eps = 0 (derivatives,
 * not Taylor coefficients). K = 1 is the tangent of docs/model.md "Loss and its gradient"; K = 2
 * along x gives the PINN's u_xx. Parameters have plane 0 only (their tangents are zero).
 *
 * Rules of an op y = f(x, theta):
 *   eval(k):  plane k of y from planes 0..k of its inputs: k = 0 is the forward pass, k >= 1 the
 *             jvp (tangent) rule of order k.
 *   vjp:      the adjoint of the order-K jet map: given the adjoints of y's planes 0..K, ADD the
 *             adjoints of the inputs' planes 0..jmax and (when the schedule has a gradient bound)
 *             of the parameters. jmax < K is for a caller that already knows the higher adjoints
 *             (the energy driver, dc_energy_grad).
 * dc_opcheck.c checks every rule of every kind (tests/test_kit_ops.c). */
#ifndef DC_KIT_OP_H
#define DC_KIT_OP_H

#include <stdint.h>

#include "dc_act.h"
#include "dcsweep/core/error.h"

#define DC_JET_MAX 2

typedef enum {
    DC_OP_DENSE,       /* y [r][o] = x [r][i] W^T + b; W [o][i], b [o] or none (parameters) */
    DC_OP_ACT,         /* y = s(x) elementwise, any dc_act kind */
    DC_OP_ADD,         /* y = alpha x + beta z, same shapes (residuals: 1, 1; differences: 1, -1) */
    DC_OP_MUL,         /* y = x * z elementwise; z has x's shape or one column (scales x's rows) */
    DC_OP_GATHER,      /* y [n][c] = x [idx[r]] */
    DC_OP_SCATTER_ADD, /* y [rows][c] = sum over r with idx[r] = row of x [r] */
    DC_OP_ROW_SUM,     /* y [r][1] = sum over c of x [r][c] */
    DC_OP_EMBED,       /* y [n][c] = table [idx[r]] (a parameter) */
    DC_OP_SQRT,        /* y = sqrt(x) elementwise (x > 0) */
    DC_OP_GAUSS_RBF,   /* y [r][G] = exp(-gamma (x[r] - mu_k)^2), x one column: SchNet's pair basis */
    DC_OP_COS_CUTOFF,  /* y [r] = (cos(pi x / rc) + 1) / 2, x one column: SchNet's cosine cutoff */
    DC_OP_PAIR_FILTER, /* y [r][nf] = (act(rbf(x) W1^T + b1) W2^T + b2) fc(x), x one column: SchNet's
                          fused continuous filter (dc_op_pair.c); rbf, fc as gauss_rbf, cos_cutoff */
    /* DimeNet++'s (dc_op_dimenet.c) */
    DC_OP_RECIP,       /* y = 1 / x elementwise (x != 0) */
    DC_OP_CONCAT,      /* y [r][a + b] = [x [r][a], z [r][b]] */
    DC_OP_DIMENET_RBF, /* y [r][R] = u(x / c) sin(f_n x / c), x one column; w: f [R] (a parameter);
                          u the envelope of exponent p; alpha = c, beta = p */
    DC_OP_SPH_RADIAL,  /* y [r][S R] = u(x / c) N_ln j_l(z_ln x / c) at column l R + n, x one column;
                          alpha = c, beta = p; mu holds z, N and j_l's derivative polynomials */
    DC_OP_SPH_ANGULAR, /* y [r][S R] = K_l P_l(x) at column l R + n, x one column (cos theta);
                          alpha = S, beta = R */
    DC_N_OP_KINDS
} dc_op_kind;

typedef struct dc_buf {
    char name[32];               /* for messages and the checker's report */
    int64_t rows;
    int cols;
    int param;                   /* 1: a view of the parameter vector, plane 0 only */
    int64_t offset;              /* param: its first element in the parameter vector */
    double lo, hi;               /* the checker draws plane 0 of an input in [lo, hi] */
    double *val[DC_JET_MAX + 1]; /* [rows][cols] each: the value and its derivatives 1..K */
    double *adj[DC_JET_MAX + 1]; /* [rows][cols] each: the adjoints of those planes (param: [0]
                                    is the gradient slot, or NULL when none is bound) */
} dc_buf;

typedef struct dc_op {
    dc_op_kind kind;
    int out;           /* buffer ids */
    int in[2];         /* -1: none */
    int w, b;          /* parameter buffers (dense: weight, bias; embed: w is the table;
                          pair_filter: filter1's W1 [nf][G], b1 [nf]); -1: none */
    int w2, b2;        /* pair_filter: filter2's W2 [nf][nf], b2 [nf]; -1 elsewhere */
    dc_act act;        /* act, pair_filter */
    const int *idx;    /* gather, scatter-add, embed: [rows of the indexed side], borrowed */
    double alpha, beta; /* add: coefficients; gauss_rbf: alpha = gamma; cos_cutoff: alpha = rc;
                           pair_filter: alpha = gamma, beta = rc */
    double *mu;        /* gauss_rbf: [G] centres, owned by the schedule; pair_filter: [G] centres,
                          then the rules' per-row scratch (dc_op_pair.c), one allocation */
} dc_op;

typedef struct dc_sched {
    int K;                  /* the jet order the planes are allocated for */
    int n_bufs, cap_bufs;
    dc_buf *bufs;           /* [cap_bufs] */
    int n_ops, cap_ops;
    dc_op *ops;             /* [cap_ops] in forward order */
    int64_t n_params;       /* the end of the highest parameter view */
    int has_grad;           /* a gradient vector is bound: vjp accumulates parameter adjoints */
    int failed;             /* a builder call ran out of memory or got a bad argument */
    char failure[128];
    double *arena;          /* the planes of every non-parameter buffer */
} dc_sched;

/* The rules of one kind, as the driver and the checker see them. */
typedef struct dc_op_rules {
    const char *name;
    void (*eval)(const dc_op *op, dc_sched *s, int k);
    void (*vjp)(const dc_op *op, dc_sched *s, int K, int jmax);
} dc_op_rules;

/* The rules of every kind, indexed by dc_op_kind. */
extern const dc_op_rules dc_op_table[DC_N_OP_KINDS];
/* The custom pair filter's rules (dc_op_pair.c), for the table; and its scratch per op, in doubles
 * after the G centres (dc_sched_pair_filter allocates it). */
void dc_op_pair_filter_eval(const dc_op *op, dc_sched *s, int k);
void dc_op_pair_filter_vjp(const dc_op *op, dc_sched *s, int K, int jmax);
int64_t dc_op_pair_filter_scratch(int G, int nf);
/* DimeNet++'s kinds (dc_op_dimenet.c). */
void dc_op_recip_eval(const dc_op *op, dc_sched *s, int k);
void dc_op_recip_vjp(const dc_op *op, dc_sched *s, int K, int jmax);
void dc_op_concat_eval(const dc_op *op, dc_sched *s, int k);
void dc_op_concat_vjp(const dc_op *op, dc_sched *s, int K, int jmax);
void dc_op_columns_eval(const dc_op *op, dc_sched *s, int k);
void dc_op_columns_vjp(const dc_op *op, dc_sched *s, int K, int jmax);

/* ---- building (each returns the new buffer's id, or -1 after a failure, which sticks and is
 * reported by dc_sched_alloc) ---- */
void dc_sched_init(dc_sched *s, int K);
int dc_sched_input(dc_sched *s, const char *name, int64_t rows, int cols);
int dc_sched_param(dc_sched *s, const char *name, int64_t offset, int64_t rows, int cols);
int dc_sched_dense(dc_sched *s, const char *name, int x, int w, int b);
int dc_sched_act(dc_sched *s, const char *name, int x, dc_act act);
int dc_sched_add(dc_sched *s, const char *name, int x, double alpha, int z, double beta);
int dc_sched_mul(dc_sched *s, const char *name, int x, int z);
int dc_sched_gather(dc_sched *s, const char *name, int x, const int *idx, int64_t n);
int dc_sched_scatter_add(dc_sched *s, const char *name, int x, const int *idx, int64_t rows);
int dc_sched_row_sum(dc_sched *s, const char *name, int x);
int dc_sched_embed(dc_sched *s, const char *name, int table, const int *idx, int64_t n);
int dc_sched_sqrt(dc_sched *s, const char *name, int x);
int dc_sched_gauss_rbf(dc_sched *s, const char *name, int x, const double *mu, int G, double gamma);
int dc_sched_cos_cutoff(dc_sched *s, const char *name, int x, double rc);
/* SchNet's filter W(d) [rows][nf] of the pair lengths d [rows][1] (DC_OP_PAIR_FILTER): Gaussians
 * at mu [G] with width gamma, filter1 (w1 [nf][G], b1), act, filter2 (w2 [nf][nf], b2), times the
 * cosine cutoff at rc. */
int dc_sched_pair_filter(dc_sched *s, const char *name, int d, const double *mu, int G,
                         double gamma, double rc, int w1, int b1, int w2, int b2, dc_act act);

/* DimeNet++'s ops (dc_op_dimenet.c). rbf: freq is a parameter view of R elements; p = the
 * envelope exponent + 1. sph_radial: z, N [S][R] the Bessel zeros and normalisers (copied). */
int dc_sched_recip(dc_sched *s, const char *name, int x);
int dc_sched_concat(dc_sched *s, const char *name, int x, int z);
int dc_sched_dimenet_rbf(dc_sched *s, const char *name, int d, int freq, double cutoff, int p);
int dc_sched_sph_radial(dc_sched *s, const char *name, int d, const double *z, const double *N,
                        int S, int R, double cutoff, int p);
int dc_sched_sph_angular(dc_sched *s, const char *name, int cos_theta, int S, int R);
/* For builders outside dc_sched.c: an op of kind with inputs x, z (-1: none) and no parameters;
 * appending one that writes a new rows x cols buffer (-1 after a failure); recording a failure. */
dc_op dc_sched_blank_op(dc_op_kind kind, int x, int z);
int dc_sched_push(dc_sched *s, const char *name, dc_op op, int64_t rows, int cols);
int dc_sched_fail(dc_sched *s, const char *name, const char *why);

/* Allocates the planes (zeroed); DC_ERR_NOMEM / DC_ERR_INPUT for a failed build. */
int dc_sched_alloc(dc_sched *s, dc_error *err);
void dc_sched_free(dc_sched *s);

/* ---- running ---- */
/* Parameter views read params; grad (or NULL: no parameter adjoints) receives their adjoints. */
void dc_sched_bind(dc_sched *s, const double *params, double *grad);
/* Plane k of every op's output, in schedule order (k = 0: forward; k >= 1: the order-k tangent). */
void dc_sched_forward(dc_sched *s, int k);
/* Zeroes adjoint planes 0..jmax of every non-parameter buffer. */
void dc_sched_zero_adj(dc_sched *s, int jmax);
/* Every op's vjp in reverse order: reads adjoint planes 0..K, adds into planes 0..jmax. */
void dc_sched_reverse(dc_sched *s, int K, int jmax);

/* ---- the energy driver: the four passes of docs/model.md "Loss and its gradient" for any model
 * whose schedule maps positions (input buffer pos, [N][3]) to energies (buffer energy, [B][1]) ---- */
/* Passes 1 and 2: energy [B] and forces [N][3] = -dE/dr (either may be NULL). Keeps the primal
 * values and the force adjoints for dc_energy_grad. */
void dc_energy_forces(dc_sched *s, int pos, int energy, const double *params,
                      const double *positions, double *E, double *F);
/* Passes 3 and 4 after dc_energy_forces: grad [n_params] (zeroed here) = dS/dtheta for
 * S = sum_b w_b E_b - D_g E, which is dL/dtheta (docs/model.md). The adjoint of every tangent is
 * minus its force adjoint (the tangent pass is linear in g, with E'bar = -1), so the last reverse
 * computes the primal adjoints only. K >= 1 needed. */
void dc_energy_grad(dc_sched *s, int pos, int energy, const double *params, const double *w,
                    const double *g, double *grad);

#endif
