/* The double-precision reference SchNet: energies, forces and the exact loss gradient.
 *
 * The four passes of docs/model.md "Loss and its gradient": (1) forward, (2) reverse of E down to the edge lengths for
 * the forces, (3) tangent forward along the force seed g, (4) reverse of
 * S = sum_b w_b E_b - D_g E with two adjoints per value. Passes 2 and 4 are one function: pass 2 is
 * pass 4 with w = 1, no tangent and no parameter gradient, plus the last step down to d.
 * Every intermediate is kept (this is a yardstick, not a fast path). */
#include <stdlib.h>
#include <string.h>

#include "dcsweep/model/schnet.h"
#include "schnet_common.h"
#include "schnet_ref_layers.h"

/* Order of an interaction block's tensors in the layout (src/schnet_layout.c). */
enum { F1W, F1B, F2W, F2B, CIW, COW, COB, DW, DB, N_BLOCK_TENSORS };
/* Order of the output block's tensors, after the last interaction block. */
enum { O1W, O1B, O2W, O2B };

typedef struct ref_state {
    int N, B, F, nf, G, H, T;
    int64_t E;
    ref_act act_filter, act_inter, act_out;
    const dc_batch *batch;
    const dc_schnet_layout *layout;
    /* geometry: positions only */
    double *d, *u, *rbf, *drbf, *fc, *dfc;   /* [E], [E][3], [E][G], [E][G], [E], [E] */
    double *dt, *rbft, *fct;                 /* tangents along g: [E], [E][G], [E] */
    /* primal values and their tangents (suffix t), per interaction block */
    double *h[DC_MAX_INTERACTIONS + 1], *ht[DC_MAX_INTERACTIONS + 1]; /* [N][F] input of block t */
    double *a1[DC_MAX_INTERACTIONS], *a1t[DC_MAX_INTERACTIONS];       /* [E][nf] filter1 output */
    double *s1[DC_MAX_INTERACTIONS], *s1t[DC_MAX_INTERACTIONS];       /* [E][nf] act_filter */
    double *f[DC_MAX_INTERACTIONS], *ft[DC_MAX_INTERACTIONS];         /* [E][nf] filter2 output */
    double *wf[DC_MAX_INTERACTIONS], *wft[DC_MAX_INTERACTIONS];       /* [E][nf] f * fc */
    double *x[DC_MAX_INTERACTIONS], *xt[DC_MAX_INTERACTIONS];         /* [N][nf] cfconv_in */
    double *m[DC_MAX_INTERACTIONS], *mt[DC_MAX_INTERACTIONS];         /* [N][nf] messages */
    double *a2[DC_MAX_INTERACTIONS], *a2t[DC_MAX_INTERACTIONS];       /* [N][F] cfconv_out */
    double *s2[DC_MAX_INTERACTIONS], *s2t[DC_MAX_INTERACTIONS];       /* [N][F] act_inter */
    double *a3, *a3t, *s3, *s3t;                                      /* [N][H] output block */
    double *e, *et;                                                   /* [N] atomic energies */
    /* adjoints (suffix bar; tbar: adjoint of the tangent), reused by every block */
    double *ebar, *etbar;                    /* [N] */
    double *s3bar, *s3tbar, *a3bar, *a3tbar; /* [N][H] */
    double *hbar, *htbar, *s2bar, *s2tbar, *a2bar, *a2tbar; /* [N][F] */
    double *mbar, *mtbar, *xbar, *xtbar;                    /* [N][nf] */
    double *wfbar, *wftbar, *fbar, *ftbar, *s1bar, *s1tbar, *a1bar, *a1tbar; /* [E][nf] */
    double *rbfbar, *fcbar, *dbar;           /* [E][G], [E], [E]: only the force pass */
} ref_state;

/* Hands out consecutive slices of one arena; with base == NULL it only counts. */
static double *take(double *base, int64_t *used, int64_t n)
{
    double *p = base ? base + *used : NULL;
    *used += n;
    return p;
}

static int64_t carve(ref_state *s, double *base)
{
    int64_t u = 0;
    const int64_t N = s->N, E = s->E, F = s->F, nf = s->nf, G = s->G, H = s->H;
    s->d = take(base, &u, E); s->u = take(base, &u, 3 * E);
    s->rbf = take(base, &u, E * G); s->drbf = take(base, &u, E * G);
    s->fc = take(base, &u, E); s->dfc = take(base, &u, E);
    s->dt = take(base, &u, E); s->rbft = take(base, &u, E * G); s->fct = take(base, &u, E);
    for (int t = 0; t <= s->T; t++) {
        s->h[t] = take(base, &u, N * F);
        s->ht[t] = take(base, &u, N * F);
    }
    for (int t = 0; t < s->T; t++) {
        double **edge[] = {&s->a1[t], &s->a1t[t], &s->s1[t], &s->s1t[t],
                           &s->f[t],  &s->ft[t],  &s->wf[t], &s->wft[t]};
        for (size_t k = 0; k < sizeof edge / sizeof *edge; k++) *edge[k] = take(base, &u, E * nf);
        double **atom_nf[] = {&s->x[t], &s->xt[t], &s->m[t], &s->mt[t]};
        for (size_t k = 0; k < 4; k++) *atom_nf[k] = take(base, &u, N * nf);
        double **atom_f[] = {&s->a2[t], &s->a2t[t], &s->s2[t], &s->s2t[t]};
        for (size_t k = 0; k < 4; k++) *atom_f[k] = take(base, &u, N * F);
    }
    double **nh[] = {&s->a3,    &s->a3t,    &s->s3,    &s->s3t,
                     &s->s3bar, &s->s3tbar, &s->a3bar, &s->a3tbar};
    for (size_t k = 0; k < sizeof nh / sizeof *nh; k++) *nh[k] = take(base, &u, N * H);
    double **n1[] = {&s->e, &s->et, &s->ebar, &s->etbar};
    for (size_t k = 0; k < 4; k++) *n1[k] = take(base, &u, N);
    double **nF[] = {&s->hbar, &s->htbar, &s->s2bar, &s->s2tbar, &s->a2bar, &s->a2tbar};
    for (size_t k = 0; k < sizeof nF / sizeof *nF; k++) *nF[k] = take(base, &u, N * F);
    double **nn[] = {&s->mbar, &s->mtbar, &s->xbar, &s->xtbar};
    for (size_t k = 0; k < 4; k++) *nn[k] = take(base, &u, N * nf);
    double **en[] = {&s->wfbar, &s->wftbar, &s->fbar,  &s->ftbar,
                     &s->s1bar, &s->s1tbar, &s->a1bar, &s->a1tbar};
    for (size_t k = 0; k < sizeof en / sizeof *en; k++) *en[k] = take(base, &u, E * nf);
    s->rbfbar = take(base, &u, E * G); s->fcbar = take(base, &u, E); s->dbar = take(base, &u, E);
    return u;
}

static const double *param(const ref_state *s, const double *p, int t, int k)
{
    return p + s->layout->tensors[1 + N_BLOCK_TENSORS * t + k].offset;
}

static const double *out_param(const ref_state *s, const double *p, int k)
{
    return p + s->layout->tensors[1 + N_BLOCK_TENSORS * s->T + k].offset;
}

/* The gradient slot of a tensor, or NULL when no parameter gradient is wanted. */
static double *grad_block(const ref_state *s, double *g, int t, int k)
{
    return g ? g + s->layout->tensors[1 + N_BLOCK_TENSORS * t + k].offset : NULL;
}

static double *grad_out(const ref_state *s, double *g, int k)
{
    return g ? g + s->layout->tensors[1 + N_BLOCK_TENSORS * s->T + k].offset : NULL;
}

static void zero(double *a, int64_t n) { memset(a, 0, (size_t)n * sizeof *a); }

/* Pass 1: primal values; energy [B]. */
static void forward(ref_state *s, const double *p, double *energy)
{
    const int N = s->N, F = s->F, nf = s->nf, G = s->G, H = s->H;
    const int64_t E = s->E;
    const dc_batch *b = s->batch;
    for (int i = 0; i < N; i++)
        memcpy(s->h[0] + (int64_t)i * F, p + (int64_t)b->types[i] * F, (size_t)F * sizeof(double));
    for (int t = 0; t < s->T; t++) {
        dc_ref_dense_forward(s->a1[t], s->rbf, param(s, p, t, F1W), param(s, p, t, F1B), E, G, nf);
        dc_ref_act_forward(s->s1[t], s->a1[t], E * nf, s->act_filter);
        dc_ref_dense_forward(s->f[t], s->s1[t], param(s, p, t, F2W), param(s, p, t, F2B), E, nf, nf);
        dc_ref_cutoff_forward(s->wf[t], s->f[t], s->fc, E, nf);
        dc_ref_dense_forward(s->x[t], s->h[t], param(s, p, t, CIW), NULL, N, F, nf);
        dc_ref_cfconv_forward(s->m[t], s->wf[t], s->x[t], b->src, b->dst, N, E, nf);
        dc_ref_dense_forward(s->a2[t], s->m[t], param(s, p, t, COW), param(s, p, t, COB), N, nf, F);
        dc_ref_act_forward(s->s2[t], s->a2[t], (int64_t)N * F, s->act_inter);
        dc_ref_dense_forward(s->h[t + 1], s->s2[t], param(s, p, t, DW), param(s, p, t, DB), N, F, F);
        for (int64_t q = 0; q < (int64_t)N * F; q++) s->h[t + 1][q] += s->h[t][q]; /* residual */
    }
    dc_ref_dense_forward(s->a3, s->h[s->T], out_param(s, p, O1W), out_param(s, p, O1B), N, F, H);
    dc_ref_act_forward(s->s3, s->a3, (int64_t)N * H, s->act_out);
    dc_ref_dense_forward(s->e, s->s3, out_param(s, p, O2W), out_param(s, p, O2B), N, H, 1);
    zero(energy, s->B);
    for (int i = 0; i < N; i++) energy[b->mol[i]] += s->e[i];
}

/* Pass 3: tangents along the atom displacement g [N][3]; the tangent of every value is the
 * derivative of that value along g. */
static void tangent_forward(ref_state *s, const double *p, const double *g)
{
    const int N = s->N, F = s->F, nf = s->nf, G = s->G, H = s->H;
    const int64_t E = s->E;
    const dc_batch *b = s->batch;
    for (int64_t e = 0; e < E; e++) {
        const double *gi = g + 3 * (int64_t)b->dst[e], *gj = g + 3 * (int64_t)b->src[e];
        const double *ue = s->u + 3 * e;
        s->dt[e] = ue[0] * (gi[0] - gj[0]) + ue[1] * (gi[1] - gj[1]) + ue[2] * (gi[2] - gj[2]);
        for (int k = 0; k < G; k++) s->rbft[e * G + k] = s->drbf[e * G + k] * s->dt[e];
        s->fct[e] = s->dfc[e] * s->dt[e];
    }
    zero(s->ht[0], (int64_t)N * F); /* the embedding does not depend on positions */
    for (int t = 0; t < s->T; t++) {
        dc_ref_dense_forward(s->a1t[t], s->rbft, param(s, p, t, F1W), NULL, E, G, nf);
        dc_ref_act_tangent(s->s1t[t], s->a1[t], s->a1t[t], E * nf, s->act_filter);
        dc_ref_dense_forward(s->ft[t], s->s1t[t], param(s, p, t, F2W), NULL, E, nf, nf);
        dc_ref_cutoff_tangent(s->wft[t], s->f[t], s->ft[t], s->fc, s->fct, E, nf);
        dc_ref_dense_forward(s->xt[t], s->ht[t], param(s, p, t, CIW), NULL, N, F, nf);
        dc_ref_cfconv_tangent(s->mt[t], s->wf[t], s->wft[t], s->x[t], s->xt[t], b->src, b->dst, N, E, nf);
        dc_ref_dense_forward(s->a2t[t], s->mt[t], param(s, p, t, COW), NULL, N, nf, F);
        dc_ref_act_tangent(s->s2t[t], s->a2[t], s->a2t[t], (int64_t)N * F, s->act_inter);
        dc_ref_dense_forward(s->ht[t + 1], s->s2t[t], param(s, p, t, DW), NULL, N, F, F);
        for (int64_t q = 0; q < (int64_t)N * F; q++) s->ht[t + 1][q] += s->ht[t][q];
    }
    dc_ref_dense_forward(s->a3t, s->ht[s->T], out_param(s, p, O1W), NULL, N, F, H);
    dc_ref_act_tangent(s->s3t, s->a3, s->a3t, (int64_t)N * H, s->act_out);
    dc_ref_dense_forward(s->et, s->s3t, out_param(s, p, O2W), NULL, N, H, 1);
}

/* Passes 2 and 4: reverse of S = sum_b w_b E_b - tangent_scale * sum_b E'_b.
 * with_tangent = 0: the tangent adjoints are zero and not touched (pass 2). grad [n_params] (or
 * NULL) accumulates dS/dtheta; with_d != 0 leaves dS/dd_ij in s->dbar (pass 2, for forces). */
static void reverse(ref_state *s, const double *p, const double *w, int with_tangent, double *grad,
                    int with_d)
{
    const int N = s->N, F = s->F, nf = s->nf, G = s->G, H = s->H;
    const int64_t E = s->E, NF = (int64_t)N * F, Nnf = (int64_t)N * nf, Enf = E * nf;
    const dc_batch *b = s->batch;
    /* Tangent adjoint pointers are NULL in pass 2 so every layer skips the tangent terms. */
#define TB(ptr) (with_tangent ? (ptr) : NULL)
    for (int i = 0; i < N; i++) {
        s->ebar[i] = w[b->mol[i]];
        s->etbar[i] = -1.0; /* dS/dE'_b */
    }
    zero(s->s3bar, (int64_t)N * H);
    zero(s->s3tbar, (int64_t)N * H);
    dc_ref_dense_backward(s->s3bar, grad_out(s, grad, O2W), grad_out(s, grad, O2B), s->ebar, s->s3,
                          out_param(s, p, O2W), N, H, 1);
    if (with_tangent)
        dc_ref_dense_backward(s->s3tbar, grad_out(s, grad, O2W), NULL, s->etbar, s->s3t,
                              out_param(s, p, O2W), N, H, 1);
    zero(s->a3bar, (int64_t)N * H);
    zero(s->a3tbar, (int64_t)N * H);
    dc_ref_act_backward(s->a3bar, TB(s->a3tbar), s->s3bar, TB(s->s3tbar), s->a3, s->a3t, (int64_t)N * H,
                        s->act_out);
    zero(s->hbar, NF);
    zero(s->htbar, NF);
    dc_ref_dense_backward(s->hbar, grad_out(s, grad, O1W), grad_out(s, grad, O1B), s->a3bar, s->h[s->T],
                          out_param(s, p, O1W), N, F, H);
    if (with_tangent)
        dc_ref_dense_backward(s->htbar, grad_out(s, grad, O1W), NULL, s->a3tbar, s->ht[s->T],
                              out_param(s, p, O1W), N, F, H);
    if (with_d) {
        zero(s->rbfbar, E * G);
        zero(s->fcbar, E);
    }
    for (int t = s->T - 1; t >= 0; t--) {
        /* h_{t+1} = h_t + v: hbar/htbar are the adjoints of v now and of h_t below. */
        zero(s->s2bar, NF);
        zero(s->s2tbar, NF);
        dc_ref_dense_backward(s->s2bar, grad_block(s, grad, t, DW), grad_block(s, grad, t, DB), s->hbar,
                              s->s2[t], param(s, p, t, DW), N, F, F);
        if (with_tangent)
            dc_ref_dense_backward(s->s2tbar, grad_block(s, grad, t, DW), NULL, s->htbar, s->s2t[t],
                                  param(s, p, t, DW), N, F, F);
        zero(s->a2bar, NF);
        zero(s->a2tbar, NF);
        dc_ref_act_backward(s->a2bar, TB(s->a2tbar), s->s2bar, TB(s->s2tbar), s->a2[t], s->a2t[t], NF,
                            s->act_inter);
        zero(s->mbar, Nnf);
        zero(s->mtbar, Nnf);
        dc_ref_dense_backward(s->mbar, grad_block(s, grad, t, COW), grad_block(s, grad, t, COB), s->a2bar,
                              s->m[t], param(s, p, t, COW), N, nf, F);
        if (with_tangent)
            dc_ref_dense_backward(s->mtbar, grad_block(s, grad, t, COW), NULL, s->a2tbar, s->mt[t],
                                  param(s, p, t, COW), N, nf, F);
        zero(s->wfbar, Enf);
        zero(s->wftbar, Enf);
        zero(s->xbar, Nnf);
        zero(s->xtbar, Nnf);
        dc_ref_cfconv_backward(s->wfbar, TB(s->wftbar), s->xbar, TB(s->xtbar), s->mbar, TB(s->mtbar),
                               s->wf[t], TB(s->wft[t]), s->x[t], TB(s->xt[t]), b->src, b->dst, E, nf);
        dc_ref_dense_backward(s->hbar, grad_block(s, grad, t, CIW), NULL, s->xbar, s->h[t],
                              param(s, p, t, CIW), N, F, nf);
        if (with_tangent)
            dc_ref_dense_backward(s->htbar, grad_block(s, grad, t, CIW), NULL, s->xtbar, s->ht[t],
                                  param(s, p, t, CIW), N, F, nf);
        zero(s->fbar, Enf);
        zero(s->ftbar, Enf);
        dc_ref_cutoff_backward(s->fbar, TB(s->ftbar), with_d ? s->fcbar : NULL, s->wfbar, TB(s->wftbar),
                               s->f[t], s->fc, s->fct, E, nf);
        zero(s->s1bar, Enf);
        zero(s->s1tbar, Enf);
        dc_ref_dense_backward(s->s1bar, grad_block(s, grad, t, F2W), grad_block(s, grad, t, F2B), s->fbar,
                              s->s1[t], param(s, p, t, F2W), E, nf, nf);
        if (with_tangent)
            dc_ref_dense_backward(s->s1tbar, grad_block(s, grad, t, F2W), NULL, s->ftbar, s->s1t[t],
                                  param(s, p, t, F2W), E, nf, nf);
        zero(s->a1bar, Enf);
        zero(s->a1tbar, Enf);
        dc_ref_act_backward(s->a1bar, TB(s->a1tbar), s->s1bar, TB(s->s1tbar), s->a1[t], s->a1t[t], Enf,
                            s->act_filter);
        dc_ref_dense_backward(with_d ? s->rbfbar : NULL, grad_block(s, grad, t, F1W),
                              grad_block(s, grad, t, F1B), s->a1bar, s->rbf, param(s, p, t, F1W), E, G,
                              nf);
        if (with_tangent)
            dc_ref_dense_backward(NULL, grad_block(s, grad, t, F1W), NULL, s->a1tbar, s->rbft,
                                  param(s, p, t, F1W), E, G, nf);
    }
#undef TB
    if (grad)
        for (int i = 0; i < N; i++)
            for (int k = 0; k < F; k++)
                grad[(int64_t)b->types[i] * F + k] += s->hbar[(int64_t)i * F + k];
    if (with_d)
        for (int64_t e = 0; e < E; e++) {
            double acc = s->fcbar[e] * s->dfc[e];
            for (int k = 0; k < G; k++) acc += s->rbfbar[e * G + k] * s->drbf[e * G + k];
            s->dbar[e] = acc;
        }
}

/* F_i = -dE/dr_i from dE/dd per edge: dd_ij/dr_i = u_ij, dd_ij/dr_j = -u_ij. */
static void forces_from_dbar(const ref_state *s, double *forces)
{
    zero(forces, 3 * (int64_t)s->N);
    for (int64_t e = 0; e < s->E; e++) {
        int64_t i = s->batch->dst[e], j = s->batch->src[e];
        for (int k = 0; k < 3; k++) {
            double c = s->dbar[e] * s->u[3 * e + k];
            forces[3 * i + k] -= c;
            forces[3 * j + k] += c;
        }
    }
}

int dc_schnet_ref_eval(const dc_schnet_shape *shape, const dc_activation *act, const double *params,
                       const dc_batch *batch, const dc_loss_spec *loss, double *energy,
                       double *forces, double *grad, dc_loss_value *loss_value, dc_error *err)
{
    int rc = DC_OK;
    double *arena = NULL, *own = NULL; /* own: [B] energies, [N][3] forces, [B] w, [N][3] g */
    dc_arena check = {0};              /* the batch check's arrays (the pairs go unused here) */
    dc_pairs pairs;
    dc_schnet_layout layout;
    ref_state s;
    memset(&s, 0, sizeof s);
    const int have_targets = loss && batch->energy_target && batch->force_target;
    if (grad && !have_targets)
        DC_FAIL(DC_ERR_INPUT,
                "dc_schnet_ref_eval: a gradient needs a loss and the batch's targets");
    DC_TRY(dc_schnet_layout_init(&layout, shape, err));
    dc_pairs_carve(&pairs, &check, batch->n_atoms, batch->n_edges);
    DC_TRY(dc_arena_alloc(&check, err));
    dc_pairs_carve(&pairs, &check, batch->n_atoms, batch->n_edges);
    DC_TRY(dc_schnet_check_batch(shape, batch, &pairs, err));
    s.N = batch->n_atoms; s.B = batch->n_mol; s.E = batch->n_edges;
    s.F = shape->features; s.nf = shape->filters; s.G = shape->gaussians; s.H = shape->features / 2;
    s.T = shape->interactions;
    s.batch = batch;
    s.layout = &layout;
    s.act_filter = (ref_act){dc_activation_is_irelu(act, 0), act->irelu_scale};
    s.act_inter = (ref_act){dc_activation_is_irelu(act, 1), act->irelu_scale};
    s.act_out = (ref_act){dc_activation_is_irelu(act, 2), act->irelu_scale};
    DC_ALLOC(arena, carve(&s, NULL) + 1);
    carve(&s, arena);
    DC_ALLOC(own, 2 * (int64_t)s.B + 6 * (int64_t)s.N + 1);
    double *E_ = energy ? energy : own;                   /* [B] */
    double *F_ = forces ? forces : own + s.B;             /* [N][3] */
    double *w = own + s.B + 3 * (int64_t)s.N;             /* [B] */
    double *g = own + 2 * (int64_t)s.B + 3 * (int64_t)s.N; /* [N][3] */

    DC_TRY(dc_schnet_edge_geometry(shape, batch, s.d, s.u, s.rbf, s.drbf, s.fc, s.dfc, err));
    forward(&s, params, E_);
    for (int b = 0; b < s.B; b++) w[b] = 1.0;
    reverse(&s, params, w, 0, NULL, 1);
    forces_from_dbar(&s, F_);
    if (have_targets) dc_schnet_loss_seeds(loss, batch, E_, F_, w, g, loss_value);
    if (grad) {
        zero(grad, layout.n_params);
        tangent_forward(&s, params, g);
        reverse(&s, params, w, 1, grad, 0);
    }
cleanup:
    free(arena);
    free(own);
    free(check.base);
    return rc;
}
