/* oneDNN matmul helpers (see dnnl_util.h) and the peak-matmul yardstick of dcsweep/model/peak.h.
 *
 * Debian's libdnnl2 is built with DNNL_CPU_RUNTIME = OMP: its threads come from OpenMP, so the
 * thread count is OMP_NUM_THREADS as read when the OpenMP runtime starts (the first oneDNN call).
 * We do not link OpenMP ourselves; whoever wants one thread sets OMP_NUM_THREADS=1 beforehand. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dcsweep/core/perf.h"
#include "dcsweep/model/peak.h"
#include "dnnl_util.h"

int dc_dnnl_init(dc_dnnl *ctx, dc_error *err)
{
    int rc = DC_OK;
    memset(ctx, 0, sizeof *ctx);
    DNNL_CHECK(dnnl_engine_create(&ctx->engine, dnnl_cpu, 0));
    DNNL_CHECK(dnnl_stream_create(&ctx->stream, ctx->engine, dnnl_stream_default_flags));
cleanup:
    if (rc != DC_OK) dc_dnnl_fini(ctx);
    return rc;
}

void dc_dnnl_fini(dc_dnnl *ctx)
{
    if (ctx->stream) dnnl_stream_destroy(ctx->stream);
    if (ctx->engine) dnnl_engine_destroy(ctx->engine);
    ctx->stream = NULL;
    ctx->engine = NULL;
}

/* The three descriptors of C = op(A) op(B) for dims (m, k, n), any of which may be runtime:
 * strides never involve the runtime dimension (see dnnl_util.h), so they are fixed. */
static int matmul_mds(const dc_matmul *mm, int64_t m, int64_t k, dnnl_memory_desc_t *a,
                      dnnl_memory_desc_t *b, dnnl_memory_desc_t *bias, dnnl_memory_desc_t *c,
                      dc_error *err)
{
    int rc = DC_OK;
    const int64_t n = mm->n;
    dnnl_dims_t a_dims = {m, k}, b_dims = {k, n}, c_dims = {m, n}, bias_dims = {1, n};
    dnnl_dims_t a_str = {k, 1}, b_str = {n, 1}, c_str = {n, 1}, bias_str = {n, 1};
    if (mm->a_trans) { a_str[0] = 1; a_str[1] = m; }
    if (mm->b_trans) { b_str[0] = 1; b_str[1] = k; }
    DNNL_CHECK(dnnl_memory_desc_init_by_strides(a, 2, a_dims, dnnl_f32, a_str));
    DNNL_CHECK(dnnl_memory_desc_init_by_strides(b, 2, b_dims, dnnl_f32, b_str));
    DNNL_CHECK(dnnl_memory_desc_init_by_strides(c, 2, c_dims, dnnl_f32, c_str));
    if (bias) DNNL_CHECK(dnnl_memory_desc_init_by_strides(bias, 2, bias_dims, dnnl_f32, bias_str));
cleanup:
    return rc;
}

/* Memory objects by runtime value, for the matmuls that run as a primitive: only those with every
 * dimension fixed (the engines' matmuls have a runtime dimension and run through dnnl_sgemm), and
 * today only the peak meter's, which runs with one value, so a single slot is ever filled. */
#define DC_MM_CACHE_SLOTS 4

struct dc_mm_cache {
    struct {
        int64_t runtime;       /* -1: empty */
        dnnl_memory_t mem[4];  /* A, B, C, bias: descriptors for this runtime value */
    } slot[DC_MM_CACHE_SLOTS];
    int next;          /* the slot a miss replaces (round robin) */
    double flops_done; /* 2 m k n summed over every execution */
};

static void cache_slot_clear(dc_mm_cache *c, int i)
{
    for (int k = 0; k < 4; k++)
        if (c->slot[i].mem[k]) dnnl_memory_destroy(c->slot[i].mem[k]);
    memset(c->slot[i].mem, 0, sizeof c->slot[i].mem);
    c->slot[i].runtime = -1;
}

int dc_matmul_create(dc_matmul *mm, const dc_dnnl *ctx, int64_t m, int64_t k, int64_t n, int a_trans,
                     int b_trans, int bias, int accumulate, dc_error *err)
{
    int rc = DC_OK;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    memset(mm, 0, sizeof *mm);
    mm->m = m;
    mm->k = k;
    mm->n = n;
    mm->a_trans = a_trans;
    mm->b_trans = b_trans;
    mm->bias = bias;
    mm->accumulate = accumulate;
    if ((m == DC_MM_RUNTIME && k == DC_MM_RUNTIME) || n == DC_MM_RUNTIME ||
        (a_trans && m == DC_MM_RUNTIME) || (!a_trans && k == DC_MM_RUNTIME) ||
        (b_trans && k == DC_MM_RUNTIME))
        DC_FAIL(DC_ERR_INTERNAL, "matmul %lld x %lld x %lld: unsupported runtime layout",
                (long long)m, (long long)k, (long long)n);
    DC_ALLOC(mm->cache, 1);
    for (int i = 0; i < DC_MM_CACHE_SLOTS; i++) mm->cache->slot[i].runtime = -1;
    /* A runtime dimension: oneDNN would run its gemm:jit, which dnnl_sgemm calls without the
     * primitive's per-execution overhead (argument map, memory objects: 0.8 against 0.37 us a
     * call measured here, about 60 calls a training step). */
    if (m == DC_MM_RUNTIME || k == DC_MM_RUNTIME) goto cleanup;
    dnnl_memory_desc_t a_md, b_md, bias_md, c_md;
    DC_TRY(matmul_mds(mm, m, k, &a_md, &b_md, bias ? &bias_md : NULL, &c_md, err));
    dnnl_matmul_desc_t desc;
    DNNL_CHECK(dnnl_matmul_desc_init(&desc, &a_md, &b_md, bias ? &bias_md : NULL, &c_md));
    DNNL_CHECK(dnnl_primitive_attr_create(&attr));
    if (accumulate) {
        DNNL_CHECK(dnnl_post_ops_create(&ops));
        DNNL_CHECK(dnnl_post_ops_append_sum(ops, 1.0f));
        DNNL_CHECK(dnnl_primitive_attr_set_post_ops(attr, ops));
    }
    DNNL_CHECK(dnnl_primitive_desc_create(&pd, &desc, attr, ctx->engine, NULL));
    DNNL_CHECK(dnnl_primitive_create(&mm->prim, pd));
cleanup:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (ops) dnnl_post_ops_destroy(ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (rc != DC_OK) dc_matmul_destroy(mm);
    return rc;
}

/* The cached memory objects for this runtime value, created on a miss (with placeholder
 * handles: every run sets its own). */
static int cache_lookup(const dc_matmul *mm, const dc_dnnl *ctx, int64_t runtime, int64_t m,
                        int64_t k, dnnl_memory_t **mem, dc_error *err)
{
    int rc = DC_OK;
    dc_mm_cache *c = mm->cache;
    for (int i = 0; i < DC_MM_CACHE_SLOTS; i++)
        if (c->slot[i].runtime == runtime) {
            *mem = c->slot[i].mem;
            return DC_OK;
        }
    const int i = c->next;
    c->next = (c->next + 1) % DC_MM_CACHE_SLOTS;
    cache_slot_clear(c, i);
    dnnl_memory_desc_t md[4];
    DC_TRY(matmul_mds(mm, m, k, &md[0], &md[1], &md[3], &md[2], err));
    for (int a = 0; a < (mm->bias ? 4 : 3); a++)
        DNNL_CHECK(dnnl_memory_create(&c->slot[i].mem[a], &md[a], ctx->engine, DNNL_MEMORY_NONE));
    c->slot[i].runtime = runtime;
    *mem = c->slot[i].mem;
cleanup:
    if (rc != DC_OK) cache_slot_clear(c, i);
    return rc;
}

void dc_add_bias_rows(float *c, const float *bias, int64_t m, int64_t n)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) c[i * n + j] += bias[j];
}

/* C = op(A) op(B) (+ C) (+ bias) through dnnl_sgemm (row-major, like every array here); the bias
 * goes on after the product (and after the accumulated C). */
static int sgemm_run(const dc_matmul *mm, int64_t m, int64_t k, const float *a, const float *b,
                     const float *bias, float *c, dc_error *err)
{
    int rc = DC_OK;
    const int64_t n = mm->n;
    DNNL_CHECK(dnnl_sgemm(mm->a_trans ? 'T' : 'N', mm->b_trans ? 'T' : 'N', m, n, k, 1.0f, a,
                          mm->a_trans ? m : k, b, mm->b_trans ? k : n, mm->accumulate ? 1.0f : 0.0f,
                          c, n));
    if (mm->bias) dc_add_bias_rows(c, bias, m, n);
cleanup:
    return rc;
}

int dc_matmul_run(const dc_matmul *mm, const dc_dnnl *ctx, int64_t runtime, const float *a,
                  const float *b, const float *bias, float *c, dc_error *err)
{
    int rc = DC_OK;
    dnnl_memory_t *mem = NULL;
    const int64_t m = mm->m == DC_MM_RUNTIME ? runtime : mm->m;
    const int64_t k = mm->k == DC_MM_RUNTIME ? runtime : mm->k;
    if (m == 0) return DC_OK;
    if (k == 0) {
        /* An empty sum: oneDNN would be asked for a degenerate product. */
        if (!mm->accumulate) memset(c, 0, (size_t)(m * mm->n) * sizeof *c);
        if (mm->bias) dc_add_bias_rows(c, bias, m, mm->n);
        return DC_OK;
    }
    if (mm->prim) {
        DC_TRY(cache_lookup(mm, ctx, runtime, m, k, &mem, err));
        /* oneDNN takes non-const handles; it does not write to sources. */
        void *handle[4] = {(void *)a, (void *)b, c, (void *)bias};
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, mem[0]}, {DNNL_ARG_WEIGHTS, mem[1]},
                                   {DNNL_ARG_DST, mem[2]}, {DNNL_ARG_BIAS, mem[3]}};
        const int nargs = mm->bias ? 4 : 3;
        for (int i = 0; i < nargs; i++) DNNL_CHECK(dnnl_memory_set_data_handle(mem[i], handle[i]));
        DNNL_CHECK(dnnl_primitive_execute(mm->prim, ctx->stream, nargs, args));
        DNNL_CHECK(dnnl_stream_wait(ctx->stream));
    } else {
        DC_TRY(sgemm_run(mm, m, k, a, b, bias, c, err));
    }
    mm->cache->flops_done += 2.0 * (double)m * (double)k * (double)mm->n;
cleanup:
    return rc;
}

void dc_matmul_destroy(dc_matmul *mm)
{
    if (mm->prim) dnnl_primitive_destroy(mm->prim);
    mm->prim = NULL;
    if (mm->cache) {
        for (int i = 0; i < DC_MM_CACHE_SLOTS; i++) cache_slot_clear(mm->cache, i);
        free(mm->cache);
    }
    mm->cache = NULL;
}

double dc_matmul_flops(const dc_matmul *mm, int64_t runtime)
{
    const double m = (double)(mm->m == DC_MM_RUNTIME ? runtime : mm->m);
    const double k = (double)(mm->k == DC_MM_RUNTIME ? runtime : mm->k);
    return 2.0 * m * k * (double)mm->n;
}

double dc_matmul_flops_done(const dc_matmul *mm)
{
    return mm->cache ? mm->cache->flops_done : 0.0;
}

/* Both ways oneDNN may run the product: with all dimensions fixed it picks its brgemm kernels,
 * with the row count as a runtime dimension (as every matmul of the engines is built, run through
 * dnnl_sgemm) its gemm:jit, which is the faster of the two on some cores (Intel AVX-512 here: 220
 * against 190 GFLOP/s). The yardstick is the better one, so that no engine is quoted against a
 * low peak. */
struct dc_peak_meter {
    dc_dnnl ctx;
    int n;
    dc_matmul fixed, runtime; /* n x n x n: all fixed, and m given at execution */
    float *a, *b, *c;         /* [n][n] each */
};

static int peak_time(dc_peak_meter *pm, const dc_matmul *mm, int64_t runtime, double *seconds,
                     dc_error *err)
{
    int rc = DC_OK;
    const double t0 = dc_perf_seconds();
    DC_TRY(dc_matmul_run(mm, &pm->ctx, runtime, pm->a, pm->b, NULL, pm->c, err));
    *seconds = dc_perf_seconds() - t0;
cleanup:
    return rc;
}

int dc_peak_meter_create(dc_peak_meter **meter, int n, dc_error *err)
{
    int rc = DC_OK;
    dc_peak_meter *pm = NULL;
    double warm;
    *meter = NULL;
    if (n < 1) DC_FAIL(DC_ERR_INPUT, "peak matmul: bad size %d", n);
    DC_ALLOC(pm, 1);
    pm->n = n;
    DC_ALLOC(pm->a, (size_t)n * n);
    DC_ALLOC(pm->b, (size_t)n * n);
    DC_ALLOC(pm->c, (size_t)n * n);
    for (size_t i = 0; i < (size_t)n * n; i++) {
        pm->a[i] = (float)((i * 7) % 13) * 0.01f;
        pm->b[i] = (float)((i * 5) % 11) * 0.01f;
    }
    DC_TRY(dc_dnnl_init(&pm->ctx, err));
    DC_TRY(dc_matmul_create(&pm->fixed, &pm->ctx, n, n, n, 0, 0, 0, 0, err));
    DC_TRY(dc_matmul_create(&pm->runtime, &pm->ctx, DC_MM_RUNTIME, n, n, 0, 0, 0, 0, err));
    /* the first runs JIT the kernels and fault the pages in */
    DC_TRY(peak_time(pm, &pm->fixed, 0, &warm, err));
    DC_TRY(peak_time(pm, &pm->runtime, n, &warm, err));
    *meter = pm;
    pm = NULL;
cleanup:
    dc_peak_meter_destroy(pm);
    return rc;
}

int dc_peak_meter_sample(dc_peak_meter *pm, double *gflops, dc_error *err)
{
    int rc = DC_OK;
    double fixed = 0.0, runtime = 0.0;
    DC_TRY(peak_time(pm, &pm->fixed, 0, &fixed, err));
    DC_TRY(peak_time(pm, &pm->runtime, pm->n, &runtime, err));
    *gflops = 2.0 * (double)pm->n * pm->n * pm->n / (fixed < runtime ? fixed : runtime) * 1e-9;
cleanup:
    return rc;
}

void dc_peak_meter_destroy(dc_peak_meter *pm)
{
    if (!pm) return;
    dc_matmul_destroy(&pm->fixed);
    dc_matmul_destroy(&pm->runtime);
    dc_dnnl_fini(&pm->ctx);
    free(pm->a);
    free(pm->b);
    free(pm->c);
    free(pm);
}

int dc_dnnl_matmul_peak_gflops(int n, int repeats, double *gflops, dc_error *err)
{
    int rc = DC_OK;
    dc_peak_meter *pm = NULL;
    *gflops = 0.0;
    if (repeats < 1) DC_FAIL(DC_ERR_INPUT, "peak matmul: bad repeats %d", repeats);
    DC_TRY(dc_peak_meter_create(&pm, n, err));
    for (int r = 0; r < repeats; r++) {
        double g;
        DC_TRY(dc_peak_meter_sample(pm, &g, err));
        if (g > *gflops) *gflops = g;
    }
cleanup:
    dc_peak_meter_destroy(pm);
    return rc;
}
