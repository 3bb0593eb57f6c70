/* Private: the float DimeNet++ engine's static schedule (dimenet_engine_build.c), its loops
 * (dimenet_kernels.c), its double geometry (dimenet_engine_geom.c) and its passes
 * (dimenet_engine.c).
 *
 * The network is a list of float ops over buffers of four planes, each [rows][cols]:
 *   v0  the value,   v1  its tangent along the loss's force seed g (pass 3),
 *   a0  the adjoint of pass 4 (the gradient pass),   a1  the adjoint of pass 2 (seed -1 on every
 *       energy), so a1 = -dE/dx, which is also the adjoint of the tangent in pass 4
 *       (docs/model.md "Loss and its gradient": dS/dx' = -dE/dx).
 * v0|v1 and a0|a1 are contiguous (plane 1 starts at rows * cols for the batch's rows), so a
 * weight gradient is one product over the stacked [a0; a1]^T [v0; v1]. */
#ifndef DCSWEEP_DIMENET_ENGINE_IMPL_H
#define DCSWEEP_DIMENET_ENGINE_IMPL_H

#include <stdint.h>

#include "dc_arena.h"
#include "dc_dense_f32.h"
#include "dc_op.h"
#include "dcsweep/model/dimenet_engine.h"

/* What a buffer's rows count. */
enum { DN_ROWS_ATOM, DN_ROWS_EDGE, DN_ROWS_TRIP, DN_ROWS_MOL, DN_N_ROWS };
/* The index arrays of the batch an op reads. */
enum { DN_IDX_EDGE_I, DN_IDX_EDGE_J, DN_IDX_KJ, DN_IDX_JI, DN_IDX_MOL, DN_IDX_Z, DN_N_IDX };
/* Activation sites (DIMENET.md "Activations and the replacement extent"). */
enum { DN_SITE_EMB, DN_SITE_INT, DN_SITE_OUT, DN_N_SITES };

typedef enum {
    DN_DENSE,   /* y = x W^T (+ b) */
    DN_ACT,     /* y = s(x), s the site's activation */
    DN_ADD,     /* y = x + z */
    DN_MUL,     /* y = x * z, same shapes */
    DN_GATHER,  /* y [r] = x [idx[r]] */
    DN_SCATTER, /* y [row] = sum over r with idx[r] = row of x [r] */
    DN_CONCAT,  /* y [r] = [x [r], z [r]] */
    DN_EMBED,   /* y [r] = table [idx[r]] (a parameter; no tangent) */
} dn_kind;

typedef struct dn_buf {
    int rows;      /* DN_ROWS_* */
    int cols;
    int const_pos; /* 1: independent of the positions (tangent 0, no a1 needed) */
    float *v;      /* [2][rows][cols] value, tangent */
    float *a;      /* [2][rows][cols] adjoint of pass 4, of pass 2 */
} dn_buf;

typedef struct dn_op {
    dn_kind kind;
    int out, in[2];   /* buffer ids, -1: none */
    int64_t w, b;     /* parameter offsets (dense: weight [out][in], bias [out]; embed: table), -1 */
    int layer;        /* dense: its dc_dense_f32 in the engine's table */
    int site;         /* act: DN_SITE_* */
    int idx;          /* gather, scatter, embed: DN_IDX_* */
} dn_op;

/* A dense layer shape: one dc_dense_f32 per distinct (in, out, bias). */
typedef struct dn_layer_key {
    int in, out, bias;
} dn_layer_key;

#define DN_MAX_LAYERS 32

/* The schedule (built from the layout alone; no memory for the planes). */
typedef struct dn_sched {
    int n_bufs, cap_bufs;
    dn_buf *bufs;             /* [cap_bufs] */
    int n_ops, cap_ops;
    dn_op *ops;               /* [cap_ops] in forward order */
    int n_layers;
    dn_layer_key layers[DN_MAX_LAYERS];
    int rbf, sbf, energy;     /* buffer ids: inputs rbf [E][R], sbf [T][S R]; energies [B][1] */
    int failed;
} dn_sched;

/* DC_ERR_NOMEM / DC_ERR_INPUT (a name the layout lacks: a bug). */
int dn_sched_build(dn_sched *s, const dc_dimenet_layout *layout, dc_error *err);
void dn_sched_free(dn_sched *s);

/* The geometry in double on the kit's ops, for one batch: positions -> rbf [E][R] (with the
 * trained frequency, a view of freq [R]), sbf [T][S R]. */
typedef struct dn_geom {
    dc_sched s;
    int pos, rbf, sbf;  /* buffer ids */
    int rbf_op;         /* the dimenet_rbf op's index */
    double *freq;       /* [R] the frequency in double, then its gradient [R] */
} dn_geom;

int dn_geom_build(dn_geom *g, const dc_dimenet_shape *shape, const dc_dimenet_graph *graph,
                  dc_error *err);
void dn_geom_free(dn_geom *g);

/* An activation site in float. */
typedef struct dn_act {
    int irelu;
    float c;
} dn_act;

struct dc_dimenet {
    dc_dimenet_layout layout;
    int max_mol, max_atoms;
    int64_t max_edges, max_triplets;
    int64_t max_rows[DN_N_ROWS];
    dn_sched sched;
    dc_dnnl ctx;
    dc_dense_f32 dense[DN_MAX_LAYERS]; /* by dn_sched.layers */
    double flops_done;
    dc_arena arena;
    dn_geom geom;
    int geom_built;
    /* per call */
    int64_t rows[DN_N_ROWS];
    const int *idx[DN_N_IDX];
    dn_act act[DN_N_SITES];
    double *forces, *seed;  /* [max_atoms][3] each */
    double *wmol;           /* [max_mol] */
    float *embed_grad;      /* [95][H]: the table's gradient, added row by row */
};

/* ---- the loops (dimenet_kernels.c); n elements or rows, c columns ---- */
void dn_act_forward(dn_act a, float *y, const float *x, int64_t n);
/* y1 = s'(x0) x1 */
void dn_act_tangent(dn_act a, float *y1, const float *x0, const float *x1, int64_t n);
/* xa1 += ya1 s'(x0) */
void dn_act_reverse1(dn_act a, float *xa1, const float *ya1, const float *x0, int64_t n);
/* xa0 += ya0 s'(x0) + ya1 s''(x0) x1 */
void dn_act_reverse0(dn_act a, float *xa0, const float *ya0, const float *ya1, const float *x0,
                     const float *x1, int64_t n);
/* y = x + z */
void dn_add(float *y, const float *x, const float *z, int64_t n);
/* x += y */
void dn_acc(float *x, const float *y, int64_t n);
/* y = x * z */
void dn_mul(float *y, const float *x, const float *z, int64_t n);
/* y = x0 * z1 + x1 * z0 */
void dn_mul_tangent(float *y, const float *x0, const float *x1, const float *z0, const float *z1,
                    int64_t n);
/* x += y0 * z0 (+ y1 * z1 when y1 non-NULL) */
void dn_mul_acc(float *x, const float *y0, const float *z0, const float *y1, const float *z1,
                int64_t n);
/* y [n][c] = x [idx[r]] */
void dn_gather(float *y, const float *x, const int *idx, int64_t n, int c);
/* x [idx[r]] += y [r], r in order */
void dn_gather_reverse(float *x, const float *y, const int *idx, int64_t n, int c);
/* y [rows][c] = 0, then y [idx[r]] += x [r], r in order */
void dn_scatter(float *y, int64_t rows, const float *x, const int *idx, int64_t n, int c);
/* x [r] += y [idx[r]] */
void dn_scatter_reverse(float *x, const float *y, const int *idx, int64_t n, int c);
/* y [n][a + b] = [x [n][a], z [n][b]] */
void dn_concat(float *y, const float *x, int a, const float *z, int b, int64_t n);
/* x += y [:, 0:a], z += y [:, a:a+b] (either may be NULL) */
void dn_concat_reverse(float *x, int a, float *z, int b, const float *y, int64_t n);

#endif
