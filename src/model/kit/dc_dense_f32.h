/* A float dense layer y = x W^T (+ b) over stacked jet rows, for the families' float engines:
 * rows [(1 + K) n][in] hold the n primal rows, then n rows per tangent (order-K jets), and every
 * product is one oneDNN matmul over as many rows as the caller stacks (the row count is a runtime
 * dimension, dnnl_util.h). W is a PyTorch weight [out][in], b [out], all row-major.
 *
 *   forward:  y   (= or +=) x W^T (+ b)      over any rows (a stacked forward without a bias
 *                                             carries the tangents along: (x W^T)' = x' W^T)
 *   tangent:  y'  (= or +=) x' W^T           the tangent rows alone, never a bias
 *   backward: xbar (= or +=) ybar W          input adjoints, over any rows
 *   wgrad:    Wbar (= or +=) ybar^T x        one product over the stacked [primal; tangent] rows
 *                                             sums the primal and tangent terms of the gradient
 * The bias gradient is the column sum of ybar (dc_rows.h). A layer shape is built once and
 * serves every layer of that shape. The gemm's blocking depends on the row count, so whether a
 * caller stacks rows into one call or not is part of its numerics: this layer never restacks. */
#ifndef DC_KIT_DENSE_F32_H
#define DC_KIT_DENSE_F32_H

#include <stdint.h>

#include "dnnl_util.h"

/* How a layer's products write (flags of dc_dense_f32_create, or-ed). */
enum {
    DC_DENSE_BIAS = 1,       /* forward adds b after the product */
    DC_DENSE_RESIDUAL = 2,   /* forward and tangent add into y (y = y + x W^T): a residual */
    DC_DENSE_BWD_ADD = 4,    /* backward adds into xbar (an input shared with another path) */
    DC_DENSE_WGRAD_ADD = 8,  /* wgrad adds into Wbar (a gradient summed over uses or zeroed) */
};

typedef struct dc_dense_f32 {
    const dc_dnnl *ctx;  /* the engine's oneDNN context (outlives the layer) */
    double *flops;       /* NULL, or where the FLOPs of every product are added */
    dc_matmul fwd;       /* [R][in] x W^T (+ b) -> [R][out] */
    dc_matmul tan;       /* [R][in] x' W^T -> [R][out] */
    dc_matmul bwd;       /* [R][out] ybar W -> [R][in] */
    dc_matmul wgrad;     /* [R][out]^T [R][in] -> [out][in] */
} dc_dense_f32;

int dc_dense_f32_create(dc_dense_f32 *d, const dc_dnnl *ctx, int64_t in, int64_t out,
                        unsigned flags, double *flops, dc_error *err);
void dc_dense_f32_destroy(dc_dense_f32 *d);

/* y [rows][out]; b [out] is read only with DC_DENSE_BIAS (may be NULL otherwise). */
int dc_dense_f32_forward(const dc_dense_f32 *d, int64_t rows, const float *x, const float *w,
                         const float *b, float *y, dc_error *err);
/* yt [rows][out] from xt [rows][in]. */
int dc_dense_f32_tangent(const dc_dense_f32 *d, int64_t rows, const float *xt, const float *w,
                         float *yt, dc_error *err);
/* xbar [rows][in] from ybar [rows][out]. */
int dc_dense_f32_backward(const dc_dense_f32 *d, int64_t rows, const float *ybar,
                          const float *w, float *xbar, dc_error *err);
/* wbar [out][in] from ybar [rows][out] and x [rows][in]. */
int dc_dense_f32_wgrad(const dc_dense_f32 *d, int64_t rows, const float *ybar, const float *x,
                       float *wbar, dc_error *err);

#endif
