/* Private: the float engine's elementwise loops (activations with their derivatives, and their
 * reverse; the bias gradients' column sums are the kit's dc_sum_rows). Row-major float arrays,
 * shapes in comments; every loop runs in a fixed order and no clone fuses a multiply-add, so
 * results are bitwise reproducible on every ISA.
 *
 * "Stacked" arrays are [(1 + n_tan) n][W]: the n primal rows, then n rows per tangent. */
#ifndef DCSWEEP_PINN_KERNELS_H
#define DCSWEEP_PINN_KERNELS_H

#include <stdint.h>

/* The activation after one hidden layer: tanh, or irelu_c(x) = c max(0, x)^2 (docs/pinn.md). Its
 * own guard: the per-ISA tests include this header once per instruction set. */
#ifndef DCSWEEP_PINN_ACT_DEFINED
#define DCSWEEP_PINN_ACT_DEFINED
typedef struct dc_pinn_act {
    int irelu;
    float c;
} dc_pinn_act;
#endif

/* In place on y [(1 + n_tan) n][W] holding x W^T (primal rows without the bias, tangent rows
 * a' = x' W^T): primal rows become s(a), a = y + bias [W]; tangent rows become s'(a) a'.
 * Keeps ds [n][W] = s'(a) and, if ddt is not NULL, ddt [n][W] = s''(a) a' of the first tangent
 * (what the reverse pass needs). tanh is a rational approximation (max relative error 4e-7). */
void dc_pinn_act_forward(dc_pinn_act a, float *y, float *ds, float *ddt, const float *bias,
                         int64_t n, int W, int n_tan);

/* In place on g [2n][W] = [hbar; h'bar], the adjoints of (h, h') = (s(a), s'(a) a'):
 * becomes [abar; a'bar] with abar = hbar s' + h'bar s'' a', a'bar = h'bar s'.
 * ds, ddt [n][W] as dc_pinn_act_forward left them. */
void dc_pinn_act_reverse(float *g, const float *ds, const float *ddt, int64_t n, int W);

#endif
