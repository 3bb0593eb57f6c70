/* The reference field of 1D diffusion-sorption (../shared/spec/DIFFSORP.md, "The reference
 * solution"), the reference's u_x on the evaluation frames ("Metrics") and the deterministic
 * selection of data points on its grid ("Points").
 *
 *   u_t = D / R(u) u_xx,  R(u) = 1 + K (max(u, 0) + 1e-6)^(n_f - 1),  x in [0, 1], t in [0, T]
 *   u(0, t) = 1,  u(1, t) + D u_x(1, t) = 0,  u(x, 0) = u_init
 *
 * Space: cell-centred finite volumes, N cells, x_i = (i + 0.5)/N, ghosts u_{-1} = 2 - u_0 (the left
 * face value is exactly 1) and u_N = rho u_{N-1}, rho = (D/dx - 1/2)/(D/dx + 1/2) (the face form of
 * u + D u_x = 0). Time: BDF2 on a fixed schedule of phases of constant step, the first step of the
 * run backward Euler; at a change of step at t_s the next step takes u(t_s) and u(t_s - h_new), a
 * state of the finer phase kept for it, so every step is a constant-step BDF2 step. Each step is
 * solved by Newton on the exact tridiagonal Jacobian with the Thomas algorithm.
 *
 * Private to the family (src/model/diffsorp/); its tests get it through diffsorp_dep. */
#ifndef DCSWEEP_DIFFSORP_SOLVER_H
#define DCSWEEP_DIFFSORP_SOLVER_H

#include <stdint.h>

#include "dcsweep/core/error.h"
#include "dcsweep/model/diffsorp.h"

/* The constants and grid sizes are the family header's (dcsweep/model/diffsorp.h). */
#define DC_DIFFSORP_MAX_PHASES 8

/* K = ((1 - phi)/phi) rho_s k_f n_f: 2.1569114482758622 at the spec's values. */
double dc_diffsorp_freundlich_K(double phi, double rho_s, double k_f, double n_f);

/* ---- the semi-discrete system du/dt = f(u) ---- */

typedef struct dc_diffsorp_fv {
    int n_cells; /* N */
    double dx;   /* 1/N */
    double rho;  /* right ghost factor u_N = rho u_{N-1} */
    double D, K, n_f;
} dc_diffsorp_fv;

/* n_cells >= 3 (the end differences need three cells); K >= 0 (0: R = 1, the linear heat equation).
 */
int dc_diffsorp_fv_init(dc_diffsorp_fv *fv, int n_cells, double D, double K, double n_f,
                        dc_error *err);

/* f [N] = D / R(u_i) lap_i, lap_i = (u_{i-1} - 2 u_i + u_{i+1}) / dx^2, at u [N]. */
void dc_diffsorp_fv_rhs(const dc_diffsorp_fv *fv, const double *u, double *f);

/* f [N] as above and the exact Jacobian df/du at u [N], tridiagonal: lo [N] (lo[i] = df_i/du_{i-1},
 * lo[0] unused), di [N] (df_i/du_i), up [N] (up[i] = df_i/du_{i+1}, up[N-1] unused). */
void dc_diffsorp_fv_jacobian(const dc_diffsorp_fv *fv, const double *u, double *f, double *lo,
                             double *di, double *up);

/* ---- the time integration ---- */

typedef struct dc_diffsorp_solver_cfg {
    int n_cells;   /* N (DC_DIFFSORP_NX) */
    int t_end;     /* T: frames at t = 0, 1, ..., T */
    double u_init; /* the constant initial value */
    double D, K, n_f;
    /* Phase p runs from phase_end[p - 1] (0 for p = 0) to phase_end[p] with the constant step
     * phase_h[p]; the last phase ends at T. Each phase holds a whole number of steps and every
     * frame time is on a step; a phase's step is a whole multiple r of the previous phase's, which
     * has at least r steps (or starts at 0). */
    int n_phases;
    double phase_end[DC_DIFFSORP_MAX_PHASES];
    double phase_h[DC_DIFFSORP_MAX_PHASES];
    double newton_tol; /* converged when max |delta| < newton_tol (1e-12) */
    int newton_max;    /* iterations before a step is an error (30) */
} dc_diffsorp_solver_cfg;

/* The spec's reference: N = 1024, the spec's constants, steps 1e-5 to 0.01, 1e-4 to 0.1, 1e-3 to 1,
 * 1e-2 to 10, 0.1 to T (phases past T cut at T), Newton to 1e-12 in at most 30 iterations. */
void dc_diffsorp_solver_defaults(dc_diffsorp_solver_cfg *cfg, int t_end, double u_init);

/* One phase of step h from 0 to T (the convergence tests). */
void dc_diffsorp_solver_constant_step(dc_diffsorp_solver_cfg *cfg, double h);

typedef struct dc_diffsorp_solver {
    dc_diffsorp_solver_cfg cfg;
    dc_diffsorp_fv fv;
    int64_t phase_steps[DC_DIFFSORP_MAX_PHASES]; /* steps in each phase */
    int phase;     /* the phase of the next step (n_phases when done) */
    int64_t k;     /* steps done in that phase */
    int64_t steps; /* steps done in all */
    double t;      /* time reached: phase start + k h */
    /* the last step's formula u - a u1 + b u2 - gamma f(u) = 0 (for the balance tests) */
    double a, b, gamma;
    int64_t newton_iterations; /* in all steps */
    int newton_max_step;       /* most in one step */
    double *u;                 /* [N] the state at t */
    double *u1;                /* [N] the state one step back (u^{n-1} of the next step is u) */
    double *u2;                /* [N] the state two steps back */
    double *kept;              /* [N] u(t_s - h_next) of the phase change ahead */
    double *f, *lo, *di, *up, *rhs, *cp; /* [N] Newton and Thomas work */
} dc_diffsorp_solver;

/* Validates cfg (every phase, frame and step-change rule) and sets u = u_init at t = 0. */
int dc_diffsorp_solver_init(dc_diffsorp_solver *s, const dc_diffsorp_solver_cfg *cfg,
                            dc_error *err);
/* 1 when every phase is done (t = T). */
int dc_diffsorp_solver_done(const dc_diffsorp_solver *s);
/* One step: DC_ERR_NUMERIC when Newton meets a non-finite value or does not converge in
 * newton_max iterations (the state is then unspecified). */
int dc_diffsorp_solver_step(dc_diffsorp_solver *s, dc_error *err);
void dc_diffsorp_solver_free(dc_diffsorp_solver *s);

typedef struct dc_diffsorp_solve_stats {
    int64_t steps;
    int64_t newton_iterations;
    int newton_max_step;
} dc_diffsorp_solve_stats;

/* The whole run: frames [T + 1][N], frame f at t = f. stats may be NULL. */
int dc_diffsorp_solve(const dc_diffsorp_solver_cfg *cfg, double *frames,
                      dc_diffsorp_solve_stats *stats, dc_error *err);

/* ---- what the metrics and the data term take from the field ---- */

/* u_x [N] of one frame u [N] (n_cells >= 3): central differences (u_{i+1} - u_{i-1})/(2 dx), the
 * one-sided second-order ones at the end cells. */
void dc_diffsorp_differences(int n_cells, const double *u, double *u_x);

/* index [n_d]: the first n_d of a splitmix64-driven Fisher-Yates shuffle of 0..G-1 from seed 42
 * (spec, "Points"); 0 <= n_d <= G < 2^32. A longer selection extends a shorter one. Memory is
 * O(min(G, n_d)). */
int dc_diffsorp_data_select(int64_t G, int64_t n_d, int64_t *index, dc_error *err);

/* For flat grid indices g = N f + i: xt [n][2] = ((i + 0.5)/N, f) and target [n] = frames[g]
 * (frames [T + 1][N] as dc_diffsorp_solve writes them). Either output may be NULL. */
void dc_diffsorp_data_points(int n_cells, const double *frames, const int64_t *index, int64_t n,
                             double *xt, double *target);

#endif
