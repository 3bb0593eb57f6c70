/* The float dense layer (dc_dense_f32.h): four oneDNN matmuls with the row count at run time. */
#include "dc_dense_f32.h"

#include <string.h>

int dc_dense_f32_create(dc_dense_f32 *d, const dc_dnnl *ctx, int64_t in, int64_t out,
                        unsigned flags, double *flops, dc_error *err)
{
    int rc = DC_OK;
    const int64_t R = DC_MM_RUNTIME;
    const int bias = (flags & DC_DENSE_BIAS) != 0, residual = (flags & DC_DENSE_RESIDUAL) != 0;
    memset(d, 0, sizeof *d);
    d->ctx = ctx;
    d->flops = flops;
    DC_TRY(dc_matmul_create(&d->fwd, ctx, R, in, out, 0, 1, bias, residual, err));
    DC_TRY(dc_matmul_create(&d->tan, ctx, R, in, out, 0, 1, 0, residual, err));
    DC_TRY(dc_matmul_create(&d->bwd, ctx, R, out, in, 0, 0, 0, (flags & DC_DENSE_BWD_ADD) != 0,
                            err));
    DC_TRY(dc_matmul_create(&d->wgrad, ctx, out, R, in, 1, 0, 0,
                            (flags & DC_DENSE_WGRAD_ADD) != 0, err));
cleanup:
    return rc;
}

void dc_dense_f32_destroy(dc_dense_f32 *d)
{
    dc_matmul_destroy(&d->fwd);
    dc_matmul_destroy(&d->tan);
    dc_matmul_destroy(&d->bwd);
    dc_matmul_destroy(&d->wgrad);
}

/* Every product goes through here, so the FLOPs counted are those executed. */
static int run(const dc_dense_f32 *d, const dc_matmul *mm, int64_t rows, const float *a,
               const float *b, const float *bias, float *c, dc_error *err)
{
    if (d->flops) *d->flops += dc_matmul_flops(mm, rows);
    return dc_matmul_run(mm, d->ctx, rows, a, b, bias, c, err);
}

int dc_dense_f32_forward(const dc_dense_f32 *d, int64_t rows, const float *x, const float *w,
                         const float *b, float *y, dc_error *err)
{
    return run(d, &d->fwd, rows, x, w, b, y, err);
}

int dc_dense_f32_tangent(const dc_dense_f32 *d, int64_t rows, const float *xt, const float *w,
                         float *yt, dc_error *err)
{
    return run(d, &d->tan, rows, xt, w, NULL, yt, err);
}

int dc_dense_f32_backward(const dc_dense_f32 *d, int64_t rows, const float *ybar,
                          const float *w, float *xbar, dc_error *err)
{
    return run(d, &d->bwd, rows, ybar, w, NULL, xbar, err);
}

int dc_dense_f32_wgrad(const dc_dense_f32 *d, int64_t rows, const float *ybar, const float *x,
                       float *wbar, dc_error *err)
{
    return run(d, &d->wgrad, rows, ybar, x, NULL, wbar, err);
}
