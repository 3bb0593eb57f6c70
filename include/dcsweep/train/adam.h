/* Adam (docs/model.md "Initialisation and optimiser"): beta1 0.9, beta2 0.999, eps 1e-8 outside the
 * square root, bias-corrected, optional L2 weight decay added to the gradient (as the
 * weight_decay of torch.optim.Adam, not AdamW). Parameters, gradients and the moments m and v are
 * each one flat float buffer of n values, in the layout of the model's parameters (any family). */
#ifndef DCSWEEP_ADAM_H
#define DCSWEEP_ADAM_H

#include <stdint.h>

#include "dcsweep/core/error.h"

#define DC_ADAM_BETA1 0.9
#define DC_ADAM_BETA2 0.999
#define DC_ADAM_EPS 1e-8

typedef struct dc_adam {
    int64_t n;            /* parameters */
    int64_t t;            /* steps taken so far (the next step is t + 1) */
    double beta1, beta2, eps;
    double weight_decay;  /* L2 coefficient added to the gradient; 0 = none */
    float *m;             /* [n] first moment */
    float *v;             /* [n] second moment */
} dc_adam;

int dc_adam_init(dc_adam *adam, int64_t n, double weight_decay, dc_error *err);
void dc_adam_free(dc_adam *adam);

/* Back to step 0 with zero moments (a new run reuses the buffers). */
void dc_adam_reset(dc_adam *adam);

/* One step: params[n] -= lr * mhat / (sqrt(vhat) + eps). grad is not modified. */
void dc_adam_step(dc_adam *adam, float *params, const float *grad, double lr);

/* The same update in double precision on caller-owned moments m[n], v[n], as step number t
 * (1-based): the reference path that tests compare the float path against. */
void dc_adam_step_f64(const dc_adam *adam, int64_t t, double *params, const double *grad, double *m,
                      double *v, double lr);

#endif
