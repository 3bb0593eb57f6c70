/* The task side of PINN.md against pinn_golden.h5:
 *   - ic/<set>: dc_pinn_ic_eval on the set's drawn parameters (A, m, phi and the attributes abs,
 *     sign, window, xL, xR) gives its u0 and u0' on the 64 points;
 *   - rescaling/<method>: dc_rescale_fit on inputs/ic_targets gives its (shift, scale), the labels
 *     of PINN.md "Label rescaling". */
#include "check.h"
#include "dcsweep/data/rescale.h"
#include "dcsweep/model/pinn.h"
#include "pinn_golden.h"

#define IC_POINTS 64
static const double TOL = 1e-12;

static void check_ic(const pinn_golden *g, const char *set)
{
    char base[64], path[128], msg[512];
    snprintf(base, sizeof base, "/ic/%s", set);
    dc_pinn_ic ic;
    memset(&ic, 0, sizeof ic);
    long long use_abs = 0, use_window = 0;
    double m[DC_PINN_IC_MODES], x[IC_POINTS], u0[IC_POINTS], u0_x[IC_POINTS];
    int bad = golden_attr_(g->file, base, "abs", H5T_NATIVE_LLONG, &use_abs, msg, sizeof msg) ||
              golden_attr_(g->file, base, "window", H5T_NATIVE_LLONG, &use_window, msg, sizeof msg) ||
              golden_attr_(g->file, base, "sign", H5T_NATIVE_DOUBLE, &ic.sign, msg, sizeof msg) ||
              golden_attr_(g->file, base, "xL", H5T_NATIVE_DOUBLE, &ic.xL, msg, sizeof msg) ||
              golden_attr_(g->file, base, "xR", H5T_NATIVE_DOUBLE, &ic.xR, msg, sizeof msg);
    const struct { const char *name; double *buf; int n; } sets[] = {
        {"A", ic.A, DC_PINN_IC_MODES}, {"m", m, DC_PINN_IC_MODES},
        {"phi", ic.phi, DC_PINN_IC_MODES}, {"x", x, IC_POINTS},
        {"u0", u0, IC_POINTS}, {"u0_x", u0_x, IC_POINTS}};
    for (size_t k = 0; k < sizeof sets / sizeof *sets && !bad; k++) {
        snprintf(path, sizeof path, "%s/%s", base, sets[k].name);
        bad = golden_read_(g->file, path, H5T_NATIVE_DOUBLE, sets[k].buf, sets[k].n, msg,
                           sizeof msg);
    }
    CHECK(!bad, "%s", msg);
    if (bad) return;
    ic.use_abs = (int)use_abs;
    ic.use_window = (int)use_window;
    for (int k = 0; k < DC_PINN_IC_MODES; k++) {
        ic.m[k] = (int)m[k];
        CHECK(ic.m[k] == m[k] && ic.m[k] % (k + 1) == 0, "%s: m_%d = %g is not a multiple of %d",
              set, k + 1, m[k], k + 1);
    }
    double mine[IC_POINTS], mine_x[IC_POINTS];
    dc_pinn_ic_eval(&ic, x, IC_POINTS, mine, mine_x);
    const double e = golden_rel_err(mine, u0, IC_POINTS);
    const double e_x = golden_rel_err(mine_x, u0_x, IC_POINTS);
    CHECK(e <= TOL, "%s: u0 rel err %.3g", set, e);
    CHECK(e_x <= TOL, "%s: u0' rel err %.3g", set, e_x);
    printf("ic/%-10s abs %d window %d sign %+g: u0 rel err %.3g, u0' rel err %.3g\n", set,
           ic.use_abs, ic.use_window, ic.sign, e, e_x);
}

int main(void)
{
    pinn_golden g;
    int opened = pinn_golden_open_shared(&g);
    if (opened) return opened == CHECK_SKIP_EXIT ? opened : check_finish();
    check_ic(&g, "plain");
    check_ic(&g, "window_abs");

    const char *methods[] = {"none", "power10", "minmax", "standard", "robust"};
    for (size_t k = 0; k < sizeof methods / sizeof *methods; k++) {
        char path[64], msg[512];
        double ref[2];
        snprintf(path, sizeof path, "/rescaling/%s", methods[k]);
        if (golden_read_(g.file, path, H5T_NATIVE_DOUBLE, ref, 2, msg, sizeof msg)) {
            CHECK(0, "%s", msg);
            continue;
        }
        dc_rescaling method;
        CHECK(dc_rescaling_parse(methods[k], &method) == 0, "unknown method %s", methods[k]);
        dc_rescale rs;
        dc_error err = {0};
        int rc = dc_rescale_fit(&rs, method, g.ic_target, g.n_initial, &err);
        CHECK(rc == DC_OK, "%s: %s", methods[k], err.message);
        CHECK(pinn_scalar_err(rs.shift, ref[0]) <= TOL && pinn_scalar_err(rs.scale, ref[1]) <= TOL,
              "%s: (shift, scale) = (%.17g, %.17g), golden (%.17g, %.17g)", methods[k], rs.shift,
              rs.scale, ref[0], ref[1]);
        printf("rescaling/%-9s shift %.6g scale %.6g\n", methods[k], rs.shift, rs.scale);
    }
    pinn_golden_free(&g);
    return check_finish();
}
