/* SchNet of docs/model.md (PyTorch-Geometric layout): parameters, energies, forces and
 * the exact gradient of the energy+force loss (a second derivative, see docs/model.md "Loss and its gradient").
 *
 * Two implementations of the same function:
 *   - dc_schnet_ref_*: plain C in double precision, the reference that tests check against the
 *     golden file and finite differences;
 *   - dc_schnet_*: the float engine on oneDNN matmuls that the trainer uses.
 * All parameters live in one flat buffer (so Adam and MPI see one array); dc_schnet_layout says
 * where each named tensor (names as in the golden file) sits in it. Knows nothing of files. */
#ifndef DCSWEEP_SCHNET_H
#define DCSWEEP_SCHNET_H

#include <stdint.h>

#include "dcsweep/config/config.h"
#include "dcsweep/core/error.h"
#include "dcsweep/model/model.h"

#define DC_MAX_INTERACTIONS 16  /* model.interactions: the most interaction blocks a model may have */

typedef struct dc_schnet_shape {
    int n_types;       /* number of element types */
    int features;      /* F */
    int filters;       /* nf */
    int interactions;  /* T */
    int gaussians;     /* G */
    double cutoff;     /* Angstrom */
} dc_schnet_shape;

typedef struct dc_schnet_layout {
    int64_t n_params;
    int n_tensors;
    dc_tensor tensors[2 + DC_MAX_INTERACTIONS * 9 + 4];
} dc_schnet_layout;

int dc_schnet_layout_init(dc_schnet_layout *layout, const dc_schnet_shape *shape, dc_error *err);
/* Index of the tensor called name, or -1. */
int dc_schnet_layout_find(const dc_schnet_layout *layout, const char *name);

/* docs/model.md initialisation from seed alone: embedding N(0,1), dense weights Xavier-uniform, biases 0. */
void dc_schnet_init_params(const dc_schnet_layout *layout, uint64_t seed, float *params);

/* One batch of molecules. Atom and molecule indices are local to the batch. */
typedef struct dc_batch {
    int n_mol;
    int n_atoms;
    int64_t n_edges;
    const int *types;            /* [n_atoms] type index */
    const int *mol;              /* [n_atoms] molecule of each atom, non-decreasing */
    const double *pos;           /* [n_atoms][3] Angstrom */
    const int *src;              /* [n_edges] j: message source */
    const int *dst;              /* [n_edges] i: message destination; edges sorted by dst, and
                                  * j -> i and i -> j both present, once (the edges of docs/model.md) */
    const double *energy_target; /* [n_mol] scaled labels (may be NULL for prediction only) */
    const double *force_target;  /* [n_atoms][3] scaled labels (may be NULL for prediction only) */
    /* 0, or the last n_ghost molecules (and atoms) are isolated atoms of types 0..n_ghost-1, one
     * each and without edges: a molecule's energy is then its atoms' sum minus each atom's
     * isolated-atom energy, so that an isolated atom is at 0 (docs/model.md, "Isolated atoms").
     * Their labels are unused and the loss is over the other molecules and atoms. */
    int n_ghost;
} dc_batch;

typedef struct dc_loss_spec {
    dc_loss kind;         /* l1 | mse */
    double force_weight;  /* alpha */
} dc_loss_spec;

/* The two loss terms of docs/model.md in scaled units (alpha not applied) and the total. */
typedef struct dc_loss_value {
    double energy_loss;  /* mean_b |dE'| or mean_b dE'^2 */
    double force_loss;   /* mean_{i,xyz} |dF'| or (dF')^2 */
    double total;        /* energy_loss + alpha * force_loss */
} dc_loss_value;

/* ---- shared by both engines: per-edge inputs and loss seeds (schnet_common.c) ---- */

/* Quantities of each edge that depend on positions only, so they can be computed once per batch
 * (docs/model.md, "Loss and its gradient"): length d [n_edges], unit vector u = (r_dst - r_src) / d
 * [n_edges][3], radial basis rbf [n_edges][G] and its derivative drbf = de/dd [n_edges][G], cosine
 * cutoff fc [n_edges] and dfc = dfc/dd [n_edges]. Any output may be NULL. Fails (DC_ERR_INPUT) on
 * an edge of zero length or an atom index out of range. */
int dc_schnet_edge_geometry(const dc_schnet_shape *shape, const dc_batch *batch, double *d, double *u,
                            double *rbf, double *drbf, double *fc, double *dfc, dc_error *err);

/* The loss of docs/model.md for predictions energy [n_mol], forces [n_atoms][3] against the batch's
 * targets, and the seeds of docs/model.md "Loss and its gradient": w [n_mol] = dL_E/dE_b, g [n_atoms][3] = alpha dL_F/dF_i,
 * with sign(0) = 0 for l1. w, g and value may be NULL. */
void dc_schnet_loss_seeds(const dc_loss_spec *loss, const dc_batch *batch, const double *energy,
                          const double *forces, double *w, double *g, dc_loss_value *value);

/* A batch with ghosts (n_ghost > 0): each of the first n_mol - n_ghost energies minus its atoms'
 * isolated-atom energies (the ghosts' entries of energy, left as they are). */
void dc_schnet_subtract_isolated(const dc_batch *batch, double *energy);
/* Whether the activation site uses IReLU (docs/model.md table); site 0 filter, 1 interaction, 2 output. */
int dc_schnet_activation_is_irelu(const dc_activation *act, int site);

/* ---- reference, double precision, plain C ---- */

/* Energies [n_mol] and forces [n_atoms][3]; if grad is not NULL, also the loss and its gradient
 * with respect to every parameter ([layout.n_params], overwritten). energy/forces may be NULL.
 * loss_value (may be NULL) is filled whenever loss and the batch's targets are given. */
int dc_schnet_ref_eval(const dc_schnet_shape *shape, const dc_activation *act, const double *params,
                       const dc_batch *batch, const dc_loss_spec *loss, double *energy,
                       double *forces, double *grad, dc_loss_value *loss_value, dc_error *err);

/* ---- float engine on oneDNN ---- */

/* The float engine's numerics: bumped whenever its results change in the last bits (the same
 * inputs, other float32 rounding), so that a results file never mixes runs of two versions.
 *   1: the engine up to the filter network per ordered edge;
 *   2: one filter network evaluation per unordered atom pair, used for both of its edges;
 *   3: the radial basis and sigmoid flushed to 0 below 2^-64 (no subnormal products);
 *   4: the filter's derivative in the pair length, fd = (act'(a1) drbf W1^T) W2^T, computed in the
 *      forward and used by the force pass (no filter matmul there) and the tangent (f' = d' fd);
 *      the matmuls through dnnl_sgemm with the bias added after the product (the same bits at
 *      the default size, not at the paper's). */
#define DC_SCHNET_NUMERICS_VERSION 4

typedef struct dc_schnet dc_schnet; /* matmuls (set up once), workspaces sized for the limits */

/* Limits are the largest batch the engine will be given; matmuls use runtime dimensions for
 * atom and pair counts so one engine serves every batch up to them. */
int dc_schnet_create(dc_schnet **engine, const dc_schnet_shape *shape, int max_mol, int max_atoms,
                     int64_t max_edges, dc_error *err);
void dc_schnet_destroy(dc_schnet *engine);

/* Prediction only: energies [n_mol], forces [n_atoms][3] (either may be NULL). */
int dc_schnet_predict(dc_schnet *engine, const dc_activation *act, const float *params,
                      const dc_batch *batch, double *energy, double *forces, dc_error *err);

/* One training step's gradient: predictions (may be NULL), loss and grad [n_params] (overwritten). */
int dc_schnet_loss_grad(dc_schnet *engine, const dc_activation *act, const float *params,
                        const dc_batch *batch, const dc_loss_spec *loss, double *energy,
                        double *forces, float *grad, dc_loss_value *loss_value, dc_error *err);

/* Floating-point operations of one dc_schnet_loss_grad call on a batch with these counts: the
 * matmuls as the engine executes them (docs/performance.md); n_edges counts both directions. */
double dc_schnet_step_flops(const dc_schnet_shape *shape, int n_mol, int n_atoms, int64_t n_edges);
/* The matmul FLOPs this engine has executed since its creation (2 m k n per oneDNN execution, as
 * asked for): over one loss_grad call, exactly dc_schnet_step_flops (tested). */
double dc_schnet_flops_done(const dc_schnet *engine);

/* SchNet behind the model interface (schnet_model.c): its splits, batches and metrics. */
extern const dc_model_ops dc_schnet_model_ops;

/* Its sweep keys (config/family.h, schnet_family.c), and the shape a loaded sweep sets. */
extern const dc_family dc_schnet_family;
void dc_schnet_shape_from_sweep(dc_schnet_shape *shape, int n_types, const dc_sweep *sweep);
/* dc_model_ops.potential (schnet_potential.c). */
extern const dc_potential_ops dc_schnet_potential_ops;
/* dc_model_ops.describe. */
int dc_schnet_describe(const dc_sweep *sweep, dc_describe what, FILE *out, dc_error *err);

#endif
