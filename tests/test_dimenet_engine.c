/* The float32 DimeNet++ engine (dcsweep/model/dimenet_engine.h) against the double reference
 * (dimenet.h) on random small batches: 3 molecules (6 atoms, 2 atoms with no triplet, 4 atoms),
 * extents none / output c 0.5 / full c 0.2 and 0.1, l1 and mse losses; energies, forces, the loss
 * and its gradient.
 * Both get the same float32 parameters (the reference their double values). Error measures
 * (DIMENET.md, MODEL.md): max |a - b| / max |b| per tensor; for the whole gradient also the norm
 * |g - g_ref| / |g_ref|. Tolerances: energies, forces, losses 1e-4 (DIMENET.md's for float32);
 * gradient 1e-4 norm-wise and 5e-4 per tensor. Also issue 23's bad geometries (an isolated atom,
 * angles of exactly 0 and pi), two calls give the same bits, loss_grad's
 * energies and forces are predict's, the FLOPs executed are dc_dimenet_step_flops', and a batch
 * beyond the limits or with an unknown element is refused. */
#include "check.h"
#include "dcsweep/core/rng.h"
#include "dcsweep/model/dimenet_engine.h"
#include "dimenet_engine_impl.h" /* flops_done: the FLOPs executed */

static const dc_dimenet_shape SMALL = {.hidden = 16, .out_emb = 24, .int_emb = 8, .basis_emb = 4,
                                       .num_spherical = 3, .num_radial = 4, .cutoff = 3.0,
                                       .envelope_exponent = 5, .num_blocks = 2,
                                       .num_before_skip = 1, .num_after_skip = 2,
                                       .num_output_layers = 2};

#define NMOL 3
#define NATOM 12
static const int OFF[NMOL + 1] = {0, 6, 8, 12};
static const int Z[NATOM] = {6, 6, 8, 1, 1, 1, 1, 8, 7, 6, 1, 1};

static double rel_err(const double *a, const double *b, int64_t n)
{
    double num = 0.0, den = 0.0;
    for (int64_t q = 0; q < n; q++) {
        num = fmax(num, fabs(a[q] - b[q]));
        den = fmax(den, fabs(b[q]));
    }
    return num / (den > 0.0 ? den : 1.0);
}

/* PyG's initialisation, then non-zero final layers, random biases and a perturbed frequency
 * (at the initialisation E = 0 identically), rounded to float. */
static void make_params(const dc_dimenet_layout *L, float *pf, double *pd)
{
    dc_error err = {0};
    CHECK(dc_dimenet_init_params(L, 5, pd, &err) == DC_OK, "%s", err.message);
    dc_rng rng;
    dc_rng_seed(&rng, 42, 0);
    for (int t = 0; t < L->n_tensors; t++) {
        const dc_dimenet_tensor *ten = &L->tensors[t];
        const int64_t n = dc_dimenet_tensor_size(ten);
        const int out_lin = strstr(ten->name, "output_blocks.") && strstr(ten->name, ".lin.weight");
        for (int64_t q = 0; q < n; q++) {
            const double u = 2.0 * dc_rng_uniform(&rng) - 1.0;
            if (strcmp(ten->name, "rbf.freq") == 0) pd[ten->offset + q] += 0.05 * u;
            else if (out_lin) pd[ten->offset + q] = 0.5 * u;
            else if (ten->ndim == 1) pd[ten->offset + q] = 0.2 * u;
        }
    }
    for (int64_t q = 0; q < L->n_params; q++) {
        pf[q] = (float)pd[q];
        pd[q] = (double)pf[q];
    }
}

/* Molecule 0: 6 atoms in a 2.4 A box; 1: 2 atoms 1.1 A apart; 2: 4 atoms in a 2 A box. */
static void make_positions(double *pos)
{
    dc_rng rng;
    dc_rng_seed(&rng, 17, 0);
    const double box[NMOL] = {2.4, 1.0, 2.0};
    for (int m = 0; m < NMOL; m++)
        for (int a = OFF[m]; a < OFF[m + 1]; a++)
            for (int k = 0; k < 3; k++) pos[3 * a + k] = box[m] * dc_rng_uniform(&rng) + 10.0 * m;
    /* the pair: along x */
    pos[3 * 6 + 0] = 0.0, pos[3 * 6 + 1] = 0.0, pos[3 * 6 + 2] = 0.0;
    pos[3 * 7 + 0] = 1.1, pos[3 * 7 + 1] = 0.0, pos[3 * 7 + 2] = 0.0;
}

static void run_case(const dc_dimenet_layout *L, dc_dimenet *eng, const dc_dimenet_graph *g,
                     const float *pf, const double *pd, const double *pos, dc_activation act,
                     const char *label)
{
    dc_error err = {0};
    const int64_t np = L->n_params;
    double E_ref[NMOL], F_ref[3 * NATOM], E[NMOL], F[3 * NATOM], E_t[NMOL], F_t[3 * NATOM];
    double E2[NMOL], F2[3 * NATOM], Ep[NMOL], Fp[3 * NATOM];
    double *g_ref = calloc((size_t)np, sizeof *g_ref), *g_eng = calloc((size_t)np, sizeof *g_eng);
    float *gf = calloc((size_t)np, sizeof *gf), *gf2 = calloc((size_t)np, sizeof *gf2);
    dc_dimenet_ref ref = {0};
    CHECK(dc_dimenet_ref_init(&ref, L, &act, g, Z, &err) == DC_OK, "%s", err.message);
    dc_dimenet_ref_energy_forces(&ref, pd, pos, E_ref, F_ref);
    dc_rng rng;
    dc_rng_seed(&rng, 3, 0);
    double emax = 0.0, fmax_ = 0.0;
    for (int b = 0; b < NMOL; b++) emax = fmax(emax, fabs(E_ref[b]));
    for (int k = 0; k < 3 * NATOM; k++) fmax_ = fmax(fmax_, fabs(F_ref[k]));
    for (int b = 0; b < NMOL; b++)
        E_t[b] = E_ref[b] + 0.3 * emax * (2.0 * dc_rng_uniform(&rng) - 1.0);
    for (int k = 0; k < 3 * NATOM; k++)
        F_t[k] = F_ref[k] + 0.3 * fmax_ * (2.0 * dc_rng_uniform(&rng) - 1.0);
    const dc_dimenet_batch batch = {.graph = g, .z = Z, .pos = pos, .energy_target = E_t,
                                    .force_target = F_t};

    CHECK(dc_dimenet_predict(eng, &act, pf, &batch, E, F, &err) == DC_OK, "%s", err.message);
    const double ee = rel_err(E, E_ref, NMOL), fe = rel_err(F, F_ref, 3 * NATOM);
    printf("%-14s predict energy %.2e forces %.2e (|E| %.3g, |F| %.3g)\n", label, ee, fe, emax,
           fmax_);
    CHECK(ee < 1e-4, "%s energies: %.3g", label, ee);
    CHECK(fe < 1e-4, "%s forces: %.3g", label, fe);
    memcpy(Ep, E, sizeof E);
    memcpy(Fp, F, sizeof F);

    for (int l = 0; l < 2; l++) {
        const dc_dimenet_loss loss = {.kind = l ? DC_LOSS_MSE : DC_LOSS_L1, .force_weight = 30.0};
        double value_ref = 0.0;
        dc_dimenet_loss_value value = {0}, value2 = {0};
        dc_dimenet_ref_loss(&ref, pd, pos, &loss, E_t, F_t, NULL, NULL, &value_ref, g_ref);
        const double done0 = eng->flops_done;
        CHECK(dc_dimenet_loss_grad(eng, &act, pf, &batch, &loss, E, F, gf, &value, &err) == DC_OK,
              "%s", err.message);
        const double counted = dc_dimenet_step_flops(&L->shape, g->n_mol, g->n_atoms, g->n_edges,
                                                     g->n_triplets);
        CHECK(eng->flops_done - done0 == counted && counted > 0,
              "FLOPs executed %.0f, counted by dc_dimenet_step_flops %.0f",
              eng->flops_done - done0, counted);
        for (int64_t q = 0; q < np; q++) g_eng[q] = gf[q];
        const double le = fabs(value.total - value_ref) / fabs(value_ref);
        double num = 0.0, den = 0.0, worst = 0.0;
        const char *worst_name = "";
        for (int64_t q = 0; q < np; q++) {
            num += (g_eng[q] - g_ref[q]) * (g_eng[q] - g_ref[q]);
            den += g_ref[q] * g_ref[q];
        }
        for (int t = 0; t < L->n_tensors; t++) {
            const dc_dimenet_tensor *ten = &L->tensors[t];
            const double e = rel_err(g_eng + ten->offset, g_ref + ten->offset,
                                     dc_dimenet_tensor_size(ten));
            if (!(e <= worst)) worst = e, worst_name = ten->name;
        }
        const double gn = sqrt(num / den);
        printf("%-14s %-3s loss %.2e grad norm-wise %.2e, worst tensor %.2e (%s)\n", label,
               l ? "mse" : "l1", le, gn, worst, worst_name);
        CHECK(le < 1e-4, "%s loss %.10g vs %.10g", label, value.total, value_ref);
        CHECK(gn < 1e-4, "%s gradient norm-wise: %.3g", label, gn);
        CHECK(worst < 5e-4, "%s gradient: %.3g at %s", label, worst, worst_name);
        CHECK(memcmp(E, Ep, sizeof E) == 0 && memcmp(F, Fp, sizeof F) == 0,
              "%s: loss_grad's energies and forces are not predict's", label);
        /* the loss's parts */
        const double sum = value.energy_loss + 30.0 * value.force_loss;
        CHECK(fabs(sum - value.total) <= 1e-12 * fabs(value.total), "total = energy + alpha force");
        /* determinism: a second call, the same bits */
        CHECK(dc_dimenet_loss_grad(eng, &act, pf, &batch, &loss, E2, F2, gf2, &value2, &err) ==
                  DC_OK, "%s", err.message);
        dc_dimenet_loss_value value3 = {0};
        CHECK(dc_dimenet_loss_grad(eng, &act, pf, &batch, &loss, NULL, NULL, NULL, &value3, &err) ==
                  DC_OK && value3.total == value.total,
              "%s: the loss without its gradient", label);
        CHECK(memcmp(gf, gf2, (size_t)np * sizeof *gf) == 0 && memcmp(E, E2, sizeof E) == 0 &&
                  memcmp(F, F2, sizeof F) == 0 && value.total == value2.total,
              "%s: two calls give different bits", label);
    }
    dc_dimenet_ref_free(&ref);
    free(g_ref);
    free(g_eng);
    free(gf);
    free(gf2);
}

/* Issue 23's bad geometries against the reference: molecule 0 has an atom with no neighbour
 * inside the cutoff (atom 4), molecule 1 is 2 atoms (no triplet), molecule 2 a linear chain of 4
 * (triplet angles exactly 0 and pi, where d cos / dr is finite). Energies, forces and the mse
 * gradient, all finite and at the float tolerances above. */
static void test_bad_geometry(const dc_dimenet_layout *L, const float *pf, const double *pd)
{
    static const int Zb[11] = {6, 8, 1, 1, 7, 1, 1, 6, 6, 8, 1};
    static const int OFFb[4] = {0, 5, 7, 11};
    static const double P[33] = {0.0, 0.0, 0.0,  1.21, 0.1, -0.2, -0.5, 0.9, 0.3, 2.4, 1.5, 0.7,
                                 9.0, 1.0, -3.0, 0.2,  -0.1, 0.3, 0.9, 0.4, -0.2,
                                 0.0, 0.0, 0.0,  1.2,  0.0, 0.0,  2.5, 0.0, 0.0, 3.6, 0.0, 0.0};
    dc_error err = {0};
    dc_dimenet_graph g;
    dc_dimenet *eng = NULL;
    dc_dimenet_ref ref = {0};
    const int64_t np = L->n_params;
    double E[3], F[33], Er[3], Fr[33], Et[3] = {0.5, -0.2, 0.1}, Ft[33] = {0};
    double *gr = calloc((size_t)np, sizeof *gr), *ge = calloc((size_t)np, sizeof *ge);
    float *gf = calloc((size_t)np, sizeof *gf);
    dc_dimenet_graph_init(&g);
    CHECK(dc_dimenet_graph_build(&g, 3, OFFb, P, L->shape.cutoff, 0, &err) == DC_OK, "%s",
          err.message);
    int isolated = 1;
    for (int64_t e = 0; e < g.n_edges; e++) isolated &= g.edge_i[e] != 4 && g.edge_j[e] != 4;
    CHECK(isolated && g.trip_off[2] == g.trip_off[1], "atom 4 isolated, molecule 1 no triplet");
    const dc_activation act = {.extent = DC_EXTENT_OUTPUT, .irelu_scale = 0.5};
    CHECK(dc_dimenet_create(&eng, L, 3, 11, g.n_edges, g.n_triplets, &err) == DC_OK, "%s",
          err.message);
    CHECK(dc_dimenet_ref_init(&ref, L, &act, &g, Zb, &err) == DC_OK, "%s", err.message);
    if (eng && ref.impl) {
        const dc_dimenet_batch b = {.graph = &g, .z = Zb, .pos = P, .energy_target = Et,
                                    .force_target = Ft};
        const dc_dimenet_loss mse = {.kind = DC_LOSS_MSE, .force_weight = 30.0};
        double lr = 0.0;
        dc_dimenet_loss_value v = {0};
        dc_dimenet_ref_loss(&ref, pd, P, &mse, Et, Ft, Er, Fr, &lr, gr);
        CHECK(dc_dimenet_loss_grad(eng, &act, pf, &b, &mse, E, F, gf, &v, &err) == DC_OK, "%s",
              err.message);
        double num = 0.0, den = 0.0;
        int finite = isfinite(v.total);
        for (int64_t q = 0; q < np; q++) {
            ge[q] = gf[q];
            finite &= isfinite(ge[q]);
            num += (ge[q] - gr[q]) * (ge[q] - gr[q]);
            den += gr[q] * gr[q];
        }
        for (int k = 0; k < 33; k++) finite &= isfinite(F[k]);
        const double ee = rel_err(E, Er, 3), fe = rel_err(F, Fr, 33), gn = sqrt(num / den);
        printf("bad geometry   energy %.2e forces %.2e loss %.2e grad norm-wise %.2e\n", ee, fe,
               fabs(v.total - lr) / fabs(lr), gn);
        CHECK(finite, "bad geometry: non-finite results");
        CHECK(ee < 1e-4 && fe < 1e-4, "bad geometry: energies %.3g forces %.3g", ee, fe);
        CHECK(fabs(v.total - lr) < 1e-4 * fabs(lr), "bad geometry loss %.10g vs %.10g", v.total,
              lr);
        CHECK(gn < 1e-4, "bad geometry gradient: %.3g", gn);
        /* the isolated atom feels no force */
        CHECK(F[12] == 0.0 && F[13] == 0.0 && F[14] == 0.0, "isolated atom: force %g %g %g",
              F[12], F[13], F[14]);
    }
    dc_dimenet_ref_free(&ref);
    dc_dimenet_destroy(eng);
    dc_dimenet_graph_free(&g);
    free(gr);
    free(ge);
    free(gf);
}

/* A batch without any triplet (one diatomic molecule) in an engine whose triplet limit is 0, and a
 * lone atom (no edge at all): the sbf paths run on 0 rows; results as the reference's. ghost 1:
 * the lone atom is the batch's ghost (exact isolated atoms, dc_loss.h), in both. */
static void test_no_triplets(const dc_dimenet_layout *L, const float *pf, const double *pd, int ghost)
{
    static const int Zb[3] = {6, 8, 1};
    static const int OFFb[3] = {0, 2, 3};
    static const double P[9] = {0.0, 0.0, 0.0, 0.3, 1.0, -0.2, 5.0, 5.0, 5.0};
    dc_error err = {0};
    dc_dimenet_graph g;
    dc_dimenet *eng = NULL;
    dc_dimenet_ref ref = {0};
    const int64_t np = L->n_params;
    double E[2], F[9], Er[2], Fr[9], Et[2] = {0.5, -0.2}, Ft[9] = {0};
    double *gr = calloc((size_t)np, sizeof *gr);
    float *gf = calloc((size_t)np, sizeof *gf);
    dc_dimenet_graph_init(&g);
    CHECK(dc_dimenet_graph_build(&g, 2, OFFb, P, L->shape.cutoff, 0, &err) == DC_OK, "%s",
          err.message);
    CHECK(g.n_edges == 2 && g.n_triplets == 0, "%lld edges, %lld triplets", (long long)g.n_edges,
          (long long)g.n_triplets);
    const dc_activation act = {.extent = DC_EXTENT_NONE};
    CHECK(dc_dimenet_create(&eng, L, 2, 3, 2, 0, &err) == DC_OK, "%s", err.message);
    CHECK(dc_dimenet_ref_init(&ref, L, &act, &g, Zb, &err) == DC_OK, "%s", err.message);
    if (eng && ref.impl) {
        dc_dimenet_ref_set_ghosts(&ref, ghost);
        const dc_dimenet_batch b = {.graph = &g, .z = Zb, .pos = P, .energy_target = Et,
                                    .force_target = Ft, .n_ghost = ghost};
        const dc_dimenet_loss l1 = {.kind = DC_LOSS_L1, .force_weight = 30.0};
        double lr = 0.0, num = 0.0, den = 0.0;
        dc_dimenet_loss_value v = {0};
        dc_dimenet_ref_loss(&ref, pd, P, &l1, Et, Ft, Er, Fr, &lr, gr);
        CHECK(dc_dimenet_loss_grad(eng, &act, pf, &b, &l1, E, F, gf, &v, &err) == DC_OK, "%s",
              err.message);
        for (int64_t q = 0; q < np; q++) {
            num += ((double)gf[q] - gr[q]) * ((double)gf[q] - gr[q]);
            den += gr[q] * gr[q];
        }
        const double ee = rel_err(E, Er, 2), fe = rel_err(F, Fr, 9), gn = sqrt(num / den);
        const double le = fabs(v.total - lr) / fabs(lr);
        printf("no triplets%s energy %.2e forces %.2e loss %.2e grad norm-wise %.2e\n", ghost ? ", ghost" : "   ",
               ee, fe, le, gn);
        CHECK(ee < 1e-4 && fe < 1e-4 && le < 1e-4 && gn < 1e-4, "no triplets (ghost %d): %.3g %.3g %.3g %.3g",
              ghost, ee, fe, le, gn);
        const int t = dc_dimenet_layout_find(L, "interaction_blocks.0.lin_sbf1.weight");
        CHECK(t >= 0 && gf[L->tensors[t].offset] == 0.0f, "lin_sbf1's gradient without triplets");
    }
    dc_dimenet_ref_free(&ref);
    dc_dimenet_destroy(eng);
    dc_dimenet_graph_free(&g);
    free(gr);
    free(gf);
}

/* predict on a batch of more than 2048 edges runs in chunks of consecutive molecules (the
 * indices rebased): 64 molecules of 7 atoms in a 2 A box, every pair within the cutoff (42 edges
 * each, 2688 in all), against the reference. */
static void test_chunked_predict(const dc_dimenet_layout *L, const float *pf, const double *pd)
{
    enum { M = 64, A = 7 };
    static int Zc[M * A], OFFc[M + 1];
    static double P[3 * M * A], E[M], F[3 * M * A], Er[M], Fr[3 * M * A], E2[M], F2[3 * M * A];
    dc_error err = {0};
    dc_rng rng;
    dc_rng_seed(&rng, 5, 2);
    for (int m = 0; m <= M; m++) OFFc[m] = A * m;
    for (int a = 0; a < M * A; a++) {
        Zc[a] = a % 3 == 0 ? 6 : a % 3 == 1 ? 1 : 8;
        for (int k = 0; k < 3; k++) P[3 * a + k] = 1.6 * dc_rng_uniform(&rng) + 10.0 * (a / A);
    }
    dc_dimenet_graph g;
    dc_dimenet_graph_init(&g);
    CHECK(dc_dimenet_graph_build(&g, M, OFFc, P, L->shape.cutoff, 0, &err) == DC_OK, "%s",
          err.message);
    CHECK(g.n_edges == M * A * (A - 1), "%lld edges", (long long)g.n_edges);
    dc_dimenet *eng = NULL;
    dc_dimenet_ref ref = {0};
    const dc_activation act = {.extent = DC_EXTENT_OUTPUT, .irelu_scale = 0.5};
    CHECK(dc_dimenet_create(&eng, L, M, M * A, g.n_edges, g.n_triplets, &err) == DC_OK, "%s",
          err.message);
    CHECK(dc_dimenet_ref_init(&ref, L, &act, &g, Zc, &err) == DC_OK, "%s", err.message);
    if (eng && ref.impl) {
        const dc_dimenet_batch b = {.graph = &g, .z = Zc, .pos = P};
        dc_dimenet_ref_energy_forces(&ref, pd, P, Er, Fr);
        CHECK(dc_dimenet_predict(eng, &act, pf, &b, E, F, &err) == DC_OK, "%s", err.message);
        CHECK(dc_dimenet_predict(eng, &act, pf, &b, E2, F2, &err) == DC_OK, "%s", err.message);
        const double ee = rel_err(E, Er, M), fe = rel_err(F, Fr, 3 * M * A);
        printf("chunked predict energy %.2e forces %.2e (%lld edges)\n", ee, fe,
               (long long)g.n_edges);
        CHECK(ee < 1e-4 && fe < 1e-4, "chunked predict: energies %.3g forces %.3g", ee, fe);
        CHECK(memcmp(E, E2, sizeof E) == 0 && memcmp(F, F2, sizeof F) == 0,
              "chunked predict: two calls differ");
        int Zbad[M * A];
        memcpy(Zbad, Zc, sizeof Zbad);
        Zbad[A * 50 + 3] = 0;
        const dc_dimenet_batch bad = {.graph = &g, .z = Zbad, .pos = P};
        CHECK(dc_dimenet_predict(eng, &act, pf, &bad, E, F, &err) == DC_ERR_INPUT &&
                  strstr(err.message, "frame 50"),
              "chunked predict names the batch's molecule: %s", err.message);
    }
    dc_dimenet_ref_free(&ref);
    dc_dimenet_destroy(eng);
    dc_dimenet_graph_free(&g);
}

int main(void)
{
    dc_error err = {0};
    dc_dimenet_layout L;
    dc_dimenet_graph g;
    dc_dimenet *eng = NULL;
    double pos[3 * NATOM];
    CHECK(dc_dimenet_layout_init(&L, &SMALL, &err) == DC_OK, "%s", err.message);
    float *pf = calloc((size_t)L.n_params, sizeof *pf);
    double *pd = calloc((size_t)L.n_params, sizeof *pd);
    make_params(&L, pf, pd);
    make_positions(pos);
    dc_dimenet_graph_init(&g);
    CHECK(dc_dimenet_graph_build(&g, NMOL, OFF, pos, SMALL.cutoff, 0, &err) == DC_OK, "%s",
          err.message);
    printf("batch: %d molecules, %d atoms, %lld edges, %lld triplets (molecule 1: %lld)\n", g.n_mol,
           g.n_atoms, (long long)g.n_edges, (long long)g.n_triplets,
           (long long)(g.trip_off[2] - g.trip_off[1]));
    CHECK(g.trip_off[2] == g.trip_off[1] && g.edge_off[2] - g.edge_off[1] == 2,
          "molecule 1: 2 edges, no triplet");
    /* limits larger than the batch: the planes of a call are not the arena's first rows */
    CHECK(dc_dimenet_create(&eng, &L, 5, 20, g.n_edges + 7, g.n_triplets + 11, &err) == DC_OK,
          "%s", err.message);
    if (!eng) return check_finish();
    const dc_activation acts[] = {{.extent = DC_EXTENT_NONE, .irelu_scale = 0.5},
                                  {.extent = DC_EXTENT_OUTPUT, .irelu_scale = 0.5},
                                  {.extent = DC_EXTENT_FULL, .irelu_scale = 0.2},
                                  {.extent = DC_EXTENT_FULL, .irelu_scale = 0.1}};
    const char *labels[] = {"none", "output c0.5", "full c0.2", "full c0.1"};
    for (int a = 0; a < 4; a++) run_case(&L, eng, &g, pf, pd, pos, acts[a], labels[a]);

    /* full c = 0.5 explodes here (|E| ~ 1e192 in double, DIMENET.md's instability): a result
     * (non-finite energies), never an error */
    {
        const dc_activation blow = {.extent = DC_EXTENT_FULL, .irelu_scale = 0.5};
        const dc_dimenet_batch b = {.graph = &g, .z = Z, .pos = pos};
        double Eb[NMOL], Fb[3 * NATOM];
        CHECK(dc_dimenet_predict(eng, &blow, pf, &b, Eb, Fb, &err) == DC_OK, "%s", err.message);
        CHECK(!isfinite(Eb[0] + Eb[1] + Eb[2]), "full c0.5: energies %g %g %g", Eb[0], Eb[1],
              Eb[2]);
    }

    test_bad_geometry(&L, pf, pd);
    test_no_triplets(&L, pf, pd, 0);
    test_no_triplets(&L, pf, pd, 1);
    test_chunked_predict(&L, pf, pd);

    /* refused: a batch beyond the limits, an unknown element */
    dc_dimenet *tiny = NULL;
    CHECK(dc_dimenet_create(&tiny, &L, 1, 20, 1000, 1000, &err) == DC_OK, "%s", err.message);
    const dc_dimenet_batch batch = {.graph = &g, .z = Z, .pos = pos};
    double E[NMOL];
    CHECK(tiny && dc_dimenet_predict(tiny, &acts[0], pf, &batch, E, NULL, &err) == DC_ERR_INPUT,
          "3 molecules in an engine for 1");
    dc_dimenet_destroy(tiny);
    int Zbad[NATOM];
    memcpy(Zbad, Z, sizeof Zbad);
    Zbad[9] = 95;
    const dc_dimenet_batch bad = {.graph = &g, .z = Zbad, .pos = pos};
    CHECK(dc_dimenet_predict(eng, &acts[0], pf, &bad, E, NULL, &err) == DC_ERR_INPUT &&
              strstr(err.message, "frame 2"),
          "atomic number 95: %s", err.message);

    dc_dimenet_destroy(eng);
    dc_dimenet_graph_free(&g);
    dc_dimenet_layout_free(&L);
    free(pf);
    free(pd);
    return check_finish();
}
