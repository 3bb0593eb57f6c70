/* The second PINN task (docs: ../shared/spec/DIFFSORP.md): PDEBench's 1D diffusion-sorption
 * u_t = D / R(u) u_xx on x in [0, 1], t in [0, T], R(u) = 1 + K (u+ + 1e-6)^(n_f - 1), u(x, 0) =
 * u_init, u(0, t) = 1, u(1, t) + D u_x(1, t) = 0. The network is the advection PINN's MLP
 * (dc_pinn_shape, dc_pinn_layout, its Glorot initialisation and extents) fed (x, t / tau).
 *
 * Three parts share this header; each section names its source files. */
#ifndef DCSWEEP_DIFFSORP_H
#define DCSWEEP_DIFFSORP_H

#include <stdint.h>

#include "dcsweep/config/config.h"
#include "dcsweep/core/error.h"
#include "dcsweep/model/model.h"
#include "dcsweep/model/pinn.h" /* dc_pinn_shape, dc_pinn_layout, dc_activation */

/* ==== the task: constants, points, loss (diffsorp_loss.c) ==== */

/* PDEBench's and the paper's constants. */
#define DC_DIFFSORP_D 5e-4      /* effective diffusivity */
#define DC_DIFFSORP_PHI 0.29    /* porosity */
#define DC_DIFFSORP_RHO_S 2880.0 /* bulk density */
#define DC_DIFFSORP_K_F 3.5e-4  /* Freundlich k */
#define DC_DIFFSORP_N_F 0.874   /* Freundlich exponent */
#define DC_DIFFSORP_EPS 1e-6    /* the offset inside R's power */

/* The reference grid of the data term and the metrics: cells x_i = (i + 0.5)/1024, frames t = f. */
#define DC_DIFFSORP_NX 1024
#define DC_DIFFSORP_EVAL_NT 20 /* the metrics' frames: t_q = T - 19 + q */

/* K = ((1 - phi)/phi) rho_s k_f n_f = 2.1569114482758622 */
double dc_diffsorp_sorption_k(void);

/* R(u) and dR/du (0 for u <= 0: u+ is clamped), at K, n_f. */
void dc_diffsorp_retardation(double u, double K, double n_f, double *R, double *dR);

/* N_r + N_0 + 2 N_b: the points the residual is evaluated on (every point but the data). */
int64_t dc_diffsorp_n_residual_points(int n_interior, int n_initial, int n_boundary);

/* xt [N_res + n_data][2] = (x, t), physical t: interior, initial, left (0, t_k), right (1, t_k)
 * as dc_pinn_points (the same formulas, N_b per end), then the data points ((i + 0.5)/1024, f) of
 * the flat grid indices data_index [n_data] (may be NULL when n_data is 0), as the solver's
 * selection (src/model/diffsorp/diffsorp_solver.h, dc_diffsorp_data_select) gives them. */
void dc_diffsorp_points(double t_end, int n_interior, int n_initial, int n_boundary,
                        const int64_t *data_index, int64_t n_data, double *xt);

/* The labels the rescaling statistics are fitted on: labels [n_initial + n_boundary + n_data] =
 * n_initial times u_init, n_boundary ones (the left values), then data_target [n_data]. The right
 * target is a value of u + D u_x, not of u, and is not a label. */
void dc_diffsorp_labels(double u_init, int n_initial, int n_boundary, const double *data_target,
                        int64_t n_data, double *labels);

/* What the loss is evaluated on. Points in dc_diffsorp_points' order; any coordinates may be
 * given (the golden file's are random). */
typedef struct dc_diffsorp_problem {
    int n_interior, n_initial, n_boundary; /* N_r, N_0, N_b per end */
    int64_t n_data;                        /* N_d */
    const double *xt;          /* [N_r + N_0 + 2 N_b + N_d][2] (x, t), physical t */
    const double *data_target; /* [N_d] u* at the data points, u's own units (NULL if N_d = 0) */
    double u_init;             /* the initial value, u's own units */
    double D, K, n_f;          /* the PDE's constants (DC_DIFFSORP_D, dc_diffsorp_sorption_k()) */
    double tau;                /* the network sees t / tau: T (t_input "scaled") or 1 ("raw") */
    double w_residual, w_initial, w_boundary, w_data; /* loss weights (default 1) */
    double shift, scale;       /* label rescaling: the network predicts u' = (u - shift) / scale */
} dc_diffsorp_problem;

/* The five terms, rescaled units, weights not applied; an empty term (no points) is NaN and left
 * out of the total (the data curve of a data-free run is NaN). */
typedef struct dc_diffsorp_loss {
    double residual; /* mean over the N_res points of r'^2, r' = u'_t - D/R(scale u' + shift) u'_xx */
    double initial;  /* mean_j (u' - (u_init - shift)/scale)^2 */
    double left;     /* mean_k (u'(0, t_k) - (1 - shift)/scale)^2 */
    double right;    /* mean_k (u'(1, t_k) + D u'_x(1, t_k) + shift/scale)^2 */
    double data;     /* mean_n (u'(x_n, t_n) - (u*_n - shift)/scale)^2 */
    double total;    /* the weighted sum of the non-empty terms */
} dc_diffsorp_loss;

/* Counts, weights, constants and rescaling of a problem (DC_ERR_INPUT with the reason). */
int dc_diffsorp_problem_check(const dc_diffsorp_problem *problem, dc_error *err);

/* The loss from the network's outputs at every point of the problem (N = N_res + N_d): u' [N],
 * u'_x [N], u'_xx [N], u'_t [N] (u'_xx and u'_t are read at the N_res residual points only;
 * u'_t = du'/dt in physical t, i.e. (1/tau) times the derivative along the network's second input),
 * and the reverse pass' seeds dtotal/du' [N], dtotal/du'_x [N], dtotal/du'_xx [N], dtotal/du'_t [N]
 * (each may be NULL; every entry is written, zeros where a point does not use it). r' [N_res] may
 * be NULL. Both the double reference and the float engine call it, so that they differ only in the
 * network's arithmetic. */
void dc_diffsorp_loss_seeds(const dc_diffsorp_problem *p, const double *u, const double *u_x,
                            const double *u_xx, const double *u_t, double *u_bar,
                            double *u_x_bar, double *u_xx_bar, double *u_t_bar, double *r,
                            dc_diffsorp_loss *loss);

/* ==== the double-precision reference network (diffsorp_ref.c) ==== */

/* The network's u' [n], u'_x [n], u'_xx [n], u'_t [n] (any may be NULL) at xt [n][2] (physical
 * t; the network sees (x, t / tau)): exact jets, order 2 along x and order 1 along t. */
int dc_diffsorp_ref_predict(const dc_pinn_shape *shape, const dc_activation *act,
                            const double *params, double tau, const double *xt, int64_t n,
                            double *u, double *u_x, double *u_xx, double *u_t, dc_error *err);

/* grad [n_params] (overwritten) = d/dparams of sum_i u_bar_i u'_i + u_x_bar_i u'_x,i +
 * u_xx_bar_i u'_xx,i + u_t_bar_i u'_t,i over xt [n][2] (any seed array [n] may be NULL: zero).
 * The loss gradient is this at dc_diffsorp_loss_seeds' seeds; per-term gradients and other
 * objectives seed it themselves. */
int dc_diffsorp_ref_vjp(const dc_pinn_shape *shape, const dc_activation *act,
                        const double *params, double tau, const double *xt, int64_t n,
                        const double *u_bar, const double *u_x_bar, const double *u_xx_bar,
                        const double *u_t_bar, double *grad, dc_error *err);

/* The loss (may be NULL) and, if grad is not NULL, its exact gradient [n_params] (overwritten). */
int dc_diffsorp_ref_loss_grad(const dc_pinn_shape *shape, const dc_activation *act,
                              const double *params, const dc_diffsorp_problem *problem,
                              dc_diffsorp_loss *loss, double *grad, dc_error *err);

/* ==== metrics against the reference field (diffsorp_metrics.c) ==== */

/* A model's u' [n], u'_x [n], u'_xx [n], u'_t [n] (network units, physical t) at xt [n][2]; the
 * metrics call it once per evaluation frame (n = DC_DIFFSORP_NX). */
typedef int (*dc_diffsorp_predict_fn)(void *ctx, const double *xt, int64_t n, double *u,
                                      double *u_x, double *u_xx, double *u_t, dc_error *err);

/* The reference network as a predictor. */
typedef struct dc_diffsorp_ref_predictor {
    dc_pinn_shape shape;
    dc_activation act;
    const double *params;
    double tau;
} dc_diffsorp_ref_predictor;
int dc_diffsorp_ref_predictor_call(void *ctx, const double *xt, int64_t n, double *u,
                                   double *u_x, double *u_xx, double *u_t, dc_error *err);

/* In u's own units (u = scale u' + shift, u_x = scale u'_x, r = scale r'), on the 1024 centres x
 * the frames t_q = T - 19 + q. */
typedef struct dc_diffsorp_metrics {
    double u_nrmse;      /* mean over the 20 frames of ||u - u*||_2 / ||u*||_2 */
    double u_rmse;       /* sqrt(mean (u - u*)^2) over the 20480 points */
    double u_max_err;    /* max |u - u*| */
    double ux_nrmse;     /* as u_nrmse for u_x against the reference's differences */
    double residual_rms; /* sqrt(mean r^2), r = u_t - D/R(u) u_xx (u per second) */
} dc_diffsorp_metrics;

/* u_ref [20][1024]: the reference at the evaluation frames T - 19 .. T; problem: its D, K, n_f,
 * shift and scale (the points are not used). A zero reference norm at a frame is DC_ERR_NUMERIC;
 * non-finite predictions give non-finite metrics, not an error. */
int dc_diffsorp_metrics_eval(const double *u_ref, double t_end,
                             const dc_diffsorp_problem *problem, dc_diffsorp_predict_fn predict,
                             void *ctx, dc_diffsorp_metrics *metrics, dc_error *err);

/* ==== the float32 engine on oneDNN (diffsorp_engine.c, diffsorp_kernels.c) ==== */

/* The network's outputs at n points as four jet streams: u' [n] (every point) and u'_x, u'_t,
 * u'_xx [m] at the first m points (the residual points; the data points after them need u' only).
 * u'_t is the derivative in physical t: the network sees (x, t / tau), so its t-tangent is seeded
 * (0, 1/tau). Per hidden layer, z = h W^T + b carries z' = h' W^T, z_t = h_t W^T, z'' = h'' W^T
 * and y = s(z) carries y' = s' z', y_t = s' z_t, y'' = s'' z'^2 + s' z''; the gradient is one
 * reverse pass over the four streams (s''' in the adjoint of y''). Each product is one oneDNN
 * matmul over the n + 3m stacked rows. */
typedef struct dc_diffsorp dc_diffsorp; /* matmuls (set up once), workspaces for max_points */

/* max_points: the most points a gradient will be given, max_deriv_points (1 .. max_points) the
 * most of them with derivatives (N_r + N_0 + 2 N_b for a loss): the workspaces hold
 * max_points + 3 max_deriv_points stacked rows, so the paper's 153907 data points cost a row
 * each, not four. predict takes any count, in chunks of max_deriv_points. Threads: oneDNN's
 * (OMP_NUM_THREADS, see src/model/dnnl_util.c); our loops are serial. */
int dc_diffsorp_create(dc_diffsorp **engine, const dc_pinn_shape *shape, int64_t max_points,
                       int64_t max_deriv_points, dc_error *err);
void dc_diffsorp_destroy(dc_diffsorp *engine);

/* u' [n], u'_x [n], u'_xx [n], u'_t [n] (any may be NULL) at xt [n][2] (x, physical t). */
int dc_diffsorp_predict(dc_diffsorp *engine, const dc_activation *act, const float *params,
                        double tau, const double *xt, int64_t n, double *u, double *u_x,
                        double *u_xx, double *u_t, dc_error *err);

/* The adjoints of a scalar S of the outputs: given u' [n] and u'_x, u'_xx, u'_t [m] (entries
 * m..n-1 are 0), write dS/du' [n] and dS/du'_x, dS/du'_xx, dS/du'_t [n] (entries >= m are
 * ignored; all four arrays come zeroed). */
typedef int (*dc_diffsorp_seed_fn)(void *ctx, int64_t n, int64_t m, const double *u,
                                   const double *u_x, const double *u_xx, const double *u_t,
                                   double *u_bar, double *u_x_bar, double *u_xx_bar,
                                   double *u_t_bar, dc_error *err);

/* grad [n_params] (overwritten) = dS/dparams for the S whose output adjoints seeds gives, at xt
 * [n][2] with derivatives at the first m points (m <= n, n <= max_points, m <= max_deriv_points);
 * grad NULL: the forward pass and seeds alone. Bitwise reproducible from call to call and process to process. */
int dc_diffsorp_seeded_grad(dc_diffsorp *engine, const dc_activation *act, const float *params,
                            double tau, const double *xt, int64_t n, int64_t m,
                            dc_diffsorp_seed_fn seeds, void *ctx, float *grad, dc_error *err);

/* The loss of the problem (may be NULL) and, if grad is not NULL, its gradient [n_params]
 * (overwritten): dc_diffsorp_loss_seeds on the engine's outputs, then the reverse pass. The data
 * points carry u' alone. */
int dc_diffsorp_loss_grad(dc_diffsorp *engine, const dc_activation *act, const float *params,
                          const dc_diffsorp_problem *problem, dc_diffsorp_loss *loss,
                          float *grad, dc_error *err);

/* The engine as a predictor for dc_diffsorp_metrics_eval. */
typedef struct dc_diffsorp_predictor {
    dc_diffsorp *engine;
    dc_activation act;
    const float *params;
    double tau;
} dc_diffsorp_predictor;
int dc_diffsorp_predictor_call(void *ctx, const double *xt, int64_t n, double *u, double *u_x,
                               double *u_xx, double *u_t, dc_error *err);

/* FLOPs of one gradient on n points, m of them with derivatives: 2 m k n of every matmul it
 * executes (elementwise loops and the loss not counted). */
double dc_diffsorp_step_flops(const dc_pinn_shape *shape, int64_t n, int64_t m);

/* The matmul FLOPs the engine executed in its last call (a check on dc_diffsorp_step_flops). */
double dc_diffsorp_last_flops(const dc_diffsorp *engine);

/* ==== the family behind the model interface (diffsorp_family.c, diffsorp_model.c) ==== */

/* What a diffusion-sorption sweep sets (its keys: diffsorp_family.c). */
typedef struct dc_diffsorp_task {
    int t_end;                 /* T, seconds: frames every second */
    double u_init;             /* the constant initial value */
    int t_raw;                 /* 1: the network sees t (the paper); 0: t / T */
    int n_interior, n_initial, n_boundary; /* N_r, N_0, N_b per end */
    int64_t data_points;       /* N_d reference-grid points with targets */
    double w_residual, w_initial, w_boundary, w_data;
    int width, depth;          /* the MLP */
} dc_diffsorp_task;

void dc_diffsorp_task_from_sweep(dc_diffsorp_task *task, const dc_sweep *sweep);

/* Its sweep keys (config/family.h). */
extern const dc_family dc_diffsorp_family;

/* The family behind the model interface, and its dc_model_ops.describe (diffsorp_describe.c). */
extern const dc_model_ops dc_diffsorp_model_ops;
int dc_diffsorp_describe(const dc_sweep *sweep, dc_describe what, FILE *out, dc_error *err);

#endif
