/* The float engine's static schedule (dimenet_engine_impl.h): DIMENET.md "Blocks" as a list of
 * float ops over the layout's parameter offsets, in the reference's order (dimenet_ref.c). It
 * depends on the layout alone; the batch supplies row counts and index arrays at run time. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dimenet_engine_impl.h"

typedef struct build {
    dn_sched *s;
    const dc_dimenet_layout *L;
    char missing[DC_DIMENET_NAME_MAX];
} build;

static int new_buf(build *b, int rows, int cols, int const_pos)
{
    dn_sched *s = b->s;
    if (s->failed) return -1;
    if (s->n_bufs == s->cap_bufs) {
        const int cap = s->cap_bufs ? 2 * s->cap_bufs : 64;
        dn_buf *grown = realloc(s->bufs, (size_t)cap * sizeof *grown);
        if (!grown) return s->failed = 1, -1;
        s->bufs = grown;
        s->cap_bufs = cap;
    }
    s->bufs[s->n_bufs] = (dn_buf){.rows = rows, .cols = cols, .const_pos = const_pos};
    return s->n_bufs++;
}

static int new_op(build *b, dn_op op, int rows, int cols, int const_pos)
{
    dn_sched *s = b->s;
    const int out = new_buf(b, rows, cols, const_pos);
    if (out < 0) return -1;
    if (s->n_ops == s->cap_ops) {
        const int cap = s->cap_ops ? 2 * s->cap_ops : 64;
        dn_op *grown = realloc(s->ops, (size_t)cap * sizeof *grown);
        if (!grown) return s->failed = 1, -1;
        s->ops = grown;
        s->cap_ops = cap;
    }
    op.out = out;
    s->ops[s->n_ops++] = op;
    return out;
}

static dn_op blank(dn_kind kind, int x, int z)
{
    return (dn_op){.kind = kind, .in = {x, z}, .w = -1, .b = -1, .layer = -1, .idx = -1};
}

static const dn_buf *buf(build *b, int id) { return &b->s->bufs[id]; }

/* The layout's tensor called by the format, or NULL (recorded as a failure). */
static const dc_dimenet_tensor *tensor(build *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const dc_dimenet_tensor *tensor(build *b, const char *fmt, ...)
{
    char name[DC_DIMENET_NAME_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    const int i = dc_dimenet_layout_find(b->L, name);
    if (i < 0) {
        if (!b->s->failed) snprintf(b->missing, sizeof b->missing, "%s", name);
        b->s->failed = 1;
        return NULL;
    }
    return &b->L->tensors[i];
}

static int layer(dn_sched *s, dn_layer_key key)
{
    for (int i = 0; i < s->n_layers; i++)
        if (memcmp(&s->layers[i], &key, sizeof key) == 0) return i;
    if (s->n_layers == DN_MAX_LAYERS) return s->failed = 1, -1;
    s->layers[s->n_layers] = key;
    return s->n_layers++;
}

/* Which consumer of each buffer writes its adjoint first in the reverse passes (its last in
 * forward order), and the dense layers (whose backward then overwrites or adds). Every buffer but
 * the energies has a consumer. */
static int finish(dn_sched *s)
{
    for (int i = 0; i < s->n_ops; i++) s->ops[i].assign[0] = s->ops[i].assign[1] = 0;
    for (int id = 0; id < s->n_bufs; id++) {
        int last = -1, slot = 0;
        for (int i = 0; i < s->n_ops; i++)
            for (int k = 0; k < 2; k++)
                if (s->ops[i].in[k] == id) last = i, slot = k;
        if (last < 0 && id != s->energy) return -1;
        if (last >= 0) s->ops[last].assign[slot] = 1;
    }
    for (int i = 0; i < s->n_ops; i++) {
        dn_op *op = &s->ops[i];
        if (op->kind != DN_DENSE) continue;
        const dn_layer_key key = {.in = s->bufs[op->in[0]].cols, .out = s->bufs[op->out].cols,
                                  .bias = op->b >= 0, .bwd_add = !op->assign[0]};
        if ((op->layer = layer(s, key)) < 0) return -1;
    }
    return 0;
}

static int dense(build *b, int x, const char *prefix, int bias)
{
    if (b->s->failed) return -1;
    const dc_dimenet_tensor *w = tensor(b, "%s.weight", prefix);
    const dc_dimenet_tensor *bt = bias ? tensor(b, "%s.bias", prefix) : NULL;
    if (b->s->failed) return -1;
    const dn_buf *xb = buf(b, x);
    if (w->dims[1] != xb->cols) {
        snprintf(b->missing, sizeof b->missing, "%s (shape)", prefix);
        return b->s->failed = 1, -1;
    }
    dn_op op = blank(DN_DENSE, x, -1);
    op.w = w->offset;
    op.b = bt ? bt->offset : -1;
    return new_op(b, op, xb->rows, (int)w->dims[0], xb->const_pos);
}

static int act(build *b, int x, int site)
{
    if (b->s->failed) return -1;
    dn_op op = blank(DN_ACT, x, -1);
    op.site = site;
    const dn_buf *xb = buf(b, x);
    return new_op(b, op, xb->rows, xb->cols, xb->const_pos);
}

static int binary(build *b, dn_kind kind, int x, int z)
{
    if (b->s->failed) return -1;
    const dn_buf *xb = buf(b, x), *zb = buf(b, z);
    return new_op(b, blank(kind, x, z), xb->rows,
                  kind == DN_CONCAT ? xb->cols + zb->cols : xb->cols,
                  xb->const_pos && zb->const_pos);
}

static int indexed(build *b, dn_kind kind, int x, int idx, int rows)
{
    if (b->s->failed) return -1;
    dn_op op = blank(kind, x, -1);
    op.idx = idx;
    const dn_buf *xb = buf(b, x);
    return new_op(b, op, rows, xb->cols, xb->const_pos);
}

/* Output block k on the messages m [E][H]: per-atom outputs [N][1]. */
static int output_block(build *b, int k, int m, int rbf)
{
    char p[DC_DIMENET_NAME_MAX];
    snprintf(p, sizeof p, "output_blocks.%d.lin_rbf", k);
    int t = binary(b, DN_MUL, dense(b, rbf, p, 0), m);
    t = indexed(b, DN_SCATTER, t, DN_IDX_EDGE_I, DN_ROWS_ATOM);
    snprintf(p, sizeof p, "output_blocks.%d.lin_up", k);
    t = dense(b, t, p, 0);
    for (int q = 0; q < b->L->shape.num_output_layers; q++) {
        snprintf(p, sizeof p, "output_blocks.%d.lins.%d", k, q);
        t = act(b, dense(b, t, p, 1), DN_SITE_OUT);
    }
    snprintf(p, sizeof p, "output_blocks.%d.lin", k);
    return dense(b, t, p, 0);
}

/* g + act(lin2(act(lin1(g)))) */
static int residual(build *b, int x, const char *prefix)
{
    char p[2 * DC_DIMENET_NAME_MAX];
    snprintf(p, sizeof p, "%s.lin1", prefix);
    int y = act(b, dense(b, x, p, 1), DN_SITE_INT);
    snprintf(p, sizeof p, "%s.lin2", prefix);
    y = act(b, dense(b, y, p, 1), DN_SITE_INT);
    return binary(b, DN_ADD, x, y);
}

/* Interaction block k: messages m [E][H] -> m. */
static int interaction_block(build *b, int k, int m, int rbf, int sbf)
{
    char q[2 * DC_DIMENET_NAME_MAX], r_name[2 * DC_DIMENET_NAME_MAX];
    const dc_dimenet_shape *sh = &b->L->shape;
#define P(suffix) (snprintf(q, sizeof q, "interaction_blocks.%d.%s", k, suffix), q)
    const int x_ji = act(b, dense(b, m, P("lin_ji"), 1), DN_SITE_INT);
    int x_kj = act(b, dense(b, m, P("lin_kj"), 1), DN_SITE_INT);
    int r = dense(b, rbf, P("lin_rbf1"), 0);
    r = dense(b, r, P("lin_rbf2"), 0);
    x_kj = binary(b, DN_MUL, x_kj, r);
    x_kj = act(b, dense(b, x_kj, P("lin_down"), 0), DN_SITE_INT);
    int sb = dense(b, sbf, P("lin_sbf1"), 0);
    sb = dense(b, sb, P("lin_sbf2"), 0);
    int t = b->s->failed ? -1 : new_op(b, blank(DN_TRIPLET, x_kj, sb), DN_ROWS_EDGE,
                                       buf(b, sb)->cols, 0);
    t = act(b, dense(b, t, P("lin_up"), 0), DN_SITE_INT);
    int h = binary(b, DN_ADD, x_ji, t);
    for (int i = 0; i < sh->num_before_skip; i++) {
        snprintf(r_name, sizeof r_name, "interaction_blocks.%d.layers_before_skip.%d", k, i);
        h = residual(b, h, r_name);
    }
    h = act(b, dense(b, h, P("lin"), 1), DN_SITE_INT);
    h = binary(b, DN_ADD, h, m);
    for (int i = 0; i < sh->num_after_skip; i++) {
        snprintf(r_name, sizeof r_name, "interaction_blocks.%d.layers_after_skip.%d", k, i);
        h = residual(b, h, r_name);
    }
#undef P
    return h;
}

int dc_dimenet_sched_build(dn_sched *s, const dc_dimenet_layout *layout, dc_error *err)
{
    int rc = DC_OK;
    const dc_dimenet_shape *sh = &layout->shape;
    build b = {.s = s, .L = layout};
    memset(s, 0, sizeof *s);
    s->rbf = new_buf(&b, DN_ROWS_EDGE, sh->num_radial, 0);
    s->sbf = new_buf(&b, DN_ROWS_TRIP, sh->num_spherical * sh->num_radial, 0);
    const dc_dimenet_tensor *table = tensor(&b, "emb.emb.weight");
    int h = -1;
    if (table) {
        dn_op op = blank(DN_EMBED, -1, -1);
        op.w = table->offset;
        op.idx = DN_IDX_Z;
        h = new_op(&b, op, DN_ROWS_ATOM, (int)table->dims[1], 1);
    }
    const int re = act(&b, dense(&b, s->rbf, "emb.lin_rbf", 1), DN_SITE_EMB);
    const int hh = binary(&b, DN_CONCAT, indexed(&b, DN_GATHER, h, DN_IDX_EDGE_I, DN_ROWS_EDGE),
                          indexed(&b, DN_GATHER, h, DN_IDX_EDGE_J, DN_ROWS_EDGE));
    int m = act(&b, dense(&b, binary(&b, DN_CONCAT, hh, re), "emb.lin", 1), DN_SITE_EMB);
    int P = output_block(&b, 0, m, s->rbf);
    for (int k = 0; k < sh->num_blocks; k++) {
        m = interaction_block(&b, k, m, s->rbf, s->sbf);
        P = binary(&b, DN_ADD, P, output_block(&b, k + 1, m, s->rbf));
    }
    s->energy = indexed(&b, DN_SCATTER, P, DN_IDX_MOL, DN_ROWS_MOL);
    if (!s->failed && finish(s)) {
        snprintf(b.missing, sizeof b.missing, "(a buffer without a consumer)");
        s->failed = 1;
    }
    if (s->failed) {
        if (b.missing[0])
            DC_FAIL(DC_ERR_INPUT, "DimeNet++ engine: tensor %s missing from the layout", b.missing);
        DC_FAIL(DC_ERR_NOMEM, "DimeNet++ engine: out of memory building its schedule");
    }
cleanup:
    return rc;
}

void dc_dimenet_sched_free(dn_sched *s)
{
    free(s->bufs);
    free(s->ops);
    memset(s, 0, sizeof *s);
}

/* What the passes multiply (dimenet_engine.c runs exactly these): per dense layer over n rows,
 * forward, tangent and the backward of pass 2 (all three skipped for position-independent
 * inputs), the backward of pass 4 (skipped into sbf) and the weight gradient (over the 2n stacked
 * rows, n for a position-independent input, whose tangent is 0). */
double dc_dimenet_step_flops(const dc_dimenet_shape *shape, int n_mol, int n_atoms,
                             int64_t n_edges, int64_t n_triplets)
{
    dc_error err = {0};
    dc_dimenet_layout L;
    dn_sched s;
    double flops = 0.0;
    if (dc_dimenet_layout_init(&L, shape, &err) != DC_OK) return 0.0;
    if (dc_dimenet_sched_build(&s, &L, &err) == DC_OK) {
        const double rows[DN_N_ROWS] = {n_atoms, (double)n_edges, (double)n_triplets, n_mol};
        for (int i = 0; i < s.n_ops; i++) {
            const dn_op *op = &s.ops[i];
            if (op->kind != DN_DENSE) continue;
            const dn_buf *x = &s.bufs[op->in[0]], *y = &s.bufs[op->out];
            const double mm = 2.0 * rows[x->rows] * x->cols * y->cols;
            const int varies = !x->const_pos;
            flops += mm * (1.0 + varies) /* forward, tangent */
                     + mm * varies          /* pass 2 backward */
                     + mm * (op->in[0] != s.sbf) /* pass 4 backward (sbf's adjoint unused) */
                     + mm * (1.0 + varies); /* weight gradient over [primal; tangent] */
        }
    }
    dc_dimenet_sched_free(&s);
    dc_dimenet_layout_free(&L);
    return flops;
}
