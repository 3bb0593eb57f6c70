/* The float engine's pair filter against the kit's custom op DC_OP_PAIR_FILTER (the reference's):
 * on a small random batch, the filter values W = f fc and their length derivative
 * dW/dd = fd fc + f fcd that the engine's forward pass leaves in its workspace (schnet_engine.h:
 * f and fd = TAN(f) per block and pair, fc and fcd per pair) are compared, per interaction block,
 * with the op's planes 0 and 1 (seed d' = 1) in double at the engine's pair lengths, for the
 * filter activations ssp and irelu_c. Tolerance: float, TOL relative to the largest magnitude of
 * each quantity (the engine's rbf, both products and the activation are float with G or nf terms
 * per sum; observed about 3e-7, TOL = 5e-6). */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "dc_op.h"
#include "dcsweep/core/rng.h"
#include "schnet_engine.h"

static const double TOL = 5e-6;

typedef struct rand_batch {
    int types[64], mol[64], src[2048], dst[2048];
    double pos[192];
    dc_batch b;
} rand_batch;

/* Two molecules of 9 and 7 atoms in a 3 A box, no two atoms closer than 0.7 A. */
static void make_batch(rand_batch *r, dc_rng *rng, int n_types, double rc)
{
    static const int SIZES[2] = {9, 7};
    int n = 0;
    for (int m = 0; m < 2; m++) {
        const int first = n;
        for (int a = 0; a < SIZES[m]; a++, n++) {
            for (int ok = 0; !ok;) {
                for (int k = 0; k < 3; k++) r->pos[3 * n + k] = 3.0 * dc_rng_uniform(rng);
                ok = 1;
                for (int j = first; j < n; j++) {
                    double d2 = 0.0;
                    for (int k = 0; k < 3; k++) d2 += pow(r->pos[3 * n + k] - r->pos[3 * j + k], 2);
                    if (d2 < 0.49) ok = 0;
                }
            }
            r->types[n] = (int)(dc_rng_uniform(rng) * n_types) % n_types;
            r->mol[n] = m;
        }
    }
    const long long E = check_brute_edges(n, r->mol, r->pos, rc, r->src, r->dst);
    r->b = (dc_batch){.n_mol = 2, .n_atoms = n, .n_edges = E, .types = r->types, .mol = r->mol,
                      .pos = r->pos, .src = r->src, .dst = r->dst};
}

/* max |a - b| / max |b| over n. */
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

/* The parameter view of layout tensor "interaction<t>/<what>". */
static int view(dc_sched *s, const dc_schnet_layout *L, int t, const char *what)
{
    char name[64];
    snprintf(name, sizeof name, "interaction%d/%s", t, what);
    const int i = dc_schnet_layout_find(L, name);
    CHECK(i >= 0, "no tensor %s", name);
    if (i < 0) return -1;
    return dc_sched_param(s, name, L->tensors[i].offset, L->tensors[i].rows, (int)L->tensors[i].cols);
}

/* Block t of the engine's forward against the op; returns the worse of the two errors. */
static double compare_block(dc_schnet *eng, const dc_activation *act, const double *pd, int t)
{
    const int64_t P = eng->pairs.n;
    const int nf = eng->nf;
    const dc_block_ws *w = &eng->blk[t];
    const float *f = w->f, *fd = TAN(w->f, P, nf);
    double *W = malloc((size_t)(P * nf) * sizeof *W), *dW = malloc((size_t)(P * nf) * sizeof *dW);
    dc_sched s;
    dc_error err = {0};
    double worst = INFINITY;
    CHECK(W && dW, "out of memory");
    if (!W || !dW) goto done;
    for (int64_t p = 0; p < P; p++)
        for (int c = 0; c < nf; c++) {
            const int64_t q = p * nf + c;
            W[q] = (double)f[q] * eng->fc[p];
            dW[q] = (double)fd[q] * eng->fc[p] + (double)f[q] * eng->fcd[p];
        }
    dc_sched_init(&s, 1);
    const int d = dc_sched_input(&s, "d", P, 1);
    const int w1 = view(&s, &eng->layout, t, "filter1/weight");
    const int b1 = view(&s, &eng->layout, t, "filter1/bias");
    const int w2 = view(&s, &eng->layout, t, "filter2/weight");
    const int b2 = view(&s, &eng->layout, t, "filter2/bias");
    const dc_act a = dc_schnet_activation_is_irelu(act, 0)
                         ? (dc_act){.kind = DC_ACT_IRELU, .c = act->irelu_scale}
                         : (dc_act){.kind = DC_ACT_SSP};
    const int y = dc_sched_pair_filter(&s, "W", d, eng->mu, eng->G, eng->gamma,
                                       eng->shape.cutoff, w1, b1, w2, b2, a);
    const int rc = dc_sched_alloc(&s, &err);
    CHECK(rc == DC_OK, "schedule: %s", err.message);
    if (rc == DC_OK) {
        dc_sched_bind(&s, pd, NULL);
        for (int64_t p = 0; p < P; p++) s.bufs[d].val[0][p] = eng->gd[p], s.bufs[d].val[1][p] = 1.0;
        dc_sched_forward(&s, 0);
        dc_sched_forward(&s, 1);
        const double ew = rel_err(W, s.bufs[y].val[0], P * nf);
        const double ed = rel_err(dW, s.bufs[y].val[1], P * nf);
        double wmax = 0.0, dmax = 0.0;
        for (int64_t q = 0; q < P * nf; q++)
            wmax = fmax(wmax, fabs(W[q])), dmax = fmax(dmax, fabs(dW[q]));
        printf("%-5s block %d: %lld pairs, max |W| %.3g, max |dW/dd| %.3g; float vs op: W %.2e, "
               "dW/dd %.2e\n", a.kind == DC_ACT_IRELU ? "irelu" : "ssp", t, (long long)P, wmax,
               dmax, ew, ed);
        CHECK(wmax > 1e-3 && dmax > 1e-3, "a trivial filter checks nothing");
        CHECK(ew <= TOL && ed <= TOL, "block %d: W %.3g, dW/dd %.3g (tolerance %.1g)", t, ew, ed,
              TOL);
        worst = fmax(ew, ed);
    }
    dc_sched_free(&s);
done:
    free(W);
    free(dW);
    return worst;
}

int main(void)
{
    const dc_schnet_shape shape = {.n_types = 3, .features = 10, .filters = 12, .interactions = 2,
                                   .gaussians = 9, .cutoff = 4.0};
    const dc_activation acts[2] = {{DC_EXTENT_NONE, 0.5}, {DC_EXTENT_FULL, 0.7}};
    dc_error err = {0};
    dc_schnet_layout layout;
    CHECK(dc_schnet_layout_init(&layout, &shape, &err) == DC_OK, "layout: %s", err.message);
    const int64_t np = layout.n_params;
    float *pf = calloc((size_t)np, sizeof *pf);
    double *pd = calloc((size_t)np, sizeof *pd), energy[2], worst = 0.0;
    dc_schnet *eng = NULL;
    static rand_batch rb;
    dc_rng rng;
    dc_rng_seed(&rng, 2222, 3);
    CHECK(pf && pd, "out of memory");
    if (!pf || !pd) goto done;
    dc_schnet_init_params(&layout, 31, pf);
    for (int t = 0; t < layout.n_tensors; t++) /* biases away from 0: every bias path counts */
        if (layout.tensors[t].is_bias)
            for (int64_t k = 0; k < layout.tensors[t].rows; k++)
                pf[layout.tensors[t].offset + k] = (float)(0.3 * dc_rng_normal(&rng));
    for (int64_t k = 0; k < np; k++) pd[k] = pf[k];
    make_batch(&rb, &rng, shape.n_types, shape.cutoff);
    int rc = dc_schnet_create(&eng, &shape, 2, 64, 2048, &err);
    CHECK(rc == DC_OK, "create: %s", err.message);
    if (rc != DC_OK) goto done;
    CHECK(rb.b.n_edges >= 20, "only %lld edges", (long long)rb.b.n_edges);
    for (int i = 0; i < 2; i++) {
        CHECK(dc_schnet_activation_is_irelu(&acts[i], 0) == i, "activation %d at the filter", i);
        /* the engine's forward (prepare + forward): f, fd, fc, fcd for every block */
        rc = dc_schnet_predict(eng, &acts[i], pf, &rb.b, energy, NULL, &err);
        CHECK(rc == DC_OK, "predict: %s", err.message);
        if (rc != DC_OK) continue;
        CHECK(2 * eng->pairs.n == rb.b.n_edges, "%lld pairs of %lld edges",
              (long long)eng->pairs.n, (long long)rb.b.n_edges);
        for (int t = 0; t < shape.interactions; t++)
            worst = fmax(worst, compare_block(eng, &acts[i], pd, t));
    }
    printf("worst float-vs-op relative error %.2e (tolerance %.1g)\n", worst, TOL);
done:
    dc_schnet_destroy(eng);
    free(pf);
    free(pd);
    return check_finish();
}
