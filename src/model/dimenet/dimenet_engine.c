/* The float DimeNet++ engine (dcsweep/model/dimenet_engine.h): the four passes of docs/model.md
 * "Loss and its gradient" over the static schedule of dimenet_engine_build.c:
 *   1 forward (v0),  2 reverse with seed -1 on every energy (a1 = -dE/dx; forces),
 *   3 tangent along the force seed g (v1),  4 reverse of S = sum_b w_b E_b - D_g E (a0 and the
 *   parameter gradient; the tangent planes' adjoints are a1, known from pass 2).
 * Dense layers are oneDNN matmuls (dc_dense_f32) with the row count at run time; everything else
 * is a serial loop of dimenet_kernels.c, so every call gives the same bits. The geometry and the
 * bases run in double (dimenet_engine_geom.c) and are rounded once per pass. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dc_loss.h"
#include "dc_rows.h"
#include "dimenet_engine_impl.h"

static void carve(dc_dimenet *e, dc_arena *ar)
{
    for (int i = 0; i < e->sched.n_bufs; i++) {
        dn_buf *b = &e->sched.bufs[i];
        const int64_t size = 2 * e->max_rows[b->rows] * b->cols;
        DC_TAKE(ar, b->v, size);
        DC_TAKE(ar, b->a, size);
    }
    for (int i = 0; i < e->sched.n_ops; i++)
        if (e->sched.ops[i].kind == DN_ACT) {
            dn_buf *b = &e->sched.bufs[e->sched.ops[i].out];
            DC_TAKE(ar, b->ds, 2 * e->max_rows[b->rows] * b->cols);
        }
    DC_TAKE(ar, e->forces, 3 * (int64_t)e->max_atoms);
    DC_TAKE(ar, e->seed, 3 * (int64_t)e->max_atoms);
    DC_TAKE(ar, e->wmol, e->max_mol);
    DC_TAKE(ar, e->energy_d, e->max_mol);
    DC_TAKE(ar, e->sub.edge_i, e->max_edges);
    DC_TAKE(ar, e->sub.edge_j, e->max_edges);
    DC_TAKE(ar, e->sub.idx_kj, e->max_triplets);
    DC_TAKE(ar, e->sub.idx_ji, e->max_triplets);
    DC_TAKE(ar, e->sub.mol, e->max_atoms);
    dc_dimenet_geom_carve(&e->geom, ar, &e->layout.shape, e->max_edges, e->max_triplets);
}

int dc_dimenet_create(dc_dimenet **engine, const dc_dimenet_layout *layout, int max_mol,
                      int max_atoms, int64_t max_edges, int64_t max_triplets, dc_error *err)
{
    int rc = DC_OK;
    dc_dimenet *e = NULL;
    *engine = NULL;
    if (max_mol < 1 || max_atoms < 1 || max_edges < 0 || max_triplets < 0)
        DC_FAIL(DC_ERR_INPUT,
                "engine limits must be positive: %d molecules, %d atoms, %lld edges, %lld "
                "triplets",
                max_mol, max_atoms, (long long)max_edges, (long long)max_triplets);
    if (layout->shape.num_radial > 64 || layout->shape.num_spherical > 32)
        DC_FAIL(DC_ERR_INPUT, "DimeNet++ engine: at most 64 radial and 32 spherical functions");
    DC_ALLOC(e, 1);
    DC_TRY(dc_dimenet_layout_init(&e->layout, &layout->shape, err));
    if (e->layout.n_params != layout->n_params)
        DC_FAIL(DC_ERR_INPUT, "DimeNet++ engine: a layout of %lld parameters, expected %lld",
                (long long)layout->n_params, (long long)e->layout.n_params);
    e->max_mol = max_mol;
    e->max_atoms = max_atoms;
    e->max_edges = max_edges;
    e->max_triplets = max_triplets;
    e->max_rows[DN_ROWS_ATOM] = max_atoms;
    e->max_rows[DN_ROWS_EDGE] = max_edges;
    e->max_rows[DN_ROWS_TRIP] = max_triplets;
    e->max_rows[DN_ROWS_MOL] = max_mol;
    DC_TRY(dc_dimenet_sched_build(&e->sched, &e->layout, err));
    DC_TRY(dc_dnnl_init(&e->ctx, err));
    for (int i = 0; i < e->sched.n_layers; i++) {
        const dn_layer_key *k = &e->sched.layers[i];
        const unsigned flags = (k->bwd_add ? DC_DENSE_BWD_ADD : 0) | (k->bias ? DC_DENSE_BIAS : 0);
        DC_TRY(
            dc_dense_f32_create(&e->dense[i], &e->ctx, k->in, k->out, flags, &e->flops_done, err));
    }
    /* The kit's dc_arena_alloc zeroes its block, which commits every page; calloc's fresh pages
     * are committed on first touch, so a batch smaller than the limits (and predict's chunks)
     * costs only the memory it uses. No plane is read before it is written. */
    carve(e, &e->arena);
    DC_ALLOC(e->arena_block, e->arena.used + 64);
    e->arena.base = e->arena_block + (64 - (uintptr_t)e->arena_block % 64) % 64;
    e->arena.used = 0;
    carve(e, &e->arena);
    dc_dimenet_geom_constants(&e->geom, &e->layout.shape);
    e->freq_off = e->layout.tensors[dc_dimenet_layout_find(&e->layout, "rbf.freq")].offset;
    *engine = e;
    e = NULL;
cleanup:
    dc_dimenet_destroy(e);
    return rc;
}

void dc_dimenet_destroy(dc_dimenet *e)
{
    if (!e) return;
    for (int i = 0; i < e->sched.n_layers; i++) dc_dense_f32_destroy(&e->dense[i]);
    if (e->ctx.engine) dc_dnnl_fini(&e->ctx);
    free(e->arena_block);
    dc_dimenet_sched_free(&e->sched);
    dc_dimenet_layout_free(&e->layout);
    free(e);
}

/* ---- the planes of a buffer for the current batch ---- */
static int64_t n_of(const dc_dimenet *e, const dn_buf *b) { return e->rows[b->rows]; }
static int64_t size_of(const dc_dimenet *e, const dn_buf *b) { return n_of(e, b) * b->cols; }
static float *V0(const dc_dimenet *e, const dn_buf *b)
{
    (void)e;
    return b->v;
}
static float *V1(const dc_dimenet *e, const dn_buf *b) { return b->v + size_of(e, b); }
static float *A0(const dc_dimenet *e, const dn_buf *b)
{
    (void)e;
    return b->a;
}
static float *A1(const dc_dimenet *e, const dn_buf *b) { return b->a + size_of(e, b); }

static void to_double(double *y, const float *x, int64_t n)
{
    for (int64_t q = 0; q < n; q++) y[q] = (double)x[q];
}

/* DC_ERR_INPUT for a batch beyond the engine's limits or with an element it cannot embed. */
static int check_batch(const dc_dimenet *e, const dc_dimenet_batch *batch, dc_error *err)
{
    int rc = DC_OK;
    const dc_dimenet_graph *g = batch->graph;
    if (g->n_mol > e->max_mol || g->n_atoms > e->max_atoms || g->n_edges > e->max_edges ||
        g->n_triplets > e->max_triplets)
        DC_FAIL(DC_ERR_INPUT,
                "batch of %d molecules, %d atoms, %lld edges, %lld triplets exceeds the engine "
                "limits (%d, %d, %lld, %lld)",
                g->n_mol, g->n_atoms, (long long)g->n_edges, (long long)g->n_triplets, e->max_mol,
                e->max_atoms, (long long)e->max_edges, (long long)e->max_triplets);
    for (int a = 0; a < g->n_atoms; a++)
        if (batch->z[a] < 1 || batch->z[a] >= DC_DIMENET_EMBED_ROWS)
            DC_FAIL(DC_ERR_INPUT, "frame %d: atom %d has atomic number %d (DimeNet++ embeds 1..%d)",
                    g->mol[a], a, batch->z[a], DC_DIMENET_EMBED_ROWS - 1);
cleanup:
    return rc;
}

/* Checks the batch, takes its index arrays, builds the geometry and rounds the bases (v0). */
static int prepare(dc_dimenet *e, const dc_activation *act, const float *params,
                   const dc_dimenet_batch *batch, dc_error *err)
{
    int rc = DC_OK;
    const dc_dimenet_graph *g = batch->graph;
    DC_TRY(check_batch(e, batch, err));
    e->rows[DN_ROWS_ATOM] = g->n_atoms;
    e->rows[DN_ROWS_EDGE] = g->n_edges;
    e->rows[DN_ROWS_TRIP] = g->n_triplets;
    e->rows[DN_ROWS_MOL] = g->n_mol;
    e->idx[DN_IDX_EDGE_I] = g->edge_i;
    e->idx[DN_IDX_EDGE_J] = g->edge_j;
    e->idx[DN_IDX_KJ] = g->idx_kj;
    e->idx[DN_IDX_JI] = g->idx_ji;
    e->idx[DN_IDX_MOL] = g->mol;
    e->idx[DN_IDX_Z] = batch->z;
    const int irelu[DN_N_SITES] = {act->extent == DC_EXTENT_FULL, act->extent == DC_EXTENT_FULL,
                                   act->extent != DC_EXTENT_NONE};
    for (int s = 0; s < DN_N_SITES; s++)
        e->act[s] = (dn_act){.irelu = irelu[s], .c = (float)act->irelu_scale};
    e->graph = g;
    const dn_buf *rbf = &e->sched.bufs[e->sched.rbf], *sbf = &e->sched.bufs[e->sched.sbf];
    dc_dimenet_geom_forward(&e->geom, g, batch->pos, params + e->freq_off, V0(e, rbf), V0(e, sbf));
cleanup:
    return rc;
}

/* Pass 1: v0 of every op. */
static int forward(dc_dimenet *e, const float *params, dc_error *err)
{
    int rc = DC_OK;
    for (int i = 0; i < e->sched.n_ops; i++) {
        const dn_op *op = &e->sched.ops[i];
        const dn_buf *y = &e->sched.bufs[op->out];
        const dn_buf *x = op->in[0] >= 0 ? &e->sched.bufs[op->in[0]] : NULL;
        const dn_buf *z = op->in[1] >= 0 ? &e->sched.bufs[op->in[1]] : NULL;
        switch (op->kind) {
        case DN_DENSE:
            DC_TRY(dc_dense_f32_forward(&e->dense[op->layer], n_of(e, y), V0(e, x), params + op->w,
                                        op->b >= 0 ? params + op->b : NULL, V0(e, y), err));
            break;
        case DN_ACT:
            dc_dimenet_act_forward(e->act[op->site], V0(e, y), y->ds, y->ds + size_of(e, y),
                                   V0(e, x), size_of(e, y));
            break;
        case DN_ADD: dc_dimenet_add(V0(e, y), V0(e, x), V0(e, z), size_of(e, y)); break;
        case DN_MUL: dc_dimenet_mul(V0(e, y), V0(e, x), V0(e, z), size_of(e, y)); break;
        case DN_GATHER:
            dc_dimenet_gather(V0(e, y), V0(e, x), e->idx[op->idx], n_of(e, y), y->cols);
            break;
        case DN_SCATTER:
            dc_dimenet_scatter(V0(e, y), n_of(e, y), V0(e, x), e->idx[op->idx], n_of(e, x),
                               y->cols);
            break;
        case DN_CONCAT:
            dc_dimenet_concat(V0(e, y), V0(e, x), x->cols, V0(e, z), z->cols, n_of(e, y));
            break;
        case DN_EMBED:
            dc_dimenet_gather(V0(e, y), params + op->w, e->idx[op->idx], n_of(e, y), y->cols);
            break;
        case DN_TRIPLET:
            dc_dimenet_triplet(V0(e, y), n_of(e, y), V0(e, x), V0(e, z), e->idx[DN_IDX_KJ],
                               e->idx[DN_IDX_JI], n_of(e, z), y->cols);
            break;
        }
    }
cleanup:
    return rc;
}

/* Pass 2: a1 = -dE/dx of every position-dependent buffer, then the forces [N][3] in double. */
static int force_pass(dc_dimenet *e, const float *params, dc_error *err)
{
    int rc = DC_OK;
    dn_sched *sc = &e->sched;
    /* no zeroing: each adjoint's first writer overwrites (dn_op.assign); the position-independent
     * buffers get no a1 (never read) */
    const dn_buf *en = &sc->bufs[sc->energy];
    for (int64_t b = 0; b < n_of(e, en); b++) A1(e, en)[b] = -1.0f;
    for (int i = sc->n_ops - 1; i >= 0; i--) {
        const dn_op *op = &sc->ops[i];
        const dn_buf *y = &sc->bufs[op->out];
        if (y->const_pos) continue;
        const dn_buf *x = op->in[0] >= 0 ? &sc->bufs[op->in[0]] : NULL;
        const dn_buf *z = op->in[1] >= 0 ? &sc->bufs[op->in[1]] : NULL;
        const int dx = x && !x->const_pos, dz = z && !z->const_pos;
        switch (op->kind) {
        case DN_DENSE:
            if (dx)
                DC_TRY(dc_dense_f32_backward(&e->dense[op->layer], n_of(e, y), A1(e, y),
                                             params + op->w, A1(e, x), err));
            break;
        case DN_ACT:
            if (dx)
                dc_dimenet_mul_acc(op->assign[0], A1(e, x), A1(e, y), y->ds, NULL, NULL,
                                   size_of(e, y));
            break;
        case DN_ADD:
            if (dx) dc_dimenet_acc(op->assign[0], A1(e, x), A1(e, y), size_of(e, y));
            if (dz) dc_dimenet_acc(op->assign[1], A1(e, z), A1(e, y), size_of(e, y));
            break;
        case DN_MUL:
            if (dx)
                dc_dimenet_mul_acc(op->assign[0], A1(e, x), A1(e, y), V0(e, z), NULL, NULL,
                                   size_of(e, y));
            if (dz)
                dc_dimenet_mul_acc(op->assign[1], A1(e, z), A1(e, y), V0(e, x), NULL, NULL,
                                   size_of(e, y));
            break;
        case DN_GATHER:
            if (dx)
                dc_dimenet_gather_reverse(op->assign[0], A1(e, x), n_of(e, x), A1(e, y),
                                          e->idx[op->idx], n_of(e, y), y->cols);
            break;
        case DN_SCATTER:
            if (dx)
                dc_dimenet_scatter_reverse(op->assign[0], A1(e, x), A1(e, y), e->idx[op->idx],
                                           n_of(e, x), y->cols);
            break;
        case DN_CONCAT:
            dc_dimenet_concat_reverse(op->assign, dx ? A1(e, x) : NULL, x->cols,
                                      dz ? A1(e, z) : NULL, z->cols, A1(e, y), n_of(e, y));
            break;
        case DN_EMBED: break;
        case DN_TRIPLET:
            if (dx)
                dc_dimenet_triplet_reverse_x(op->assign[0], A1(e, x), n_of(e, x), A1(e, y),
                                             V0(e, z), NULL, NULL, e->idx[DN_IDX_KJ],
                                             e->idx[DN_IDX_JI], n_of(e, z), y->cols);
            if (dz)
                dc_dimenet_triplet_reverse_s(op->assign[1], A1(e, z), A1(e, y), V0(e, x), NULL,
                                             NULL, e->idx[DN_IDX_KJ], e->idx[DN_IDX_JI], n_of(e, z),
                                             y->cols);
            break;
        }
    }
    /* through the bases to the positions, in double */
    dc_dimenet_geom_forces(&e->geom, e->graph, A1(e, &sc->bufs[sc->rbf]), A1(e, &sc->bufs[sc->sbf]),
                           e->forces);
cleanup:
    return rc;
}

/* Pass 3: v1 along the positions' tangent e->seed [N][3]. */
static int tangent_pass(dc_dimenet *e, const float *params, dc_error *err)
{
    int rc = DC_OK;
    dn_sched *sc = &e->sched;
    dc_dimenet_geom_tangent(&e->geom, e->graph, e->seed, V1(e, &sc->bufs[sc->rbf]),
                            V1(e, &sc->bufs[sc->sbf]));
    for (int i = 0; i < sc->n_ops; i++) {
        const dn_op *op = &sc->ops[i];
        const dn_buf *y = &sc->bufs[op->out];
        if (y->const_pos) {
            memset(V1(e, y), 0, (size_t)size_of(e, y) * sizeof(float));
            continue;
        }
        const dn_buf *x = op->in[0] >= 0 ? &sc->bufs[op->in[0]] : NULL;
        const dn_buf *z = op->in[1] >= 0 ? &sc->bufs[op->in[1]] : NULL;
        switch (op->kind) {
        case DN_DENSE:
            DC_TRY(dc_dense_f32_tangent(&e->dense[op->layer], n_of(e, y), V1(e, x), params + op->w,
                                        V1(e, y), err));
            break;
        case DN_ACT: dc_dimenet_mul(V1(e, y), y->ds, V1(e, x), size_of(e, y)); break;
        case DN_ADD: dc_dimenet_add(V1(e, y), V1(e, x), V1(e, z), size_of(e, y)); break;
        case DN_MUL:
            dc_dimenet_mul_tangent(V1(e, y), V0(e, x), V1(e, x), V0(e, z), V1(e, z), size_of(e, y));
            break;
        case DN_GATHER:
            dc_dimenet_gather(V1(e, y), V1(e, x), e->idx[op->idx], n_of(e, y), y->cols);
            break;
        case DN_SCATTER:
            dc_dimenet_scatter(V1(e, y), n_of(e, y), V1(e, x), e->idx[op->idx], n_of(e, x),
                               y->cols);
            break;
        case DN_CONCAT:
            dc_dimenet_concat(V1(e, y), V1(e, x), x->cols, V1(e, z), z->cols, n_of(e, y));
            break;
        case DN_EMBED: break;
        case DN_TRIPLET:
            dc_dimenet_triplet_tangent(V1(e, y), n_of(e, y), V0(e, x), V1(e, x), V0(e, z), V1(e, z),
                                       e->idx[DN_IDX_KJ], e->idx[DN_IDX_JI], n_of(e, z), y->cols);
            break;
        }
    }
cleanup:
    return rc;
}

/* Pass 4: a0 from the energy seeds e->wmol [B], and grad [n_params] (zeroed here). */
static int grad_pass(dc_dimenet *e, const float *params, float *grad, dc_error *err)
{
    int rc = DC_OK;
    dn_sched *sc = &e->sched;
    memset(grad, 0, (size_t)e->layout.n_params * sizeof *grad);
    const dn_buf *en = &sc->bufs[sc->energy];
    for (int64_t b = 0; b < n_of(e, en); b++) A0(e, en)[b] = (float)e->wmol[b];
    for (int i = sc->n_ops - 1; i >= 0; i--) {
        const dn_op *op = &sc->ops[i];
        const dn_buf *y = &sc->bufs[op->out];
        const dn_buf *x = op->in[0] >= 0 ? &sc->bufs[op->in[0]] : NULL;
        const dn_buf *z = op->in[1] >= 0 ? &sc->bufs[op->in[1]] : NULL;
        const int64_t n = n_of(e, y), size = size_of(e, y);
        switch (op->kind) {
        case DN_DENSE: {
            const dc_dense_f32 *d = &e->dense[op->layer];
            if (op->in[0] != sc->sbf)
                DC_TRY(dc_dense_f32_backward(d, n, A0(e, y), params + op->w, A0(e, x), err));
            /* [a0; a1]^T [v0; v1]: both planes stacked, or the primal alone when v1 = 0 */
            DC_TRY(dc_dense_f32_wgrad(d, x->const_pos ? n : 2 * n, A0(e, y), V0(e, x), grad + op->w,
                                      err));
            if (op->b >= 0) dc_sum_rows(grad + op->b, A0(e, y), n, y->cols);
            break;
        }
        case DN_ACT:
            dc_dimenet_act_reverse0(op->assign[0], A0(e, x), A0(e, y), A1(e, y), y->ds,
                                    y->ds + size, V1(e, x), size);
            break;
        case DN_ADD:
            dc_dimenet_acc(op->assign[0], A0(e, x), A0(e, y), size);
            dc_dimenet_acc(op->assign[1], A0(e, z), A0(e, y), size);
            break;
        case DN_MUL:
            dc_dimenet_mul_acc(op->assign[0], A0(e, x), A0(e, y), V0(e, z), A1(e, y), V1(e, z),
                               size);
            dc_dimenet_mul_acc(op->assign[1], A0(e, z), A0(e, y), V0(e, x), A1(e, y), V1(e, x),
                               size);
            break;
        case DN_GATHER:
            dc_dimenet_gather_reverse(op->assign[0], A0(e, x), n_of(e, x), A0(e, y),
                                      e->idx[op->idx], n, y->cols);
            break;
        case DN_SCATTER:
            dc_dimenet_scatter_reverse(op->assign[0], A0(e, x), A0(e, y), e->idx[op->idx],
                                       n_of(e, x), y->cols);
            break;
        case DN_CONCAT:
            dc_dimenet_concat_reverse(op->assign, A0(e, x), x->cols, A0(e, z), z->cols, A0(e, y),
                                      n);
            break;
        case DN_EMBED:
            dc_dimenet_gather_reverse(0, grad + op->w, 0, A0(e, y), e->idx[op->idx], n, y->cols);
            break;
        case DN_TRIPLET:
            dc_dimenet_triplet_reverse_x(op->assign[0], A0(e, x), n_of(e, x), A0(e, y), V0(e, z),
                                         A1(e, y), V1(e, z), e->idx[DN_IDX_KJ], e->idx[DN_IDX_JI],
                                         n_of(e, z), y->cols);
            dc_dimenet_triplet_reverse_s(op->assign[1], A0(e, z), A0(e, y), V0(e, x), A1(e, y),
                                         V1(e, x), e->idx[DN_IDX_KJ], e->idx[DN_IDX_JI], n_of(e, z),
                                         y->cols);
            break;
        }
    }
    /* the trained frequency, in double */
    const dn_buf *rbf = &sc->bufs[sc->rbf];
    dc_dimenet_geom_freq_grad(&e->geom, e->graph, A0(e, rbf), A1(e, rbf), grad + e->freq_off);
cleanup:
    return rc;
}

/* Energies and forces of one batch (or chunk) in one go. */
static int predict_once(dc_dimenet *e, const dc_activation *act, const float *params,
                        const dc_dimenet_batch *batch, double *energy, double *forces,
                        dc_error *err)
{
    int rc = DC_OK;
    DC_TRY(prepare(e, act, params, batch, err));
    DC_TRY(forward(e, params, err));
    const dn_buf *en = &e->sched.bufs[e->sched.energy];
    if (energy) to_double(energy, V0(e, en), n_of(e, en));
    if (forces) {
        DC_TRY(force_pass(e, params, err));
        memcpy(forces, e->forces, 3 * (size_t)e->rows[DN_ROWS_ATOM] * sizeof *forces);
    }
cleanup:
    return rc;
}

/* e->sub = molecules b0 .. b1 - 1 (atoms a0 .. a1 - 1) of g, indices rebased to the chunk. */
static void chunk_graph(dc_dimenet *e, const dc_dimenet_graph *g, int b0, int b1, int a0, int a1)
{
    dc_dimenet_graph *c = &e->sub;
    const int64_t e0 = g->edge_off[b0], e1 = g->edge_off[b1];
    const int64_t t0 = g->trip_off[b0], t1 = g->trip_off[b1];
    c->n_mol = b1 - b0;
    c->n_atoms = a1 - a0;
    c->n_edges = e1 - e0;
    c->n_triplets = t1 - t0;
    for (int64_t k = e0; k < e1; k++) {
        c->edge_i[k - e0] = g->edge_i[k] - a0;
        c->edge_j[k - e0] = g->edge_j[k] - a0;
    }
    for (int64_t t = t0; t < t1; t++) {
        c->idx_kj[t - t0] = (int)(g->idx_kj[t] - e0);
        c->idx_ji[t - t0] = (int)(g->idx_ji[t] - e0);
    }
    for (int a = a0; a < a1; a++) c->mol[a - a0] = g->mol[a] - b0;
}

int dc_dimenet_predict(dc_dimenet *e, const dc_activation *act, const float *params,
                       const dc_dimenet_batch *batch, double *energy, double *forces, dc_error *err)
{
    int rc = DC_OK;
    const dc_dimenet_graph *g = batch->graph;
    if (g->n_edges <= DN_PREDICT_EDGES || g->n_mol <= 1 || !g->edge_off || !g->trip_off)
        return predict_once(e, act, params, batch, energy, forces, err);
    /* the whole batch's checks first, so that an error names its molecule in the batch */
    DC_TRY(check_batch(e, batch, err));
    for (int b0 = 0, a0 = 0; b0 < g->n_mol;) {
        int b1 = b0 + 1, a1 = a0;
        while (b1 < g->n_mol && g->edge_off[b1 + 1] - g->edge_off[b0] <= DN_PREDICT_EDGES) b1++;
        while (a1 < g->n_atoms && g->mol[a1] < b1) a1++;
        chunk_graph(e, g, b0, b1, a0, a1);
        const dc_dimenet_batch chunk = {.graph = &e->sub, .z = batch->z + a0,
                                        .pos = batch->pos + 3 * (int64_t)a0};
        DC_TRY(predict_once(e, act, params, &chunk, energy ? energy + b0 : NULL,
                            forces ? forces + 3 * (int64_t)a0 : NULL, err));
        b0 = b1, a0 = a1;
    }
cleanup:
    return rc;
}

int dc_dimenet_loss_grad(dc_dimenet *e, const dc_activation *act, const float *params,
                         const dc_dimenet_batch *batch, const dc_dimenet_loss *loss, double *energy,
                         double *forces, float *grad, dc_dimenet_loss_value *value, dc_error *err)
{
    int rc = DC_OK;
    if (!batch->energy_target || !batch->force_target)
        DC_FAIL(DC_ERR_INPUT, "DimeNet++ loss: the batch has no %s labels",
                batch->energy_target ? "force" : "energy");
    DC_TRY(prepare(e, act, params, batch, err));
    DC_TRY(forward(e, params, err));
    DC_TRY(force_pass(e, params, err));
    const dc_dimenet_graph *g = batch->graph;
    to_double(e->energy_d, V0(e, &e->sched.bufs[e->sched.energy]), g->n_mol);
    const dc_loss_batch lb = {.n_mol = g->n_mol, .n_atoms = g->n_atoms, .n_ghost = batch->n_ghost, .mol = g->mol,
                              .energy_target = batch->energy_target, .force_target = batch->force_target};
    double le, lf;
    dc_loss_seeds(loss->kind, loss->force_weight, &lb, e->energy_d, e->forces, e->wmol, e->seed, &le, &lf);
    if (energy) memcpy(energy, e->energy_d, (size_t)g->n_mol * sizeof *energy);
    if (forces) memcpy(forces, e->forces, 3 * (size_t)g->n_atoms * sizeof *forces);
    if (value) {
        value->energy_loss = le;
        value->force_loss = lf;
        value->total = le + loss->force_weight * lf;
    }
    if (grad) { /* NULL: the loss alone (an evaluation) */
        DC_TRY(tangent_pass(e, params, err));
        DC_TRY(grad_pass(e, params, grad, err));
    }
cleanup:
    return rc;
}
