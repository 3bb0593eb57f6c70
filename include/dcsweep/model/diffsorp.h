/* The second PINN task (docs: ../shared/spec/DIFFSORP.md): PDEBench's 1D diffusion-sorption
 * u_t = D / R(u) u_xx on x in [0, 1], t in [0, T]. The network is the advection PINN's MLP
 * (dc_pinn_shape, dc_pinn_layout, its Glorot initialisation and extents) fed (x, t / tau).
 *
 * Three parts share this header; each section names its source files. */
#ifndef DCSWEEP_DIFFSORP_H
#define DCSWEEP_DIFFSORP_H

#include <stdint.h>

#include "dcsweep/core/error.h"
#include "dcsweep/model/pinn.h" /* dc_pinn_shape, dc_pinn_layout, dc_activation */

/* ==== the float32 engine on oneDNN (diffsorp_engine.c, diffsorp_kernels.c) ==== */

/* The network's outputs at n points as four jet streams: u' [n] (every point) and u'_x, u'_t,
 * u'_xx [m] at the first m points (the residual points; the data points after them need u' only).
 * u'_t is the derivative in physical t: the network sees (x, t / tau), so its t-tangent is seeded
 * (0, 1/tau). Per hidden layer, z = h W^T + b carries z' = h' W^T, z_t = h_t W^T, z'' = h'' W^T
 * and y = s(z) carries y' = s' z', y_t = s' z_t, y'' = s'' z'^2 + s' z''; the gradient is one
 * reverse pass over the four streams (s''' in the adjoint of y''). Each product is one oneDNN
 * matmul over the n + 3m stacked rows. */
typedef struct dc_diffsorp dc_diffsorp; /* matmuls (set up once), workspaces for max_points */

/* max_points: the most points a gradient will be given (predict takes any count, in chunks).
 * Threads: oneDNN's (OMP_NUM_THREADS, see src/model/dnnl_util.c); our loops are serial. */
int dc_diffsorp_create(dc_diffsorp **engine, const dc_pinn_shape *shape, int64_t max_points,
                       dc_error *err);
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
 * [n][2] with derivatives at the first m points (0 <= m <= n <= max_points). Bitwise reproducible
 * from call to call and process to process. */
int dc_diffsorp_seeded_grad(dc_diffsorp *engine, const dc_activation *act, const float *params,
                            double tau, const double *xt, int64_t n, int64_t m,
                            dc_diffsorp_seed_fn seeds, void *ctx, float *grad, dc_error *err);

/* FLOPs of one gradient on n points, m of them with derivatives: 2 m k n of every matmul it
 * executes (elementwise loops and the loss not counted). */
double dc_diffsorp_step_flops(const dc_pinn_shape *shape, int64_t n, int64_t m);

/* The matmul FLOPs the engine executed in its last call (a check on dc_diffsorp_step_flops). */
double dc_diffsorp_last_flops(const dc_diffsorp *engine);

#endif
