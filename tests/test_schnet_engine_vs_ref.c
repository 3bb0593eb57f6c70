/* The float oneDNN engine against the double reference on random models (F != nf, odd sizes, one
 * to three blocks) and random batches of molecules of different sizes (one trial with ghosts,
 * dc_batch.n_ghost), for every extent and both
 * losses; repeat calls are bitwise identical; the matmul FLOPs executed are dc_schnet_step_flops; a
 * batch beyond the engine's limits is rejected. */
#include <stdint.h>

#include "check.h"
#include "dcsweep/core/rng.h"
#include "dcsweep/model/schnet.h"

static const double TOL = 2e-4;
static double worst_all;
static int64_t edges_seen;

typedef struct rand_batch {
    int n_mol, n_atoms;
    int64_t n_edges;
    int types[256], mol[256], src[8192], dst[8192];
    double pos[768], energy[32], forces[768];
    dc_batch b;
} rand_batch;

/* Molecules of 1..max_size atoms in a box, no two atoms closer than 0.7 A; edges as docs/model.md:
 * ordered pairs of a molecule closer than the cutoff, sorted by dst then src. */
static void make_batch(rand_batch *r, dc_rng *rng, int n_mol, int max_size, int n_types, double rc,
                       int ghosts)
{
    r->n_mol = n_mol;
    r->n_atoms = 0;
    for (int m = 0; m < n_mol; m++) {
        int size = 1 + (int)(dc_rng_uniform(rng) * max_size);
        if (size > max_size) size = max_size;
        int first = r->n_atoms;
        for (int a = 0; a < size; a++) {
            int i = r->n_atoms, ok = 0;
            while (!ok) {
                for (int k = 0; k < 3; k++) r->pos[3 * i + k] = 3.0 * dc_rng_uniform(rng);
                ok = 1;
                for (int j = first; j < i; j++) {
                    double d2 = 0.0;
                    for (int k = 0; k < 3; k++) {
                        double x = r->pos[3 * i + k] - r->pos[3 * j + k];
                        d2 += x * x;
                    }
                    if (d2 < 0.49) ok = 0;
                }
            }
            r->types[i] = (int)(dc_rng_uniform(rng) * n_types) % n_types;
            r->mol[i] = m;
            for (int k = 0; k < 3; k++) r->forces[3 * i + k] = dc_rng_normal(rng);
            r->n_atoms++;
        }
        r->energy[m] = dc_rng_normal(rng);
    }
    r->n_edges = check_brute_edges(r->n_atoms, r->mol, r->pos, rc, r->src, r->dst);
    for (int t = 0; ghosts && t < n_types; t++, r->n_atoms++, r->n_mol++) {
        r->types[r->n_atoms] = t;
        r->mol[r->n_atoms] = r->n_mol;
        for (int k = 0; k < 3; k++) r->pos[3 * r->n_atoms + k] = r->forces[3 * r->n_atoms + k] = 0.0;
        r->energy[r->n_mol] = 0.0;
    }
    r->b = (dc_batch){.n_mol = r->n_mol, .n_atoms = r->n_atoms, .n_edges = r->n_edges,
                      .types = r->types, .mol = r->mol, .pos = r->pos, .src = r->src,
                      .dst = r->dst, .energy_target = r->energy, .force_target = r->forces,
                      .n_ghost = ghosts ? n_types : 0};
}

static double rel_err(const double *a, const double *b, int64_t n)
{
    double num = 0.0, den = 0.0;
    for (int64_t k = 0; k < n; k++) {
        num = fmax(num, fabs(a[k] - b[k]));
        den = fmax(den, fabs(b[k]));
    }
    if (num != num) return INFINITY;
    return den > 0.0 ? num / den : num;
}

static void run_shape(const dc_schnet_shape *shape, uint64_t seed)
{
    dc_error err = {0};
    dc_schnet_layout layout;
    CHECK(dc_schnet_layout_init(&layout, shape, &err) == DC_OK, "layout: %s", err.message);
    const int64_t np = layout.n_params;
    float *pf = calloc((size_t)np, sizeof *pf), *grad = calloc((size_t)np, sizeof *grad);
    float *grad2 = calloc((size_t)np, sizeof *grad2);
    double *pd = calloc((size_t)np, sizeof *pd), *gref = calloc((size_t)np, sizeof *gref);
    double *gf = calloc((size_t)np, sizeof *gf);
    dc_schnet_init_params(&layout, seed, pf);
    dc_rng rng;
    dc_rng_seed(&rng, seed, 7);
    /* Non-zero biases so that every bias path is exercised. */
    for (int t = 0; t < layout.n_tensors; t++)
        if (layout.tensors[t].is_bias)
            for (int64_t k = 0; k < layout.tensors[t].rows; k++)
                pf[layout.tensors[t].offset + k] = (float)(0.1 * dc_rng_normal(&rng));
    for (int64_t k = 0; k < np; k++) pd[k] = pf[k];

    const int max_mol = 10, max_atoms = 64;
    const int64_t max_edges = 1200;
    dc_schnet *eng = NULL;
    int rc = dc_schnet_create(&eng, shape, max_mol, max_atoms, max_edges, &err);
    CHECK(rc == DC_OK, "create: %s", err.message);
    if (rc != DC_OK) goto done;
    static rand_batch rb;
    double e[32], f[768], e2[32], f2[768], eref[32], fref[768];
    for (int trial = 0; trial < 3; trial++) {
        make_batch(&rb, &rng, 1 + trial * 2, 4 + 3 * trial, shape->n_types, shape->cutoff, trial == 1);
        for (int ext = 0; ext < DC_N_EXTENTS; ext++) {
            dc_activation act = {.extent = (dc_extent)ext, .irelu_scale = 0.25 + 0.5 * trial};
            for (int l = 0; l < 2; l++) {
                dc_loss_spec spec = {.kind = (dc_loss)l, .force_weight = 30.0};
                dc_loss_value lv, lv2, lref;
                const double flops0 = dc_schnet_flops_done(eng);
                rc = dc_schnet_loss_grad(eng, &act, pf, &rb.b, &spec, e, f, grad, &lv, &err);
                CHECK(rc == DC_OK, "loss_grad: %s", err.message);
                /* The FLOP count of docs/performance.md is what the engine executes. */
                const double counted = dc_schnet_flops_done(eng) - flops0;
                const double formula = dc_schnet_step_flops(shape, rb.n_mol, rb.n_atoms, rb.n_edges);
                CHECK(counted == formula, "F%d nf%d T%d: %.0f matmul FLOPs executed, "
                      "dc_schnet_step_flops says %.0f", shape->features, shape->filters,
                      shape->interactions, counted, formula);
                rc = dc_schnet_ref_eval(shape, &act, pd, &rb.b, &spec, eref, fref, gref, &lref, &err);
                CHECK(rc == DC_OK, "ref: %s", err.message);
                for (int64_t k = 0; k < np; k++) gf[k] = grad[k];
                double ee = rel_err(e, eref, rb.n_mol), fe = rel_err(f, fref, 3 * rb.n_atoms);
                double le = fabs(lv.total - lref.total) / fmax(fabs(lref.total), 1e-300);
                double ge = 0.0;
                const char *worst = "";
                for (int t = 0; t < layout.n_tensors; t++) {
                    const dc_tensor *tt = &layout.tensors[t];
                    double r = rel_err(gf + tt->offset, gref + tt->offset, tt->rows * tt->cols);
                    /* with ghosts the last bias cancels: its gradient is 0 up to rounding */
                    if (rb.b.n_ghost > 0 && strcmp(tt->name, "output/dense2/bias") == 0)
                        r = fabs(gf[tt->offset] - gref[tt->offset]) / 1e-3;
                    if (!(r <= ge)) { ge = r; worst = tt->name; }
                }
                double w = fmax(fmax(ee, fe), fmax(le, ge));
                if (w > worst_all) worst_all = w;
                edges_seen += rb.n_edges;
                CHECK(ee <= TOL && fe <= TOL && le <= TOL && ge <= TOL,
                      "F%d nf%d T%d G%d n=%d E=%lld ext %d loss %d: energy %.3g forces %.3g "
                      "loss %.3g grad %.3g (%s)", shape->features, shape->filters,
                      shape->interactions, shape->gaussians, rb.n_atoms, (long long)rb.n_edges,
                      ext, l, ee, fe, le, ge, worst);
                /* Bitwise reproducible: a second call gives the same bits. */
                rc = dc_schnet_loss_grad(eng, &act, pf, &rb.b, &spec, e2, f2, grad2, &lv2, &err);
                CHECK(rc == DC_OK, "loss_grad again: %s", err.message);
                CHECK(memcmp(grad, grad2, (size_t)np * sizeof *grad) == 0 &&
                          memcmp(e, e2, (size_t)rb.n_mol * sizeof *e) == 0 &&
                          memcmp(f, f2, 3 * (size_t)rb.n_atoms * sizeof *f) == 0 &&
                          lv.total == lv2.total, "second call differs");
            }
            /* predict gives what loss_grad reported. */
            rc = dc_schnet_predict(eng, &act, pf, &rb.b, e2, f2, &err);
            CHECK(rc == DC_OK, "predict: %s", err.message);
            rc = dc_schnet_ref_eval(shape, &act, pd, &rb.b, NULL, eref, fref, NULL, NULL, &err);
            CHECK(rel_err(e2, eref, rb.n_mol) <= TOL && rel_err(f2, fref, 3 * rb.n_atoms) <= TOL,
                  "predict vs ref");
            /* energies alone: the same bits as with forces */
            memcpy(e, e2, (size_t)rb.n_mol * sizeof *e);
            rc = dc_schnet_predict(eng, &act, pf, &rb.b, e2, NULL, &err);
            CHECK(rc == DC_OK && memcmp(e, e2, (size_t)rb.n_mol * sizeof *e) == 0,
                  "energy-only predict differs from predict with forces");
        }
    }
    /* Beyond the limits: an error, not a crash. */
    make_batch(&rb, &rng, 12, 3, shape->n_types, shape->cutoff, 0);
    dc_activation act = {.extent = DC_EXTENT_NONE, .irelu_scale = 0.5};
    dc_loss_spec spec = {.kind = DC_LOSS_MSE, .force_weight = 30.0};
    rc = dc_schnet_loss_grad(eng, &act, pf, &rb.b, &spec, e, f, grad, NULL, &err);
    CHECK(rc == DC_ERR_INPUT, "12 molecules > limit 10 accepted (rc %d)", rc);
    make_batch(&rb, &rng, 10, 12, shape->n_types, shape->cutoff, 0);
    if (rb.n_atoms > max_atoms) {
        rc = dc_schnet_predict(eng, &act, pf, &rb.b, e, f, &err);
        CHECK(rc == DC_ERR_INPUT, "%d atoms > limit accepted", rb.n_atoms);
    }
done:
    dc_schnet_destroy(eng);
    free(pf); free(grad); free(grad2); free(pd); free(gref); free(gf);
}

int main(void)
{
    const dc_schnet_shape shapes[] = {
        {.n_types = 3, .features = 8, .filters = 8, .interactions = 2, .gaussians = 6, .cutoff = 4.0},
        {.n_types = 4, .features = 7, .filters = 5, .interactions = 3, .gaussians = 11, .cutoff = 3.0},
        {.n_types = 2, .features = 16, .filters = 33, .interactions = 1, .gaussians = 9, .cutoff = 5.0},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) run_shape(&shapes[k], 100 + k);
    printf("worst relative error over all cases %.3g (%lld edges seen)\n", worst_all,
           (long long)edges_seen);
    CHECK(edges_seen > 1000, "the random batches have too few edges to test anything");
    return check_finish();
}
