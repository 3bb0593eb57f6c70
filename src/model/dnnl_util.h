/* Private helpers over the oneDNN v2 C API: one matmul per (shape, layout) built once, executed on
 * any row count up to the engine limits through one runtime dimension. With a runtime dimension
 * (every matmul of the engines) it runs through dnnl_sgemm, the gemm:jit that a matmul primitive
 * with a runtime dimension would run, without the primitive's per-execution overhead; with every
 * dimension fixed (the peak yardstick) it is a matmul primitive, which oneDNN may give brgemm.
 *
 * C[m x n] (= or +=) op(A)[m x k] op(B)[k x n] (+ bias[n]), everything row-major float32.
 * Exactly one of m, k is DC_MM_RUNTIME (the batch-dependent count); n is always fixed.
 *   - a_trans: A is stored as [k][m] (its transpose), e.g. an adjoint ybar[M][out] read as ybar^T;
 *   - b_trans: B is stored as [n][k], e.g. a PyTorch weight W[out][in] used as W^T. */
#ifndef DCSWEEP_DNNL_UTIL_H
#define DCSWEEP_DNNL_UTIL_H

#include <stdint.h>

#include <oneapi/dnnl/dnnl.h>

#include "dcsweep/core/error.h"

#define DC_MM_RUNTIME DNNL_RUNTIME_DIM_VAL

/* What a dc_matmul keeps between executions (dnnl_util.c): the FLOPs done so far and, for a
 * primitive (every dimension fixed: only the peak meter's yardstick, dcsweep/model/peak.h), its
 * memory objects, which a run re-points at its arrays instead of creating four. */
typedef struct dc_mm_cache dc_mm_cache;

typedef struct dc_matmul {
    dnnl_primitive_t prim; /* NULL with a runtime dimension (dnnl_sgemm) */
    int64_t m, k, n; /* DC_MM_RUNTIME where the count is given at execution */
    int a_trans, b_trans, bias, accumulate;
    dc_mm_cache *cache; /* owned; mutable behind a const dc_matmul (one thread at a time) */
} dc_matmul;

typedef struct dc_dnnl {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
} dc_dnnl;

int dc_dnnl_init(dc_dnnl *ctx, dc_error *err);
void dc_dnnl_fini(dc_dnnl *ctx);

/* accumulate: C += ... instead of C = ... ; bias: + bias[n] on every row, after the product and
 * the accumulated C. */
int dc_matmul_create(dc_matmul *mm, const dc_dnnl *ctx, int64_t m, int64_t k, int64_t n, int a_trans,
                     int b_trans, int bias, int accumulate, dc_error *err);
/* runtime: the value of the runtime dimension (0 is allowed: C is zeroed or left alone). Not for
 * concurrent calls on one dc_matmul (it counts its FLOPs; a primitive reuses its memory objects). */
int dc_matmul_run(const dc_matmul *mm, const dc_dnnl *ctx, int64_t runtime, const float *a,
                  const float *b, const float *bias, float *c, dc_error *err);
void dc_matmul_destroy(dc_matmul *mm);
/* c[i][j] += bias[j] for the m rows of c [m][n]: the bias as a run adds it after the product, for
 * callers that add it to some rows only. */
void dc_add_bias_rows(float *c, const float *bias, int64_t m, int64_t n);

/* FLOPs of one execution with this runtime value: 2 m k n. */
double dc_matmul_flops(const dc_matmul *mm, int64_t runtime);
/* FLOPs of every execution of this matmul so far (2 m k n each, as oneDNN was asked for them). */
double dc_matmul_flops_done(const dc_matmul *mm);

#endif
