/* The diffusion-sorption reference solver (src/model/diffsorp/diffsorp_solver.h) without the
 * golden file: the constants, the Jacobian against finite differences, BDF2's order, a discrete
 * mass balance, the error paths, the differences and the data-point selection. */
#include <stdint.h>

#include "check.h"
#include "diffsorp_solver.h"

/* max |a - b| over n */
static double max_abs_diff(const double *a, const double *b, int64_t n)
{
    double m = 0.0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static void test_constants(void)
{
    const double K = dc_diffsorp_freundlich_K(DC_DIFFSORP_PHI, DC_DIFFSORP_RHO_S, DC_DIFFSORP_K_F,
                                              DC_DIFFSORP_N_F);
    CHECK(K == 2.1569114482758622, "K = %.17g", K);
    dc_diffsorp_fv fv;
    dc_error err = {0};
    CHECK(dc_diffsorp_fv_init(&fv, 1024, DC_DIFFSORP_D, K, DC_DIFFSORP_N_F, &err) == DC_OK, "%s",
          err.message);
    CHECK(fabs(fv.rho - 0.011857708) < 5e-10, "rho = %.10g", fv.rho);
    /* the spec's schedule: 8600 steps at T = 500 in five phases */
    dc_diffsorp_solver_cfg cfg;
    dc_diffsorp_solver_defaults(&cfg, 500, 0.0);
    dc_diffsorp_solver s;
    CHECK(dc_diffsorp_solver_init(&s, &cfg, &err) == DC_OK, "%s", err.message);
    int64_t steps = 0;
    for (int p = 0; p < cfg.n_phases; p++) steps += s.phase_steps[p];
    CHECK(cfg.n_phases == 5 && steps == 8600, "%d phases, %lld steps", cfg.n_phases,
          (long long)steps);
    dc_diffsorp_solver_free(&s);
}

/* The exact Jacobian against central differences of f, at a state with u > 0 (R' != 0), u < 0
 * (R' = 0) and both boundary rows; entries off the three diagonals must be zero. */
static void test_jacobian(void)
{
    enum { N = 12 };
    dc_diffsorp_fv fv;
    dc_error err = {0};
    dc_diffsorp_fv_init(&fv, N, DC_DIFFSORP_D, 2.1569114482758622, DC_DIFFSORP_N_F, &err);
    double u[N], f0[N], lo[N], di[N], up[N], fp[N], fm[N];
    for (int i = 0; i < N; i++) u[i] = 0.9 - 0.07 * i + 0.05 * sin(3.0 * i);
    u[7] = -0.2;
    u[8] = 0.01;
    dc_diffsorp_fv_jacobian(&fv, u, f0, lo, di, up);
    dc_diffsorp_fv_rhs(&fv, u, fp);
    CHECK(memcmp(f0, fp, sizeof f0) == 0, "f from the Jacobian's pass differs");
    double worst = 0.0, scale = 0.0;
    for (int j = 0; j < N; j++) {
        const double eps = 1e-6 * fmax(fabs(u[j]), 1e-2), uj = u[j];
        u[j] = uj + eps;
        dc_diffsorp_fv_rhs(&fv, u, fp);
        u[j] = uj - eps;
        dc_diffsorp_fv_rhs(&fv, u, fm);
        u[j] = uj;
        for (int i = 0; i < N; i++) {
            const double fd = (fp[i] - fm[i]) / (2.0 * eps);
            const double exact = i == j ? di[i] : i == j + 1 ? lo[i] : i + 1 == j ? up[i] : 0.0;
            worst = fmax(worst, fabs(fd - exact));
            scale = fmax(scale, fabs(exact));
        }
    }
    CHECK(worst <= 1e-6 * scale, "Jacobian vs central differences: %.3g of %.3g", worst, scale);
    printf("jacobian: max |exact - FD| %.3g (largest entry %.3g)\n", worst, scale);
}

/* BDF2's order at a constant step. A smooth problem: 16 cells (the largest eigenvalue of df/du is
 * about 0.16 /s, so h <= 0.25 resolves every mode and the corner incompatibility has no stiff mode
 * to hide in), u_init = 1 so that u stays in (0, 1] where R is smooth (near u = 0, R' ~ u^-1.13).
 * The right boundary drains the field, so the solution moves by O(1) over T = 8. Errors against
 * h/32. */
static void test_order(void)
{
    enum { N = 16, T = 8, F = (T + 1) * N };
    static double fine[F], coarse[3][F];
    dc_diffsorp_solver_cfg cfg;
    dc_error err = {0};
    dc_diffsorp_solver_defaults(&cfg, T, 1.0);
    cfg.n_cells = N;
    dc_diffsorp_solver_constant_step(&cfg, 1.0 / 512);
    CHECK(dc_diffsorp_solve(&cfg, fine, NULL, &err) == DC_OK, "%s", err.message);
    double e[3];
    for (int k = 0; k < 3; k++) {
        dc_diffsorp_solver_constant_step(&cfg, 0.25 / (1 << k));
        CHECK(dc_diffsorp_solve(&cfg, coarse[k], NULL, &err) == DC_OK, "%s", err.message);
        e[k] = max_abs_diff(coarse[k], fine, F);
    }
    double moved = 0.0;
    for (int i = 0; i < N; i++) moved = fmax(moved, fabs(fine[T * N + i] - 1.0));
    CHECK(moved > 0.1, "the field moved by %.3g only", moved);
    for (int k = 0; k < 2; k++) {
        const double order = log2(e[k] / e[k + 1]);
        CHECK(order >= 1.8 && order <= 2.2, "observed order %.3f between h = %g and %g", order,
              0.25 / (1 << k), 0.125 / (1 << k));
    }
    printf("order: errors %.3e %.3e %.3e at h = 0.25, 0.125, 0.0625: orders %.3f %.3f\n", e[0],
           e[1], e[2], log2(e[0] / e[1]), log2(e[1] / e[2]));
}

/* The discrete mass balance. With K = 0 (R = 1) the scheme is conservative: summing f_i dx over the
 * cells telescopes to the face fluxes, sum_i f_i dx = F_L - F_R with F_L = D (u_{-1} - u_0)/dx =
 * 2 D (1 - u_0)/dx (in through x = 0) and F_R = D (u_{N-1} - u_N)/dx = D (1 - rho) u_{N-1}/dx (out
 * through x = 1). Every step solves u - a u1 + b u2 = gamma f(u), so M = sum_i u_i dx obeys
 * M - a M1 + b M2 = gamma (F_L(u) - F_R(u)) to the Newton tolerance. u2 is the test's own record of
 * the state at t - h (at a change of step: r = h_new/h_old steps of the finer phase back), which
 * checks the step-change rule too. A wrong ghost, flux or u2 breaks it by far more than 1e-13. */
static void test_mass_balance(void)
{
    enum { N = 64, MAX_STEPS = 64 };
    static double hist[MAX_STEPS][N];
    dc_diffsorp_solver_cfg cfg;
    dc_error err = {0};
    dc_diffsorp_solver_defaults(&cfg, 1, 0.3);
    cfg.n_cells = N;
    cfg.K = 0.0;
    cfg.n_phases = 2;
    cfg.phase_end[0] = 0.1;
    cfg.phase_h[0] = 0.01;
    cfg.phase_end[1] = 1.0;
    cfg.phase_h[1] = 0.05; /* r = 5 */
    dc_diffsorp_solver s;
    CHECK(dc_diffsorp_solver_init(&s, &cfg, &err) == DC_OK, "%s", err.message);
    const double dx = 1.0 / N, D = cfg.D, rho = s.fv.rho;
    memcpy(hist[0], s.u, sizeof hist[0]);
    double worst = 0.0, biggest_flux = 0.0;
    int n = 0, ok = 1;
    while (ok && !dc_diffsorp_solver_done(&s) && n + 1 < MAX_STEPS) {
        const int phase = s.phase, at_change = s.k == 0 && phase > 0;
        const double h = cfg.phase_h[phase];
        ok = dc_diffsorp_solver_step(&s, &err) == DC_OK;
        CHECK(ok, "%s", err.message);
        n++;
        memcpy(hist[n], s.u, sizeof hist[n]);
        const double a = n == 1 ? 1.0 : 4.0 / 3.0, b = n == 1 ? 0.0 : 1.0 / 3.0;
        const double gamma = n == 1 ? h : 2.0 * h / 3.0;
        CHECK(s.a == a && s.b == b && s.gamma == gamma, "step %d: a %g b %g gamma %g", n, s.a, s.b,
              s.gamma);
        const int back2 = at_change ? n - 1 - (int)lround(h / cfg.phase_h[phase - 1]) : n - 2;
        double M = 0.0, M1 = 0.0, M2 = 0.0;
        for (int i = 0; i < N; i++) {
            M += hist[n][i] * dx;
            M1 += hist[n - 1][i] * dx;
            M2 += back2 >= 0 ? hist[back2][i] * dx : 0.0;
        }
        const double FL = 2.0 * D * (1.0 - hist[n][0]) / dx;
        const double FR = D * (1.0 - rho) * hist[n][N - 1] / dx;
        worst = fmax(worst, fabs(M - a * M1 + b * M2 - gamma * (FL - FR)));
        biggest_flux = fmax(biggest_flux, fabs(gamma * (FL - FR)));
    }
    CHECK(n == 28 && dc_diffsorp_solver_done(&s), "%d steps", n);
    CHECK(worst < 1e-13, "mass balance off by %.3g", worst);
    CHECK(biggest_flux > 1e-4, "the balance is trivial: largest gamma flux %.3g", biggest_flux);
    printf("mass balance (K = 0): max defect %.3g per step, largest gamma (F_L - F_R) %.3g\n",
           worst, biggest_flux);
    dc_diffsorp_solver_free(&s);

    /* With sorption the semi-discrete system conserves the R-weighted sum at any state:
     * sum_i R(u_i) f_i dx = F_L - F_R (R(u_i) f_i = D lap_i telescopes). */
    dc_diffsorp_fv fv;
    dc_diffsorp_fv_init(&fv, N, D, 2.1569114482758622, DC_DIFFSORP_N_F, &err);
    double u[N], f[N], sum = 0.0;
    for (int i = 0; i < N; i++) u[i] = 0.5 + 0.4 * cos(0.3 * i);
    dc_diffsorp_fv_rhs(&fv, u, f);
    for (int i = 0; i < N; i++)
        sum += (1.0 + fv.K * pow(u[i] + 1e-6, DC_DIFFSORP_N_F - 1.0)) * f[i] * dx;
    const double flux = 2.0 * D * (1.0 - u[0]) / dx - D * (1.0 - fv.rho) * u[N - 1] / dx;
    CHECK(fabs(sum - flux) < 1e-14, "R-weighted balance: %.17g vs %.17g", sum, flux);
}

static void test_errors(void)
{
    dc_diffsorp_solver_cfg cfg;
    dc_diffsorp_solver s;
    dc_error err = {0};
    /* Newton that may not converge: one iteration cannot reach 1e-12 from u^{n-1} */
    dc_diffsorp_solver_defaults(&cfg, 1, 0.0);
    cfg.newton_max = 1;
    static double frames[2 * DC_DIFFSORP_NX];
    int rc = dc_diffsorp_solve(&cfg, frames, NULL, &err);
    CHECK(rc == DC_ERR_NUMERIC && strstr(err.message, "did not converge"), "rc %d: %s", rc,
          err.message);
    /* a non-finite state reaching Newton */
    dc_diffsorp_solver_defaults(&cfg, 1, 0.0);
    CHECK(dc_diffsorp_solver_init(&s, &cfg, &err) == DC_OK, "%s", err.message);
    s.u[5] = NAN;
    rc = dc_diffsorp_solver_step(&s, &err);
    CHECK(rc == DC_ERR_NUMERIC && strstr(err.message, "non-finite"), "rc %d: %s", rc, err.message);
    dc_diffsorp_solver_free(&s);
    /* a step past T */
    dc_diffsorp_solver_defaults(&cfg, 1, 0.0);
    cfg.n_cells = 8;
    dc_diffsorp_solver_constant_step(&cfg, 0.5);
    CHECK(dc_diffsorp_solver_init(&s, &cfg, &err) == DC_OK, "%s", err.message);
    for (int k = 0; k < 2; k++)
        CHECK(dc_diffsorp_solver_step(&s, &err) == DC_OK, "%s", err.message);
    CHECK(dc_diffsorp_solver_done(&s) && s.t == 1.0, "t = %g", s.t);
    CHECK(dc_diffsorp_solver_step(&s, &err) == DC_ERR_INTERNAL, "a step past T");
    dc_diffsorp_solver_free(&s);
    /* refused configurations */
    struct {
        const char *what;
        int n_phases;
        double end[3], h[3];
        double u_init;
    } bad[] = {
        {"NaN u_init", 1, {2}, {0.5}, NAN},
        {"steps not dividing the phase", 1, {2}, {0.3}, 0.0},
        {"a frame between steps", 2, {0.5, 2}, {0.5, 1.5}, 0.0},
        {"step ratio not whole", 2, {1, 2}, {0.1, 0.25}, 0.0},
        {"ratio beyond the phase before", 3, {0.5, 1, 2}, {0.25, 0.5, 1}, 0.0},
        {"last phase not at T", 1, {1}, {0.5}, 0.0},
    };
    for (size_t c = 0; c < sizeof bad / sizeof *bad; c++) {
        dc_diffsorp_solver_defaults(&cfg, 2, bad[c].u_init);
        cfg.n_cells = 8;
        cfg.n_phases = bad[c].n_phases;
        for (int p = 0; p < 3; p++) {
            cfg.phase_end[p] = bad[c].end[p];
            cfg.phase_h[p] = bad[c].h[p];
        }
        rc = dc_diffsorp_solver_init(&s, &cfg, &err);
        CHECK(rc == DC_ERR_INPUT, "%s: rc %d", bad[c].what, rc);
        printf("refused (%s): %s\n", bad[c].what, err.message);
    }
}

/* Second-order differences are exact on a quadratic. */
static void test_differences(void)
{
    enum { N = 10 };
    double u[N], ux[N], worst = 0.0;
    for (int i = 0; i < N; i++) {
        const double x = (i + 0.5) / N;
        u[i] = 3.0 * x * x - x + 0.25;
    }
    dc_diffsorp_differences(N, u, ux);
    for (int i = 0; i < N; i++) worst = fmax(worst, fabs(ux[i] - (6.0 * (i + 0.5) / N - 1.0)));
    CHECK(worst < 1e-12, "differences of a quadratic off by %.3g", worst);
}

/* The spec's shuffle written the plain way: a full perm array. */
static void brute_select(int64_t G, int64_t n_d, int64_t *out)
{
    int64_t *perm = malloc((size_t)G * sizeof *perm);
    for (int64_t g = 0; g < G; g++) perm[g] = g;
    uint64_t s = 42;
    for (int64_t n = 0; n < n_d; n++) {
        s += 0x9E3779B97F4A7C15ull;
        uint64_t z = s;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        const int64_t j = n + (int64_t)(((z >> 32) * (uint64_t)(G - n)) >> 32), t = perm[n];
        perm[n] = perm[j];
        perm[j] = t;
        out[n] = perm[n];
    }
    free(perm);
}

static void test_selection(void)
{
    /* dense path (n_d close to G), map path (n_d << G), and the whole permutation */
    const int64_t cases[][2] = {{1000, 1000}, {1000, 700}, {300000, 5000}, {5000000, 37}};
    dc_error err = {0};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const int64_t G = cases[c][0], n = cases[c][1];
        int64_t *mine = malloc((size_t)n * sizeof *mine), *ref = malloc((size_t)n * sizeof *ref);
        CHECK(dc_diffsorp_data_select(G, n, mine, &err) == DC_OK, "%s", err.message);
        brute_select(G, n, ref);
        CHECK(memcmp(mine, ref, (size_t)n * sizeof *mine) == 0, "G %lld n %lld differs",
              (long long)G, (long long)n);
        /* a longer selection extends a shorter one */
        int64_t shorter[20];
        dc_diffsorp_data_select(G, 20, shorter, &err);
        CHECK(memcmp(shorter, mine, sizeof shorter) == 0, "G %lld: no prefix", (long long)G);
        free(mine);
        free(ref);
    }
    int64_t all[1000];
    char seen[1000] = {0};
    dc_diffsorp_data_select(1000, 1000, all, &err);
    int distinct = 1;
    for (int k = 0; k < 1000; k++) {
        distinct &= all[k] >= 0 && all[k] < 1000 && !seen[all[k]];
        if (all[k] >= 0 && all[k] < 1000) seen[all[k]] = 1;
    }
    CHECK(distinct, "the full selection is no permutation");
    CHECK(dc_diffsorp_data_select(10, 11, all, &err) == DC_ERR_INPUT, "11 of 10");
    /* flat index g = N f + i -> ((i + 0.5)/N, f), target frames[g] */
    const double frames[12] = {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23};
    const int64_t idx[2] = {6, 8};
    double xt[4], target[2];
    dc_diffsorp_data_points(4, frames, idx, 2, xt, target);
    CHECK(xt[0] == 2.5 / 4 && xt[1] == 1.0 && target[0] == 12.0, "point 6: %g %g %g", xt[0], xt[1],
          target[0]);
    CHECK(xt[2] == 0.5 / 4 && xt[3] == 2.0 && target[1] == 20.0, "point 8: %g %g %g", xt[2], xt[3],
          target[1]);
}

int main(void)
{
    test_constants();
    test_jacobian();
    test_order();
    test_mass_balance();
    test_errors();
    test_differences();
    test_selection();
    return check_finish();
}
