/* The double reference against central finite differences, without any shared data: a random
 * small model on random molecules, every activation extent, two IReLU scales.
 *   (a) forces = -dE/dr, every coordinate;
 *   (b) mse: the gradient of the total loss, every parameter;
 *   (c) l1 (kinks in the loss itself): the gradient of S = sum_b w_b E_b + sum_i g_i . F_i with the
 *       seeds w, g frozen at the base point (docs/model.md "Loss and its gradient"), every parameter;
 *   (d) the same three with ghosts (dc_batch.n_ghost: each molecule minus its atoms' isolated
 *       energies), and a lone atom is then at exactly 0.
 * Errors are normalised by the largest magnitude of the quantity's tensor (as the golden test). */
#include <stdint.h>

#include "check.h"
#include "dcsweep/core/rng.h"
#include "dcsweep/model/schnet.h"

#define MAX_ATOMS 20
#define MAX_EDGES (MAX_ATOMS * MAX_ATOMS)

static const double TOL = 1e-6;

typedef struct problem {
    dc_schnet_shape shape;
    dc_schnet_layout layout;
    int types[MAX_ATOMS], mol[MAX_ATOMS], src[MAX_EDGES], dst[MAX_EDGES];
    double pos[3 * MAX_ATOMS], e_target[8], f_target[3 * MAX_ATOMS];
    dc_batch batch;
    double *params; /* [n_params] */
} problem;

/* Three molecules of 3-5 atoms in a 2.6 A box (some pairs beyond the 3 A cutoff), no two atoms
 * closer than 0.7 A; random targets near zero so both signs of every residual occur. */
static void make_problem(problem *p, uint64_t seed)
{
    dc_rng rng;
    dc_rng_seed(&rng, seed, 7);
    p->shape = (dc_schnet_shape){.n_types = 3, .features = 6, .filters = 5, .interactions = 2,
                                 .gaussians = 7, .cutoff = 3.0};
    dc_error err;
    dc_schnet_layout_init(&p->layout, &p->shape, &err);
    int n = 0, n_mol = 3;
    for (int b = 0; b < n_mol; b++) {
        int na = 3 + (int)dc_rng_below(&rng, 3);
        for (int a = 0; a < na; a++) {
            for (;;) {
                double r[3];
                for (int k = 0; k < 3; k++) r[k] = 2.6 * dc_rng_uniform(&rng);
                int ok = 1;
                for (int j = n - a; j < n; j++) {
                    double d2 = 0;
                    for (int k = 0; k < 3; k++)
                        d2 += (r[k] - p->pos[3 * j + k]) * (r[k] - p->pos[3 * j + k]);
                    if (d2 < 0.49) ok = 0;
                }
                if (!ok) continue;
                for (int k = 0; k < 3; k++) p->pos[3 * n + k] = r[k];
                break;
            }
            p->types[n] = (int)dc_rng_below(&rng, 3);
            p->mol[n] = b;
            n++;
        }
    }
    int64_t ne = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            if (i == j || p->mol[i] != p->mol[j]) continue;
            double d2 = 0;
            for (int k = 0; k < 3; k++)
                d2 += (p->pos[3 * i + k] - p->pos[3 * j + k]) *
                      (p->pos[3 * i + k] - p->pos[3 * j + k]);
            if (d2 >= 9.0) continue;
            p->dst[ne] = i;
            p->src[ne] = j;
            ne++;
        }
    for (int b = 0; b < n_mol; b++) p->e_target[b] = 0.3 * dc_rng_normal(&rng);
    for (int k = 0; k < 3 * n; k++) p->f_target[k] = 0.3 * dc_rng_normal(&rng);
    p->batch = (dc_batch){.n_mol = n_mol, .n_atoms = n, .n_edges = ne, .types = p->types,
                          .mol = p->mol, .pos = p->pos, .src = p->src, .dst = p->dst,
                          .energy_target = p->e_target, .force_target = p->f_target};
    /* Initial weights, plus non-zero biases so that every bias path is exercised. */
    float *pf = calloc((size_t)p->layout.n_params, sizeof *pf);
    p->params = calloc((size_t)p->layout.n_params, sizeof *p->params);
    dc_schnet_init_params(&p->layout, seed, pf);
    for (int64_t k = 0; k < p->layout.n_params; k++) p->params[k] = pf[k];
    for (int t = 0; t < p->layout.n_tensors; t++) {
        const dc_tensor *ten = &p->layout.tensors[t];
        if (ten->is_bias)
            for (int64_t k = 0; k < ten->rows; k++)
                p->params[ten->offset + k] = 0.2 * dc_rng_normal(&rng);
    }
    free(pf);
}

/* Ends the batch with one ghost per type: an isolated atom, its own molecule, no edges. */
static void add_ghosts(problem *p)
{
    const int n = p->batch.n_atoms, nm = p->batch.n_mol, G = p->shape.n_types;
    for (int t = 0; t < G; t++) {
        p->types[n + t] = t;
        p->mol[n + t] = nm + t;
        for (int k = 0; k < 3; k++) p->pos[3 * (n + t) + k] = p->f_target[3 * (n + t) + k] = 0.0;
        p->e_target[nm + t] = 0.0;
    }
    p->batch.n_mol += G;
    p->batch.n_atoms += G;
    p->batch.n_ghost = G;
}

static double energy_sum(const problem *p, const dc_activation *act, const double *params)
{
    double e[8];
    dc_error err;
    dc_schnet_ref_eval(&p->shape, act, params, &p->batch, NULL, e, NULL, NULL, NULL, &err);
    return e[0] + e[1] + e[2];
}

/* The scalar whose parameter gradient the engine returns: the mse loss, or S with frozen seeds. */
static double objective(const problem *p, const dc_activation *act, const dc_loss_spec *spec,
                        const double *w, const double *g, const double *params)
{
    double e[8], f[3 * MAX_ATOMS];
    dc_loss_value lv;
    dc_error err;
    dc_schnet_ref_eval(&p->shape, act, params, &p->batch, spec, e, f, NULL, &lv, &err);
    if (!w) return lv.total;
    double s = 0;
    for (int b = 0; b < p->batch.n_mol; b++) s += w[b] * e[b];
    for (int k = 0; k < 3 * p->batch.n_atoms; k++) s += g[k] * f[k];
    return s;
}

static double fd_forces(problem *p, const dc_activation *act)
{
    double e[8], f[3 * MAX_ATOMS], h = 1e-5, num = 0, den = 0;
    dc_error err;
    int rc = dc_schnet_ref_eval(&p->shape, act, p->params, &p->batch, NULL, e, f, NULL, NULL, &err);
    CHECK(rc == DC_OK, "%s", err.message);
    for (int k = 0; k < 3 * p->batch.n_atoms; k++) {
        double x0 = p->pos[k];
        p->pos[k] = x0 + h;
        double ep = energy_sum(p, act, p->params);
        p->pos[k] = x0 - h;
        double em = energy_sum(p, act, p->params);
        p->pos[k] = x0;
        num = fmax(num, fabs(-(ep - em) / (2 * h) - f[k]));
        den = fmax(den, fabs(f[k]));
    }
    return num / den;
}

/* Worst over tensors of max |fd - grad| / max |grad| over all the tensor's entries. */
static double fd_params(problem *p, const dc_activation *act, dc_loss kind, const char **worst_name)
{
    dc_loss_spec spec = {.kind = kind, .force_weight = 30.0};
    int64_t np = p->layout.n_params;
    double *grad = calloc((size_t)np, sizeof *grad), *q = calloc((size_t)np, sizeof *q);
    double e[8], f[3 * MAX_ATOMS], w[8], g[3 * MAX_ATOMS], worst = 0, h = 1e-5;
    dc_loss_value lv;
    dc_error err;
    int rc = dc_schnet_ref_eval(&p->shape, act, p->params, &p->batch, &spec, e, f, grad, &lv, &err);
    CHECK(rc == DC_OK, "%s", err.message);
    dc_schnet_loss_seeds(&spec, &p->batch, e, f, w, g, NULL);
    const int frozen = kind == DC_LOSS_L1;
    memcpy(q, p->params, (size_t)np * sizeof *q);
    for (int t = 0; t < p->layout.n_tensors; t++) {
        const dc_tensor *ten = &p->layout.tensors[t];
        double num = 0, den = 0;
        for (int64_t k = ten->offset; k < ten->offset + ten->rows * ten->cols; k++) {
            q[k] = p->params[k] + h;
            double lp = objective(p, act, &spec, frozen ? w : NULL, g, q);
            q[k] = p->params[k] - h;
            double lm = objective(p, act, &spec, frozen ? w : NULL, g, q);
            q[k] = p->params[k];
            num = fmax(num, fabs((lp - lm) / (2 * h) - grad[k]));
            den = fmax(den, fabs(grad[k]));
        }
        /* with ghosts the last bias cancels (each molecule minus its atoms' isolated outputs): its
         * gradient is 0 up to rounding and is compared in absolute terms */
        const int cancels = p->batch.n_ghost > 0 && den < 1e-12;
        CHECK(den > 0 || cancels, "%s: gradient identically zero", ten->name);
        double r = cancels ? num : num / den;
        if (!(r <= worst)) {
            worst = r;
            *worst_name = ten->name;
        }
    }
    free(grad);
    free(q);
    return worst;
}

int main(void)
{
    const dc_activation acts[] = {
        {DC_EXTENT_NONE, 0.5}, {DC_EXTENT_OUTPUT, 0.5}, {DC_EXTENT_FULL, 0.5},
        {DC_EXTENT_OUTPUT, 0.8}, {DC_EXTENT_FULL, 0.8},
    };
    const char *names[] = {"none", "output", "full"};
    for (size_t a = 0; a < sizeof acts / sizeof *acts; a++) {
        problem p;
        make_problem(&p, 1000 + a);
        double ef = fd_forces(&p, &acts[a]);
        const char *wm = "", *wl = "";
        double em = fd_params(&p, &acts[a], DC_LOSS_MSE, &wm);
        double el = fd_params(&p, &acts[a], DC_LOSS_L1, &wl);
        printf("%-6s c=%.1f atoms %2d edges %3lld: forces %.2e, mse grad %.2e (%s), l1 S grad %.2e "
               "(%s)\n",
               names[acts[a].extent], acts[a].irelu_scale, p.batch.n_atoms,
               (long long)p.batch.n_edges, ef, em, wm, el, wl);
        CHECK(ef <= TOL, "forces vs FD of E: %.3g", ef);
        CHECK(em <= TOL, "mse grad vs FD: %.3g (%s)", em, wm);
        CHECK(el <= TOL, "l1 grad vs FD of S: %.3g (%s)", el, wl);
        free(p.params);
    }

    /* Ghosts: the loss of each molecule minus its atoms' isolated energies, differentiated. */
    for (size_t a = 0; a < sizeof acts / sizeof *acts; a++) {
        problem p;
        make_problem(&p, 2000 + a);
        add_ghosts(&p);
        double ef = fd_forces(&p, &acts[a]);
        const char *wm = "", *wl = "";
        double em = fd_params(&p, &acts[a], DC_LOSS_MSE, &wm);
        double el = fd_params(&p, &acts[a], DC_LOSS_L1, &wl);
        printf("ghosts %-6s c=%.1f: forces %.2e, mse grad %.2e (%s), l1 S grad %.2e (%s)\n",
               names[acts[a].extent], acts[a].irelu_scale, ef, em, wm, el, wl);
        CHECK(ef <= TOL, "ghosts: forces vs FD of E: %.3g", ef);
        CHECK(em <= TOL, "ghosts: mse grad vs FD: %.3g (%s)", em, wm);
        CHECK(el <= TOL, "ghosts: l1 grad vs FD of S: %.3g (%s)", el, wl);
        /* the loss is the plain loss of the subtracted energies, over the real molecules and atoms */
        dc_loss_spec mse = {DC_LOSS_MSE, 30.0};
        double e[8], f[3 * MAX_ATOMS], le = 0, lf = 0;
        dc_loss_value lv;
        dc_error err;
        dc_schnet_ref_eval(&p.shape, &acts[a], p.params, &p.batch, &mse, e, f, NULL, &lv, &err);
        dc_schnet_subtract_isolated(&p.batch, e);
        const int nm = p.batch.n_mol - 3, na = p.batch.n_atoms - 3;
        for (int b = 0; b < nm; b++) le += (e[b] - p.e_target[b]) * (e[b] - p.e_target[b]) / nm;
        for (int k = 0; k < 3 * na; k++) lf += (f[k] - p.f_target[k]) * (f[k] - p.f_target[k]) / (3 * na);
        CHECK_CLOSE(lv.energy_loss, le, 1e-13);
        CHECK_CLOSE(lv.force_loss, lf, 1e-13);
        free(p.params);
    }
    /* A lone atom of each type among real molecules is exactly its ghost: 0 after subtraction. */
    {
        problem p;
        make_problem(&p, 99);
        dc_activation act = {DC_EXTENT_FULL, 0.5};
        p.batch.n_mol = 3;
        p.batch.n_atoms = 3;
        p.batch.n_edges = 0;
        for (int t = 0; t < 3; t++) {
            p.types[t] = 2 - t;
            p.mol[t] = t;
            for (int k = 0; k < 3; k++) p.pos[3 * t + k] = 5.0 * t + k;
        }
        add_ghosts(&p);
        double e[8], f[3 * MAX_ATOMS];
        dc_error err;
        CHECK(dc_schnet_ref_eval(&p.shape, &act, p.params, &p.batch, NULL, e, f, NULL, NULL, &err) == DC_OK,
              "%s", err.message);
        CHECK(e[3] != 0.0 && e[4] != e[3], "ghost energies %g %g: nothing to subtract", e[3], e[4]);
        dc_schnet_subtract_isolated(&p.batch, e);
        for (int b = 0; b < 3; b++) CHECK(e[b] == 0.0, "lone atom %d: %g after subtraction", b, e[b]);
        free(p.params);
    }

    /* Loss conventions: sign(0) = 0 for l1, means over molecules and over 3N components. */
    {
        problem p;
        make_problem(&p, 77);
        dc_activation act = {DC_EXTENT_FULL, 0.5};
        double e[8], f[3 * MAX_ATOMS], w[8], g[3 * MAX_ATOMS];
        dc_error err;
        dc_schnet_ref_eval(&p.shape, &act, p.params, &p.batch, NULL, e, f, NULL, NULL, &err);
        p.e_target[1] = e[1];
        p.f_target[4] = f[4];
        dc_loss_spec l1 = {DC_LOSS_L1, 30.0}, mse = {DC_LOSS_MSE, 30.0};
        dc_loss_value v1, v2;
        dc_schnet_loss_seeds(&l1, &p.batch, e, f, w, g, &v1);
        CHECK(w[1] == 0.0 && g[4] == 0.0, "sign(0) must be 0: w %g g %g", w[1], g[4]);
        CHECK(fabs(w[0]) == 1.0 / 3 && fabs(g[0]) == 30.0 / (3 * p.batch.n_atoms), "l1 seeds %g %g",
              w[0], g[0]);
        double le = 0, lf = 0;
        for (int b = 0; b < 3; b++) le += fabs(e[b] - p.e_target[b]) / 3;
        for (int k = 0; k < 3 * p.batch.n_atoms; k++)
            lf += fabs(f[k] - p.f_target[k]) / (3 * p.batch.n_atoms);
        CHECK_CLOSE(v1.energy_loss, le, 1e-14);
        CHECK_CLOSE(v1.force_loss, lf, 1e-14);
        CHECK_CLOSE(v1.total, le + 30 * lf, 1e-14);
        dc_schnet_loss_seeds(&mse, &p.batch, e, f, w, g, &v2);
        CHECK_CLOSE(w[0], 2 * (e[0] - p.e_target[0]) / 3, 1e-15);
        CHECK_CLOSE(g[0], 60 * (f[0] - p.f_target[0]) / (3 * p.batch.n_atoms), 1e-15);

        /* energy/forces outputs are optional when a gradient is asked for. */
        double *g1 = calloc((size_t)p.layout.n_params, sizeof *g1);
        double *g2 = calloc((size_t)p.layout.n_params, sizeof *g2);
        dc_loss_value a1, a2;
        CHECK(dc_schnet_ref_eval(&p.shape, &act, p.params, &p.batch, &mse, e, f, g1, &a1, &err) ==
                  0,
              "%s", err.message);
        CHECK(dc_schnet_ref_eval(&p.shape, &act, p.params, &p.batch, &mse, NULL, NULL, g2, &a2,
                                 &err) == 0,
              "%s", err.message);
        CHECK(memcmp(g1, g2, (size_t)p.layout.n_params * sizeof *g1) == 0 && a1.total == a2.total,
              "results depend on whether energy/forces are returned");
        /* A gradient without targets is refused, not a crash. */
        p.batch.force_target = NULL;
        CHECK(dc_schnet_ref_eval(&p.shape, &act, p.params, &p.batch, &mse, e, f, g1, &a1, &err) ==
                  DC_ERR_INPUT, "gradient without targets accepted");
        free(g1);
        free(g2);
        free(p.params);
    }
    return check_finish();
}
