/* The double reference DimeNet++ without the golden file: the layout (PyG's names, shapes and
 * counts), the initialisation, the graph (brute-force counts, batching), forces against central
 * differences of the energy and loss-gradient entries (rbf.freq included) against central
 * differences of the loss, for extents none/output/full, and the bad geometries of issue 23: a
 * molecule with no triplets, an atom with no neighbour, angles of exactly 0 and pi (a linear
 * molecule), coincident atoms, non-finite positions and unknown elements. */
#include "check.h"
#include "dcsweep/core/rng.h"
#include "dcsweep/model/dimenet.h"

static const dc_dimenet_shape SMALL = {.hidden = 8, .out_emb = 8, .int_emb = 4, .basis_emb = 3,
                                       .num_spherical = 3, .num_radial = 4, .cutoff = 3.0,
                                       .envelope_exponent = 5, .num_blocks = 2,
                                       .num_before_skip = 1, .num_after_skip = 1,
                                       .num_output_layers = 2};

/* Molecule 0: 5 atoms (some pairs beyond the 3 A cutoff, atom 4 isolated); molecule 1: 2 atoms
 * (no triplet); molecule 2: a linear chain of 4 (triplet angles exactly 0 and pi). */
static const int Z[11] = {6, 8, 1, 1, 7, 1, 1, 6, 6, 8, 1};
static const int OFF[4] = {0, 5, 7, 11};
static const double POS[33] = {0.0,  0.0,  0.0,  1.21, 0.1,  -0.2, -0.5, 0.9, 0.3, 2.4, 1.5,
                               0.7,  9.0,  1.0,  -3.0, 0.2,  -0.1, 0.3,  0.9, 0.4, -0.2,
                               0.0,  0.0,  0.0,  1.2,  0.0,  0.0,  2.5,  0.0, 0.0, 3.6,
                               0.0,  0.0};

/* PyG's initialisation, then non-zero final layers, biases and a perturbed frequency (at the
 * initialisation E = 0 identically, which would check nothing). */
static void make_params(const dc_dimenet_layout *L, double *p)
{
    dc_error err = {0};
    CHECK(dc_dimenet_init_params(L, 7, p, &err) == DC_OK, "%s", err.message);
    dc_rng rng;
    dc_rng_seed(&rng, 99, 0);
    for (int t = 0; t < L->n_tensors; t++) {
        const dc_dimenet_tensor *ten = &L->tensors[t];
        const int n = (int)dc_dimenet_tensor_size(ten);
        const int out_lin = strstr(ten->name, "output_blocks.") && strstr(ten->name, ".lin.weight");
        for (int q = 0; q < n; q++) {
            const double u = 2.0 * dc_rng_uniform(&rng) - 1.0;
            if (strcmp(ten->name, "rbf.freq") == 0) p[ten->offset + q] += 0.05 * u;
            else if (out_lin) p[ten->offset + q] = 0.5 * u;
            else if (ten->ndim == 1) p[ten->offset + q] = 0.2 * u;
        }
    }
}

static void test_layout(void)
{
    dc_error err = {0};
    dc_dimenet_layout L;
    const dc_dimenet_shape def = dc_dimenet_shape_default();
    CHECK(dc_dimenet_layout_init(&L, &def, &err) == DC_OK, "%s", err.message);
    CHECK(L.n_tensors == 147 && L.n_params == 1885830, "%d tensors, %lld parameters", L.n_tensors,
          (long long)L.n_params);
    int t = dc_dimenet_layout_find(&L, "interaction_blocks.3.layers_after_skip.1.lin2.weight");
    CHECK(t == L.n_tensors - 2 && L.tensors[t].ndim == 2 && L.tensors[t].dims[0] == 128 &&
              L.tensors[t].dims[1] == 128,
          "the last weight: index %d", t);
    t = dc_dimenet_layout_find(&L, "rbf.freq");
    CHECK(t == 0 && L.tensors[t].ndim == 1 && L.tensors[t].dims[0] == 6, "rbf.freq (6,)");
    t = dc_dimenet_layout_find(&L, "interaction_blocks.0.lin_sbf1.weight");
    CHECK(t >= 0 && L.tensors[t].dims[0] == 8 && L.tensors[t].dims[1] == 42, "lin_sbf1 (8, 42)");
    t = dc_dimenet_layout_find(&L, "emb.lin.weight");
    CHECK(t == 4 && L.tensors[t].dims[0] == 128 && L.tensors[t].dims[1] == 384, "emb.lin (128, 384)");
    int64_t next = 0;
    for (int k = 0; k < L.n_tensors; k++) {
        CHECK(L.tensors[k].offset == next, "%s: offset %lld", L.tensors[k].name,
              (long long)L.tensors[k].offset);
        next += dc_dimenet_tensor_size(&L.tensors[k]);
    }
    /* the initialisation: PyG's distributions, on the default size */
    double *p = calloc((size_t)L.n_params, sizeof *p), *p2 = calloc((size_t)L.n_params, sizeof *p2);
    CHECK(dc_dimenet_init_params(&L, 3, p, &err) == DC_OK, "%s", err.message);
    CHECK(dc_dimenet_init_params(&L, 3, p2, &err) == DC_OK, "%s", err.message);
    CHECK(memcmp(p, p2, (size_t)L.n_params * sizeof *p) == 0, "a seed gives the same weights");
    CHECK(dc_dimenet_init_params(&L, 4, p2, &err) == DC_OK, "%s", err.message);
    CHECK(memcmp(p, p2, (size_t)L.n_params * sizeof *p) != 0, "another seed other weights");
    for (int r = 0; r < 6; r++) CHECK_CLOSE(p[r], (r + 1) * 3.14159265358979323846, 1e-15);
    for (int k = 0; k < L.n_tensors; k++) {
        const dc_dimenet_tensor *ten = &L.tensors[k];
        const double *w = p + ten->offset;
        const int64_t n = dc_dimenet_tensor_size(ten);
        double mx = 0.0, mean = 0.0, var = 0.0;
        for (int64_t q = 0; q < n; q++) mx = fmax(mx, fabs(w[q])), mean += w[q];
        mean /= (double)n;
        for (int64_t q = 0; q < n; q++) var += (w[q] - mean) * (w[q] - mean);
        var /= (double)(n - 1);
        if (k == 0) continue;
        if (strncmp(ten->name, "emb.", 4) == 0) {
            const double a = k == 1 ? sqrt(3.0) : 1.0 / sqrt((double)L.tensors[k < 4 ? 2 : 4].dims[1]);
            CHECK(mx <= a && mx > 0.8 * a, "%s: max |w| %g in U(-%g, %g)", ten->name, mx, a, a);
        } else if (ten->ndim == 1 || (strstr(ten->name, "output_blocks.") &&
                                      strstr(ten->name, ".lin.weight"))) {
            CHECK(mx == 0.0, "%s is zero", ten->name);
        } else {
            const double want = 2.0 / (double)(ten->dims[0] + ten->dims[1]);
            CHECK(fabs(var - want) < 1e-12 * want, "%s: variance %g, want %g", ten->name, var, want);
            /* (semi-)orthogonal: rows (or columns) mutually orthogonal */
            const int64_t R = ten->dims[0], C = ten->dims[1];
            double off = 0.0;
            for (int64_t a = 0; a < (R <= C ? R : C) && a < 4; a++)
                for (int64_t b = a + 1; b < (R <= C ? R : C) && b < 5; b++) {
                    double dot = 0.0;
                    for (int64_t q = 0; q < (R <= C ? C : R); q++)
                        dot += R <= C ? w[a * C + q] * w[b * C + q] : w[q * C + a] * w[q * C + b];
                    off = fmax(off, fabs(dot));
                }
            CHECK(off < 1e-12, "%s: orthogonality %g", ten->name, off);
        }
    }
    free(p);
    free(p2);
    dc_dimenet_layout_free(&L);
}

static void test_graph(void)
{
    dc_error err = {0};
    dc_dimenet_graph g;
    dc_dimenet_graph_init(&g);
    CHECK(dc_dimenet_graph_build(&g, 3, OFF, POS, SMALL.cutoff, 0, &err) == DC_OK, "%s",
          err.message);
    /* brute force: edges, and triplets as sum_j deg(j) (deg(j) - 1) */
    int64_t E = 0, T = 0;
    int deg[11] = {0};
    for (int m = 0; m < 3; m++)
        for (int i = OFF[m]; i < OFF[m + 1]; i++)
            for (int j = OFF[m]; j < OFF[m + 1]; j++) {
                double d2 = 0.0;
                for (int x = 0; x < 3; x++) d2 += pow(POS[3 * i + x] - POS[3 * j + x], 2);
                if (i != j && d2 < SMALL.cutoff * SMALL.cutoff) E++, deg[i]++;
            }
    for (int a = 0; a < 11; a++) T += deg[a] * (deg[a] - 1);
    CHECK(g.n_edges == E && g.n_triplets == T, "%lld edges, %lld triplets; want %lld, %lld",
          (long long)g.n_edges, (long long)g.n_triplets, (long long)E, (long long)T);
    CHECK(deg[4] == 0, "atom 4 is isolated (the fixture)");
    CHECK(g.trip_off[2] - g.trip_off[1] == 0 && g.edge_off[2] - g.edge_off[1] == 2,
          "the 2-atom molecule: 2 edges, no triplet");
    for (int64_t t = 0; t < g.n_triplets; t++) {
        const int kj = g.idx_kj[t], ji = g.idx_ji[t];
        CHECK(g.edge_i[kj] == g.edge_j[ji] && g.edge_j[kj] != g.edge_i[ji], "triplet %lld",
              (long long)t);
        if (t) CHECK(ji > g.idx_ji[t - 1] || (ji == g.idx_ji[t - 1] && kj > g.idx_kj[t - 1]),
                     "order at %lld", (long long)t);
    }
    /* coincident atoms: the frame is named (frame_base + molecule) */
    double bad[33];
    memcpy(bad, POS, sizeof bad);
    memcpy(bad + 3 * 6, bad + 3 * 5, 3 * sizeof *bad);
    CHECK(dc_dimenet_graph_build(&g, 3, OFF, bad, SMALL.cutoff, 40, &err) == DC_ERR_INPUT &&
              strstr(err.message, "frame 41") && strstr(err.message, "coincide"),
          "coincident atoms: %s", err.message);
    memcpy(bad, POS, sizeof bad);
    bad[3 * 9 + 1] = NAN;
    CHECK(dc_dimenet_graph_build(&g, 3, OFF, bad, SMALL.cutoff, 0, &err) == DC_ERR_INPUT &&
              strstr(err.message, "frame 2"),
          "a NaN position: %s", err.message);
    dc_dimenet_graph_free(&g);
}

/* Energies of the batch and of each molecule alone agree; an isolated atom adds P(0) (the
 * energy of that atom alone); forces are -dE/dr by central differences, exactly 0 on the isolated
 * atom; every value finite. */
static void test_forces(const dc_activation *act, const char *what)
{
    dc_error err = {0};
    dc_dimenet_layout L;
    dc_dimenet_graph g, g1;
    dc_dimenet_ref net, net1;
    dc_dimenet_graph_init(&g);
    dc_dimenet_graph_init(&g1);
    CHECK(dc_dimenet_layout_init(&L, &SMALL, &err) == DC_OK, "%s", err.message);
    double *p = calloc((size_t)L.n_params, sizeof *p);
    make_params(&L, p);
    CHECK(dc_dimenet_graph_build(&g, 3, OFF, POS, SMALL.cutoff, 0, &err) == DC_OK, "%s",
          err.message);
    CHECK(dc_dimenet_ref_init(&net, &L, act, &g, Z, &err) == DC_OK, "%s", err.message);
    double E[3], F[33], pos[33];
    dc_dimenet_ref_energy_forces(&net, p, POS, E, F);
    int finite = 1;
    for (int k = 0; k < 33; k++) finite &= isfinite(F[k]);
    CHECK(finite && isfinite(E[0]) && isfinite(E[1]) && isfinite(E[2]), "%s: finite", what);
    CHECK(F[12] == 0.0 && F[13] == 0.0 && F[14] == 0.0, "%s: no force on the isolated atom", what);
    /* the linear molecule has triplet angles of exactly 0 and pi */
    int64_t nT;
    const double *cs = dc_dimenet_ref_buffer(&net, "cos", &nT, NULL);
    int at0 = 0, atpi = 0;
    for (int64_t t = 0; cs && t < nT; t++) at0 |= cs[t] == 1.0, atpi |= cs[t] == -1.0;
    CHECK(at0 && atpi, "%s: cos theta = 1 and -1 both occur", what);
    /* each molecule alone, and atom 4 alone */
    for (int m = 0; m < 4; m++) {
        const int a0 = m < 3 ? OFF[m] : 4, n = m < 3 ? OFF[m + 1] - OFF[m] : 1, off[2] = {0, n};
        double Em;
        dc_dimenet_graph_build(&g1, 1, off, POS + 3 * a0, SMALL.cutoff, m, &err);
        CHECK(dc_dimenet_ref_init(&net1, &L, act, &g1, Z + a0, &err) == DC_OK, "%s", err.message);
        dc_dimenet_ref_energy_forces(&net1, p, POS + 3 * a0, &Em, NULL);
        dc_dimenet_ref_free(&net1);
        if (m < 3) CHECK(fabs(Em - E[m]) <= 1e-13 * fmax(1.0, fabs(E[m])), "%s: molecule %d", what, m);
        else CHECK(isfinite(Em) && Em != 0.0, "%s: the lone atom's energy %g", what, Em);
    }
    /* central differences of sum_b E_b */
    const double h = act->extent == DC_EXTENT_NONE ? 1e-5 : 1e-6;
    double worst = 0.0, scale = 0.0;
    for (int k = 0; k < 33; k++) {
        double Ep[3], Em[3];
        memcpy(pos, POS, sizeof pos);
        pos[k] += h;
        dc_dimenet_ref_energy_forces(&net, p, pos, Ep, NULL);
        pos[k] -= 2 * h;
        dc_dimenet_ref_energy_forces(&net, p, pos, Em, NULL);
        const double fd = -((Ep[0] + Ep[1] + Ep[2]) - (Em[0] + Em[1] + Em[2])) / (2 * h);
        worst = fmax(worst, fabs(fd - F[k]));
        scale = fmax(scale, fabs(F[k]));
    }
    printf("%s: forces vs differences %.2e (max |F| %.3g)\n", what, worst / scale, scale);
    CHECK(scale > 1e-3 && worst / scale < 1e-7, "%s: forces vs -dE/dr: %.3g", what, worst / scale);
    dc_dimenet_ref_free(&net);
    dc_dimenet_graph_free(&g);
    dc_dimenet_graph_free(&g1);
    dc_dimenet_layout_free(&L);
    free(p);
}

/* Loss-gradient entries against central differences of the loss (mse and l1). */
/* ghost 1: a fourth molecule, a lone H atom, ends the batch as the ghost of exact isolated atoms
 * (dc_dimenet_ref_set_ghosts): the loss is over the three others, each minus its atoms' ghost. */
static void test_loss_grad(const dc_activation *act, dc_loss kind, const char *what, int ghost)
{
    dc_error err = {0};
    dc_dimenet_layout L;
    dc_dimenet_graph g;
    dc_dimenet_ref net;
    dc_dimenet_graph_init(&g);
    CHECK(dc_dimenet_layout_init(&L, &SMALL, &err) == DC_OK, "%s", err.message);
    double *p = calloc((size_t)L.n_params, sizeof *p), *grad = calloc((size_t)L.n_params, sizeof *grad);
    make_params(&L, p);
    const int off[5] = {0, 5, 7, 11, 12}, z[12] = {6, 8, 1, 1, 7, 1, 1, 6, 6, 8, 1, 1};
    double pos[36] = {0};
    memcpy(pos, POS, sizeof POS);
    dc_dimenet_graph_build(&g, 3 + ghost, off, pos, SMALL.cutoff, 0, &err);
    CHECK(dc_dimenet_ref_init(&net, &L, act, &g, z, &err) == DC_OK, "%s", err.message);
    dc_dimenet_ref_set_ghosts(&net, ghost);
    const double E_t[4] = {0.3, -0.2, 0.1, 0.0};
    double F_t[36] = {0};
    for (int k = 0; k < 33; k++) F_t[k] = 0.05 * sin(1.0 + k);
    const dc_dimenet_loss loss = {.kind = kind, .force_weight = 30.0};
    double value;
    dc_dimenet_ref_loss(&net, p, pos, &loss, E_t, F_t, NULL, NULL, &value, grad);
    static const char *names[] = {"rbf.freq", "emb.emb.weight", "emb.lin.weight",
                                  "output_blocks.1.lins.0.bias", "output_blocks.2.lin.weight",
                                  "interaction_blocks.0.lin_sbf1.weight",
                                  "interaction_blocks.1.lin_kj.bias",
                                  "interaction_blocks.1.layers_after_skip.0.lin2.weight"};
    const double h = act->extent == DC_EXTENT_NONE ? 1e-5 : 1e-6;
    double worst = 0.0, scale = 0.0;
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        const dc_dimenet_tensor *t = &L.tensors[dc_dimenet_layout_find(&L, names[k])];
        const int64_t n = dc_dimenet_tensor_size(t);
        /* rbf.freq: every entry; elsewhere three (emb.emb.weight: carbon's row, Z = 6) */
        for (int e = 0; e < (k == 0 ? (int)n : 3); e++) {
            const int64_t q = t->offset + (k == 1 ? 6 * t->dims[1] + e : (e * 7919) % n);
            double lp, lm;
            const double keep = p[q];
            p[q] = keep + h;
            dc_dimenet_ref_loss(&net, p, pos, &loss, E_t, F_t, NULL, NULL, &lp, NULL);
            p[q] = keep - h;
            dc_dimenet_ref_loss(&net, p, pos, &loss, E_t, F_t, NULL, NULL, &lm, NULL);
            p[q] = keep;
            worst = fmax(worst, fabs((lp - lm) / (2 * h) - grad[q]));
            scale = fmax(scale, fabs(grad[q]));
        }
    }
    printf("%s: loss gradient vs differences %.2e (max |g| %.3g)\n", what, worst / scale, scale);
    CHECK(scale > 1e-4 && worst / scale < (kind == DC_LOSS_MSE ? 1e-6 : 1e-5),
          "%s: loss gradient vs differences %.3g", what, worst / scale);
    dc_dimenet_ref_free(&net);
    dc_dimenet_graph_free(&g);
    dc_dimenet_layout_free(&L);
    free(p);
    free(grad);
}

/* Every lone atom, of any element, gives the same energy (DimeNet++ carries elements on edges
 * only), so a lone atom minus the ghost is exactly 0. */
static void test_lone_atoms(void)
{
    dc_error err = {0};
    dc_dimenet_layout L;
    dc_dimenet_graph g;
    dc_dimenet_ref net;
    dc_dimenet_graph_init(&g);
    dc_dimenet_layout_init(&L, &SMALL, &err);
    double *p = calloc((size_t)L.n_params, sizeof *p);
    make_params(&L, p);
    const int off[5] = {0, 1, 2, 3, 4}, z[4] = {6, 8, 7, 1};
    const double pos[12] = {0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0, 0};
    dc_dimenet_graph_build(&g, 4, off, pos, SMALL.cutoff, 0, &err);
    const dc_activation act = {DC_EXTENT_OUTPUT, 0.5};
    CHECK(dc_dimenet_ref_init(&net, &L, &act, &g, z, &err) == DC_OK, "%s", err.message);
    double e[4];
    dc_dimenet_ref_energy_forces(&net, p, pos, e, NULL);
    CHECK(e[3] != 0.0 && e[0] == e[3] && e[1] == e[3] && e[2] == e[3],
          "lone C, O, N and H atoms: energies %.17g %.17g %.17g %.17g", e[0], e[1], e[2], e[3]);
    dc_dimenet_ref_free(&net);
    dc_dimenet_graph_free(&g);
    dc_dimenet_layout_free(&L);
    free(p);
}

static void test_bad_elements(void)
{
    dc_error err = {0};
    dc_dimenet_layout L;
    dc_dimenet_graph g;
    dc_dimenet_ref net;
    dc_dimenet_graph_init(&g);
    dc_dimenet_layout_init(&L, &SMALL, &err);
    dc_dimenet_graph_build(&g, 3, OFF, POS, SMALL.cutoff, 0, &err);
    int z[11];
    memcpy(z, Z, sizeof z);
    z[8] = 95;
    const dc_activation act = {.extent = DC_EXTENT_NONE};
    CHECK(dc_dimenet_ref_init(&net, &L, &act, &g, z, &err) == DC_ERR_INPUT &&
              strstr(err.message, "frame 2"),
          "atomic number 95: %s", err.message);
    dc_dimenet_graph_free(&g);
    dc_dimenet_layout_free(&L);
}

int main(void)
{
    test_layout();
    test_graph();
    test_bad_elements();
    const dc_activation none = {DC_EXTENT_NONE, 0.5}, output = {DC_EXTENT_OUTPUT, 0.5},
                        full = {DC_EXTENT_FULL, 0.5};
    test_forces(&none, "none");
    test_forces(&output, "output c 0.5");
    test_forces(&full, "full c 0.5");
    test_loss_grad(&none, DC_LOSS_MSE, "none, mse", 0);
    test_loss_grad(&none, DC_LOSS_L1, "none, l1", 0);
    test_loss_grad(&output, DC_LOSS_MSE, "output c 0.5, mse", 0);
    test_loss_grad(&full, DC_LOSS_MSE, "full c 0.5, mse", 0);
    test_loss_grad(&none, DC_LOSS_MSE, "ghost, none, mse", 1);
    test_loss_grad(&output, DC_LOSS_MSE, "ghost, output c 0.5, mse", 1);
    test_loss_grad(&full, DC_LOSS_MSE, "ghost, full c 0.5, mse", 1);
    test_lone_atoms();
    return check_finish();
}
