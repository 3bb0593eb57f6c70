/* The diffusion-sorption reference solver against ../shared/golden/diffsorp.h5 (numpy and scipy,
 * ../shared/spec/DIFFSORP.md): the spec's BDF2 run (T = 500, u_init = 0) against the file's own
 * BDF2 frames to 1e-12 and against scipy's Radau field to 1e-7 (evaluation frames) and 1e-5 (all),
 * the reference's u_x on the evaluation frames, and the data-point selection exactly. Prints the
 * solve's wall time (one thread), the Newton counts and every measured error. Measured (release
 * build, 2026-12-07, shared 2-core machine): 1.05 s CPU, 2.3 to 4.1 s wall under load; 8600 steps,
 * 23756 Newton iterations (the file's numpy run: the same), at most 6 per step. */
#include <hdf5.h>
#include <stdint.h>
#include <time.h>

#include "check.h"
#include "diffsorp_solver.h"

enum { N = DC_DIFFSORP_NX, T = 500, F = T + 1, Q = DC_DIFFSORP_EVAL_NT };

static int read_ds(hid_t file, const char *path, hid_t type, void *buf, int64_t n)
{
    hid_t ds = H5Dopen2(file, path, H5P_DEFAULT);
    if (ds < 0) return -1;
    hid_t sp = H5Dget_space(ds);
    const int64_t count = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    int rc = count == n && H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0 ? 0 : -1;
    H5Dclose(ds);
    if (rc)
        fprintf(stderr, "golden: cannot read %s (%lld elements, expected %lld)\n", path,
                (long long)count, (long long)n);
    return rc;
}

static int read_attr_i64(hid_t file, const char *obj, const char *name, int64_t *v)
{
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return -1;
    const int rc = H5Aread(a, H5T_NATIVE_INT64, v) < 0 ? -1 : 0;
    H5Aclose(a);
    return rc;
}

/* max |a_q - b_q| over rows: a [rows][N] */
static double max_abs(const double *a, const double *b, int64_t n)
{
    double m = 0.0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void check_field(hid_t file)
{
    static double mine[F * N], radau[F * N], eval[Q * N], early[10 * N], ux_gold[Q * N];
    static double ux_mine[Q * N], ux_radau[Q * N];
    double x[N], t[F];
    int64_t frames_q[Q], iters_gold = -1;
    if (read_ds(file, "reference/u", H5T_NATIVE_DOUBLE, radau, F * N) ||
        read_ds(file, "reference/bdf2_u_eval", H5T_NATIVE_DOUBLE, eval, Q * N) ||
        read_ds(file, "reference/bdf2_u_early", H5T_NATIVE_DOUBLE, early, 10 * N) ||
        read_ds(file, "reference/u_x_eval", H5T_NATIVE_DOUBLE, ux_gold, Q * N) ||
        read_ds(file, "reference/x", H5T_NATIVE_DOUBLE, x, N) ||
        read_ds(file, "reference/t", H5T_NATIVE_DOUBLE, t, F) ||
        read_ds(file, "reference/eval_frames", H5T_NATIVE_INT64, frames_q, Q)) {
        CHECK(0, "golden reference/ unreadable");
        return;
    }
    read_attr_i64(file, "reference", "bdf2_newton_iterations", &iters_gold);
    int grid_ok = 1;
    for (int i = 0; i < N; i++) grid_ok &= x[i] == (i + 0.5) / N;
    for (int f = 0; f < F; f++) grid_ok &= t[f] == f;
    for (int q = 0; q < Q; q++) grid_ok &= frames_q[q] == T - 19 + q;
    CHECK(grid_ok, "golden x, t or eval_frames are not the spec's grid");

    dc_diffsorp_solver_cfg cfg;
    dc_diffsorp_solve_stats st;
    dc_error err = {0};
    dc_diffsorp_solver_defaults(&cfg, T, 0.0);
    const double t0 = now();
    const clock_t c0 = clock();
    const int rc = dc_diffsorp_solve(&cfg, mine, &st, &err);
    const double wall = now() - t0, cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    CHECK(rc == DC_OK, "%s", err.message);
    if (rc) return;
    printf("solve T = %d, N = %d: %.3f s wall, %.3f s CPU (one thread), %lld steps, %lld Newton "
           "iterations "
           "(golden's numpy run: %lld), at most %d per step\n",
           T, N, wall, cpu, (long long)st.steps, (long long)st.newton_iterations,
           (long long)iters_gold, st.newton_max_step);
    CHECK(st.steps == 8600, "%lld steps", (long long)st.steps);
    /* the same iteration count as the file's own run: the same stopping rule on the same iterates
     */
    CHECK(st.newton_iterations == iters_gold, "%lld Newton iterations, golden %lld",
          (long long)st.newton_iterations, (long long)iters_gold);
    CHECK(st.newton_max_step <= 6, "%d Newton iterations in one step", st.newton_max_step);

    /* the same scheme in numpy (LAPACK banded solves): rounding apart */
    const double *q0 = mine + (size_t)(T - 19) * N;
    const double e_eval = max_abs(q0, eval, Q * N), e_early = max_abs(mine + N, early, 10 * N);
    CHECK(e_eval <= 1e-12, "bdf2_u_eval: max |du| %.3g", e_eval);
    CHECK(e_early <= 1e-12, "bdf2_u_early: max |du| %.3g", e_early);
    /* scipy's Radau on the same system: the schedule's time error */
    const double r_eval = max_abs(q0, radau + (size_t)(T - 19) * N, Q * N);
    const double r_all = max_abs(mine, radau, F * N);
    CHECK(r_eval <= 1e-7, "vs Radau, evaluation frames: max |du| %.3g", r_eval);
    CHECK(r_all <= 1e-5, "vs Radau, all frames: max |du| %.3g", r_all);
    printf("vs golden BDF2: eval %.3g, early %.3g (tol 1e-12); vs Radau: eval %.3g (tol 1e-7), "
           "all %.3g (tol 1e-5)\n",
           e_eval, e_early, r_eval, r_all);

    /* u_x: the differences of the golden's own field reproduce u_x_eval to rounding (the stencils
     * are the spec's); of ours, the bound that follows from the u tolerance: the end stencil
     * (-3, 4, -1)/(2 dx) has absolute sum 4/dx, so |du_x| <= 4 N 1e-7 = 4.1e-4. */
    for (int q = 0; q < Q; q++) {
        dc_diffsorp_differences(N, q0 + (size_t)q * N, ux_mine + (size_t)q * N);
        dc_diffsorp_differences(N, radau + (size_t)(T - 19 + q) * N, ux_radau + (size_t)q * N);
    }
    const double ux_self = max_abs(ux_radau, ux_gold, Q * N);
    const double ux_err = max_abs(ux_mine, ux_gold, Q * N);
    double ux_scale = 0.0, nrmse = 0.0;
    for (int q = 0; q < Q; q++) {
        double num = 0.0, den = 0.0;
        for (int i = 0; i < N; i++) {
            const double g = ux_gold[q * N + i], d = ux_mine[q * N + i] - g;
            num += d * d;
            den += g * g;
            ux_scale = fmax(ux_scale, fabs(g));
        }
        nrmse += sqrt(num / den) / Q;
    }
    CHECK(ux_self <= 1e-12 * fmax(1.0, ux_scale), "u_x of the golden field: max |d| %.3g", ux_self);
    CHECK(ux_err <= 4.0 * N * 1e-7, "u_x_eval: max |d| %.3g", ux_err);
    printf("u_x_eval: from the golden u %.3g (tol 1e-12 x max(1, %.3g)), from ours %.3g "
           "(tol 4 N 1e-7 = %.3g), nRMSE %.3g\n",
           ux_self, ux_scale, ux_err, 4.0 * N * 1e-7, nrmse);

    /* the data term's targets: the first four of the selection, from the field */
    int64_t idx[4], idx_gold[4];
    double target_gold[4], target_radau[4], target_mine[4], xt[8];
    if (!read_ds(file, "inputs/data_flat_index", H5T_NATIVE_INT64, idx_gold, 4) &&
        !read_ds(file, "inputs/data_targets", H5T_NATIVE_DOUBLE, target_gold, 4)) {
        dc_diffsorp_data_select((int64_t)N * F, 4, idx, &err);
        CHECK(memcmp(idx, idx_gold, sizeof idx) == 0, "inputs/data_flat_index differs");
        dc_diffsorp_data_points(N, radau, idx, 4, xt, target_radau);
        dc_diffsorp_data_points(N, mine, idx, 4, NULL, target_mine);
        CHECK(max_abs(target_radau, target_gold, 4) == 0.0, "data_targets are not the field's");
        CHECK(max_abs(target_mine, target_gold, 4) <= 1e-5, "data_targets from ours: %.3g",
              max_abs(target_mine, target_gold, 4));
    } else {
        CHECK(0, "golden inputs/data_* unreadable");
    }
}

static void check_selection(hid_t file)
{
    int64_t G = 0, n_paper = 0, sum_gold = 0, first[4096], last_gold[16];
    if (read_ds(file, "data_selection/G", H5T_NATIVE_INT64, &G, 1) ||
        read_ds(file, "data_selection/n_paper", H5T_NATIVE_INT64, &n_paper, 1) ||
        read_ds(file, "data_selection/index_sum_n_paper", H5T_NATIVE_INT64, &sum_gold, 1) ||
        read_ds(file, "data_selection/first_4096", H5T_NATIVE_INT64, first, 4096) ||
        read_ds(file, "data_selection/last_16_n_paper", H5T_NATIVE_INT64, last_gold, 16)) {
        CHECK(0, "golden data_selection/ unreadable");
        return;
    }
    CHECK(G == (int64_t)N * F, "G = %lld", (long long)G);
    /* the paper's count: int(0.3 * 513024) */
    CHECK(n_paper == (int64_t)(0.3 * (double)G) && n_paper == 153907, "n_paper = %lld",
          (long long)n_paper);
    dc_error err = {0};
    int64_t *mine = malloc((size_t)n_paper * sizeof *mine);
    CHECK(dc_diffsorp_data_select(G, 4096, mine, &err) == DC_OK, "%s", err.message);
    CHECK(memcmp(mine, first, sizeof first) == 0, "first_4096 differs");
    CHECK(dc_diffsorp_data_select(G, n_paper, mine, &err) == DC_OK, "%s", err.message);
    int64_t sum = 0;
    for (int64_t n = 0; n < n_paper; n++) sum += mine[n];
    CHECK(sum == sum_gold, "index sum %lld, golden %lld", (long long)sum, (long long)sum_gold);
    CHECK(memcmp(mine + n_paper - 16, last_gold, sizeof last_gold) == 0, "last_16_n_paper differs");
    CHECK(memcmp(mine, first, sizeof first) == 0, "n_paper's selection does not extend first_4096");
    printf("data selection: G %lld, first_4096 and last_16 of %lld equal, index sum %lld\n",
           (long long)G, (long long)n_paper, (long long)sum);
    free(mine);
}

int main(void)
{
    const char *dir = check_shared_dir();
    if (!dir) return check_skip("no ../shared (DC_SHARED_DIR)");
    char path[4096];
    snprintf(path, sizeof path, "%s/golden/diffsorp.h5", dir);
    FILE *probe = fopen(path, "rb");
    if (!probe) return check_skip("no golden/diffsorp.h5");
    fclose(probe);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(file >= 0, "cannot open %s", path);
    if (file >= 0) {
        check_selection(file);
        check_field(file);
        H5Fclose(file);
    }
    return check_finish();
}
