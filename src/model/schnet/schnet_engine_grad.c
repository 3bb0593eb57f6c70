/* The float engine's derivative passes (docs/model.md ("Loss and its gradient")): pass 2, the reverse of -E for the
 * forces; pass 3, the forward tangent along the displacement g; pass 4, one reverse pass over
 * primal and tangent values together. For the atoms' layers pass 2's adjoints are pass 4's
 * tangent adjoints (see schnet_engine.h), so pass 4 runs their data products on the primal rows
 * only; the filter has no work in passes 2 and 3 (its derivative fd comes from the forward) and
 * pass 4 computes both halves of its adjoints. Each weight gradient is one matmul over the
 * stacked [primal; tangent] rows. Shapes: n atoms, P pairs, F, nf, G, H as in schnet_engine.h. */
#include <string.h>

#include "dc_rows.h"
#include "schnet_engine.h"

int dc_schnet_engine_forces(dc_schnet *s, const dc_schnet_params *p, const dc_batch *b,
                            double *forces, dc_error *err)
{
    int rc = DC_OK;
    const int n = b->n_atoms, F = s->F, nf = s->nf, H = s->H;
    const int64_t P = s->pairs.n;
    /* d(-E_b)/de_i = -1: o1bar = -wo2 act_out'(o1), into the tangent half of go */
    float *go = TAN(s->go, n, H); /* [n][H] */
    for (int i = 0; i < n; i++)
        for (int k = 0; k < H; k++) go[(int64_t)i * H + k] = -p->wo2[k] * s->do1[(int64_t)i * H + k];
    DC_TRY(dc_dense_f32_backward(&s->out1, n, go, p->wo1, TAN(s->blk[s->T - 1].gh, n, F), err));
    memset(s->dbar, 0, (size_t)P * sizeof *s->dbar);
    for (int t = s->T - 1; t >= 0; t--) {
        const dc_schnet_block_params *bp = &p->block[t];
        dc_block_ws *w = &s->blk[t];
        float *gh = TAN(w->gh, n, F), *gs2 = TAN(w->gs2, n, F), *gm = TAN(w->gm, n, nf);
        float *gx = TAN(w->gx, n, nf);
        DC_TRY(dc_dense_f32_backward(&s->dense, n, gh, bp->w_d, gs2, err));
        dc_schnet_act_reverse_primal(s->sc, gs2, w->dc, (int64_t)n * F);
        DC_TRY(dc_dense_f32_backward(&s->cout, n, s->sc, bp->w_out, gm, err));
        memset(gx, 0, (size_t)n * nf * sizeof *gx);
        /* cfconv, cutoff and filter down to d: dbar += Wbar . (fd fc + f fcd) */
        dc_schnet_cfconv_reverse_primal(gx, s->dbar, gm, w->x, w->f, TAN(w->f, P, nf), s->fc,
                                        s->fcd, s->pairs.a, s->pairs.b, P, nf);
        if (t > 0) { /* the residual: the block's input shares its output's adjoint, plus x's */
            float *gh_in = TAN(s->blk[t - 1].gh, n, F);
            memcpy(gh_in, gh, (size_t)n * F * sizeof *gh_in);
            DC_TRY(dc_dense_f32_backward(&s->cin, n, gx, bp->w_in, gh_in, err));
        }
    }
    /* F = d(-E)/dr with dd_p/dr_a = u_p, dd_p/dr_b = -u_p; in pair order. */
    memset(forces, 0, (size_t)n * 3 * sizeof *forces);
    for (int64_t e = 0; e < P; e++)
        for (int k = 0; k < 3; k++) {
            double v = (double)s->dbar[e] * s->gu[3 * e + k];
            forces[3 * s->pairs.a[e] + k] += v;
            forces[3 * s->pairs.b[e] + k] -= v;
        }
cleanup:
    return rc;
}

/* Pass 3: tangents of every value along r' = g (s->g [n][3]); energy_t [B] = D_g E. Tangents are
 * zero up to the first filter, so block 0 has no x' (h' = 0). */
static int tangent_pass(dc_schnet *s, const dc_schnet_params *p, const dc_batch *b,
                        double *energy_t, dc_error *err)
{
    int rc = DC_OK;
    const int n = b->n_atoms, F = s->F, nf = s->nf, H = s->H;
    const int64_t P = s->pairs.n;
    for (int64_t e = 0; e < P; e++) {
        const double *u = s->gu + 3 * e, *gi = s->g + 3 * s->pairs.a[e];
        const double *gj = s->g + 3 * s->pairs.b[e];
        s->dt[e] = (float)(u[0] * (gi[0] - gj[0]) + u[1] * (gi[1] - gj[1]) + u[2] * (gi[2] - gj[2]));
        s->fdc[e] = s->fc[e] * s->dt[e];
        s->fct[e] = s->fcd[e] * s->dt[e];
    }
    memset(TAN(s->blk[0].h, n, F), 0, (size_t)n * F * sizeof(float));
    for (int t = 0; t < s->T; t++) {
        const dc_schnet_block_params *bp = &p->block[t];
        dc_block_ws *w = &s->blk[t];
        float *ht = TAN(w->h, n, F);                                          /* [n][F] */
        float *ht_next = TAN(t + 1 < s->T ? s->blk[t + 1].h : s->hT, n, F); /* [n][F] */
        /* atoms: x' = h' W_in^T; m' = sum W' x + W x' with W' = fd fc d' + f fc' d' (the
         * filter's tangent is d' times its derivative fd, formed where used); c' -> s2';
         * h'_next = h' + s2' W_d^T */
        float *xt = TAN(w->x, n, nf), *mt = TAN(w->m, n, nf);
        if (t > 0)
            DC_TRY(dc_dense_f32_tangent(&s->cin, n, ht, bp->w_in, xt, err));
        else
            memset(xt, 0, (size_t)n * nf * sizeof *xt); /* the reverse pass reads it */
        dc_schnet_cfconv_gather(mt, w->f, TAN(w->f, P, nf), s->fc, s->fdc, s->fct, w->x,
                                t > 0 ? xt : NULL, s->pairs.row_start, b->src, s->pairs.of_edge, n,
                                nf);
        DC_TRY(dc_dense_f32_tangent(&s->cout, n, mt, bp->w_out, w->ct, err));
        dc_schnet_act_tangent(TAN(w->s2, n, F), w->dc, w->ct, (int64_t)n * F);
        memcpy(ht_next, ht, (size_t)n * F * sizeof *ht_next);
        DC_TRY(dc_dense_f32_tangent(&s->dense, n, TAN(w->s2, n, F), bp->w_d, ht_next, err));
    }
    DC_TRY(dc_dense_f32_tangent(&s->out1, n, TAN(s->hT, n, F), p->wo1, s->o1t, err));
    dc_schnet_act_tangent(TAN(s->s3, n, H), s->do1, s->o1t, (int64_t)n * H);
    for (int m = 0; m < b->n_mol; m++) energy_t[m] = 0.0;
    for (int i = 0; i < n; i++) {
        double e = 0.0;
        for (int k = 0; k < H; k++) e += (double)TAN(s->s3, n, H)[(int64_t)i * H + k] * p->wo2[k];
        energy_t[b->mol[i]] += e;
    }
cleanup:
    return rc;
}

/* Pass 4: gradient of S = sum_b w_b E_b - sum_b D_g E_b into grad (zeroed here; each bias's row
 * sum overwrites its zeros). The primal
 * halves of the atoms' stacked adjoints are computed here (their tangent halves are pass 2's),
 * and both halves of the filter's. */
static int reverse_pass(dc_schnet *s, const dc_schnet_act act[3], const dc_schnet_params *p,
                        const dc_batch *b, float *grad, dc_error *err)
{
    int rc = DC_OK;
    const int n = b->n_atoms, F = s->F, nf = s->nf, H = s->H;
    const int64_t P = s->pairs.n, n2 = 2 * (int64_t)n, P2 = 2 * P;
    memset(grad, 0, (size_t)s->layout.n_params * sizeof *grad);
    dc_schnet_params g;
    dc_schnet_params_view(&g, &s->shape, grad);
    /* output block: ebar_i = w_b, e'bar_i = -1; go = [s3bar; s3'bar] [2n][H] -> [o1bar; o1'bar] */
    double gbo2 = 0.0;
    for (int k = 0; k < H; k++) {
        double acc = 0.0;
        for (int i = 0; i < n; i++)
            acc += s->wmol[b->mol[i]] * s->s3[(int64_t)i * H + k] - TAN(s->s3, n, H)[(int64_t)i * H + k];
        g.wo2[k] = (float)acc;
    }
    for (int i = 0; i < n; i++) {
        const float wi = (float)s->wmol[b->mol[i]];
        gbo2 += s->wmol[b->mol[i]];
        for (int k = 0; k < H; k++) {
            s->go[(int64_t)i * H + k] = wi * p->wo2[k];
            TAN(s->go, n, H)[(int64_t)i * H + k] = -p->wo2[k];
        }
    }
    g.bo2[0] = (float)gbo2;
    dc_schnet_act_reverse(act[2], s->go, TAN(s->go, n, H), s->do1, s->o1t, (int64_t)n * H);
    DC_TRY(dc_dense_f32_backward(&s->out1, n, s->go, p->wo1, s->blk[s->T - 1].gh, err));
    DC_TRY(dc_dense_f32_wgrad(&s->out1, n2, s->go, s->hT, g.wo1, err));
    dc_sum_rows(g.bo1, s->go, n, H);
    for (int t = s->T - 1; t >= 0; t--) {
        const dc_schnet_block_params *bp = &p->block[t], *gp = &g.block[t];
        dc_block_ws *w = &s->blk[t];
        /* dense: gh = [vbar; v'bar] (the residual shares h's adjoints) -> gs2 = [s2bar; s2'bar] */
        DC_TRY(dc_dense_f32_backward(&s->dense, n, w->gh, bp->w_d, w->gs2, err));
        DC_TRY(dc_dense_f32_wgrad(&s->dense, n2, w->gh, w->s2, gp->w_d, err));
        dc_sum_rows(gp->b_d, w->gh, n, F);
        dc_schnet_act_reverse(act[1], w->gs2, TAN(w->gs2, n, F), w->dc, w->ct, (int64_t)n * F);
        /* cfconv_out: gs2 = [cbar; c'bar] -> gm = [mbar; m'bar] */
        DC_TRY(dc_dense_f32_backward(&s->cout, n, w->gs2, bp->w_out, w->gm, err));
        DC_TRY(dc_dense_f32_wgrad(&s->cout, n2, w->gs2, w->m, gp->w_out, err));
        dc_sum_rows(gp->b_out, w->gs2, n, F);
        /* cfconv and cutoff: -> gx = [xbar; x'bar], gf = [fbar; fdbar] */
        memset(w->gx, 0, (size_t)n * nf * sizeof *w->gx);
        dc_schnet_cfconv_reverse(s->gf, TAN(s->gf, P, nf), w->gx, w->gm, TAN(w->gm, n, nf), w->x,
                                 TAN(w->x, n, nf), w->f, TAN(w->f, P, nf), s->fc, s->fdc, s->fct,
                                 s->pairs.a, s->pairs.b, P, nf, gp->b2);
        /* cfconv_in: hbar_t = hbar_{t+1} + xbar W_in; h' = 0 in block 0: primal rows only */
        float *gh_in = t > 0 ? s->blk[t - 1].gh : s->ghe; /* [n][F] */
        memcpy(gh_in, w->gh, (size_t)n * F * sizeof *gh_in);
        DC_TRY(dc_dense_f32_backward(&s->cin, n, w->gx, bp->w_in, gh_in, err));
        DC_TRY(dc_dense_f32_wgrad(&s->cin, t > 0 ? n2 : n, w->gx, w->h, gp->w_in, err));
        /* filter2 on [s1; q]: gf -> gs1 = [s1bar; qbar] */
        DC_TRY(dc_dense_f32_backward(&s->f2, P2, s->gf, bp->w2, s->gs1, err));
        DC_TRY(dc_dense_f32_wgrad(&s->f2, P2, s->gf, w->s1, gp->w2, err));
        /* act_filter: gs1 -> [a1bar; Pmbar]; filter1: W1bar += a1bar^T rbf + Pmbar^T drbf */
        dc_schnet_filter_act_reverse(act[0], s->gs1, TAN(s->gs1, P, nf), gp->b1, w->ds1, w->Pm, P,
                                     nf);
        DC_TRY(dc_dense_f32_wgrad(&s->f1, P2, s->gs1, s->rbf2, gp->w1, err));
    }
    for (int i = 0; i < n; i++) {
        float *ge = g.embedding + (int64_t)b->types[i] * F;
        const float *hb = s->ghe + (int64_t)i * F;
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
    dc_schnet_act act[3];
    dc_schnet_engine_acts(a, act);
    if (!batch->energy_target || !batch->force_target)
        DC_FAIL(DC_ERR_INPUT, "loss_grad needs the batch's energy and force targets");
    dc_schnet_params p;
    dc_schnet_params_view(&p, &s->shape, (float *)params); /* read only */
    DC_TRY(dc_schnet_engine_prepare(s, batch, err));
    DC_TRY(dc_schnet_engine_forward(s, act, &p, batch, s->energy, err));
    DC_TRY(dc_schnet_engine_forces(s, &p, batch, s->forces, err));
    dc_loss_value value;
    dc_schnet_loss_seeds(loss, batch, s->energy, s->forces, s->wmol, s->g, &value);
    if (loss_value) *loss_value = value;
    if (energy) memcpy(energy, s->energy, (size_t)batch->n_mol * sizeof *energy);
    if (forces) memcpy(forces, s->forces, (size_t)batch->n_atoms * 3 * sizeof *forces);
    /* energy_t is only a by-product (sum_b E'_b = -g . F checks the passes); reuse a scratch. */
    DC_TRY(tangent_pass(s, &p, batch, s->energy, err));
    DC_TRY(reverse_pass(s, act, &p, batch, grad, err));
cleanup:
    return rc;
}
