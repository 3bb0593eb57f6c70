/* Adam on one flat parameter buffer. The float path does its arithmetic in float, as
 * torch.optim.Adam does on float32 tensors; the bias corrections are computed once per step in
 * double so that they do not lose digits as beta^t approaches 1. */
#include "dcsweep/train/adam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int dc_adam_init(dc_adam *adam, int64_t n, double weight_decay, dc_error *err)
{
    int rc = DC_OK;
    memset(adam, 0, sizeof *adam);
    if (n < 1 || !(weight_decay >= 0.0) || !isfinite(weight_decay))
        DC_FAIL(DC_ERR_INPUT, "Adam: need n >= 1 parameters and a finite weight decay >= 0 "
                              "(got n %lld, weight decay %g)", (long long)n, weight_decay);
    adam->n = n;
    adam->beta1 = DC_ADAM_BETA1;
    adam->beta2 = DC_ADAM_BETA2;
    adam->eps = DC_ADAM_EPS;
    adam->weight_decay = weight_decay;
    DC_ALLOC(adam->m, n);
    DC_ALLOC(adam->v, n);
    return DC_OK;
cleanup:
    dc_adam_free(adam);
    return rc;
}

void dc_adam_free(dc_adam *adam)
{
    if (!adam) return;
    free(adam->m);
    free(adam->v);
    memset(adam, 0, sizeof *adam);
}

void dc_adam_reset(dc_adam *adam)
{
    adam->t = 0;
    memset(adam->m, 0, (size_t)adam->n * sizeof *adam->m);
    memset(adam->v, 0, (size_t)adam->n * sizeof *adam->v);
}

/* The update in one clone per vector width, as the engines' kernels: products, sums, the square
 * root and the division are correctly rounded in every clone and ISO C mode keeps
 * -ffp-contract=off, so every clone gives the same bits. The library is built with
 * -fno-math-errno (src/train/meson.build), without which sqrtf stays a scalar call: its argument
 * is >= 0, or NaN in a diverged run, where the result is NaN either way. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DC_ADAM_KERNEL __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DC_ADAM_KERNEL
#endif

DC_ADAM_KERNEL static void adam_update(float *restrict params, const float *restrict grad,
                                       float *restrict m, float *restrict v, int64_t n, float b1,
                                       float b2, float one_b1, float one_b2, float step,
                                       float inv_bc2, float eps, float wd)
{
    for (int64_t k = 0; k < n; k++) {
        float g = grad[k] + wd * params[k];
        m[k] = b1 * m[k] + one_b1 * g;
        v[k] = b2 * v[k] + one_b2 * g * g;
        params[k] -= step * m[k] / (sqrtf(v[k] * inv_bc2) + eps);
    }
}

void dc_adam_step(dc_adam *adam, float *params, const float *grad, double lr)
{
    adam->t++;
    const double bc1 = 1.0 - pow(adam->beta1, (double)adam->t);
    const double bc2 = 1.0 - pow(adam->beta2, (double)adam->t);
    const float b1 = (float)adam->beta1, b2 = (float)adam->beta2;
    const float one_b1 = (float)(1.0 - adam->beta1), one_b2 = (float)(1.0 - adam->beta2);
    const float step = (float)(lr / bc1);        /* lr * mhat = step * m */
    const float inv_bc2 = (float)(1.0 / bc2);
    adam_update(params, grad, adam->m, adam->v, adam->n, b1, b2, one_b1, one_b2, step, inv_bc2,
                (float)adam->eps, (float)adam->weight_decay);
}

void dc_adam_step_f64(const dc_adam *adam, int64_t t, double *params, const double *grad, double *m,
                      double *v, double lr)
{
    const double bc1 = 1.0 - pow(adam->beta1, (double)t);
    const double bc2 = 1.0 - pow(adam->beta2, (double)t);
    for (int64_t k = 0; k < adam->n; k++) {
        double g = grad[k] + adam->weight_decay * params[k];
        m[k] = adam->beta1 * m[k] + (1.0 - adam->beta1) * g;
        v[k] = adam->beta2 * v[k] + (1.0 - adam->beta2) * g * g;
        params[k] -= lr * (m[k] / bc1) / (sqrt(v[k] / bc2) + adam->eps);
    }
}
