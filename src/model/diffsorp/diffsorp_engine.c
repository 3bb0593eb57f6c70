/* The float diffusion-sorption engine on oneDNN (dcsweep/model/diffsorp.h), modelled on the
 * advection engine (src/model/pinn/pinn_engine.c): every dense layer is a oneDNN matmul built once
 * with the row count as a runtime dimension (the kit's dc_dense_f32), the activations are the loops
 * of diffsorp_kernels.c, the loss is the caller's, in double.
 *
 * Rows are stacked: the n primal rows, then the x-tangent, t-tangent and second-order rows of the
 * first m points (diffsorp_kernels.h), so the forward, the input adjoints and the weight gradients
 * of a layer are one matmul each over n + 3m rows. The input layer's streams are the same row at
 * every point (x' = (1, 0), x_t = (0, 1/tau), x'' = 0): copied, not multiplied, and its weight
 * gradient skips the zero x'' rows. Threads: see dnnl_util.c; our loops are serial, in a fixed
 * order.
 *
 * Subnormals: as in the advection engine, IReLU squares its input at every layer and sends the deep
 * layers' values, tangents and adjoints below float's normal range, where every operation costs
 * ~100 cycles. Each call runs with flush-to-zero and denormals-are-zero on the calling thread and
 * gives the caller back its own mode. */
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include "dc_arena.h"
#include "dc_dense_f32.h"
#include "dc_rows.h"
#include "dcsweep/model/diffsorp.h"
#include "diffsorp_kernels.h"
#include "dnnl_util.h"

/* Typed views of the flat parameters (or a gradient), from the PINN layout's offsets: layer
 * l < depth is hidden layer l (weight [W][in], bias [W]), layer depth the output (weight [1][W],
 * bias [1]). */
typedef struct dense_view {
    float *weight; /* [out][in] */
    float *bias;   /* [out] */
} dense_view;

struct dc_diffsorp {
    dc_pinn_shape shape;
    dc_pinn_layout layout;
    int64_t max_points; /* M: the most points of a call */
    int64_t max_deriv;  /* Md <= M: the most of them with derivatives (the stream rows) */
    int W, D;
    dc_dnnl ctx;
    /* the dense layers (none adding into its outputs); the biases go in the activations (the
     * output layer's in double) */
    dc_dense_f32 in;     /* 2 -> W: forward on the primal rows only; W0bar over [primal; x; t] */
    dc_dense_f32 hidden; /* W -> W: hidden layers 1..D-1, every product over the stacked rows */
    dc_dense_f32 output; /* W -> 1: the output layer, stacked */
    double flops;        /* matmul FLOPs of the last call */
    dc_arena arena;      /* every array below is a slice of it */
    float *z;            /* [M + 2 Md][2] inputs (x, t/tau), then the rows (1, 0), (0, 1/tau) */
    float *h[DC_PINN_MAX_DEPTH];  /* [M + 3 Md][W] hidden layer l's output, stacked */
    dc_diffsorp_act_saved saved[DC_PINN_MAX_DEPTH]; /* what layer l's reverse needs: d1 [M][W],
                                                     * ex, q, et [Md][W] */
    float *ga, *gb;      /* [M + 3 Md][W] adjoints, stacked (bwd reads one, writes the other) */
    float *out;          /* [M + 3 Md] output layer without its bias, stacked */
    float *seed;         /* [M + 3 Md] the output adjoints, stacked */
    double *jet[4];      /* [M] u', u'_x, u'_xx, u'_t in double */
    double *bar[4];      /* [M] their adjoints */
};

/* Stream k's rows in a stacked array of n + 3m rows: 0 primal, 1 x, 2 t, 3 xx. */
static int64_t stream_row(int stream, int64_t n, int64_t m)
{
    return stream == 0 ? 0 : n + (stream - 1) * m;
}

/* Every workspace array, sized for max_points (see dc_arena). */
static void carve(dc_diffsorp *e, dc_arena *ar)
{
    const int64_t W = e->W, M = e->max_points, Md = e->max_deriv, rows = M + 3 * Md;
    DC_TAKE(ar, e->z, (M + 2 * Md) * 2);
    for (int l = 0; l < e->D; l++) {
        DC_TAKE(ar, e->h[l], rows * W);
        DC_TAKE(ar, e->saved[l].d1, M * W);
        DC_TAKE(ar, e->saved[l].ex, Md * W);
        DC_TAKE(ar, e->saved[l].q, Md * W);
        DC_TAKE(ar, e->saved[l].et, Md * W);
    }
    DC_TAKE(ar, e->ga, rows * W);
    DC_TAKE(ar, e->gb, rows * W);
    DC_TAKE(ar, e->out, rows);
    DC_TAKE(ar, e->seed, rows);
    for (int k = 0; k < 4; k++) {
        DC_TAKE(ar, e->jet[k], M);
        DC_TAKE(ar, e->bar[k], M);
    }
}

int dc_diffsorp_create(dc_diffsorp **engine, const dc_pinn_shape *shape, int64_t max_points,
                       int64_t max_deriv_points, dc_error *err)
{
    int rc = DC_OK;
    dc_diffsorp *e = NULL;
    *engine = NULL;
    if (max_points < 1 || max_points > ((int64_t)1 << 40) || max_deriv_points < 1 ||
        max_deriv_points > max_points)
        DC_FAIL(DC_ERR_INPUT, "diffsorp engine: max_points %lld, max_deriv_points %lld out of "
                "range", (long long)max_points, (long long)max_deriv_points);
    DC_ALLOC(e, 1);
    DC_TRY(dc_pinn_layout_init(&e->layout, shape, err));
    e->shape = *shape;
    e->max_points = max_points;
    e->max_deriv = max_deriv_points;
    e->W = shape->width;
    e->D = shape->depth;
    DC_TRY(dc_dnnl_init(&e->ctx, err));
    DC_TRY(dc_dense_f32_create(&e->in, &e->ctx, 2, e->W, 0, &e->flops, err));
    DC_TRY(dc_dense_f32_create(&e->hidden, &e->ctx, e->W, e->W, 0, &e->flops, err));
    DC_TRY(dc_dense_f32_create(&e->output, &e->ctx, e->W, 1, 0, &e->flops, err));
    carve(e, &e->arena);
    DC_TRY(dc_arena_alloc(&e->arena, err));
    carve(e, &e->arena);
    *engine = e;
    e = NULL;
cleanup:
    dc_diffsorp_destroy(e);
    return rc;
}

void dc_diffsorp_destroy(dc_diffsorp *e)
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

static void view(const dc_diffsorp *e, float *buffer, dense_view *layers)
{
    for (int l = 0; l <= e->D; l++) {
        layers[l].weight = buffer + e->layout.tensors[2 * l].offset;
        layers[l].bias = buffer + e->layout.tensors[2 * l + 1].offset;
    }
}

/* e->z for n points xt [n][2], m of them with derivatives: (x, t/tau) rows, then the input
 * streams' rows (1, 0) and (0, 1/tau) that the input layer's weight gradient multiplies. */
static void load_inputs(dc_diffsorp *e, const double *xt, int64_t n, int64_t m, double tau)
{
    for (int64_t i = 0; i < n; i++) {
        e->z[2 * i] = (float)xt[2 * i];
        e->z[2 * i + 1] = (float)(xt[2 * i + 1] / tau);
    }
    float *zx = e->z + 2 * n, *zt = zx + 2 * m;
    const float inv_tau = (float)(1.0 / tau);
    for (int64_t i = 0; i < m; i++) {
        zx[2 * i] = 1.0f;
        zx[2 * i + 1] = 0.0f;
        zt[2 * i] = 0.0f;
        zt[2 * i + 1] = inv_tau;
    }
}

/* Forward of n points (their inputs in e->z), m with derivatives: e->out [n + 3m] = the output
 * layer without its bias, stacked; e->saved filled for the reverse pass. */
static int forward(dc_diffsorp *e, const dc_activation *act, const dense_view *p, int64_t n,
                   int64_t m, double tau, dc_error *err)
{
    int rc = DC_OK;
    const int W = e->W, D = e->D;
    const int64_t rows = n + 3 * m;
    const float *w0 = p[0].weight; /* [W][2] */
    DC_TRY(dc_dense_f32_forward(&e->in, n, e->z, w0, NULL, e->h[0], err));
    if (m > 0) {
        float *ax = e->h[0] + n * W, *at = ax + m * W, *axx = at + m * W; /* [m][W] each */
        for (int k = 0; k < W; k++) {
            ax[k] = w0[2 * k];
            at[k] = (float)((double)w0[2 * k + 1] / tau);
        }
        for (int64_t i = 1; i < m; i++) {
            memcpy(ax + i * W, ax, (size_t)W * sizeof *ax);
            memcpy(at + i * W, at, (size_t)W * sizeof *at);
        }
        memset(axx, 0, (size_t)(m * W) * sizeof *axx);
    }
    for (int l = 0; l < D; l++) {
        if (l > 0)
            DC_TRY(dc_dense_f32_forward(&e->hidden, rows, e->h[l - 1], p[l].weight, NULL, e->h[l],
                                        err));
        const dc_diffsorp_act a = {.irelu = dc_pinn_layer_is_irelu(act, l, D),
                                   .c = (float)act->irelu_scale};
        dc_diffsorp_act_forward(a, e->h[l], &e->saved[l], p[l].bias, n, m, W);
    }
    DC_TRY(dc_dense_f32_forward(&e->output, rows, e->h[D - 1], p[D].weight, NULL, e->out, err));
cleanup:
    return rc;
}

/* Reverse of S from the output adjoints in e->seed [n + 3m]: every tensor of grad overwritten. */
static int reverse(dc_diffsorp *e, const dense_view *p, int64_t n, int64_t m,
                   const dense_view *grad, dc_error *err)
{
    int rc = DC_OK;
    const int W = e->W, D = e->D;
    const int64_t rows = n + 3 * m;
    double bsum = 0.0;
    for (int64_t i = 0; i < n; i++) bsum += e->bar[0][i];
    grad[D].bias[0] = (float)bsum;
    DC_TRY(dc_dense_f32_wgrad(&e->output, rows, e->seed, e->h[D - 1], grad[D].weight, err));
    DC_TRY(dc_dense_f32_backward(&e->output, rows, e->seed, p[D].weight, e->ga, err));
    float *g = e->ga, *g_next = e->gb;
    for (int l = D - 1; l >= 0; l--) {
        dc_diffsorp_act_reverse(g, &e->saved[l], n, m, W);
        dc_sum_rows(grad[l].bias, g, n, W);
        if (l == 0) {
            /* x and t are data: no input adjoint; the x'' rows of the input are 0 */
            DC_TRY(dc_dense_f32_wgrad(&e->in, n + 2 * m, g, e->z, grad[0].weight, err));
            break;
        }
        DC_TRY(dc_dense_f32_wgrad(&e->hidden, rows, g, e->h[l - 1], grad[l].weight, err));
        DC_TRY(dc_dense_f32_backward(&e->hidden, rows, g, p[l].weight, g_next, err));
        float *tmp = g;
        g = g_next;
        g_next = tmp;
    }
cleanup:
    return rc;
}

/* The outputs of the last forward in double: e->jet (u' with the output bias, the streams as
 * they are, zero past m). */
static void outputs(dc_diffsorp *e, const dense_view *p, int64_t n, int64_t m)
{
    const double b_out = p[e->D].bias[0];
    for (int64_t i = 0; i < n; i++) e->jet[0][i] = (double)e->out[i] + b_out;
    static const int from[4] = {0, 1, 3, 2}; /* jet order u, u_x, u_xx, u_t; stream order 0 x t xx */
    for (int k = 1; k < 4; k++) {
        const float *src = e->out + stream_row(from[k], n, m);
        for (int64_t i = 0; i < m; i++) e->jet[k][i] = src[i];
        for (int64_t i = m; i < n; i++) e->jet[k][i] = 0.0;
    }
}

int dc_diffsorp_predict(dc_diffsorp *e, const dc_activation *act, const float *params,
                        double tau, const double *xt, int64_t n, double *u, double *u_x,
                        double *u_xx, double *u_t, dc_error *err)
{
    int rc = DC_OK;
    const unsigned fp_mode = subnormals_off();
    e->flops = 0.0;
    if (!(tau > 0.0)) DC_FAIL(DC_ERR_INPUT, "diffsorp engine: tau %g is not positive", tau);
    dense_view p[DC_PINN_MAX_DEPTH + 1];
    view(e, (float *)params, p); /* read only */
    double *dst[4] = {u, u_x, u_xx, u_t};
    for (int64_t start = 0; start < n; start += e->max_deriv) {
        const int64_t c = n - start < e->max_deriv ? n - start : e->max_deriv;
        load_inputs(e, xt + 2 * start, c, c, tau);
        DC_TRY(forward(e, act, p, c, c, tau, err));
        outputs(e, p, c, c);
        for (int k = 0; k < 4; k++)
            if (dst[k]) memcpy(dst[k] + start, e->jet[k], (size_t)c * sizeof *dst[k]);
    }
cleanup:
    fp_mode_restore(fp_mode);
    return rc;
}

/* seeds writes the output adjoints into e->bar; grad NULL: forward and seeds only. */
static int run(dc_diffsorp *e, const dc_activation *act, const float *params, double tau,
               const double *xt, int64_t n, int64_t m, dc_diffsorp_seed_fn seeds, void *ctx,
               float *grad, dc_error *err);

int dc_diffsorp_seeded_grad(dc_diffsorp *e, const dc_activation *act, const float *params,
                            double tau, const double *xt, int64_t n, int64_t m,
                            dc_diffsorp_seed_fn seeds, void *ctx, float *grad, dc_error *err)
{
    return run(e, act, params, tau, xt, n, m, seeds, ctx, grad, err);
}

typedef struct loss_ctx {
    const dc_diffsorp_problem *problem;
    dc_diffsorp_loss *loss;
    int want_seeds;
} loss_ctx;

static int loss_seeds(void *vctx, int64_t n, int64_t m, const double *u, const double *u_x,
                      const double *u_xx, const double *u_t, double *u_bar, double *u_x_bar,
                      double *u_xx_bar, double *u_t_bar, dc_error *err)
{
    (void)n, (void)m, (void)err;
    const loss_ctx *c = vctx;
    if (c->want_seeds)
        dc_diffsorp_loss_seeds(c->problem, u, u_x, u_xx, u_t, u_bar, u_x_bar, u_xx_bar, u_t_bar,
                               NULL, c->loss);
    else
        dc_diffsorp_loss_seeds(c->problem, u, u_x, u_xx, u_t, NULL, NULL, NULL, NULL, NULL,
                               c->loss);
    return DC_OK;
}

int dc_diffsorp_loss_grad(dc_diffsorp *e, const dc_activation *act, const float *params,
                          const dc_diffsorp_problem *problem, dc_diffsorp_loss *loss,
                          float *grad, dc_error *err)
{
    int rc = DC_OK;
    DC_TRY(dc_diffsorp_problem_check(problem, err));
    const int64_t m = dc_diffsorp_n_residual_points(problem->n_interior, problem->n_initial,
                                                    problem->n_boundary);
    loss_ctx c = {.problem = problem, .loss = loss, .want_seeds = grad != NULL};
    DC_TRY(run(e, act, params, problem->tau, problem->xt, m + problem->n_data, m, loss_seeds, &c,
               grad, err));
cleanup:
    return rc;
}

int dc_diffsorp_predictor_call(void *ctx, const double *xt, int64_t n, double *u, double *u_x,
                               double *u_xx, double *u_t, dc_error *err)
{
    const dc_diffsorp_predictor *p = ctx;
    return dc_diffsorp_predict(p->engine, &p->act, p->params, p->tau, xt, n, u, u_x, u_xx, u_t,
                               err);
}

static int run(dc_diffsorp *e, const dc_activation *act, const float *params, double tau,
               const double *xt, int64_t n, int64_t m, dc_diffsorp_seed_fn seeds, void *ctx,
               float *grad, dc_error *err)
{
    int rc = DC_OK;
    const unsigned fp_mode = subnormals_off();
    e->flops = 0.0;
    if (n < 0 || m < 0 || m > n || n > e->max_points || m > e->max_deriv)
        DC_FAIL(DC_ERR_INPUT, "diffsorp engine: %lld points (%lld with derivatives), built for "
                "at most %lld (%lld)", (long long)n, (long long)m, (long long)e->max_points,
                (long long)e->max_deriv);
    if (!(tau > 0.0)) DC_FAIL(DC_ERR_INPUT, "diffsorp engine: tau %g is not positive", tau);
    dense_view p[DC_PINN_MAX_DEPTH + 1], g[DC_PINN_MAX_DEPTH + 1];
    view(e, (float *)params, p); /* read only */
    load_inputs(e, xt, n, m, tau);
    DC_TRY(forward(e, act, p, n, m, tau, err));
    outputs(e, p, n, m);
    for (int k = 0; k < 4; k++) memset(e->bar[k], 0, (size_t)n * sizeof *e->bar[k]);
    DC_TRY(seeds(ctx, n, m, e->jet[0], e->jet[1], e->jet[2], e->jet[3], e->bar[0], e->bar[1],
                 e->bar[2], e->bar[3], err));
    if (!grad) goto cleanup;
    view(e, grad, g);
    for (int64_t i = 0; i < n; i++) e->seed[i] = (float)e->bar[0][i];
    static const int to[4] = {0, 1, 3, 2}; /* stream order 0 x t xx from jet order u u_x u_xx u_t */
    for (int k = 1; k < 4; k++) {
        float *dst = e->seed + stream_row(to[k], n, m);
        for (int64_t i = 0; i < m; i++) dst[i] = (float)e->bar[k][i];
    }
    DC_TRY(reverse(e, p, n, m, g, err));
cleanup:
    fp_mode_restore(fp_mode);
    return rc;
}

double dc_diffsorp_step_flops(const dc_pinn_shape *shape, int64_t n, int64_t m)
{
    const double W = shape->width, D = shape->depth;
    const double rows = (double)n + 3.0 * (double)m, in_rows = (double)n + 2.0 * (double)m;
    /* hidden layers 1..D-1: forward, input adjoint and weight gradient over every stacked row;
     * input layer: forward on the n primal rows (its streams are copied rows), weight gradient
     * over the primal, x and t rows (K = 2); output layer (N = 1): forward, adjoint and weight
     * gradient over every stacked row */
    return 3.0 * (D - 1.0) * 2.0 * rows * W * W + 2.0 * (double)n * 2.0 * W +
           2.0 * in_rows * W * 2.0 + 3.0 * 2.0 * rows * W;
}

double dc_diffsorp_last_flops(const dc_diffsorp *e) { return e->flops; }
