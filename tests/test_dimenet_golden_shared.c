/* The double reference DimeNet++ against ../shared/golden/dimenet_golden.h5 (float64 PyTorch
 * autograd of ../shared/spec/DIMENET.md): the graph, the bases' constants, the intermediates of
 * frame 0 and the synthetic molecule, and for every case (extents none/output/full) energies,
 * forces, per-atom outputs, the l1 and mse losses and their full parameter gradients; at the
 * default size the same from the file's weight formula (gradient norms per tensor and the stored
 * gradients); and adam3, three Adam steps (lr 1e-3) on the mse loss with the project's double
 * Adam. Error measure: max |a - b| / max |b| per tensor (MODEL.md). */
#include "check.h"
#include "dcsweep/train/adam.h"
#include "dimenet_golden.h"

#define TOL 1e-11 /* DIMENET.md: a float64 build reaches 1e-10; measured here <= 5e-14 */

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

/* One case: energies, forces, atom outputs, and per loss the value and gradient (every tensor, or
 * with norms_only the per-tensor norms and the tensors stored). */
static void check_case(hid_t f, const char *prefix, const char *name, const dc_dimenet_layout *L,
                       const dc_dimenet_graph *g, const dg_batch *b, const double *params,
                       int norms_only)
{
    char path[256];
    dc_error err = {0};
    dc_dimenet_ref net;
    const dc_activation act = case_act(f, prefix, name);
    const int B = b->n_mol, N = b->n_atoms;
    double *E = calloc((size_t)B, sizeof *E), *F = calloc(3 * (size_t)N, sizeof *F);
    double *ref = calloc(3 * (size_t)N + (size_t)L->n_params, sizeof *ref);
    double *grad = calloc((size_t)L->n_params, sizeof *grad);
    int rc = dc_dimenet_ref_init(&net, L, &act, g, b->z, &err);
    CHECK(rc == DC_OK, "%s: %s", name, err.message);
    if (rc != DC_OK) goto done;
    dc_dimenet_ref_energy_forces(&net, params, b->pos, E, F);
    snprintf(path, sizeof path, "%s/%s/energy", prefix, name);
    if (!dg_read(f, path, H5T_NATIVE_DOUBLE, ref, B)) {
        const double e = dg_rel_err(E, ref, B);
        printf("%-28s %-20s energy  %.2e\n", prefix, name, e);
        CHECK(e < TOL, "%s energy: %.3g", name, e);
    }
    snprintf(path, sizeof path, "%s/%s/forces", prefix, name);
    if (!dg_read(f, path, H5T_NATIVE_DOUBLE, ref, 3 * (int64_t)N)) {
        const double e = dg_rel_err(F, ref, 3 * (int64_t)N);
        printf("%-28s %-20s forces  %.2e\n", prefix, name, e);
        CHECK(e < TOL, "%s forces: %.3g", name, e);
    }
    snprintf(path, sizeof path, "%s/%s/atom_energy", prefix, name);
    if (dg_count(f, path) == N && !dg_read(f, path, H5T_NATIVE_DOUBLE, ref, N)) {
        const double *P = dc_dimenet_ref_buffer(&net, "atom_out", NULL, NULL);
        const double e = dg_rel_err(P, ref, N);
        CHECK(e < TOL, "%s atom outputs: %.3g", name, e);
    }
    for (int l = 0; l < 2; l++) {
        const char *ln = l ? "mse" : "l1";
        const dc_dimenet_loss loss = {.kind = l ? DC_LOSS_MSE : DC_LOSS_L1, .force_weight = 30.0};
        double value = 0.0;
        dc_dimenet_ref_loss(&net, params, b->pos, &loss, b->E_t, b->F_t, NULL, NULL, &value, grad);
        snprintf(path, sizeof path, "%s/%s/%s/loss", prefix, name, ln);
        const double want = dg_scalar(f, path);
        const double le = fabs(value - want) / fabs(want);
        double worst = 0.0;
        const char *worst_name = "";
        for (int t = 0; t < L->n_tensors; t++) {
            const dc_dimenet_tensor *ten = &L->tensors[t];
            snprintf(path, sizeof path, "%s/%s/%s/grad/%s", prefix, name, ln, ten->name);
            if (dg_count(f, path) < 0) continue; /* the default size stores a few */
            if (dg_read(f, path, H5T_NATIVE_DOUBLE, ref, dc_dimenet_tensor_size(ten))) continue;
            const double e = dg_rel_err(grad + ten->offset, ref, dc_dimenet_tensor_size(ten));
            if (!(e <= worst)) worst = e, worst_name = ten->name;
        }
        if (norms_only) {
            snprintf(path, sizeof path, "%s/%s/%s/grad_norm", prefix, name, ln);
            if (!dg_read(f, path, H5T_NATIVE_DOUBLE, ref, L->n_tensors)) {
                for (int t = 0; t < L->n_tensors; t++) {
                    const dc_dimenet_tensor *ten = &L->tensors[t];
                    double nrm = 0.0, mx = 0.0;
                    for (int64_t q = 0; q < dc_dimenet_tensor_size(ten); q++)
                        nrm += grad[ten->offset + q] * grad[ten->offset + q];
                    for (int u = 0; u < L->n_tensors; u++) mx = fmax(mx, ref[u]);
                    const double e = fabs(sqrt(nrm) - ref[t]) / (mx > 0 ? mx : 1.0);
                    if (!(e <= worst)) worst = e, worst_name = ten->name;
                }
            }
        }
        printf("%-28s %-20s %-3s loss %.2e  grad %.2e (%s)\n", prefix, name, ln, le, worst,
               worst_name);
        CHECK(le < TOL, "%s %s loss %.17g vs %.17g", name, ln, value, want);
        CHECK(worst < TOL, "%s %s gradient: %.3g at %s", name, ln, worst, worst_name);
    }
    /* adam3: three steps of the double Adam on the mse loss from params */
    snprintf(path, sizeof path, "%s/%s/adam3", prefix, name);
    if (H5Lexists(f, path, H5P_DEFAULT) > 0) {
        dc_adam adam;
        const int64_t n = L->n_params;
        double *p = malloc((size_t)n * sizeof *p), *m = calloc((size_t)n, sizeof *m),
               *v = calloc((size_t)n, sizeof *v);
        const dc_dimenet_loss mse = {.kind = DC_LOSS_MSE, .force_weight = 30.0};
        CHECK(dc_adam_init(&adam, n, 0.0, &err) == DC_OK, "%s", err.message);
        memcpy(p, params, (size_t)n * sizeof *p);
        for (int t = 1; t <= 3; t++) {
            dc_dimenet_ref_loss(&net, p, b->pos, &mse, b->E_t, b->F_t, NULL, NULL, NULL, grad);
            dc_adam_step_f64(&adam, t, p, grad, m, v, 1e-3);
        }
        double worst = 0.0;
        for (int t = 0; t < L->n_tensors; t++) {
            const dc_dimenet_tensor *ten = &L->tensors[t];
            snprintf(path, sizeof path, "%s/%s/adam3/%s", prefix, name, ten->name);
            if (dg_read(f, path, H5T_NATIVE_DOUBLE, ref, dc_dimenet_tensor_size(ten))) continue;
            worst = fmax(worst, dg_rel_err(p + ten->offset, ref, dc_dimenet_tensor_size(ten)));
        }
        printf("%-28s %-20s adam3 %.2e\n", prefix, name, worst);
        CHECK(worst < TOL, "%s adam3: %.3g", name, worst);
        dc_adam_free(&adam);
        free(p);
        free(m);
        free(v);
    }
done:
    dc_dimenet_ref_free(&net);
    free(E);
    free(F);
    free(ref);
    free(grad);
}

/* The intermediates of molecule mol alone (extent none) against intermediate/<group>. */
static void check_intermediates(hid_t f, const char *group, int mol, const dc_dimenet_layout *L,
                                const dg_batch *b, const double *params)
{
    char path[256];
    dc_error err = {0};
    dc_dimenet_graph g;
    dc_dimenet_graph_init(&g);
    const int a0 = b->atom_off[mol], n = b->atom_off[mol + 1] - a0;
    const int off[2] = {0, n};
    const dc_activation act = {.extent = DC_EXTENT_NONE};
    dc_dimenet_ref net = {0};
    CHECK(dc_dimenet_graph_build(&g, 1, off, b->pos + 3 * a0, L->shape.cutoff, mol, &err) == 0,
          "%s", err.message);
    CHECK(dc_dimenet_ref_init(&net, L, &act, &g, b->z + a0, &err) == 0, "%s", err.message);
    if (!net.impl) goto done;
    double E;
    dc_dimenet_ref_energy_forces(&net, params, b->pos + 3 * a0, &E, NULL);
    static const char *names[][2] = {{"dist", "dist"}, {"rbf", "rbf"}, {"sbf", "sbf"},
                                     {"m_embedding", "m_emb"}, {"m_interaction0", "m_int0"},
                                     {"m_interaction1", "m_int1"}, {"m_interaction2", "m_int2"},
                                     {"m_interaction3", "m_int3"}, {"atom_out", "atom_out"},
                                     {"energy", "energy"}, {"angle", "cos"}};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        snprintf(path, sizeof path, "%s/%s", group, names[k][0]);
        const int64_t cnt = dg_count(f, path);
        if (cnt < 0) continue;
        int64_t rows;
        int cols;
        const double *mine = dc_dimenet_ref_buffer(&net, names[k][1], &rows, &cols);
        CHECK(mine && rows * cols == cnt, "%s: %lld elements", path, (long long)cnt);
        if (!mine || rows * cols != cnt) continue;
        double *ref = calloc((size_t)cnt + 1, sizeof *ref);
        dg_read(f, path, H5T_NATIVE_DOUBLE, ref, cnt);
        if (strcmp(names[k][0], "angle") == 0)
            for (int64_t q = 0; q < cnt; q++) ref[q] = cos(ref[q]);
        const double e = dg_rel_err(mine, ref, cnt);
        printf("%-28s %-16s %.2e\n", group, names[k][0], e);
        CHECK(e < TOL, "%s: %.3g", path, e);
        free(ref);
    }
done:
    dc_dimenet_ref_free(&net);
    dc_dimenet_graph_free(&g);
}

/* default_size/: weights from the file's formula. */
static void formula_params(const dc_dimenet_layout *L, double *p)
{
    for (int t = 0; t < L->n_tensors; t++) {
        const dc_dimenet_tensor *ten = &L->tensors[t];
        const int is_freq = strcmp(ten->name, "rbf.freq") == 0;
        const double s = strcmp(ten->name, "emb.emb.weight") == 0 ? sqrt(3.0)
                         : ten->ndim == 1                          ? 0.1
                                                                   : 1.0 / sqrt((double)ten->dims[1]);
        for (int64_t q = 0; q < dc_dimenet_tensor_size(ten); q++) {
            double u = 0.7548776662466927 * (double)(q + 1) + 0.5698402909980532 * (double)(t + 1);
            u -= floor(u);
            p[ten->offset + q] = is_freq ? (double)(q + 1) * 3.14159265358979323846 : s * (2 * u - 1);
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
    CHECK(L.n_tensors == 75 && L.n_params == 16276, "%d tensors, %lld parameters", L.n_tensors,
          (long long)L.n_params);
    dg_batch b;
    dg_read_batch(f, &b);

    /* the graph, edge for edge and triplet for triplet */
    dc_dimenet_graph g;
    dc_dimenet_graph_init(&g);
    CHECK(dc_dimenet_graph_build(&g, b.n_mol, b.atom_off, b.pos, shape.cutoff, 0, &err) == 0,
          "%s", err.message);
    const int64_t nE = dg_count(f, "graph/edge_i"), nT = dg_count(f, "graph/idx_kj");
    CHECK(g.n_edges == nE && g.n_triplets == nT, "%lld edges, %lld triplets; golden %lld, %lld",
          (long long)g.n_edges, (long long)g.n_triplets, (long long)nE, (long long)nT);
    if (g.n_edges == nE && g.n_triplets == nT) {
        int *idx = calloc((size_t)(nE > nT ? nE : nT), sizeof *idx);
        const char *gn[4] = {"graph/edge_i", "graph/edge_j", "graph/idx_kj", "graph/idx_ji"};
        const int *mine[4] = {g.edge_i, g.edge_j, g.idx_kj, g.idx_ji};
        for (int k = 0; k < 4; k++) {
            const int64_t n = k < 2 ? nE : nT;
            dg_read(f, gn[k], H5T_NATIVE_INT, idx, n);
            CHECK(memcmp(idx, mine[k], (size_t)n * sizeof *idx) == 0, "%s differs", gn[k]);
        }
        free(idx);
    }
    /* the Bessel zeros (float32-rounded, exactly) and normalisers, at both sizes */
    for (int size = 0; size < 2; size++) {
        const dc_dimenet_shape sh = size ? dc_dimenet_shape_default() : shape;
        const int SR = sh.num_spherical * sh.num_radial;
        double z[64], N[64], zr[64], Nr[64];
        dc_dimenet_bessel_constants(sh.num_spherical, sh.num_radial, z, N);
        dg_read(f, size ? "default_size/constants/sbf_roots" : "constants/sbf_roots",
                H5T_NATIVE_DOUBLE, zr, SR);
        dg_read(f, size ? "default_size/constants/sbf_normalizers" : "constants/sbf_normalizers",
                H5T_NATIVE_DOUBLE, Nr, SR);
        CHECK(memcmp(z, zr, (size_t)SR * sizeof *z) == 0, "sbf roots differ (size %d)", size);
        CHECK(dg_rel_err(N, Nr, SR) < 1e-13, "sbf normalisers: %.3g", dg_rel_err(N, Nr, SR));
    }

    double *params = calloc((size_t)L.n_params, sizeof *params);
    CHECK(dg_read_params(f, &L, "params", params) == 0, "params/");
    check_intermediates(f, "intermediate/frame0", 0, &L, &b, params);
    check_intermediates(f, "intermediate/synthetic", 3, &L, &b, params);
    for (size_t c = 0; c < sizeof CASES / sizeof *CASES; c++)
        check_case(f, "cases", CASES[c], &L, &g, &b, params, 0);

    /* the default size */
    dc_dimenet_layout LD;
    const dc_dimenet_shape def = dc_dimenet_shape_default();
    CHECK(dc_dimenet_layout_init(&LD, &def, &err) == 0, "%s", err.message);
    CHECK(LD.n_tensors == 147 && LD.n_params == 1885830, "default: %d tensors, %lld parameters",
          LD.n_tensors, (long long)LD.n_params);
    double *pd = calloc((size_t)LD.n_params, sizeof *pd);
    formula_params(&LD, pd);
    check_intermediates(f, "default_size/intermediate/synthetic", 3, &LD, &b, pd);
    for (size_t c = 0; c < sizeof CASES / sizeof *CASES; c++) {
        snprintf(path, sizeof path, "default_size/cases/%s", CASES[c]);
        if (H5Lexists(f, path, H5P_DEFAULT) > 0)
            check_case(f, "default_size/cases", CASES[c], &LD, &g, &b, pd, 1);
    }
    free(pd);
    dc_dimenet_layout_free(&LD);
    free(params);
    dc_dimenet_graph_free(&g);
    dc_dimenet_layout_free(&L);
    dg_batch_free(&b);
    H5Fclose(f);
    return check_finish();
}
