/* The float32 DimeNet++ engine against ../shared/golden/dimenet_golden.h5 (float64 PyTorch
 * autograd of ../shared/spec/DIMENET.md): every case of the small model (energies, forces, l1 and
 * mse losses, every parameter gradient, adam3 with the project's float Adam) and of the default
 * size (energies, forces, losses, the per-tensor gradient norms and the stored gradients), with
 * the parameters rounded to float; and the bases rbf, sbf of frame 0 and the synthetic molecule
 * (S = 3 and 7) against the intermediates. Error measure (MODEL.md): max |a - b| / max |b| per
 * tensor.
 * Tolerances are DIMENET.md's for float32: energies, forces, losses 1e-4; gradients, gradient
 * norms and adam3 5e-4 (an adam3 element whose golden gradient is below 1e-4 of its tensor's
 * maximum may step the other way: 6e-3 over all elements). */
#include "check.h"
#include "dcsweep/model/dimenet_engine.h"
#include "dcsweep/train/adam.h"
#include "dimenet_engine_impl.h" /* the bases the engine computed */
#include "dimenet_golden.h"

#define TOL_VALUE 1e-4
#define TOL_GRAD 5e-4
#define TOL_ADAM_SMALL_GRAD 6e-3

static const char *CASES[] = {"silu_none", "irelu_output_c0.5", "irelu_full_c0.5",
                              "irelu_full_c0.25"};

static dc_activation case_act(hid_t f, const char *group, const char *name)
{
    dc_activation a = {.extent = DC_EXTENT_NONE, .irelu_scale = 0.5};
    char obj[128];
    snprintf(obj, sizeof obj, "%s/%s", group, name);
    dg_attr(f, obj, "irelu_scale", H5T_NATIVE_DOUBLE, &a.irelu_scale);
    if (strstr(name, "_output")) a.extent = DC_EXTENT_OUTPUT;
    if (strstr(name, "_full")) a.extent = DC_EXTENT_FULL;
    return a;
}

static double worst_seen; /* over every check, for the summary line */

static void expect(double e, double tol, const char *what, const char *prefix, const char *name)
{
    if (!(e <= worst_seen)) worst_seen = e;
    CHECK(e < tol, "%s/%s %s: %.3g", prefix, name, what, e);
}

static void check_case(hid_t f, const char *prefix, const char *name, const dc_dimenet_layout *L,
                       const dc_dimenet_graph *g, const dg_batch *b, const float *params,
                       int default_size)
{
    char path[256];
    dc_error err = {0};
    const dc_activation act = case_act(f, prefix, name);
    const int B = b->n_mol, N = b->n_atoms;
    const int64_t np = L->n_params;
    double *E = calloc((size_t)B, sizeof *E), *F = calloc(3 * (size_t)N, sizeof *F);
    double *ref = calloc(3 * (size_t)N + (size_t)np, sizeof *ref);
    double *gd = calloc((size_t)np, sizeof *gd);
    float *grad = calloc((size_t)np, sizeof *grad);
    dc_dimenet *eng = NULL;
    const dc_dimenet_batch batch = {.graph = g, .z = b->z, .pos = b->pos, .energy_target = b->E_t,
                                    .force_target = b->F_t};
    CHECK(dc_dimenet_create(&eng, L, B, N, g->n_edges, g->n_triplets, &err) == DC_OK, "%s",
          err.message);
    if (!eng) goto done;
    CHECK(dc_dimenet_predict(eng, &act, params, &batch, E, F, &err) == DC_OK, "%s", err.message);
    snprintf(path, sizeof path, "%s/%s/energy", prefix, name);
    double ee = -1, fe = -1;
    if (!dg_read(f, path, H5T_NATIVE_DOUBLE, ref, B))
        expect(ee = dg_rel_err(E, ref, B), TOL_VALUE, "energy", prefix, name);
    snprintf(path, sizeof path, "%s/%s/forces", prefix, name);
    if (!dg_read(f, path, H5T_NATIVE_DOUBLE, ref, 3 * (int64_t)N))
        expect(fe = dg_rel_err(F, ref, 3 * (int64_t)N), TOL_VALUE, "forces", prefix, name);
    printf("%-20s %-18s energy %.2e forces %.2e\n", prefix, name, ee, fe);
    for (int l = 0; l < 2; l++) {
        const char *ln = l ? "mse" : "l1";
        const dc_dimenet_loss loss = {.kind = l ? DC_LOSS_MSE : DC_LOSS_L1, .force_weight = 30.0};
        dc_dimenet_loss_value value = {0};
        CHECK(dc_dimenet_loss_grad(eng, &act, params, &batch, &loss, NULL, NULL, grad, &value,
                                   &err) == DC_OK, "%s", err.message);
        for (int64_t q = 0; q < np; q++) gd[q] = grad[q];
        snprintf(path, sizeof path, "%s/%s/%s/loss", prefix, name, ln);
        const double want = dg_scalar(f, path);
        const double le = fabs(value.total - want) / fabs(want);
        double worst = 0.0;
        const char *worst_name = "";
        for (int t = 0; t < L->n_tensors; t++) {
            const dc_dimenet_tensor *ten = &L->tensors[t];
            snprintf(path, sizeof path, "%s/%s/%s/grad/%s", prefix, name, ln, ten->name);
            if (dg_count(f, path) < 0) continue; /* the default size stores a few */
            if (dg_read(f, path, H5T_NATIVE_DOUBLE, ref, dc_dimenet_tensor_size(ten))) continue;
            const double e = dg_rel_err(gd + ten->offset, ref, dc_dimenet_tensor_size(ten));
            if (!(e <= worst)) worst = e, worst_name = ten->name;
        }
        double worst_norm = 0.0;
        snprintf(path, sizeof path, "%s/%s/%s/grad_norm", prefix, name, ln);
        if (default_size && !dg_read(f, path, H5T_NATIVE_DOUBLE, ref, L->n_tensors)) {
            double mx = 0.0;
            for (int u = 0; u < L->n_tensors; u++) mx = fmax(mx, ref[u]);
            for (int t = 0; t < L->n_tensors; t++) {
                const dc_dimenet_tensor *ten = &L->tensors[t];
                double nrm = 0.0;
                for (int64_t q = 0; q < dc_dimenet_tensor_size(ten); q++)
                    nrm += gd[ten->offset + q] * gd[ten->offset + q];
                worst_norm = fmax(worst_norm, fabs(sqrt(nrm) - ref[t]) / (mx > 0 ? mx : 1.0));
            }
        }
        printf("%-20s %-18s %-3s loss %.2e  grad %.2e (%s)  norms %.2e\n", prefix, name, ln, le,
               worst, worst_name, worst_norm);
        expect(le, TOL_VALUE, "loss", prefix, name);
        expect(worst, TOL_GRAD, "gradient", prefix, name);
        expect(worst_norm, TOL_GRAD, "gradient norms", prefix, name);
    }
    /* adam3: three float Adam steps (lr 1e-3) on the mse loss from params */
    snprintf(path, sizeof path, "%s/%s/adam3", prefix, name);
    if (H5Lexists(f, path, H5P_DEFAULT) > 0) {
        dc_adam adam;
        float *p = malloc((size_t)np * sizeof *p);
        double *pd = calloc((size_t)np, sizeof *pd), *g0 = calloc((size_t)np, sizeof *g0);
        const dc_dimenet_loss mse = {.kind = DC_LOSS_MSE, .force_weight = 30.0};
        CHECK(dc_adam_init(&adam, np, 0.0, &err) == DC_OK, "%s", err.message);
        memcpy(p, params, (size_t)np * sizeof *p);
        for (int t = 1; t <= 3; t++) {
            CHECK(dc_dimenet_loss_grad(eng, &act, p, &batch, &mse, NULL, NULL, grad, NULL, &err) ==
                      DC_OK, "%s", err.message);
            dc_adam_step(&adam, p, grad, 1e-3);
        }
        for (int64_t q = 0; q < np; q++) pd[q] = p[q];
        double worst = 0.0, worst_all = 0.0;
        for (int t = 0; t < L->n_tensors; t++) {
            const dc_dimenet_tensor *ten = &L->tensors[t];
            const int64_t n = dc_dimenet_tensor_size(ten);
            snprintf(path, sizeof path, "%s/%s/mse/grad/%s", prefix, name, ten->name);
            if (dg_read(f, path, H5T_NATIVE_DOUBLE, g0, n)) continue;
            snprintf(path, sizeof path, "%s/%s/adam3/%s", prefix, name, ten->name);
            if (dg_read(f, path, H5T_NATIVE_DOUBLE, ref, n)) continue;
            double gmax = 0.0, pmax = 0.0;
            for (int64_t q = 0; q < n; q++) {
                gmax = fmax(gmax, fabs(g0[q]));
                pmax = fmax(pmax, fabs(ref[q]));
            }
            for (int64_t q = 0; q < n; q++) {
                const double e = fabs(pd[ten->offset + q] - ref[q]) / (pmax > 0 ? pmax : 1.0);
                worst_all = fmax(worst_all, e);
                if (fabs(g0[q]) >= 1e-4 * gmax) worst = fmax(worst, e);
            }
        }
        printf("%-20s %-18s adam3 %.2e (elements with a gradient below 1e-4 of its tensor's "
               "maximum: %.2e)\n", prefix, name, worst, worst_all);
        expect(worst, TOL_GRAD, "adam3", prefix, name);
        CHECK(worst_all < TOL_ADAM_SMALL_GRAD, "%s adam3 over all elements: %.3g", name, worst_all);
        dc_adam_free(&adam);
        free(p);
        free(pd);
        free(g0);
    }
done:
    dc_dimenet_destroy(eng);
    free(E);
    free(F);
    free(ref);
    free(gd);
    free(grad);
}

/* The engine's bases rbf [E][R] and sbf [T][S R] for molecule mol alone against
 * <group>/rbf, sbf (tolerance 1e-4, DIMENET.md's for the bases in float32). */
static void check_bases(hid_t f, const char *group, int mol, const dc_dimenet_layout *L,
                        const dg_batch *b, const float *params)
{
    char path[256];
    dc_error err = {0};
    dc_dimenet_graph g;
    dc_dimenet *eng = NULL;
    dc_dimenet_graph_init(&g);
    const int a0 = b->atom_off[mol], n = b->atom_off[mol + 1] - a0;
    const int off[2] = {0, n};
    const dc_activation act = {.extent = DC_EXTENT_NONE};
    CHECK(dc_dimenet_graph_build(&g, 1, off, b->pos + 3 * a0, L->shape.cutoff, mol, &err) == 0,
          "%s", err.message);
    CHECK(dc_dimenet_create(&eng, L, 1, n, g.n_edges, g.n_triplets, &err) == DC_OK, "%s",
          err.message);
    const dc_dimenet_batch batch = {.graph = &g, .z = b->z + a0, .pos = b->pos + 3 * a0};
    double E;
    if (eng && dc_dimenet_predict(eng, &act, params, &batch, &E, NULL, &err) == DC_OK) {
        const int ids[2] = {eng->sched.rbf, eng->sched.sbf};
        const char *names[2] = {"rbf", "sbf"};
        for (int k = 0; k < 2; k++) {
            const dn_buf *buf = &eng->sched.bufs[ids[k]];
            const int64_t cnt = (k ? g.n_triplets : g.n_edges) * buf->cols;
            snprintf(path, sizeof path, "%s/%s", group, names[k]);
            double *ref = calloc((size_t)cnt + 1, sizeof *ref), *mine = calloc((size_t)cnt + 1,
                                                                              sizeof *mine);
            CHECK(dg_count(f, path) == cnt, "%s: %lld values", path, (long long)cnt);
            if (!dg_read(f, path, H5T_NATIVE_DOUBLE, ref, cnt)) {
                for (int64_t q = 0; q < cnt; q++) mine[q] = buf->v[q];
                const double e = dg_rel_err(mine, ref, cnt);
                printf("%-36s %s %.2e\n", group, names[k], e);
                expect(e, TOL_VALUE, names[k], group, "bases");
            }
            free(ref);
            free(mine);
        }
    } else {
        CHECK(0, "%s: %s", group, err.message);
    }
    dc_dimenet_destroy(eng);
    dc_dimenet_graph_free(&g);
}

/* default_size/: weights from the file's formula (DIMENET.md), rounded to float. */
static void formula_params(const dc_dimenet_layout *L, float *p)
{
    for (int t = 0; t < L->n_tensors; t++) {
        const dc_dimenet_tensor *ten = &L->tensors[t];
        const int is_freq = strcmp(ten->name, "rbf.freq") == 0;
        const double s = strcmp(ten->name, "emb.emb.weight") == 0 ? sqrt(3.0)
                         : ten->ndim == 1 ? 0.1
                                          : 1.0 / sqrt((double)ten->dims[1]);
        for (int64_t q = 0; q < dc_dimenet_tensor_size(ten); q++) {
            double u = 0.7548776662466927 * (double)(q + 1) + 0.5698402909980532 * (double)(t + 1);
            u -= floor(u);
            p[ten->offset + q] =
                (float)(is_freq ? (double)(q + 1) * 3.14159265358979323846 : s * (2 * u - 1));
        }
    }
}

int main(void)
{
    const char *dir = check_shared_dir();
    if (!dir) return check_skip("no ../shared (DC_SHARED_DIR)");
    char path[512];
    snprintf(path, sizeof path, "%s/golden/dimenet_golden.h5", dir);
    FILE *probe = fopen(path, "rb");
    if (!probe) return check_skip("no golden/dimenet_golden.h5");
    fclose(probe);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0, "cannot open %s", path);
    if (f < 0) return check_finish();
    dc_error err = {0};
    dc_dimenet_shape shape = {0};
    CHECK(dg_shape(f, &shape) == 0, "root attributes");
    dc_dimenet_layout L;
    CHECK(dc_dimenet_layout_init(&L, &shape, &err) == 0, "%s", err.message);
    dg_batch b;
    dg_read_batch(f, &b);
    dc_dimenet_graph g;
    dc_dimenet_graph_init(&g);
    CHECK(dc_dimenet_graph_build(&g, b.n_mol, b.atom_off, b.pos, shape.cutoff, 0, &err) == 0,
          "%s", err.message);

    double *pd = calloc((size_t)L.n_params, sizeof *pd);
    float *pf = calloc((size_t)L.n_params, sizeof *pf);
    CHECK(dg_read_params(f, &L, "params", pd) == 0, "params/");
    for (int64_t q = 0; q < L.n_params; q++) pf[q] = (float)pd[q];
    check_bases(f, "intermediate/frame0", 0, &L, &b, pf);
    check_bases(f, "intermediate/synthetic", 3, &L, &b, pf);
    for (size_t c = 0; c < sizeof CASES / sizeof *CASES; c++)
        check_case(f, "cases", CASES[c], &L, &g, &b, pf, 0);

    dc_dimenet_layout LD;
    const dc_dimenet_shape def = dc_dimenet_shape_default();
    CHECK(dc_dimenet_layout_init(&LD, &def, &err) == 0, "%s", err.message);
    float *pD = calloc((size_t)LD.n_params, sizeof *pD);
    formula_params(&LD, pD);
    check_bases(f, "default_size/intermediate/synthetic", 3, &LD, &b, pD);
    for (size_t c = 0; c < sizeof CASES / sizeof *CASES; c++) {
        snprintf(path, sizeof path, "default_size/cases/%s", CASES[c]);
        if (H5Lexists(f, path, H5P_DEFAULT) > 0)
            check_case(f, "default_size/cases", CASES[c], &LD, &g, &b, pD, 1);
    }
    printf("worst error over every check: %.2e\n", worst_seen);
    free(pD);
    dc_dimenet_layout_free(&LD);
    free(pd);
    free(pf);
    dc_dimenet_graph_free(&g);
    dc_dimenet_layout_free(&L);
    dg_batch_free(&b);
    H5Fclose(f);
    return check_finish();
}
