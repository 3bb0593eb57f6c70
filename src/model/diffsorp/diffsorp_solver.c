/* The reference field of diffusion-sorption, its u_x on the evaluation frames and the data-point
 * selection (diffsorp_solver.h; ../shared/spec/DIFFSORP.md). Everything in double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diffsorp_solver.h"

double dc_diffsorp_freundlich_K(double phi, double rho_s, double k_f, double n_f)
{
    return ((1.0 - phi) / phi) * rho_s * k_f * n_f;
}

/* ---- the semi-discrete system ---- */

int dc_diffsorp_fv_init(dc_diffsorp_fv *fv, int n_cells, double D, double K, double n_f,
                        dc_error *err)
{
    int rc = DC_OK;
    memset(fv, 0, sizeof *fv);
    if (n_cells < 3) DC_FAIL(DC_ERR_INPUT, "diffsorp solver: %d cells (at least 3)", n_cells);
    if (!(D > 0.0) || !isfinite(D)) DC_FAIL(DC_ERR_INPUT, "diffsorp solver: D = %g", D);
    if (!(K >= 0.0) || !isfinite(K) || !isfinite(n_f))
        DC_FAIL(DC_ERR_INPUT, "diffsorp solver: K = %g, n_f = %g", K, n_f);
    fv->n_cells = n_cells;
    fv->dx = 1.0 / n_cells;
    fv->rho = (D / fv->dx - 0.5) / (D / fv->dx + 0.5);
    fv->D = D;
    fv->K = K;
    fv->n_f = n_f;
cleanup:
    return rc;
}

/* u_{-1} and u_N */
static double ghost_left(const double *u)
{
    return 2.0 - u[0];
}
static double ghost_right(const dc_diffsorp_fv *fv, const double *u)
{
    return fv->rho * u[fv->n_cells - 1];
}

/* f = D / R(u_i) lap_i and, when lo is not NULL, the Jacobian's three diagonals, with one pow per
 * cell (Newton's cost): R' = K (n_f - 1) (u + eps)^(n_f - 2) is (R - 1)(n_f - 1)/(u + eps) for
 * u > 0, and 0 for u <= 0, where u+ is flat. */
static void fv_eval(const dc_diffsorp_fv *fv, const double *u, double *f, double *lo, double *di,
                    double *up)
{
    const int N = fv->n_cells;
    const double dx2 = fv->dx * fv->dx;
    for (int i = 0; i < N; i++) {
        const double um = i == 0 ? ghost_left(u) : u[i - 1];
        const double upl = i == N - 1 ? ghost_right(fv, u) : u[i + 1];
        const double lap = (um - 2.0 * u[i] + upl) / dx2;
        const double u_plus = u[i] > 0.0 ? u[i] : 0.0;
        const double sorbed = fv->K * pow(u_plus + DC_DIFFSORP_EPS, fv->n_f - 1.0);
        const double R = 1.0 + sorbed;
        const double k = fv->D / R;
        f[i] = k * lap;
        if (!lo) continue;
        const double dR = u[i] > 0.0 ? sorbed * (fv->n_f - 1.0) / (u[i] + DC_DIFFSORP_EPS) : 0.0;
        lo[i] = k / dx2;
        up[i] = k / dx2;
        di[i] = -2.0 * k / dx2 - fv->D * dR / (R * R) * lap;
    }
    if (!lo) return;
    /* the ghosts' own dependence: du_{-1}/du_0 = -1, du_N/du_{N-1} = rho */
    di[0] -= lo[0];
    di[N - 1] += fv->rho * up[N - 1];
    lo[0] = 0.0;
    up[N - 1] = 0.0;
}

void dc_diffsorp_fv_rhs(const dc_diffsorp_fv *fv, const double *u, double *f)
{
    fv_eval(fv, u, f, NULL, NULL, NULL);
}

void dc_diffsorp_fv_jacobian(const dc_diffsorp_fv *fv, const double *u, double *f, double *lo,
                             double *di, double *up)
{
    fv_eval(fv, u, f, lo, di, up);
}

/* ---- the schedule ---- */

void dc_diffsorp_solver_defaults(dc_diffsorp_solver_cfg *cfg, int t_end, double u_init)
{
    static const double ends[] = {0.01, 0.1, 1.0, 10.0};
    static const double steps[] = {1e-5, 1e-4, 1e-3, 1e-2};
    memset(cfg, 0, sizeof *cfg);
    cfg->n_cells = DC_DIFFSORP_NX;
    cfg->t_end = t_end;
    cfg->u_init = u_init;
    cfg->D = DC_DIFFSORP_D;
    cfg->K = dc_diffsorp_freundlich_K(DC_DIFFSORP_PHI, DC_DIFFSORP_RHO_S, DC_DIFFSORP_K_F,
                                      DC_DIFFSORP_N_F);
    cfg->n_f = DC_DIFFSORP_N_F;
    cfg->newton_tol = 1e-12;
    cfg->newton_max = 30;
    int p = 0;
    for (int q = 0; q < 4 && ends[q] < t_end; q++, p++) {
        cfg->phase_end[p] = ends[q];
        cfg->phase_h[p] = steps[q];
    }
    cfg->phase_end[p] = t_end;
    cfg->phase_h[p] = p < 4 ? steps[p] : 0.1;
    cfg->n_phases = p + 1;
}

void dc_diffsorp_solver_constant_step(dc_diffsorp_solver_cfg *cfg, double h)
{
    cfg->n_phases = 1;
    cfg->phase_end[0] = cfg->t_end;
    cfg->phase_h[0] = h;
}

static double phase_start(const dc_diffsorp_solver_cfg *cfg, int p)
{
    return p == 0 ? 0.0 : cfg->phase_end[p - 1];
}

/* n with |n x - y| <= 1e-9 max(1, |y|), or -1 */
static int64_t whole_multiple(double y, double x)
{
    const double n = nearbyint(y / x);
    if (!(fabs(n * x - y) <= 1e-9 * fmax(1.0, fabs(y))) || n > 1e15) return -1;
    return (int64_t)n;
}

/* Every rule of the cfg's comment; fills s->phase_steps. */
static int check_schedule(dc_diffsorp_solver *s, dc_error *err)
{
    int rc = DC_OK;
    const dc_diffsorp_solver_cfg *c = &s->cfg;
    if (c->t_end < 1) DC_FAIL(DC_ERR_INPUT, "diffsorp solver: T = %d (at least 1)", c->t_end);
    if (c->n_phases < 1 || c->n_phases > DC_DIFFSORP_MAX_PHASES)
        DC_FAIL(DC_ERR_INPUT, "diffsorp solver: %d phases (1 to %d)", c->n_phases,
                DC_DIFFSORP_MAX_PHASES);
    if (c->phase_end[c->n_phases - 1] != c->t_end)
        DC_FAIL(DC_ERR_INPUT, "diffsorp solver: the last phase ends at %g, not T = %d",
                c->phase_end[c->n_phases - 1], c->t_end);
    if (!(c->newton_tol > 0.0) || c->newton_max < 1)
        DC_FAIL(DC_ERR_INPUT, "diffsorp solver: Newton tolerance %g, %d iterations", c->newton_tol,
                c->newton_max);
    if (!isfinite(c->u_init)) DC_FAIL(DC_ERR_INPUT, "diffsorp solver: u_init = %g", c->u_init);
    for (int p = 0; p < c->n_phases; p++) {
        const double t0 = phase_start(c, p), t1 = c->phase_end[p], h = c->phase_h[p];
        if (!(h > 0.0) || !isfinite(h) || !(t1 > t0))
            DC_FAIL(DC_ERR_INPUT, "diffsorp solver: phase %d: [%g, %g] with step %g", p, t0, t1, h);
        s->phase_steps[p] = whole_multiple(t1 - t0, h);
        if (s->phase_steps[p] < 1)
            DC_FAIL(DC_ERR_INPUT,
                    "diffsorp solver: phase %d: [%g, %g] is no whole number of steps %g", p, t0, t1,
                    h);
        for (int f = (int)floor(t0) + 1; f <= t1; f++)
            if (whole_multiple(f - t0, h) < 0)
                DC_FAIL(DC_ERR_INPUT, "diffsorp solver: frame t = %d is not on a step of %g", f, h);
        if (p == 0) continue;
        const int64_t r = whole_multiple(h, c->phase_h[p - 1]);
        if (r < 1 || r > s->phase_steps[p - 1])
            DC_FAIL(DC_ERR_INPUT,
                    "diffsorp solver: step %g after %g: not a whole multiple within the phase "
                    "before (t_s - h_new must be one of its states)",
                    h, c->phase_h[p - 1]);
    }
cleanup:
    return rc;
}

/* Keeps u(t_s - h_next) when t has reached it: phase p's last r steps lie ahead, r = h_next/h_p. */
static void keep_if_due(dc_diffsorp_solver *s)
{
    const int p = s->phase;
    if (p + 1 >= s->cfg.n_phases) return;
    const int64_t r = whole_multiple(s->cfg.phase_h[p + 1], s->cfg.phase_h[p]);
    if (s->k == s->phase_steps[p] - r) memcpy(s->kept, s->u, (size_t)s->cfg.n_cells * sizeof *s->u);
}

int dc_diffsorp_solver_init(dc_diffsorp_solver *s, const dc_diffsorp_solver_cfg *cfg, dc_error *err)
{
    int rc = DC_OK;
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    DC_TRY(dc_diffsorp_fv_init(&s->fv, cfg->n_cells, cfg->D, cfg->K, cfg->n_f, err));
    DC_TRY(check_schedule(s, err));
    const int N = cfg->n_cells;
    double **bufs[] = {&s->u,  &s->u1, &s->u2, &s->kept, &s->f,
                       &s->lo, &s->di, &s->up, &s->rhs,  &s->cp};
    for (size_t b = 0; b < sizeof bufs / sizeof *bufs; b++) DC_ALLOC(*bufs[b], N);
    for (int i = 0; i < N; i++) s->u[i] = cfg->u_init;
    keep_if_due(s);
cleanup:
    if (rc) dc_diffsorp_solver_free(s);
    return rc;
}

void dc_diffsorp_solver_free(dc_diffsorp_solver *s)
{
    double *bufs[] = {s->u, s->u1, s->u2, s->kept, s->f, s->lo, s->di, s->up, s->rhs, s->cp};
    for (size_t b = 0; b < sizeof bufs / sizeof *bufs; b++) free(bufs[b]);
    memset(s, 0, sizeof *s);
}

int dc_diffsorp_solver_done(const dc_diffsorp_solver *s)
{
    return s->phase >= s->cfg.n_phases;
}

/* ---- one step ---- */

/* Solves the tridiagonal (lo, di, up) x = rhs in place of rhs (cp: work). Without pivoting: the
 * Newton matrices I - gamma df/du are diagonally dominant but for the R' term ahead of the front.
 */
static int thomas(int N, const double *lo, const double *di, const double *up, double *rhs,
                  double *cp)
{
    double beta = di[0];
    if (beta == 0.0) return -1;
    cp[0] = up[0] / beta;
    rhs[0] /= beta;
    for (int i = 1; i < N; i++) {
        beta = di[i] - lo[i] * cp[i - 1];
        if (beta == 0.0) return -1;
        cp[i] = up[i] / beta;
        rhs[i] = (rhs[i] - lo[i] * rhs[i - 1]) / beta;
    }
    for (int i = N - 2; i >= 0; i--) rhs[i] -= cp[i] * rhs[i + 1];
    return 0;
}

/* Newton for u - a u1 + b u2 - gamma f(u) = 0 from u = u1; the root in u. */
static int newton(dc_diffsorp_solver *s, double *u, const double *u1, const double *u2,
                  dc_error *err)
{
    int rc = DC_OK;
    const int N = s->cfg.n_cells;
    const double a = s->a, b = s->b, gamma = s->gamma;
    double last = NAN;
    memcpy(u, u1, (size_t)N * sizeof *u);
    for (int it = 1; it <= s->cfg.newton_max; it++) {
        fv_eval(&s->fv, u, s->f, s->lo, s->di, s->up);
        for (int i = 0; i < N; i++) {
            s->rhs[i] = -(u[i] - a * u1[i] + b * u2[i] - gamma * s->f[i]);
            s->lo[i] = -gamma * s->lo[i];
            s->up[i] = -gamma * s->up[i];
            s->di[i] = 1.0 - gamma * s->di[i];
        }
        if (thomas(N, s->lo, s->di, s->up, s->rhs, s->cp))
            DC_FAIL(DC_ERR_NUMERIC, "diffsorp solver: singular Newton matrix at t = %.10g", s->t);
        double max_delta = 0.0;
        int finite = 1;
        for (int i = 0; i < N; i++) {
            u[i] += s->rhs[i];
            const double d = fabs(s->rhs[i]);
            finite &= isfinite(d) && isfinite(u[i]);
            if (d > max_delta) max_delta = d;
        }
        if (!finite)
            DC_FAIL(DC_ERR_NUMERIC,
                    "diffsorp solver: non-finite Newton iterate at t = %.10g (step h = %g)", s->t,
                    s->cfg.phase_h[s->phase]);
        s->newton_iterations++;
        if (it > s->newton_max_step) s->newton_max_step = it;
        last = max_delta;
        if (max_delta < s->cfg.newton_tol) goto cleanup;
    }
    rc = dc_error_set(err, DC_ERR_NUMERIC,
                      "diffsorp solver: Newton did not converge in %d iterations from t = %.10g "
                      "(step h = %g, last max |delta| %.3g)",
                      s->cfg.newton_max, s->t, s->cfg.phase_h[s->phase], last);
cleanup:
    return rc;
}

int dc_diffsorp_solver_step(dc_diffsorp_solver *s, dc_error *err)
{
    int rc = DC_OK;
    if (dc_diffsorp_solver_done(s))
        DC_FAIL(DC_ERR_INTERNAL, "diffsorp solver: a step past T = %d", s->cfg.t_end);
    const int p = s->phase;
    const double h = s->cfg.phase_h[p];
    if (s->steps == 0) { /* backward Euler: BDF2 needs a second past state */
        s->a = 1.0;
        s->b = 0.0;
        s->gamma = h;
    } else {
        s->a = 4.0 / 3.0;
        s->b = 1.0 / 3.0;
        s->gamma = 2.0 * h / 3.0;
    }
    /* at a change of step, u^{n-2} is the kept state at t_s - h_new; u2 is free either way */
    const double *u2 = s->k == 0 && p > 0 ? s->kept : s->u1;
    double *next = s->u2;
    DC_TRY(newton(s, next, s->u, u2, err));
    s->u2 = s->u1;
    s->u1 = s->u;
    s->u = next;
    s->steps++;
    s->k++;
    s->t = phase_start(&s->cfg, p) + (double)s->k * h;
    if (s->k == s->phase_steps[p]) {
        s->t = s->cfg.phase_end[p];
        s->phase++;
        s->k = 0;
    }
    keep_if_due(s);
cleanup:
    return rc;
}

int dc_diffsorp_solve(const dc_diffsorp_solver_cfg *cfg, double *frames,
                      dc_diffsorp_solve_stats *stats, dc_error *err)
{
    int rc = DC_OK;
    dc_diffsorp_solver s;
    DC_TRY(dc_diffsorp_solver_init(&s, cfg, err));
    const size_t N = (size_t)cfg->n_cells;
    memcpy(frames, s.u, N * sizeof *frames);
    int frame = 1;
    while (!dc_diffsorp_solver_done(&s)) {
        const double h = s.cfg.phase_h[s.phase];
        DC_TRY(dc_diffsorp_solver_step(&s, err));
        /* check_schedule put every frame on a step: the nearest one is it */
        if (frame <= cfg->t_end && fabs(s.t - frame) < 0.25 * h) {
            memcpy(frames + (size_t)frame * N, s.u, N * sizeof *frames);
            frame++;
        }
    }
    if (frame != cfg->t_end + 1)
        DC_FAIL(DC_ERR_INTERNAL, "diffsorp solver: %d frames of %d", frame, cfg->t_end + 1);
    if (stats) {
        stats->steps = s.steps;
        stats->newton_iterations = s.newton_iterations;
        stats->newton_max_step = s.newton_max_step;
    }
cleanup:
    dc_diffsorp_solver_free(&s);
    return rc;
}

/* ---- the metrics' u_x and the data points ---- */

void dc_diffsorp_differences(int n_cells, const double *u, double *u_x)
{
    const int N = n_cells;
    const double two_dx = 2.0 * (1.0 / N);
    u_x[0] = (-3.0 * u[0] + 4.0 * u[1] - u[2]) / two_dx;
    for (int i = 1; i < N - 1; i++) u_x[i] = (u[i + 1] - u[i - 1]) / two_dx;
    u_x[N - 1] = (3.0 * u[N - 1] - 4.0 * u[N - 2] + u[N - 3]) / two_dx;
}

/* The positions the shuffle has moved a value to, as an open-addressing map position -> value
 * (absent: the value is the position), or a plain array when that is no larger. */
typedef struct moved_map {
    int64_t *key, *val; /* [cap]; key -1 = empty; val alone (key NULL) is the dense perm [G] */
    uint64_t mask;
    int shift;
} moved_map;

static uint64_t moved_home(const moved_map *m, int64_t pos)
{
    return ((uint64_t)pos * 0x9E3779B97F4A7C15ull) >> m->shift; /* Fibonacci hashing */
}

static int64_t moved_get(const moved_map *m, int64_t pos)
{
    if (!m->key) return m->val[pos];
    uint64_t i = moved_home(m, pos);
    while (m->key[i] != -1) {
        if (m->key[i] == pos) return m->val[i];
        i = (i + 1) & m->mask;
    }
    return pos;
}

static void moved_set(moved_map *m, int64_t pos, int64_t value)
{
    if (!m->key) {
        m->val[pos] = value;
        return;
    }
    uint64_t i = moved_home(m, pos);
    while (m->key[i] != -1 && m->key[i] != pos) i = (i + 1) & m->mask;
    m->key[i] = pos;
    m->val[i] = value;
}

int dc_diffsorp_data_select(int64_t G, int64_t n_d, int64_t *index, dc_error *err)
{
    int rc = DC_OK;
    moved_map m = {0};
    /* (z >> 32) (G - n) must not overflow 64 bits */
    if (G < 1 || G > (int64_t)UINT32_MAX + 1 || n_d < 0 || n_d > G)
        DC_FAIL(DC_ERR_INPUT, "diffsorp data selection: %lld points of a grid of %lld",
                (long long)n_d, (long long)G);
    /* at most n_d positions beyond the ones already taken ever hold a moved value */
    int log_cap = 4;
    while ((int64_t)1 << log_cap < 2 * n_d) log_cap++;
    const int64_t cap = (int64_t)1 << log_cap;
    if (G <= 2 * cap) {
        DC_ALLOC(m.val, G);
        for (int64_t g = 0; g < G; g++) m.val[g] = g;
    } else {
        DC_ALLOC(m.key, cap);
        DC_ALLOC(m.val, cap);
        for (int64_t i = 0; i < cap; i++) m.key[i] = -1;
        m.mask = (uint64_t)cap - 1;
        m.shift = 64 - log_cap;
    }
    uint64_t s = 42;
    for (int64_t n = 0; n < n_d; n++) {
        s += 0x9E3779B97F4A7C15ull;
        uint64_t z = s;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        const int64_t j = n + (int64_t)(((z >> 32) * (uint64_t)(G - n)) >> 32);
        const int64_t at_n = moved_get(&m, n), at_j = moved_get(&m, j);
        index[n] = at_j;
        /* the swap's other half: position n is never read again */
        moved_set(&m, j, at_n);
    }
cleanup:
    free(m.key);
    free(m.val);
    return rc;
}

void dc_diffsorp_data_points(int n_cells, const double *frames, const int64_t *index, int64_t n,
                             double *xt, double *target)
{
    for (int64_t k = 0; k < n; k++) {
        const int64_t g = index[k], f = g / n_cells, i = g % n_cells;
        if (xt) {
            xt[2 * k] = (i + 0.5) / n_cells;
            xt[2 * k + 1] = (double)f;
        }
        if (target) target[k] = frames[g];
    }
}
