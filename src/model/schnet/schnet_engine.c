/* The float engine on oneDNN (dcsweep/model/schnet.h): creation, the forward pass, the force pass and
 * prediction. Every dense layer is a oneDNN matmul set up once here with the atom or pair count
 * as a runtime dimension (run through dnnl_sgemm: dnnl_util.h); everything else is a loop of schnet_kernels.c. The gradient passes are in
 * schnet_engine_grad.c. Threads: see dnnl_util.c (OMP_NUM_THREADS); our own loops are serial, in a
 * fixed order, so every call and every process gives bitwise identical results. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schnet_engine.h"

/* Every workspace array, sized for the engine's limits (see dc_arena). */
static void carve(dc_schnet *s, dc_arena *ar)
{
    const int64_t A = s->max_atoms, P = (s->max_edges + 1) / 2, B = s->max_mol;
    const int64_t F = s->F, nf = s->nf, G = s->G, H = s->H;
    dc_schnet_pairs_carve(&s->pairs, ar, s->max_atoms, s->max_edges);
    DC_TAKE(ar, s->mu, G);
    DC_TAKE(ar, s->gd, P); DC_TAKE(ar, s->gu, 3 * P);
    DC_TAKE(ar, s->gfc, P); DC_TAKE(ar, s->gfcd, P);
    DC_TAKE(ar, s->rbf2, 2 * P * G);
    DC_TAKE(ar, s->fc, P); DC_TAKE(ar, s->fcd, P); DC_TAKE(ar, s->dt, P); DC_TAKE(ar, s->fdc, P);
    DC_TAKE(ar, s->fct, P);
    DC_TAKE(ar, s->dbar, P);
    for (int t = 0; t < s->T; t++) {
        dc_block_ws *w = &s->blk[t];
        DC_TAKE(ar, w->ap, 2 * P * nf); DC_TAKE(ar, w->ds1, P * nf);
        DC_TAKE(ar, w->s1, 2 * P * nf); DC_TAKE(ar, w->f, 2 * P * nf);
        DC_TAKE(ar, w->h, 2 * A * F); DC_TAKE(ar, w->x, 2 * A * nf); DC_TAKE(ar, w->m, 2 * A * nf);
        DC_TAKE(ar, w->dc, A * F); DC_TAKE(ar, w->ct, A * F); DC_TAKE(ar, w->s2, 2 * A * F);
        DC_TAKE(ar, w->gh, 2 * A * F); DC_TAKE(ar, w->gs2, 2 * A * F);
        DC_TAKE(ar, w->gm, 2 * A * nf); DC_TAKE(ar, w->gx, 2 * A * nf);
    }
    DC_TAKE(ar, s->gf, 2 * P * nf); DC_TAKE(ar, s->gs1, 2 * P * nf);
    DC_TAKE(ar, s->hT, 2 * A * F);
    DC_TAKE(ar, s->do1, A * H); DC_TAKE(ar, s->o1t, A * H); DC_TAKE(ar, s->s3, 2 * A * H);
    DC_TAKE(ar, s->go, 2 * A * H);
    DC_TAKE(ar, s->sc, A * F); DC_TAKE(ar, s->ghe, A * F);
    DC_TAKE(ar, s->forces, 3 * A); DC_TAKE(ar, s->g, 3 * A); DC_TAKE(ar, s->wmol, B);
    DC_TAKE(ar, s->energy, B);
}

int dc_schnet_create(dc_schnet **engine, const dc_schnet_shape *shape, int max_mol, int max_atoms,
                     int64_t max_edges, dc_error *err)
{
    int rc = DC_OK;
    dc_schnet *s = NULL;
    *engine = NULL;
    if (shape->filters > DC_MAX_ROW)
        DC_FAIL(DC_ERR_INPUT, "at most %d filters, got %d", DC_MAX_ROW, shape->filters);
    if (max_mol < 1 || max_atoms < 1 || max_edges < 0)
        DC_FAIL(DC_ERR_INPUT, "engine limits must be positive: %d molecules, %d atoms, %lld edges",
                max_mol, max_atoms, (long long)max_edges);
    DC_ALLOC(s, 1);
    DC_TRY(dc_schnet_layout_init(&s->layout, shape, err));
    s->shape = *shape;
    s->max_mol = max_mol;
    s->max_atoms = max_atoms;
    s->max_edges = max_edges;
    s->F = shape->features;
    s->nf = shape->filters;
    s->G = shape->gaussians;
    s->H = shape->features / 2;
    s->T = shape->interactions;

    const int64_t F = s->F, nf = s->nf, G = s->G, H = s->H;
    DC_TRY(dc_dnnl_init(&s->ctx, err));
    /* every weight gradient adds into the gradient that reverse_pass zeroes; hbar += xbar W_in
     * accumulates over blocks; the biases of filter1, cfconv_out and output1 go in the activation
     * (the kernels add them), filter2's after the [s1; q] product on f's rows only */
    const unsigned add = DC_DENSE_WGRAD_ADD;
    double *fl = &s->flops_done;
    DC_TRY(dc_dense_f32_create(&s->f1, &s->ctx, G, nf, add, fl, err));
    DC_TRY(dc_dense_f32_create(&s->f2, &s->ctx, nf, nf, add, fl, err));
    DC_TRY(dc_dense_f32_create(&s->cin, &s->ctx, F, nf, add | DC_DENSE_BWD_ADD, fl, err));
    DC_TRY(dc_dense_f32_create(&s->cout, &s->ctx, nf, F, add, fl, err));
    DC_TRY(dc_dense_f32_create(&s->dense, &s->ctx, F, F, add | DC_DENSE_BIAS | DC_DENSE_RESIDUAL,
                               fl, err));
    DC_TRY(dc_dense_f32_create(&s->out1, &s->ctx, F, H, add, fl, err));
    carve(s, &s->arena);
    DC_TRY(dc_arena_alloc(&s->arena, err));
    carve(s, &s->arena);
    dc_schnet_gaussians(shape, s->mu, &s->gamma);
    *engine = s;
    s = NULL;
cleanup:
    dc_schnet_destroy(s);
    return rc;
}

void dc_schnet_destroy(dc_schnet *s)
{
    if (!s) return;
    dc_dense_f32 *layers[] = {&s->f1, &s->f2, &s->cin, &s->cout, &s->dense, &s->out1};
    for (size_t i = 0; i < sizeof layers / sizeof *layers; i++) dc_dense_f32_destroy(layers[i]);
    dc_dnnl_fini(&s->ctx);
    dc_arena_free(&s->arena);
    free(s);
}

void dc_schnet_engine_acts(const dc_activation *a, dc_schnet_act act[3])
{
    for (int site = 0; site < 3; site++) {
        act[site].irelu = dc_schnet_activation_is_irelu(a, site);
        act[site].c = (float)a->irelu_scale;
    }
}

int dc_schnet_engine_prepare(dc_schnet *s, const dc_batch *b, dc_error *err)
{
    int rc = DC_OK;
    const int64_t E = b->n_edges, G = s->G;
    if (b->n_mol > s->max_mol || b->n_atoms > s->max_atoms || E > s->max_edges)
        DC_FAIL(DC_ERR_INPUT,
                "batch of %d molecules, %d atoms, %lld edges exceeds the engine limits "
                "(%d, %d, %lld)", b->n_mol, b->n_atoms, (long long)E, s->max_mol, s->max_atoms,
                (long long)s->max_edges);
    DC_TRY(dc_schnet_check_batch(&s->shape, b, &s->pairs, err));
    /* d, u and the cutoff in double per pair (the radial basis is the costly part: in float) */
    const int64_t P = s->pairs.n;
    DC_TRY(dc_schnet_pair_geometry(&s->shape, b, s->pairs.a, s->pairs.b, P, s->gd, s->gu, s->gfc,
                                   s->gfcd, err));
    for (int64_t k = 0; k < P; k++) {
        s->fc[k] = (float)s->gfc[k];
        s->fcd[k] = (float)s->gfcd[k];
    }
    dc_schnet_rbf(s->rbf2, s->rbf2 + P * G, s->gd, s->mu, s->gamma, P, (int)G);
cleanup:
    return rc;
}

int dc_schnet_engine_forward(dc_schnet *s, const dc_schnet_act act[3], const dc_schnet_params *p,
                             const dc_batch *b, double *energy, dc_error *err)
{
    int rc = DC_OK;
    const int n = b->n_atoms, F = s->F, nf = s->nf, H = s->H;
    const int64_t P = s->pairs.n;
    float *h = s->blk[0].h; /* [n][F] */
    for (int i = 0; i < n; i++)
        memcpy(h + (int64_t)i * F, p->embedding + (int64_t)b->types[i] * F, (size_t)F * sizeof *h);
    for (int t = 0; t < s->T; t++) {
        const dc_schnet_block_params *bp = &p->block[t];
        dc_block_ws *w = &s->blk[t];
        float *h_next = t + 1 < s->T ? s->blk[t + 1].h : s->hT; /* [n][F] */
        /* filter network, once per atom pair: [a1 - b1; Pm] = [rbf; drbf] W1^T in one product
         * (one call on 2P rows instead of two on P), a1 [P][nf] -> s1, ds1 and q = ds1 Pm with
         * the bias added in the activation's pass; [f - b2; fd] = [s1; q] W2^T in one product,
         * then b2 on f's rows */
        DC_TRY(dc_dense_f32_forward(&s->f1, 2 * P, s->rbf2, bp->w1, NULL, w->ap, err));
        w->Pm = TAN(w->ap, P, nf);
        dc_schnet_act_forward_bias(act[0], w->s1, w->ds1, w->ap, bp->b1, P, nf, TAN(w->s1, P, nf),
                                   w->Pm);
        DC_TRY(dc_dense_f32_forward(&s->f2, 2 * P, w->s1, bp->w2, NULL, w->f, err));
        dc_add_bias_rows(w->f, bp->b2, P, nf);
        /* atoms: x [n][nf]; m [n][nf] (both edges of a pair read its f fc); c [n][F] -> s2, dc;
         * h_next = h + s2 W_d^T + b_d */
        DC_TRY(dc_dense_f32_forward(&s->cin, n, w->h, bp->w_in, NULL, w->x, err));
        dc_schnet_cfconv_gather(w->m, w->f, NULL, s->fc, NULL, NULL, w->x, NULL, s->pairs.row_start,
                                b->src, s->pairs.of_edge, n, nf);
        DC_TRY(dc_dense_f32_forward(&s->cout, n, w->m, bp->w_out, NULL, s->sc, err));
        dc_schnet_act_forward_bias(act[1], w->s2, w->dc, s->sc, bp->b_out, n, F, NULL, NULL);
        memcpy(h_next, w->h, (size_t)n * F * sizeof *h_next);
        DC_TRY(dc_dense_f32_forward(&s->dense, n, w->s2, bp->w_d, bp->b_d, h_next, err));
    }
    /* output block: o1 [n][H] -> s3, do1; e_i = s3_i . wo2 + bo2; E_b = sum over the molecule */
    DC_TRY(dc_dense_f32_forward(&s->out1, n, s->hT, p->wo1, NULL, s->go, err));
    dc_schnet_act_forward_bias(act[2], s->s3, s->do1, s->go, p->bo1, n, H, NULL, NULL);
    for (int m = 0; m < b->n_mol; m++) energy[m] = 0.0;
    for (int i = 0; i < n; i++) {
        double e = p->bo2[0];
        for (int k = 0; k < H; k++) e += (double)s->s3[(int64_t)i * H + k] * p->wo2[k];
        energy[b->mol[i]] += e;
    }
cleanup:
    return rc;
}

int dc_schnet_predict(dc_schnet *s, const dc_activation *a, const float *params,
                      const dc_batch *batch, double *energy, double *forces, dc_error *err)
{
    int rc = DC_OK;
    dc_schnet_act act[3];
    dc_schnet_engine_acts(a, act);
    dc_schnet_params p;
    dc_schnet_params_view(&p, &s->shape, (float *)params); /* read only */
    DC_TRY(dc_schnet_engine_prepare(s, batch, err));
    DC_TRY(dc_schnet_engine_forward(s, act, &p, batch, s->energy, err));
    if (energy) memcpy(energy, s->energy, (size_t)batch->n_mol * sizeof *energy);
    if (forces) DC_TRY(dc_schnet_engine_forces(s, &p, batch, forces, err));
cleanup:
    return rc;
}

double dc_schnet_flops_done(const dc_schnet *s)
{
    return s->flops_done;
}

/* Matmul FLOPs of one loss_grad step (docs/performance.md): 2 m k n per product, as executed. */
double dc_schnet_step_flops(const dc_schnet_shape *shape, int n_mol, int n_atoms, int64_t n_edges)
{
    (void)n_mol;
    const double F = shape->features, nf = shape->filters, G = shape->gaussians;
    const double H = (double)(shape->features / 2), T = shape->interactions;
    const double n = n_atoms, P = (double)(n_edges / 2); /* the filter runs once per atom pair */
    /* In units of 2 (rows x in x out), per block:
     * pairs: forward f1 + Pm (P G nf each), f2 and fd (P nf nf each, one product on 2P rows);
     *        reverse of S: f2 bwd, f2 wgrad and f1 wgrad (2P rows each); none in the force and
     *        tangent passes.
     * atoms, cfconv_out and dense: forward, forces bwd, tangent, reverse bwd (n rows each),
     *        reverse wgrad (2n rows). cfconv_in: forward always; forces bwd, tangent and reverse
     *        bwd (n rows) and wgrad (2n rows) in blocks t > 0; block 0's reverse is bwd and wgrad
     *        on n rows (h' = 0).
     * output1 like cfconv_out; output2 (H -> 1) and every elementwise loop are not counted. */
    const double pair = 4.0 * P * G * nf + 6.0 * P * nf * nf;
    const double atom_fixed = 6.0 * n * (nf * F + F * F) + n * F * nf;
    const double atom_in = 5.0 * n * F * nf;  /* blocks t > 0, beyond the forward */
    const double atom_in0 = 2.0 * n * F * nf; /* block 0's reverse */
    const double output = 6.0 * n * F * H;
    return 2.0 * (T * (pair + atom_fixed) + (T - 1.0) * atom_in + atom_in0 + output);
}
