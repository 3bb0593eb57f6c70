/* The physics-informed network of docs/pinn.md: PDEBench's 1D advection
 * u_t + beta u_x = 0 on x in [0, 1) periodic, t in [0, T], solved data-free by an MLP u(x, t).
 *
 * What is here is the model family's mathematics, as a library:
 *   - the MLP's shape and flat parameter layout (tensor names as in the golden file), its
 *     Glorot-normal initialisation;
 *   - the initial-condition family (drawn from task.ic_seed), its value and derivative, and the
 *     exact solution;
 *   - the deterministic collocation points (interior, initial, boundary pairs);
 *   - the loss of docs/pinn.md with label rescaling, its exact input derivatives (forward-mode
 *     tangents) and its exact parameter gradient (a second derivative: tangent forward, then one
 *     reverse pass over primal and tangent values, as docs/model.md does for SchNet);
 *   - two implementations of the loss: dc_pinn_ref_* in double precision (plain C, the yardstick
 *     of the tests) and dc_pinn_* in float32 on oneDNN matmuls (what training runs);
 *   - the metrics of docs/pinn.md on the PDEBench evaluation grid, and the FLOPs of a training
 *     step;
 *   - the family behind the model interface (dc_pinn_model_ops, pinn_model.c).
 * Apart from that last one it knows nothing of sweep files, results files, MPI or the trainer. */
#ifndef DCSWEEP_PINN_H
#define DCSWEEP_PINN_H

#include <stdint.h>

#include "dcsweep/core/error.h"
#include "dcsweep/model/schnet.h" /* dc_tensor and dc_activation: the same notions as SchNet's */

#define DC_PINN_MAX_DEPTH 32
#define DC_PINN_IC_MODES 4

/* Changes whenever the float engine's results change in the last bits (results files and
 * checkpoints of another version are not resumed or merged). */
#define DC_PINN_NUMERICS_VERSION 1

/* ---- shape, layout, initialisation ---- */

typedef struct dc_pinn_shape {
    int width; /* units per hidden layer (paper: 40) */
    int depth; /* hidden layers (paper: 6) */
} dc_pinn_shape;

/* Tensors in model order: hidden0/weight (width, 2), hidden0/bias (width, 1), ...,
 * hidden{depth-1}/bias, output/weight (1, width), output/bias (1, 1). Weights are (out, in) as
 * PyTorch, so that y = x W^T + b. */
typedef struct dc_pinn_layout {
    int64_t n_params;
    int n_tensors;
    dc_tensor tensors[2 * DC_PINN_MAX_DEPTH + 2];
} dc_pinn_layout;

int dc_pinn_layout_init(dc_pinn_layout *layout, const dc_pinn_shape *shape, dc_error *err);
/* Index of the tensor called name, or -1. */
int dc_pinn_layout_find(const dc_pinn_layout *layout, const char *name);

/* DeepXDE's Glorot normal (docs/pinn.md) from seed alone: W ~ N(0, 2 / (fan_in + fan_out)), biases 0. */
void dc_pinn_init_params(const dc_pinn_layout *layout, uint64_t seed, float *params);

/* Whether hidden layer `layer` (0-based) is followed by IReLU: extent full = every layer, output =
 * the last one (the layer that feeds the output), none = no layer; tanh otherwise. */
int dc_pinn_layer_is_irelu(const dc_activation *act, int layer, int depth);

/* ---- the initial condition and the exact solution ---- */

/* One member of PDEBench's family (docs/pinn.md): s(x) = sum_k A_k sin(2 pi m_k x + phi_k), then |s| if use_abs,
 * then times sign, then times the window 0.5 (tanh((x - xL)/0.01) - tanh((x - xR)/0.01)) if
 * use_window. xL and xR are drawn (and recorded) whether or not the window is used. */
typedef struct dc_pinn_ic {
    double A[DC_PINN_IC_MODES];   /* amplitudes, U(0, 1) */
    int m[DC_PINN_IC_MODES];      /* m_k = k n_k, n_k = how often k came up in 2 draws from 1..4 */
    double phi[DC_PINN_IC_MODES]; /* phases, U(0, 2 pi) */
    int use_abs;                  /* probability 0.1 */
    double sign;                  /* -1 or +1, probability 1/2 each */
    int use_window;               /* probability 0.1 */
    double xL, xR;                /* window edges, U(0.1, 0.45) and U(0.55, 0.9) */
} dc_pinn_ic;

/* The engine's own deterministic draw (not PDEBench's numpy stream): dc_rng from ic_seed on the
 * stream DC_PINN_IC_STREAM, in the order: 2 mode draws, A_1..4, phi_1..4, abs, sign, window, xL, xR. */
#define DC_PINN_IC_STREAM 0x70696e6e6963ull /* "pinnic" */
void dc_pinn_ic_draw(dc_pinn_ic *ic, uint64_t ic_seed);

/* u0(x) [n] and u0'(x) [n] (either may be NULL) at x [n]; the derivative is exact, with
 * d|s|/ds = 0 at s = 0. */
void dc_pinn_ic_eval(const dc_pinn_ic *ic, const double *x, int64_t n, double *u0, double *u0_x);

/* The exact solution u = u0(frac(x - beta t)) and its u_x = u0'(frac(x - beta t)) at the points
 * xt [n][2] = (x, t); either output may be NULL. */
void dc_pinn_exact(const dc_pinn_ic *ic, double beta, const double *xt, int64_t n, double *u,
                   double *u_x);

/* ---- the collocation points of docs/pinn.md (deterministic, no seed) ---- */

/* rad2(n): the bits of n mirrored after the binary point (van der Corput); rad2(1) = 0.5. */
double dc_pinn_rad2(uint64_t n);

/* n_interior + n_initial + 2 n_boundary */
int64_t dc_pinn_n_points(int n_interior, int n_initial, int n_boundary);

/* xt [dc_pinn_n_points][2] = (x, t): interior i = ((i + 0.5)/N_r, T rad2(i + 1)), then initial
 * j = ((j + 0.5)/N_0, 0), then the boundary pairs' x = 0 rows (0, t_k), then their x = 1 rows
 * (1, t_k), t_k = T (k + 0.5)/N_b. Every loss function below takes points in this order. */
void dc_pinn_points(double t_end, int n_interior, int n_initial, int n_boundary, double *xt);

/* ---- the loss ---- */

/* What the loss is evaluated on. The point order is dc_pinn_points'; any coordinates may be
 * given (the golden file's are random). */
typedef struct dc_pinn_problem {
    int n_interior, n_initial, n_boundary; /* N_r, N_0, N_b (pairs) */
    const double *xt;        /* [N_r + N_0 + 2 N_b][2] (x, t) */
    const double *ic_target; /* [N_0] u0 at the initial points, in u's own units (not rescaled) */
    double beta;             /* advection speed */
    double w_residual, w_initial, w_boundary; /* loss weights (default 1, 1, 1) */
    double shift, scale;     /* label rescaling: the network predicts u' = (u - shift) / scale */
} dc_pinn_problem;

/* The three terms of docs/pinn.md in the network's (rescaled) units, weights not applied, and the
 * weighted total that the gradient is taken of. */
typedef struct dc_pinn_loss {
    double residual; /* mean over every point of r'^2, r' = u'_t + beta u'_x */
    double initial;  /* mean_j (u'(x_j, 0) - (u0(x_j) - shift) / scale)^2 */
    double boundary; /* mean_k (u'(0, t_k) - u'(1, t_k))^2 */
    double total;    /* w_residual residual + w_initial initial + w_boundary boundary */
} dc_pinn_loss;

/* Checks counts, weights and the rescaling of a problem (DC_ERR_INPUT with the reason). */
int dc_pinn_problem_check(const dc_pinn_problem *problem, dc_error *err);

/* ---- reference, double precision, plain C ---- */

/* The network's outputs at xt [n][2]: u' [n], u'_x [n], u'_t [n] (any may be NULL), exact input
 * derivatives by forward-mode tangents. */
int dc_pinn_ref_predict(const dc_pinn_shape *shape, const dc_activation *act, const double *params,
                        const double *xt, int64_t n, double *u, double *u_x, double *u_t,
                        dc_error *err);

/* u' [n], u'_x [n] and u'_xx [n] at xt [n][2] (any may be NULL): a jet of order 2 along x. */
int dc_pinn_ref_predict_xx(const dc_pinn_shape *shape, const dc_activation *act,
                           const double *params, const double *xt, int64_t n, double *u,
                           double *u_x, double *u_xx, dc_error *err);

/* The loss (may be NULL) and, if grad is not NULL, its exact gradient with respect to every
 * parameter ([n_params], overwritten). */
int dc_pinn_ref_loss_grad(const dc_pinn_shape *shape, const dc_activation *act,
                          const double *params, const dc_pinn_problem *problem, dc_pinn_loss *loss,
                          double *grad, dc_error *err);

/* ---- float engine on oneDNN ---- */

typedef struct dc_pinn dc_pinn; /* matmuls (set up once), workspaces for max_points */

/* max_points: the most points a loss will be given (predict takes any count, in chunks).
 * Threads: oneDNN's (OMP_NUM_THREADS, see src/model/dnnl_util.c); our loops are serial. */
int dc_pinn_create(dc_pinn **engine, const dc_pinn_shape *shape, int64_t max_points, dc_error *err);
void dc_pinn_destroy(dc_pinn *engine);

/* One full-batch training step's loss (may be NULL) and gradient grad [n_params] (overwritten;
 * NULL for the loss alone). Bitwise reproducible from call to call and process to process. */
int dc_pinn_loss_grad(dc_pinn *engine, const dc_activation *act, const float *params,
                      const dc_pinn_problem *problem, dc_pinn_loss *loss, float *grad,
                      dc_error *err);

/* The network's outputs u', u'_x, u'_t at xt [n][2] (any output may be NULL). */
int dc_pinn_predict(dc_pinn *engine, const dc_activation *act, const float *params,
                    const double *xt, int64_t n, double *u, double *u_x, double *u_t,
                    dc_error *err);

/* FLOPs of one dc_pinn_loss_grad call (with a gradient) on n_points points: 2 m k n of every
 * matmul it executes (elementwise loops and the loss not counted). */
double dc_pinn_step_flops(const dc_pinn_shape *shape, int64_t n_points);

/* The matmul FLOPs the engine actually executed in its last dc_pinn_loss_grad or dc_pinn_predict
 * call, summed from the matmuls run (a check on dc_pinn_step_flops). */
double dc_pinn_last_flops(const dc_pinn *engine);

/* ---- metrics against the exact solution ---- */

/* The PDEBench evaluation grid: x_i = (i + 0.5)/1024 at t_q = T - 0.01 (19 - q), q = 0..19. */
#define DC_PINN_EVAL_NX 1024
#define DC_PINN_EVAL_NT 20

/* A model's outputs u', u'_x, u'_t (network units) at xt [n][2]; the metrics call it once per
 * evaluation time (n = DC_PINN_EVAL_NX). */
typedef int (*dc_pinn_predict_fn)(void *ctx, const double *xt, int64_t n, double *u, double *u_x,
                                  double *u_t, dc_error *err);

/* Ready-made contexts for the two implementations. */
typedef struct dc_pinn_ref_predictor {
    dc_pinn_shape shape;
    dc_activation act;
    const double *params;
} dc_pinn_ref_predictor;
int dc_pinn_ref_predictor_call(void *ctx, const double *xt, int64_t n, double *u, double *u_x,
                               double *u_t, dc_error *err);

typedef struct dc_pinn_predictor {
    dc_pinn *engine;
    dc_activation act;
    const float *params;
} dc_pinn_predictor;
int dc_pinn_predictor_call(void *ctx, const double *xt, int64_t n, double *u, double *u_x,
                           double *u_t, dc_error *err);

/* In u's own units (predictions mapped back: u = u' scale + shift, u_x = u'_x scale, u_t = u'_t
 * scale), over the whole grid unless said otherwise. */
typedef struct dc_pinn_metrics {
    double u_nrmse;      /* mean over the 20 times of ||u - u*||_2 / ||u*||_2 (PDEBench's nRMSE) */
    double u_rmse;       /* sqrt(mean (u - u*)^2) */
    double u_max_err;    /* max |u - u*| */
    double ux_nrmse;     /* as u_nrmse for u_x against u0'(frac(x - beta t)) */
    double residual_rms; /* sqrt(mean (u_t + beta u_x)^2) */
} dc_pinn_metrics;

/* A zero exact norm at some time (a degenerate initial condition) is DC_ERR_NUMERIC; non-finite
 * predictions give non-finite metrics, not an error (a diverged run still has its row). */
int dc_pinn_metrics_eval(const dc_pinn_ic *ic, double beta, double t_end, double shift,
                         double scale, dc_pinn_predict_fn predict, void *ctx,
                         dc_pinn_metrics *metrics, dc_error *err);

/* ---- the family behind the model interface (pinn_model.c, pinn_family.c) ---- */

/* What an advection sweep sets (its keys: pinn_family.c, docs/pinn.md). */
typedef struct dc_pinn_task {
    double beta;              /* advection speed of u_t + beta u_x = 0 */
    double t_end;             /* T: t in [0, T] */
    int64_t ic_seed;          /* the initial condition drawn for every run of the sweep */
    int n_interior;           /* collocation points: N_r interior, N_0 initial, N_b boundary pairs */
    int n_initial;
    int n_boundary;
    double w_residual, w_initial, w_boundary;  /* loss weights */
    int width, depth;         /* the MLP */
} dc_pinn_task;

/* The task of a loaded advection sweep. */
void dc_pinn_task_from_sweep(dc_pinn_task *task, const dc_sweep *sweep);

/* Its sweep keys (config/family.h). */
extern const dc_family dc_pinn_family;

/* dc_model_ops.describe (pinn_describe.c). */
int dc_pinn_describe(const dc_sweep *sweep, dc_describe what, FILE *out, dc_error *err);

/* The advection task of a sweep (task.kind = "advection"): its points, initial condition and
 * engine, full batch (n_train_items 0); loss terms residual, initial, boundary; validation value
 * loss; the metrics above as /runs columns; the drawn initial condition as the record. */
extern const dc_model_ops dc_pinn_model_ops;

#endif
