/* Private: what the double reference and the float engine share. Both compute the loss and its
 * seeds in double from the network's outputs, so that the two differ only in the network's
 * arithmetic. */
#ifndef DCSWEEP_PINN_INTERNAL_H
#define DCSWEEP_PINN_INTERNAL_H

#include "dcsweep/model/pinn.h"

/* Typed views of the PINN's parameters (or of a gradient) in the flat buffer (dc_layout.h),
 * filled in layout order by pinn_common.c's one description. Layer l < depth is hidden layer l:
 * weight [W][in] (in = 2, (x, t), for l = 0, else W), bias [W]; layer depth is the output layer:
 * weight [1][W], bias [1]. */
typedef struct dc_pinn_dense_params {
    float *weight; /* [out][in] */
    float *bias;   /* [out] */
} dc_pinn_dense_params;

typedef struct dc_pinn_params {
    dc_pinn_dense_params layer[DC_PINN_MAX_DEPTH + 1]; /* the first depth + 1 */
} dc_pinn_params;

/* Points v into buffer [n_params] (parameters or a gradient) for a checked shape (one that
 * dc_pinn_layout_init accepts). A view of a const buffer is for reading only. */
void dc_pinn_params_view(dc_pinn_params *v, const dc_pinn_shape *shape, float *buffer);

/* Offsets of layer l's weight and bias in the flat buffer; l = depth is the output layer. */
static inline int64_t dc_pinn_weight_offset(const dc_pinn_layout *layout, int l)
{
    return layout->tensors[2 * l].offset;
}
static inline int64_t dc_pinn_bias_offset(const dc_pinn_layout *layout, int l)
{
    return layout->tensors[2 * l + 1].offset;
}

/* The training tangent direction. r' = u'_t + beta u'_x is the derivative of u' along
 * v = (beta, 1) in (x, t), so one forward-mode tangent carries the whole residual. */
static inline void dc_pinn_residual_direction(double beta, double v[2])
{
    v[0] = beta;
    v[1] = 1.0;
}

/* The loss of docs/pinn.md from the network's outputs u' [N] and r' [N] at the problem's points, and
 * the seeds of the reverse pass: ubar [N] = dL/du'_i, rbar [N] = dL/dr'_i (either may be NULL). */
void dc_pinn_loss_seeds(const dc_pinn_problem *p, const double *u, const double *r, double *ubar,
                        double *rbar, dc_pinn_loss *loss);

#endif
