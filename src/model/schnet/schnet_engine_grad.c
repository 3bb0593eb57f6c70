/* The float engine's gradient passes (docs/model.md "Loss and its gradient"): pass 3, the forward tangent along the
 * displacement g, and pass 4, one reverse pass over primal and tangent values together, where
 * every dense layer's data and weight adjoints are one matmul over the stacked [primal; tangent]
 * rows. Shapes: n atoms, E edges, F, nf, G, H as in schnet_engine.h. */
#include <string.h>

#include "schnet_engine.h"

/* Pass 3: tangents of every value along r' = g (s->g [n][3]); energy_t [B] = D_g E. Tangents are
 * zero up to the first filter, so block 0 has no x' (h' = 0). */
static int tangent_pass(dc_schnet *s, const float *p, const dc_batch *b, double *energy_t,
                        dc_error *err)
{
    int rc = DC_OK;
    const dc_dnnl *ctx = &s->ctx;
    const int n = b->n_atoms, F = s->F, nf = s->nf, H = s->H;
    const int64_t E = s->pairs.n; /* the filter's rows: one per pair */
    for (int64_t e = 0; e < E; e++) {
        const double *u = s->gu + 3 * e, *gi = s->g + 3 * s->pairs.a[e];
        const double *gj = s->g + 3 * s->pairs.b[e];
        s->dt[e] = (float)(u[0] * (gi[0] - gj[0]) + u[1] * (gi[1] - gj[1]) + u[2] * (gi[2] - gj[2]));
        s->fct[e] = s->fcd[e] * s->dt[e];
    }
    memset(TAN(s->blk[0].h, n, F), 0, (size_t)n * F * sizeof(float));
    for (int t = 0; t < s->T; t++) {
        const dc_block_params *bp = &s->bp[t];
        dc_block_ws *w = &s->blk[t];
        float *ht = TAN(w->h, n, F);                                          /* [n][F] */
        float *ht_next = TAN(t + 1 < s->T ? s->blk[t + 1].h : s->hT, n, F); /* [n][F] */
        /* filter: a1' = d' P, s1' = ds1 a1', f' = s1' W2^T, W' = f' fc + f fc' d' */
        dc_scale_rows(w->a1t, w->P, s->dt, E, nf);
        dc_act_tangent(TAN(w->s1, E, nf), w->ds1, w->a1t, E * nf);
        DC_TRY(dc_matmul_run(&s->f2.tan, ctx, E, TAN(w->s1, E, nf), p + bp->w2, NULL, s->ea, err));
        dc_scale_rows2(TAN(w->w, E, nf), s->ea, s->fc, w->f, s->fct, E, nf);
        /* atoms: x' = h' W_in^T; m' = sum W' x + W x'; c' -> s2'; h'_next = h' + s2' W_d^T */
        float *xt = TAN(w->x, n, nf), *mt = TAN(w->m, n, nf);
        if (t > 0) {
            DC_TRY(dc_matmul_run(&s->cin.tan, ctx, n, ht, p + bp->w_in, NULL, xt, err));
            dc_cfconv_gather(mt, TAN(w->w, E, nf), w->x, w->w, xt, s->pairs.row_start, b->src,
                             s->pairs.of_edge, n, nf);
        } else {
            memset(xt, 0, (size_t)n * nf * sizeof *xt);
            dc_cfconv_gather(mt, TAN(w->w, E, nf), w->x, NULL, NULL, s->pairs.row_start, b->src,
                             s->pairs.of_edge, n, nf);
        }
        DC_TRY(dc_matmul_run(&s->cout.tan, ctx, n, mt, p + bp->w_out, NULL, w->ct, err));
        dc_act_tangent(TAN(w->s2, n, F), w->dc, w->ct, (int64_t)n * F);
        memcpy(ht_next, ht, (size_t)n * F * sizeof *ht_next);
        DC_TRY(dc_matmul_run(&s->dense.tan, ctx, n, TAN(w->s2, n, F), p + bp->w_d, NULL, ht_next,
                             err));
    }
    DC_TRY(dc_matmul_run(&s->out1.tan, ctx, n, TAN(s->hT, n, F), p + s->wo1, NULL, s->o1t, err));
    dc_act_tangent(TAN(s->s3, n, H), s->do1, s->o1t, (int64_t)n * H);
    for (int m = 0; m < b->n_mol; m++) energy_t[m] = 0.0;
    for (int i = 0; i < n; i++) {
        double e = 0.0;
        for (int k = 0; k < H; k++) e += (double)TAN(s->s3, n, H)[(int64_t)i * H + k] * p[s->wo2 + k];
        energy_t[b->mol[i]] += e;
    }
cleanup:
    return rc;
}

/* Pass 4: gradient of S = sum_b w_b E_b - sum_b D_g E_b into grad (zeroed here). */
static int reverse_pass(dc_schnet *s, const dc_act act[3], const float *p, const dc_batch *b,
                        float *grad, dc_error *err)
{
    int rc = DC_OK;
    const dc_dnnl *ctx = &s->ctx;
    const int n = b->n_atoms, F = s->F, nf = s->nf, H = s->H;
    const int64_t E = s->pairs.n, n2 = 2 * (int64_t)n, E2 = 2 * E; /* E: pairs */
    memset(grad, 0, (size_t)s->layout.n_params * sizeof *grad);
    /* output block: ebar_i = w_b, e'bar_i = -1; go = [o1bar; o1'bar] [2n][H] */
    double gbo2 = 0.0;
    for (int k = 0; k < H; k++) {
        double acc = 0.0;
        for (int i = 0; i < n; i++)
            acc += s->wmol[b->mol[i]] * s->s3[(int64_t)i * H + k] - TAN(s->s3, n, H)[(int64_t)i * H + k];
        grad[s->wo2 + k] = (float)acc;
    }
    for (int i = 0; i < n; i++) {
        const float wi = (float)s->wmol[b->mol[i]];
        gbo2 += s->wmol[b->mol[i]];
        for (int k = 0; k < H; k++) {
            s->go[(int64_t)i * H + k] = wi * p[s->wo2 + k];
            TAN(s->go, n, H)[(int64_t)i * H + k] = -p[s->wo2 + k];
        }
    }
    grad[s->bo2] = (float)gbo2;
    dc_act_reverse(act[2], s->go, TAN(s->go, n, H), s->do1, s->o1t, (int64_t)n * H);
    DC_TRY(dc_matmul_run(&s->out1.bwd, ctx, n2, s->go, p + s->wo1, NULL, s->gh, err));
    DC_TRY(dc_matmul_run(&s->out1.wgrad, ctx, n2, s->go, s->hT, NULL, grad + s->wo1, err));
    dc_sum_rows(grad + s->bo1, s->go, n, H);
    for (int t = s->T - 1; t >= 0; t--) {
        const dc_block_params *bp = &s->bp[t];
        dc_block_ws *w = &s->blk[t];
        /* dense: gh = [vbar; v'bar] (the residual shares h's adjoints) -> gs2 = [s2bar; s2'bar] */
        DC_TRY(dc_matmul_run(&s->dense.bwd, ctx, n2, s->gh, p + bp->w_d, NULL, s->gs2, err));
        DC_TRY(dc_matmul_run(&s->dense.wgrad, ctx, n2, s->gh, w->s2, NULL, grad + bp->w_d, err));
        dc_sum_rows(grad + bp->b_d, s->gh, n, F);
        dc_act_reverse(act[1], s->gs2, TAN(s->gs2, n, F), w->dc, w->ct, (int64_t)n * F);
        /* cfconv_out: gs2 = [cbar; c'bar] -> gm = [mbar; m'bar] */
        DC_TRY(dc_matmul_run(&s->cout.bwd, ctx, n2, s->gs2, p + bp->w_out, NULL, s->gm, err));
        DC_TRY(dc_matmul_run(&s->cout.wgrad, ctx, n2, s->gs2, w->m, NULL, grad + bp->w_out, err));
        dc_sum_rows(grad + bp->b_out, s->gs2, n, F);
        /* cfconv and cutoff: -> gx = [xbar; x'bar], ea = [fbar; f'bar] */
        memset(s->gx, 0, (size_t)n2 * nf * sizeof *s->gx);
        dc_cfconv_reverse(s->ea, TAN(s->ea, E, nf), s->gx, t > 0 ? TAN(s->gx, n, nf) : NULL, s->gm,
                          TAN(s->gm, n, nf), w->x, TAN(w->x, n, nf), w->w,
                          TAN(w->w, E, nf), s->fc, s->fct, s->pairs.a, s->pairs.b, E, nf);
        /* cfconv_in: hbar += [xbar; x'bar] W_in; h' = 0 in block 0: primal half only */
        const int64_t rows = t > 0 ? n2 : n;
        DC_TRY(dc_matmul_run(&s->cin.bwd, ctx, rows, s->gx, p + bp->w_in, NULL, s->gh, err));
        if (t > 0) {
            DC_TRY(dc_matmul_run(&s->cin.wgrad, ctx, n2, s->gx, w->h, NULL, grad + bp->w_in, err));
        } else {
            /* the stacked gx has its x'bar half at row n: drop it by using only the top n rows */
            DC_TRY(dc_matmul_run(&s->cin.wgrad, ctx, n, s->gx, w->h, NULL, grad + bp->w_in, err));
        }
        /* filter2: ea -> eb = [s1bar; s1'bar] */
        DC_TRY(dc_matmul_run(&s->f2.bwd, ctx, E2, s->ea, p + bp->w2, NULL, s->eb, err));
        DC_TRY(dc_matmul_run(&s->f2.wgrad, ctx, E2, s->ea, w->s1, NULL, grad + bp->w2, err));
        dc_sum_rows(grad + bp->b2, s->ea, E, nf);
        /* act_filter: eb -> [a1bar; a1'bar]; filter1: W1bar += a1bar^T rbf + (d' a1'bar)^T drbf */
        dc_act_reverse(act[0], s->eb, TAN(s->eb, E, nf), w->ds1, w->a1t, E * nf);
        dc_sum_rows(grad + bp->b1, s->eb, E, nf);
        dc_scale_rows(TAN(s->eb, E, nf), TAN(s->eb, E, nf), s->dt, E, nf);
        DC_TRY(dc_matmul_run(&s->f1_wgrad, ctx, E2, s->eb, s->rbf2, NULL, grad + bp->w1, err));
    }
    for (int i = 0; i < n; i++) {
        float *ge = grad + s->emb + (int64_t)b->types[i] * F;
        const float *hb = s->gh + (int64_t)i * F;
        for (int k = 0; k < F; k++) ge[k] += hb[k];
    }
cleanup:
    return rc;
}

int dc_schnet_loss_grad(dc_schnet *s, const dc_activation *a, const float *params,
                        const dc_batch *batch, const dc_loss_spec *loss, double *energy,
                        double *forces, float *grad, dc_loss_value *loss_value, dc_error *err)
{
    int rc = DC_OK;
    dc_act act[3];
    dc_engine_acts(a, act);
    if (!batch->energy_target || !batch->force_target)
        DC_FAIL(DC_ERR_INPUT, "loss_grad needs the batch's energy and force targets");
    DC_TRY(dc_engine_prepare(s, batch, err));
    DC_TRY(dc_engine_forward(s, act, params, batch, s->energy, err));
    DC_TRY(dc_engine_forces(s, params, batch, s->forces, err));
    dc_loss_value value;
    dc_schnet_loss_seeds(loss, batch, s->energy, s->forces, s->wmol, s->g, &value);
    if (loss_value) *loss_value = value;
    if (energy) memcpy(energy, s->energy, (size_t)batch->n_mol * sizeof *energy);
    if (forces) memcpy(forces, s->forces, (size_t)batch->n_atoms * 3 * sizeof *forces);
    /* energy_t is only a by-product (sum_b E'_b = -g . F checks the passes); reuse a scratch. */
    DC_TRY(tangent_pass(s, params, batch, s->energy, err));
    DC_TRY(reverse_pass(s, act, params, batch, grad, err));
cleanup:
    return rc;
}
