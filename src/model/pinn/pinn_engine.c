/* The float PINN engine on oneDNN (dcsweep/model/pinn.h). Every dense layer is a oneDNN matmul
 * built once in dc_pinn_create with the row count as a runtime dimension; the activations are the
 * loops of pinn_kernels.c; the loss is pinn_common.c's, in double.
 *
 * Rows are stacked (docs/pinn.md, "The gradient"): primal rows then tangent rows, so the forward, the input
 * adjoints and the weight gradients of a layer are one matmul each over 2N rows (3N in
 * prediction: the tangents along x and along t). Training needs one tangent only, along
 * v = (beta, 1), because the residual is u'_t + beta u'_x = D_v u'. The input layer's tangent is
 * the same row v W0^T at every point: it is copied, not multiplied.
 * Threads: see dnnl_util.c (OMP_NUM_THREADS); our loops are serial, in a fixed order.
 *
 * Subnormals: IReLU squares its input at every layer, so from a Glorot start the deep layers'
 * values, tangents and adjoints fall below float's normal range (1.2e-38) within a few layers, and
 * every operation on a subnormal costs ~100 cycles: a paper-size step took 30-110 ms instead of
 * 9 ms (measured, bench/bench_pinn.c). Each call therefore runs with flush-to-zero and
 * denormals-are-zero on the calling thread (the thread oneDNN runs on with one thread) and gives
 * the caller back its own mode. Values that small contribute nothing a float could hold anyway;
 * the results stay deterministic. */
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include "dc_arena.h"
#include "dc_dense_f32.h"
#include "dc_rows.h"
#include "dnnl_util.h"
#include "pinn_internal.h"
#include "pinn_kernels.h"

struct dc_pinn {
    dc_pinn_shape shape;
    dc_pinn_layout layout;
    int64_t max_points;
    int W, D;
    dc_dnnl ctx;
    /* the dense layers (the kit's, dc_dense_f32.h), none adding into its outputs; the biases go
     * in the activations (the output layer's in double) */
    dc_dense_f32 in;     /* 2 -> W: the input layer, forward on the primal rows only, and
                          * W0bar = [abar; a'bar]^T [z; v] (no input adjoint: x, t are data) */
    dc_dense_f32 hidden; /* W -> W: hidden layers 1..D-1, stacked;
                          * Wbar = [abar; a'bar]^T [h; h'] */
    dc_dense_f32 output; /* W -> 1: the output layer, stacked; wbar = [ubar; rbar]^T [h; h'] */
    double flops;        /* matmul FLOPs of the last call */
    dc_arena arena;                 /* every array below is a slice of it */
    float *z;                       /* [2 max][2] inputs (x, t), then the direction v per row */
    float *h[DC_PINN_MAX_DEPTH];    /* [3 max][W] hidden layer l's output, stacked */
    float *ds[DC_PINN_MAX_DEPTH];   /* [max][W] s'(a_l) */
    float *ddt[DC_PINN_MAX_DEPTH];  /* [max][W] s''(a_l) a'_l */
    float *ga, *gb;                 /* [2 max][W] adjoints, stacked (two: bwd reads one, writes the other) */
    float *out;                     /* [3 max] output layer, stacked (no bias) */
    float *seed;                    /* [2 max] [ubar; rbar] */
    double *u, *r, *ubar, *rbar;    /* [max] u', r' and their seeds, in double */
};

/* Every workspace array, sized for max_points (see dc_arena). */
static void carve(dc_pinn *e, dc_arena *ar)
{
    const int64_t W = e->W, M = e->max_points;
    DC_TAKE(ar, e->z, 2 * M * 2);
    for (int l = 0; l < e->D; l++) {
        DC_TAKE(ar, e->h[l], 3 * M * W);
        DC_TAKE(ar, e->ds[l], M * W);
        DC_TAKE(ar, e->ddt[l], M * W);
    }
    DC_TAKE(ar, e->ga, 2 * M * W);
    DC_TAKE(ar, e->gb, 2 * M * W);
    DC_TAKE(ar, e->out, 3 * M);
    DC_TAKE(ar, e->seed, 2 * M);
    DC_TAKE(ar, e->u, M);
    DC_TAKE(ar, e->r, M);
    DC_TAKE(ar, e->ubar, M);
    DC_TAKE(ar, e->rbar, M);
}

int dc_pinn_create(dc_pinn **engine, const dc_pinn_shape *shape, int64_t max_points, dc_error *err)
{
    int rc = DC_OK;
    dc_pinn *e = NULL;
    *engine = NULL;
    if (max_points < 1 || max_points > ((int64_t)1 << 40))
        DC_FAIL(DC_ERR_INPUT, "PINN engine: max_points %lld out of range", (long long)max_points);
    DC_ALLOC(e, 1);
    DC_TRY(dc_pinn_layout_init(&e->layout, shape, err));
    e->shape = *shape;
    e->max_points = max_points;
    e->W = shape->width;
    e->D = shape->depth;
    const int64_t W = e->W;
    DC_TRY(dc_dnnl_init(&e->ctx, err));
    DC_TRY(dc_dense_f32_create(&e->in, &e->ctx, 2, W, 0, &e->flops, err));
    DC_TRY(dc_dense_f32_create(&e->hidden, &e->ctx, W, W, 0, &e->flops, err));
    DC_TRY(dc_dense_f32_create(&e->output, &e->ctx, W, 1, 0, &e->flops, err));
    carve(e, &e->arena);
    DC_TRY(dc_arena_alloc(&e->arena, err));
    carve(e, &e->arena);
    *engine = e;
    e = NULL;
cleanup:
    dc_pinn_destroy(e);
    return rc;
}

void dc_pinn_destroy(dc_pinn *e)
{
    if (!e) return;
    dc_dense_f32_destroy(&e->in);
    dc_dense_f32_destroy(&e->hidden);
    dc_dense_f32_destroy(&e->output);
    dc_dnnl_fini(&e->ctx);
    dc_arena_free(&e->arena);
    free(e);
}

/* Flush-to-zero (MXCSR bit 15) and denormals-are-zero (bit 6) on; returns the mode to restore. */
static unsigned subnormals_off(void)
{
#if defined(__SSE2__)
    const unsigned old = _mm_getcsr();
    _mm_setcsr(old | 0x8040u);
    return old;
#else
    return 0;
#endif
}

static void fp_mode_restore(unsigned old)
{
#if defined(__SSE2__)
    _mm_setcsr(old);
#else
    (void)old;
#endif
}

static dc_pinn_act layer_act(const dc_pinn *e, const dc_activation *act, int l)
{
    return (dc_pinn_act){.irelu = dc_pinn_layer_is_irelu(act, l, e->D), .c = (float)act->irelu_scale};
}

/* Forward of n points (their (x, t) in e->z's first n rows) with n_tan tangents along dir [n_tan][2]:
 * e->out [(1 + n_tan) n] = the output layer without its bias, stacked. keep: also the ddt the
 * reverse pass needs (first tangent only). */
static int forward(dc_pinn *e, const dc_activation *act, const dc_pinn_params *p, int64_t n,
                   int n_tan, const double dir[][2], int keep, dc_error *err)
{
    int rc = DC_OK;
    const int W = e->W, D = e->D;
    const int64_t rows = (1 + (int64_t)n_tan) * n;
    const float *w0 = p->layer[0].weight; /* [W][2] */
    DC_TRY(dc_dense_f32_forward(&e->in, n, e->z, w0, NULL, e->h[0], err));
    for (int t = 0; t < n_tan; t++) {
        float *first = e->h[0] + (1 + (int64_t)t) * n * W; /* [n][W] a'_0 = v W0^T, every row */
        for (int k = 0; k < W; k++)
            first[k] = (float)(dir[t][0] * (double)w0[2 * k] + dir[t][1] * (double)w0[2 * k + 1]);
        for (int64_t i = 1; i < n; i++) memcpy(first + i * W, first, (size_t)W * sizeof *first);
    }
    for (int l = 0; l < D; l++) {
        if (l > 0)
            DC_TRY(dc_dense_f32_forward(&e->hidden, rows, e->h[l - 1], p->layer[l].weight, NULL,
                                        e->h[l], err));
        dc_pinn_act_forward(layer_act(e, act, l), e->h[l], e->ds[l], keep ? e->ddt[l] : NULL,
                            p->layer[l].bias, n, W, n_tan);
    }
    DC_TRY(dc_dense_f32_forward(&e->output, rows, e->h[D - 1], p->layer[D].weight, NULL, e->out,
                                err));
cleanup:
    return rc;
}

/* Reverse of S = sum ubar u' + rbar r' from the seeds in e->seed: every tensor of grad
 * overwritten. */
static int reverse(dc_pinn *e, const dc_pinn_params *p, int64_t n, const dc_pinn_params *grad,
                   dc_error *err)
{
    int rc = DC_OK;
    const int W = e->W, D = e->D;
    double bsum = 0.0;
    for (int64_t i = 0; i < n; i++) bsum += e->ubar[i];
    grad->layer[D].bias[0] = (float)bsum;
    DC_TRY(dc_dense_f32_wgrad(&e->output, 2 * n, e->seed, e->h[D - 1], grad->layer[D].weight,
                              err));
    DC_TRY(dc_dense_f32_backward(&e->output, 2 * n, e->seed, p->layer[D].weight, e->ga, err));
    float *g = e->ga, *g_next = e->gb;
    for (int l = D - 1; l >= 0; l--) {
        dc_pinn_act_reverse(g, e->ds[l], e->ddt[l], n, W);
        dc_sum_rows(grad->layer[l].bias, g, n, W);
        if (l == 0) {
            /* x and t are not parameters: no input adjoint */
            DC_TRY(dc_dense_f32_wgrad(&e->in, 2 * n, g, e->z, grad->layer[0].weight, err));
            break;
        }
        DC_TRY(dc_dense_f32_wgrad(&e->hidden, 2 * n, g, e->h[l - 1], grad->layer[l].weight,
                                  err));
        DC_TRY(dc_dense_f32_backward(&e->hidden, 2 * n, g, p->layer[l].weight, g_next, err));
        float *tmp = g;
        g = g_next;
        g_next = tmp;
    }
cleanup:
    return rc;
}

int dc_pinn_loss_grad(dc_pinn *e, const dc_activation *act, const float *params,
                      const dc_pinn_problem *problem, dc_pinn_loss *loss, float *grad,
                      dc_error *err)
{
    int rc = DC_OK;
    const unsigned fp_mode = subnormals_off();
    e->flops = 0.0;
    DC_TRY(dc_pinn_problem_check(problem, err));
    const int64_t n = dc_pinn_n_points(problem->n_interior, problem->n_initial,
                                       problem->n_boundary);
    if (n > e->max_points)
        DC_FAIL(DC_ERR_INPUT, "PINN engine: %lld points, built for at most %lld", (long long)n,
                (long long)e->max_points);
    double v[1][2];
    dc_pinn_residual_direction(problem->beta, v[0]);
    for (int64_t i = 0; i < n; i++) {
        e->z[2 * i] = (float)problem->xt[2 * i];
        e->z[2 * i + 1] = (float)problem->xt[2 * i + 1];
        /* the tangent rows of the input: what the input layer's weight gradient multiplies */
        e->z[2 * (n + i)] = (float)v[0][0];
        e->z[2 * (n + i) + 1] = (float)v[0][1];
    }
    dc_pinn_params p;
    dc_pinn_params_view(&p, &e->shape, (float *)params); /* read only */
    DC_TRY(forward(e, act, &p, n, 1, v, grad != NULL, err));
    const double b_out = p.layer[e->D].bias[0];
    for (int64_t i = 0; i < n; i++) {
        e->u[i] = (double)e->out[i] + b_out;
        e->r[i] = e->out[n + i];
    }
    dc_pinn_loss_seeds(problem, e->u, e->r, grad ? e->ubar : NULL, grad ? e->rbar : NULL, loss);
    if (!grad) goto cleanup;
    for (int64_t i = 0; i < n; i++) {
        e->seed[i] = (float)e->ubar[i];
        e->seed[n + i] = (float)e->rbar[i];
    }
    dc_pinn_params g;
    dc_pinn_params_view(&g, &e->shape, grad);
    DC_TRY(reverse(e, &p, n, &g, err));
cleanup:
    fp_mode_restore(fp_mode);
    return rc;
}

int dc_pinn_predict(dc_pinn *e, const dc_activation *act, const float *params, const double *xt,
                    int64_t n, double *u, double *u_x, double *u_t, dc_error *err)
{
    int rc = DC_OK;
    const unsigned fp_mode = subnormals_off();
    e->flops = 0.0;
    static const double along_xt[2][2] = {{1.0, 0.0}, {0.0, 1.0}};
    dc_pinn_params p;
    dc_pinn_params_view(&p, &e->shape, (float *)params); /* read only */
    const double b_out = p.layer[e->D].bias[0];
    for (int64_t start = 0; start < n; start += e->max_points) {
        const int64_t m = n - start < e->max_points ? n - start : e->max_points;
        for (int64_t k = 0; k < 2 * m; k++) e->z[k] = (float)xt[2 * start + k];
        DC_TRY(forward(e, act, &p, m, 2, along_xt, 0, err));
        for (int64_t i = 0; i < m; i++) {
            if (u) u[start + i] = (double)e->out[i] + b_out;
            if (u_x) u_x[start + i] = e->out[m + i];
            if (u_t) u_t[start + i] = e->out[2 * m + i];
        }
    }
cleanup:
    fp_mode_restore(fp_mode);
    return rc;
}

double dc_pinn_step_flops(const dc_pinn_shape *shape, int64_t n_points)
{
    const double N = (double)n_points, W = shape->width, D = shape->depth;
    /* hidden layers 1..D-1: forward, input adjoint and weight gradient, each over 2N rows;
     * input layer: forward on N rows (the tangent is a copied row) and its weight gradient over
     * 2N rows, K = 2; output layer: forward, adjoint and weight gradient over 2N rows, N = 1 */
    return 3.0 * (D - 1.0) * 2.0 * (2.0 * N) * W * W + 2.0 * N * 2.0 * W +
           2.0 * (2.0 * N) * W * 2.0 + 3.0 * 2.0 * (2.0 * N) * W;
}

double dc_pinn_last_flops(const dc_pinn *e) { return e->flops; }
