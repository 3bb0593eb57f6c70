/* DimeNet++ (../shared/spec/DIMENET.md: PyTorch Geometric's DimeNetPlusPlus): its graph of edges
 * and triplets, its parameter layout (PyG's state_dict names and shapes), and the double-precision
 * reference (energies, forces = -dE/dr, the exact gradient of the force-training loss) as a static
 * op schedule of the kit. For the family's tests and, later, its registry entry. */
#ifndef DCSWEEP_MODEL_DIMENET_H
#define DCSWEEP_MODEL_DIMENET_H

#include <stdint.h>
#include <stdio.h>

#include "dcsweep/config/config.h"
#include "dcsweep/core/error.h"
#include "dcsweep/model/model.h"

/* The hyperparameters, by PyG's names; out_channels is 1. */
typedef struct dc_dimenet_shape {
    int hidden;            /* H hidden_channels */
    int out_emb;           /* O out_emb_channels */
    int int_emb;           /* I int_emb_size */
    int basis_emb;         /* Bm basis_emb_size */
    int num_spherical;     /* S (>= 2) */
    int num_radial;        /* R */
    double cutoff;         /* c (Angstrom) */
    int envelope_exponent; /* p_env (the envelope's p = p_env + 1) */
    int num_blocks;        /* NB interaction blocks (NB + 1 output blocks) */
    int num_before_skip, num_after_skip, num_output_layers;
} dc_dimenet_shape;

/* The default size (the DimeNet++ paper's, PyG's QM9 configuration): 1,885,830 parameters. */
dc_dimenet_shape dc_dimenet_shape_default(void);

#define DC_DIMENET_EMBED_ROWS 95 /* the embedding is indexed by the atomic number 1..94 */
#define DC_DIMENET_NAME_MAX 64

/* ---- the graph (dimenet_graph.c) ---- */

/* Edges e = (j -> i), every ordered pair i != j of one molecule with |r_i - r_j|^2 < c^2, sorted
 * by (i, j); triplets t = (k -> j -> i), k != i, as edge pairs (idx_kj, idx_ji), sorted by ji, then
 * k. Indices are global over the batch (atoms and edges of molecule b follow those of b - 1).
 * Built once per batch and kept (the arrays grow, never shrink, over builds). */
typedef struct dc_dimenet_graph {
    int n_mol, n_atoms;
    int64_t n_edges, n_triplets;
    int *edge_i, *edge_j;           /* [n_edges] target, source atom */
    int *idx_kj, *idx_ji;           /* [n_triplets] */
    int *mol;                       /* [n_atoms] the molecule of each atom */
    int64_t *edge_off, *trip_off;   /* [n_mol + 1] each molecule's first edge, first triplet */
    int64_t cap_edges, cap_triplets, cap_atoms, cap_mol;
} dc_dimenet_graph;

void dc_dimenet_graph_init(dc_dimenet_graph *g);
/* atom_off [n_mol + 1]: molecule b is atoms atom_off[b] .. atom_off[b+1] - 1; pos [n_atoms][3].
 * DC_ERR_INPUT naming the frame (molecule index + frame_base) for coincident atoms (d = 0: the
 * envelope's 1/x is singular) and non-finite positions. */
int dc_dimenet_graph_build(dc_dimenet_graph *g, int n_mol, const int *atom_off, const double *pos,
                           double cutoff, int frame_base, dc_error *err);
void dc_dimenet_graph_free(dc_dimenet_graph *g);

/* ---- the parameter layout (dimenet_layout.c) ---- */

/* One tensor of the flat double buffer, by PyG's state_dict name and shape (ndim 1: (dims[0],),
 * biases and rbf.freq; ndim 2: (out, in) weights, y = x W^T + b). */
typedef struct dc_dimenet_tensor {
    char name[DC_DIMENET_NAME_MAX];
    int64_t offset;
    int ndim;
    int64_t dims[2];
} dc_dimenet_tensor;

typedef struct dc_dimenet_layout {
    dc_dimenet_shape shape;
    int n_tensors;
    dc_dimenet_tensor *tensors; /* [n_tensors] in PyG's state_dict order */
    int64_t n_params;
} dc_dimenet_layout;

/* DC_ERR_INPUT for a shape out of range. */
int dc_dimenet_layout_init(dc_dimenet_layout *layout, const dc_dimenet_shape *shape,
                           dc_error *err);
void dc_dimenet_layout_free(dc_dimenet_layout *layout);
/* Index of the tensor called name, or -1. */
int dc_dimenet_layout_find(const dc_dimenet_layout *layout, const char *name);
static inline int64_t dc_dimenet_tensor_size(const dc_dimenet_tensor *t)
{
    return t->ndim == 1 ? t->dims[0] : t->dims[0] * t->dims[1];
}
/* PyG's initialisation from a seed (DIMENET.md "Initialisation": output_initializer "zeros"):
 * freq (n+1) pi, emb U(-sqrt 3, sqrt 3), the embedding block's Linear layers PyTorch's default,
 * every other weight glorot_orthogonal with scale 2, other biases 0, output lin 0. */
int dc_dimenet_init_params(const dc_dimenet_layout *layout, uint64_t seed, double *params,
                           dc_error *err);

/* The Bessel zeros z [S][R] of j_0..j_{S-1}, rounded to float32 (as PyG keeps them), and the
 * normalisers N [S][R] = 1 / sqrt(0.5 j_{l+1}(z)^2) computed in double from the rounded zeros. */
void dc_dimenet_bessel_constants(int S, int R, double *z, double *N);

/* ---- the double reference (dimenet_ref.c) ---- */

typedef struct dc_dimenet_loss {
    dc_loss kind;         /* l1 | mse */
    double force_weight;  /* alpha */
} dc_dimenet_loss;

/* The reference network for one graph and its atomic numbers (both borrowed: they outlive it). */
typedef struct dc_dimenet_ref {
    void *impl;
} dc_dimenet_ref;

/* z [n_atoms] atomic numbers 1..94 (DC_ERR_INPUT otherwise). */
int dc_dimenet_ref_init(dc_dimenet_ref *net, const dc_dimenet_layout *layout,
                        const dc_activation *act, const dc_dimenet_graph *graph, const int *z,
                        dc_error *err);
void dc_dimenet_ref_free(dc_dimenet_ref *net);
/* Energies [n_mol] and forces [n_atoms][3] (either may be NULL) at positions pos [n_atoms][3]. */
void dc_dimenet_ref_energy_forces(dc_dimenet_ref *net, const double *params, const double *pos,
                                  double *energy, double *forces);
/* Energies, forces, the loss (mean_b |dE| + alpha mean_{a,x} |dF|, or squared) against the targets
 * E_t [n_mol], F_t [n_atoms][3], and (grad non-NULL) its exact gradient [n_params]. */
void dc_dimenet_ref_loss(dc_dimenet_ref *net, const double *params, const double *pos,
                         const dc_dimenet_loss *loss, const double *E_t, const double *F_t,
                         double *energy, double *forces, double *loss_value, double *grad);
/* The last n_ghost (0 or 1) molecules of its graph are ghosts, lone atoms whose energy
 * dc_dimenet_ref_loss subtracts from every other molecule once per atom (dc_loss.h). */
void dc_dimenet_ref_set_ghosts(dc_dimenet_ref *net, int n_ghost);
/* The intermediate of the last evaluation called name ("dist", "rbf", "cos", "sbf", "m_emb",
 * "m_int0", ...: the schedule's buffers) and its rows and columns, or NULL. */
const double *dc_dimenet_ref_buffer(const dc_dimenet_ref *net, const char *name, int64_t *rows,
                                    int *cols);

/* ---- the family behind the model interface (dimenet_family.c, dimenet_model.c) ---- */

/* Its sweep keys (config/family.h) and the shape a loaded sweep sets. */
extern const dc_family dc_dimenet_family;
void dc_dimenet_shape_from_sweep(dc_dimenet_shape *shape, const dc_sweep *sweep);
int dc_dimenet_describe(const dc_sweep *sweep, dc_describe what, FILE *out, dc_error *err);
extern const dc_model_ops dc_dimenet_model_ops;
extern const dc_potential_ops dc_dimenet_potential_ops;

#endif
