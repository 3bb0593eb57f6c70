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
#include "dimenet_kernels.h"
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
    DN_TRIPLET, /* y [e] = sum over triplets t with idx_ji[t] = e of x [idx_kj[t]] * z [t]:
                   x [E][I] per edge, z [T][I] per triplet (no [T][I] intermediate) */
} dn_kind;

typedef struct dn_buf {
    int rows;      /* DN_ROWS_* */
    int cols;
    int const_pos; /* 1: independent of the positions (tangent 0, no a1 needed) */
    float *v;      /* [2][rows][cols] value, tangent */
    float *a;      /* [2][rows][cols] adjoint of pass 4, of pass 2 */
    float *ds;     /* an activation's output: [2][rows][cols] s'(x), s''(x) from pass 1;
                      else NULL */
} dn_buf;

typedef struct dn_op {
    dn_kind kind;
    int out, in[2];   /* buffer ids, -1: none */
    int64_t w, b;     /* parameter offsets (dense: weight [out][in], bias [out]; embed: table);
                         -1: none */
    int layer;        /* dense: its dc_dense_f32 in the engine's table */
    int site;         /* act: DN_SITE_* */
    int idx;          /* gather, scatter, embed: DN_IDX_* */
    int assign[2];    /* the reverse passes reach in[k] here first (its last consumer in forward
                         order): this op's adjoint overwrites, the other consumers add, so no
                         adjoint plane is ever zeroed */
} dn_op;

/* A dense layer shape: one dc_dense_f32 per distinct (in, out, bias, backward adds). */
typedef struct dn_layer_key {
    int in, out, bias, bwd_add;
} dn_layer_key;

#define DN_MAX_LAYERS 32

/* predict runs a batch in chunks of consecutive molecules of at most this many edges (or one
 * molecule): an engine sized for large evaluation batches touches the memory of a chunk only
 * (about 25 MB per ethanol molecule at the default size with every plane, 3.5 of them here) */
#define DN_PREDICT_EDGES 2048

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
int dc_dimenet_sched_build(dn_sched *s, const dc_dimenet_layout *layout, dc_error *err);
void dc_dimenet_sched_free(dn_sched *s);

/* The geometry in double (dimenet_engine_geom.c), in the engine's arena: E, T the batch's edges
 * and triplets. */
typedef struct dn_geom {
    int S, R, p;        /* num_spherical, num_radial, the envelope's p = exponent + 1 */
    double cutoff;
    double *z, *N;      /* [S][R] the Bessel zeros (float32-rounded) and normalisers */
    double *K;          /* [S] sqrt((2l + 1) / 4 pi) */
    double *vec, *d;    /* [E][3] r_i - r_j, [E] its length */
    double *dt;         /* [E] the length's tangent along the force seed */
    double *drbf;       /* [E][R] d rbf / dd */
    double *rbf_f;      /* [E][R] d rbf / df_n */
    double *rbf_fd;     /* [E][R] d^2 rbf / (df_n dd) */
    double *rad, *drad; /* [E][S R] u N_ln j_l(z_ln x) and its derivative in d */
    double *dcos;       /* [T][6] d cos theta / d vec_ji, d vec_kj */
    double *ang, *dang; /* [T][S] K_l P_l(cos theta) and its derivative in cos theta */
    double *dbar;       /* [E] adjoint of d */
    double *vbar, *vt;  /* [E][3] adjoint of vec (angles), tangent of vec */
} dn_geom;

void dc_dimenet_geom_carve(dn_geom *g, dc_arena *ar, const dc_dimenet_shape *sh,
                           int64_t max_edges, int64_t max_trip);
/* After the carve: the shape's constants (the Bessel zeros, normalisers, K_l). */
void dc_dimenet_geom_constants(dn_geom *g, const dc_dimenet_shape *sh);
/* rbf [E][R], sbf [T][S R] (float) from the positions [N][3] and the frequency [R]. */
void dc_dimenet_geom_forward(dn_geom *g, const dc_dimenet_graph *gr, const double *pos,
                             const float *freq, float *rbf, float *sbf);
/* forces [N][3] = sum rbf_a drbf/dr + sbf_a dsbf/dr for the adjoints rbf_a [E][R],
 * sbf_a [T][S R]. */
void dc_dimenet_geom_forces(dn_geom *g, const dc_dimenet_graph *gr, const float *rbf_a,
                            const float *sbf_a, double *forces);
/* The tangents rbf_t, sbf_t along the positions' seed [N][3]. */
void dc_dimenet_geom_tangent(dn_geom *g, const dc_dimenet_graph *gr, const double *seed,
                             float *rbf_t, float *sbf_t);
/* grad [R] (overwritten) of the frequency: sum over edges of a0 d rbf/df + a1 d rbf'/df, with a0,
 * a1 [E][R] the adjoints of rbf and of its tangent; after dc_dimenet_geom_tangent. */
void dc_dimenet_geom_freq_grad(const dn_geom *g, const dc_dimenet_graph *gr, const float *a0,
                               const float *a1, float *grad);


struct dc_dimenet {
    dc_dimenet_layout layout;
    int max_mol, max_atoms;
    int64_t max_edges, max_triplets;
    int64_t max_rows[DN_N_ROWS];
    dn_sched sched;
    dc_dnnl ctx;
    dc_dense_f32 dense[DN_MAX_LAYERS]; /* by dn_sched.layers */
    double flops_done;
    dc_arena arena;          /* its slices, in arena_block (calloc: pages committed when used) */
    unsigned char *arena_block;
    dn_geom geom;
    int64_t freq_off;       /* rbf.freq's offset in the parameters */
    const dc_dimenet_graph *graph; /* of the current call */
    /* per call */
    int64_t rows[DN_N_ROWS];
    const int *idx[DN_N_IDX];
    dn_act act[DN_N_SITES];
    double *forces, *seed;  /* [max_atoms][3] each */
    double *wmol;           /* [max_mol] */
    double *energy_d;       /* [max_mol] the energies in double, for the loss */
    dc_dimenet_graph sub;   /* predict's chunk of the batch: its arrays [max_edges] edge_i, edge_j,
                               [max_triplets] idx_kj, idx_ji, [max_atoms] mol, rebased */
};

#endif
