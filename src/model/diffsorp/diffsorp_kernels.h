/* Private: the float diffusion-sorption engine's elementwise loops (the activation over the four
 * jet streams, and its reverse). Row-major float arrays, shapes in comments; every loop runs in a
 * fixed order and no clone fuses a multiply-add, so results are bitwise reproducible on every ISA.
 *
 * "Stacked" arrays are [n + 3m][W]: the n primal rows (every point), then m rows per stream, in
 * the order x-tangent ('), t-tangent (_t), second order along x (''), for the first m points (the
 * ones whose derivatives the loss reads; the data points after them need u alone). */
#ifndef DCSWEEP_DIFFSORP_KERNELS_H
#define DCSWEEP_DIFFSORP_KERNELS_H

#include <stdint.h>

/* The types have their own guard: the per-ISA test includes this header once per instruction
 * set (tests/diffsorp_kernels_isa.h). */
#ifndef DCSWEEP_DIFFSORP_ACT_DEFINED
#define DCSWEEP_DIFFSORP_ACT_DEFINED
/* The activation after one hidden layer: tanh, or irelu_c(x) = c max(0, x)^2. */
typedef struct dc_diffsorp_act {
    int irelu;
    float c;
} dc_diffsorp_act;

/* What the reverse pass of one layer needs, [n][W] each (rows >= m of the last three unused):
 * d1 = s'(a), ex = s''(a) a', q = s'''(a) a'^2 + s''(a) a'', et = s''(a) a_t. */
typedef struct dc_diffsorp_act_saved {
    float *d1, *ex, *q, *et;
} dc_diffsorp_act_saved;
#endif

/* In place on y [n + 3m][W] holding the layer's product without its bias (primal rows x W^T,
 * stream rows x' W^T, x_t W^T, x'' W^T): with a = y + bias [W], the primal rows become s(a), and
 * the streams y' = s' a', y_t = s' a_t, y'' = s'' a'^2 + s' a''; fills sv. */
void dc_diffsorp_act_forward(dc_diffsorp_act a, float *y, const dc_diffsorp_act_saved *sv,
                             const float *bias, int64_t n, int64_t m, int W);

/* In place on g [n + 3m][W], the adjoints of the layer's outputs (hbar; h'bar; h_tbar; h''bar):
 * becomes the adjoints of its pre-activations,
 *   abar   = hbar s' + h'bar s'' a' + h_tbar s'' a_t + h''bar (s''' a'^2 + s'' a'')
 *   a'bar  = h'bar s' + 2 h''bar s'' a'
 *   a_tbar = h_tbar s'
 *   a''bar = h''bar s'
 * (abar = hbar s' alone on the rows >= m). sv as dc_diffsorp_act_forward left it. */
void dc_diffsorp_act_reverse(float *g, const dc_diffsorp_act_saved *sv, int64_t n, int64_t m,
                             int W);

#endif
