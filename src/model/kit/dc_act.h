/* The model kit's activation table: every activation a family may use, with its derivatives up to
 * order 3, in double (the references and the per-op checker) and in float (the engines' fused
 * kernels). Order 3 is what the reverse pass of an order-2 jet (u_xx) needs.
 *
 *   ssp(x)     = ln(1 + e^x) - ln 2          shifted softplus (SchNet)
 *   tanh(x)                                  (the PINNs)
 *   silu(x)    = x sigmoid(x)                (DimeNet++)
 *   irelu_c(x) = c max(0, x)^2               (the paper's IReLU with scale c) */
#ifndef DC_KIT_ACT_H
#define DC_KIT_ACT_H

typedef enum { DC_ACT_SSP = 0, DC_ACT_TANH = 1, DC_ACT_SILU = 2, DC_ACT_IRELU = 3 } dc_act_kind;
#define DC_N_ACT_KINDS 4
#define DC_ACT_MAX_ORDER 3

typedef struct dc_act {
    dc_act_kind kind;
    double c;  /* irelu_c's scale; unused by the others */
} dc_act;

/* "ssp" | "tanh" | "silu" | "irelu" */
const char *dc_act_name(dc_act_kind kind);

/* d[0..order]: the value and derivatives 1..order of a at x (order <= DC_ACT_MAX_ORDER). */
void dc_act_eval(dc_act a, double x, int order, double *d);

#endif
