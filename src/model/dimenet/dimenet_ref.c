/* The double-precision reference DimeNet++ (dimenet.h): ../shared/spec/DIMENET.md as a static
 * schedule of the kit's ops, built once per graph, and the kit's energy driver for the forces and
 * the exact loss gradient (docs/model.md "Loss and its gradient": forward, reverse to the
 * positions, tangent forward along the force seed, reverse of S = sum_b w_b E_b - D_g E).
 *
 * Geometry from the positions: vec_e = r_i - r_j (gather, gather, add), d = sqrt(row sum vec^2);
 * cos theta_t = (vec_ji . vec_kj) / (d_ji d_kj) computed directly (recip, gathers, muls): at a
 * collinear triplet its derivative is finite and correct, as DIMENET.md notes. The bases: rbf
 * (dimenet_rbf of d, with the trained frequency), sbf = gather_kj(sph_radial(d)) * sph_angular(cos).
 * Every rule lives in an op; nothing here differentiates. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_loss.h"
#include "dc_op.h"
#include "dcsweep/model/dimenet.h"

typedef struct ref_impl {
    dc_sched s;
    int pos, energy;        /* buffer ids: positions [N][3], energies [B][1] */
    int n_mol, n_atoms;
    int n_ghost;            /* dc_dimenet_ref_set_ghosts */
    const int *mol;         /* [N] the graph's (borrowed) */
    int64_t n_params;
    double *seeds;          /* [B] w, then [N][3] g: the loss's adjoints */
} ref_impl;

/* Builder state: the schedule, the layout, the graph and the sites' activations. */
typedef struct build {
    dc_sched *s;
    const dc_dimenet_layout *layout;
    const dc_dimenet_graph *g;
    dc_act act_emb, act_int, act_out;
    int rbf, sbf;
    int failed;            /* a tensor name the layout lacks (a bug: the names are ours) */
} build;

/* The parameter view of the layout's tensor called by the printf format. */
static int tensor(build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int tensor(build *b, const char *fmt, ...)
{
    char name[DC_DIMENET_NAME_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    const int i = dc_dimenet_layout_find(b->layout, name);
    if (i < 0) {
        b->failed = 1;
        return dc_sched_fail(b->s, name, "no such tensor in the layout");
    }
    const dc_dimenet_tensor *t = &b->layout->tensors[i];
    /* the buffer's name keeps the tail, which says what it is */
    const size_t len = strlen(name);
    return dc_sched_param(b->s, len > 31 ? name + len - 31 : name, t->offset, t->dims[0],
                          (int)t->dims[1]);
}

static int dense(build *b, const char *name, int x, const char *prefix, int bias)
{
    const int w = tensor(b, "%s.weight", prefix);
    return dc_sched_dense(b->s, name, x, w, bias ? tensor(b, "%s.bias", prefix) : -1);
}

/* Output block k on the messages m [E][H]: per-atom outputs [N][1]. */
static int output_block(build *b, int k, int m)
{
    char p[DC_DIMENET_NAME_MAX];
    dc_sched *s = b->s;
    snprintf(p, sizeof p, "output_blocks.%d.lin_rbf", k);
    int t = dc_sched_mul(s, "out_rbf_m", dense(b, "out_rbf", b->rbf, p, 0), m);
    t = dc_sched_scatter_add(s, "out_sum", t, b->g->edge_i, b->g->n_atoms);
    snprintf(p, sizeof p, "output_blocks.%d.lin_up", k);
    t = dense(b, "out_up", t, p, 0);
    for (int q = 0; q < b->layout->shape.num_output_layers; q++) {
        snprintf(p, sizeof p, "output_blocks.%d.lins.%d", k, q);
        t = dc_sched_act(s, "out_act", dense(b, "out_lin", t, p, 1), b->act_out);
    }
    snprintf(p, sizeof p, "output_blocks.%d.lin", k);
    return dense(b, "out_P", t, p, 0);
}

/* g + act(lin2(act(lin1(g)))) */
static int residual(build *b, int x, const char *prefix)
{
    char p[2 * DC_DIMENET_NAME_MAX];
    snprintf(p, sizeof p, "%s.lin1", prefix);
    int y = dc_sched_act(b->s, "res_act1", dense(b, "res_lin1", x, p, 1), b->act_int);
    snprintf(p, sizeof p, "%s.lin2", prefix);
    y = dc_sched_act(b->s, "res_act2", dense(b, "res_lin2", y, p, 1), b->act_int);
    return dc_sched_add(b->s, "res", x, 1.0, y, 1.0);
}

/* Interaction block k: messages m [E][H] -> m. */
static int interaction_block(build *b, int k, int m)
{
    char p[DC_DIMENET_NAME_MAX], q[2 * DC_DIMENET_NAME_MAX];
    dc_sched *s = b->s;
    const dc_dimenet_graph *g = b->g;
    const dc_dimenet_shape *sh = &b->layout->shape;
    snprintf(p, sizeof p, "interaction_blocks.%d", k);
#define P(suffix) (snprintf(q, sizeof q, "%s.%s", p, suffix), q)
    const int x_ji = dc_sched_act(s, "x_ji", dense(b, "lin_ji", m, P("lin_ji"), 1), b->act_int);
    int x_kj = dc_sched_act(s, "x_kj", dense(b, "lin_kj", m, P("lin_kj"), 1), b->act_int);
    int r = dense(b, "rbf1", b->rbf, P("lin_rbf1"), 0);
    r = dense(b, "rbf2", r, P("lin_rbf2"), 0);
    x_kj = dc_sched_mul(s, "x_kj_rbf", x_kj, r);
    x_kj = dc_sched_act(s, "x_down", dense(b, "lin_down", x_kj, P("lin_down"), 0), b->act_int);
    int sb = dense(b, "sbf1", b->sbf, P("lin_sbf1"), 0);
    sb = dense(b, "sbf2", sb, P("lin_sbf2"), 0);
    int t = dc_sched_mul(s, "x_kj_sbf", dc_sched_gather(s, "x_kj_t", x_kj, g->idx_kj, g->n_triplets),
                         sb);
    t = dc_sched_scatter_add(s, "y", t, g->idx_ji, g->n_edges);
    t = dc_sched_act(s, "up", dense(b, "lin_up", t, P("lin_up"), 0), b->act_int);
    int h = dc_sched_add(s, "g", x_ji, 1.0, t, 1.0);
    char r_name[DC_DIMENET_NAME_MAX + 32];
    for (int i = 0; i < sh->num_before_skip; i++) {
        snprintf(r_name, sizeof r_name, "%s.layers_before_skip.%d", p, i);
        h = residual(b, h, r_name);
    }
    h = dc_sched_act(s, "skip", dense(b, "lin", h, P("lin"), 1), b->act_int);
    h = dc_sched_add(s, "skip_m", h, 1.0, m, 1.0);
    for (int i = 0; i < sh->num_after_skip; i++) {
        snprintf(r_name, sizeof r_name, "%s.layers_after_skip.%d", p, i);
        h = residual(b, h, r_name);
    }
#undef P
    return h;
}

static int build_schedule(ref_impl *r, const dc_dimenet_layout *layout, const dc_activation *act,
                          const dc_dimenet_graph *g, const int *z, dc_error *err)
{
    int rc = DC_OK;
    double *zN = NULL; /* [2][S R] the Bessel zeros and normalisers */
    const dc_dimenet_shape *sh = &layout->shape;
    const int S = sh->num_spherical, R = sh->num_radial, p = sh->envelope_exponent + 1;
    const int64_t E = g->n_edges, T = g->n_triplets, N = g->n_atoms;
    const dc_act silu = {.kind = DC_ACT_SILU}, irelu = {.kind = DC_ACT_IRELU, .c = act->irelu_scale};
    build b = {.s = &r->s, .layout = layout, .g = g};
    b.act_emb = b.act_int = act->extent == DC_EXTENT_FULL ? irelu : silu;
    b.act_out = act->extent == DC_EXTENT_NONE ? silu : irelu;
    dc_sched *s = &r->s;
    DC_ALLOC(zN, 2 * (int64_t)S * R);
    dc_dimenet_bessel_constants(S, R, zN, zN + S * R);
    dc_sched_init(s, 1);
    r->pos = dc_sched_input(s, "pos", N, 3);
    const int ri = dc_sched_gather(s, "r_i", r->pos, g->edge_i, E);
    const int rj = dc_sched_gather(s, "r_j", r->pos, g->edge_j, E);
    const int vec = dc_sched_add(s, "vec", ri, 1.0, rj, -1.0);
    const int d = dc_sched_sqrt(s, "dist", dc_sched_row_sum(s, "d2", dc_sched_mul(s, "vec2", vec, vec)));
    const int inv = dc_sched_recip(s, "1/d", d);
    const int u = dc_sched_gather(s, "u", vec, g->idx_ji, T), w = dc_sched_gather(s, "w", vec, g->idx_kj, T);
    int c = dc_sched_row_sum(s, "u.w", dc_sched_mul(s, "u*w", u, w));
    c = dc_sched_mul(s, "cos_ji", c, dc_sched_gather(s, "1/d_ji", inv, g->idx_ji, T));
    c = dc_sched_mul(s, "cos", c, dc_sched_gather(s, "1/d_kj", inv, g->idx_kj, T));
    b.rbf = dc_sched_dimenet_rbf(s, "rbf", d, tensor(&b, "rbf.freq"), sh->cutoff, p);
    const int rad = dc_sched_sph_radial(s, "sbf_rad", d, zN, zN + S * R, S, R, sh->cutoff, p);
    b.sbf = dc_sched_mul(s, "sbf", dc_sched_gather(s, "sbf_rad_kj", rad, g->idx_kj, T),
                         dc_sched_sph_angular(s, "sbf_ang", c, S, R));
    /* embedding block */
    const int h = dc_sched_embed(s, "h", tensor(&b, "emb.emb.weight"), z, N);
    const int re = dc_sched_act(s, "emb_rbf", dense(&b, "emb_lin_rbf", b.rbf, "emb.lin_rbf", 1),
                                b.act_emb);
    const int cat = dc_sched_concat(s, "emb_cat", dc_sched_concat(s, "emb_hh",
                                    dc_sched_gather(s, "h_i", h, g->edge_i, E),
                                    dc_sched_gather(s, "h_j", h, g->edge_j, E)), re);
    int m = dc_sched_act(s, "m_emb", dense(&b, "emb_lin", cat, "emb.lin", 1), b.act_emb);
    int P = output_block(&b, 0, m);
    for (int k = 0; k < sh->num_blocks; k++) {
        char name[16];
        m = interaction_block(&b, k, m);
        snprintf(name, sizeof name, "m_int%d", k);
        m = dc_sched_add(s, name, m, 1.0, m, 0.0); /* a named copy, for the intermediates */
        P = dc_sched_add(s, k + 1 == sh->num_blocks ? "atom_out" : "P", P, 1.0,
                         output_block(&b, k + 1, m), 1.0);
    }
    r->energy = dc_sched_scatter_add(s, "energy", P, g->mol, g->n_mol);
    DC_TRY(dc_sched_alloc(s, err));
cleanup:
    free(zN);
    return rc;
}

int dc_dimenet_ref_init(dc_dimenet_ref *net, const dc_dimenet_layout *layout,
                        const dc_activation *act, const dc_dimenet_graph *graph, const int *z,
                        dc_error *err)
{
    int rc = DC_OK;
    ref_impl *r = NULL;
    net->impl = NULL;
    for (int a = 0; a < graph->n_atoms; a++)
        if (z[a] < 1 || z[a] >= DC_DIMENET_EMBED_ROWS)
            DC_FAIL(DC_ERR_INPUT, "frame %d: atom %d has atomic number %d (DimeNet++ embeds 1..%d)",
                    graph->mol[a], a, z[a], DC_DIMENET_EMBED_ROWS - 1);
    DC_ALLOC(r, 1);
    r->n_mol = graph->n_mol;
    r->n_atoms = graph->n_atoms;
    r->mol = graph->mol;
    r->n_params = layout->n_params;
    DC_ALLOC(r->seeds, (int64_t)graph->n_mol + 6 * (int64_t)graph->n_atoms + 1);
    DC_TRY(build_schedule(r, layout, act, graph, z, err));
    net->impl = r;
    r = NULL;
cleanup:
    if (r) {
        dc_sched_free(&r->s);
        free(r->seeds);
        free(r);
    }
    return rc;
}

void dc_dimenet_ref_free(dc_dimenet_ref *net)
{
    ref_impl *r = net->impl;
    if (r) {
        dc_sched_free(&r->s);
        free(r->seeds);
        free(r);
    }
    net->impl = NULL;
}

void dc_dimenet_ref_energy_forces(dc_dimenet_ref *net, const double *params, const double *pos,
                                  double *energy, double *forces)
{
    ref_impl *r = net->impl;
    dc_energy_forces(&r->s, r->pos, r->energy, params, pos, energy, forces);
}

void dc_dimenet_ref_loss(dc_dimenet_ref *net, const double *params, const double *pos,
                         const dc_dimenet_loss *loss, const double *E_t, const double *F_t,
                         double *energy, double *forces, double *loss_value, double *grad)
{
    ref_impl *r = net->impl;
    const int B = r->n_mol;
    const int64_t n3 = 3 * (int64_t)r->n_atoms;
    double *w = r->seeds, *g = r->seeds + B, *F = r->seeds + B + n3;
    dc_energy_forces(&r->s, r->pos, r->energy, params, pos, NULL, NULL);
    const double *E = r->s.bufs[r->energy].val[0], *dEdr = r->s.bufs[r->pos].adj[0];
    for (int64_t k = 0; k < n3; k++) F[k] = -dEdr[k];
    const dc_loss_batch lb = {.n_mol = B, .n_atoms = r->n_atoms, .n_ghost = r->n_ghost, .mol = r->mol,
                              .energy_target = E_t, .force_target = F_t};
    double le, lf;
    dc_loss_seeds(loss->kind, loss->force_weight, &lb, E, F, w, g, &le, &lf);
    if (energy) memcpy(energy, E, (size_t)B * sizeof *energy);
    if (forces) memcpy(forces, F, (size_t)n3 * sizeof *forces);
    if (loss_value) *loss_value = le + loss->force_weight * lf;
    if (grad) {
        memset(grad, 0, (size_t)r->n_params * sizeof *grad);
        dc_energy_grad(&r->s, r->pos, r->energy, params, w, g, grad);
    }
}

void dc_dimenet_ref_set_ghosts(dc_dimenet_ref *net, int n_ghost) { ((ref_impl *)net->impl)->n_ghost = n_ghost; }

const double *dc_dimenet_ref_buffer(const dc_dimenet_ref *net, const char *name, int64_t *rows,
                                    int *cols)
{
    const ref_impl *r = net->impl;
    for (int i = r->s.n_bufs - 1; i >= 0; i--)
        if (!r->s.bufs[i].param && strcmp(r->s.bufs[i].name, name) == 0) {
            if (rows) *rows = r->s.bufs[i].rows;
            if (cols) *cols = r->s.bufs[i].cols;
            return r->s.bufs[i].val[0];
        }
    return NULL;
}
