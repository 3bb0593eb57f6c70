/* The double-precision reference PINN: outputs, exact input derivatives and the exact gradient.
 *
 * The passes (docs/pinn.md, "The gradient"):
 *   1. forward of primal values and of one tangent along a direction v of the input (x, t);
 *   2. the loss and its seeds ubar = dL/du', rbar = dL/dr' (pinn_common.c), r' the tangent output;
 *   3. reverse of S = sum_i ubar_i u'_i + rbar_i r'_i over primal and tangent values together,
 *      two adjoints per value, parameter gradients accumulated from both.
 * Training uses v = (beta, 1): the residual is one directional derivative (pinn_internal.h).
 * Prediction runs pass 1 twice, along x and along t. Every intermediate is kept (a yardstick,
 * not a fast path). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pinn_internal.h"

typedef struct ref_net {
    int W, D;
    int64_t N;
    const dc_pinn_layout *layout;
    int irelu[DC_PINN_MAX_DEPTH];
    double c;
    /* forward, per hidden layer l; h[0] is the input xt (borrowed), ht[0] the direction v */
    double *h[DC_PINN_MAX_DEPTH + 1], *ht[DC_PINN_MAX_DEPTH + 1]; /* [N][2] or [N][W] */
    double *a[DC_PINN_MAX_DEPTH], *at[DC_PINN_MAX_DEPTH];         /* [N][W] pre-activation, tangent */
    double *ds[DC_PINN_MAX_DEPTH], *dds[DC_PINN_MAX_DEPTH];       /* [N][W] s'(a), s''(a) */
    double *u, *r;                                                /* [N] output, its tangent */
    /* reverse, reused by every layer */
    double *ubar, *rbar;                /* [N] */
    double *hbar, *htbar, *abar, *atbar; /* [N][W] */
} ref_net;

/* Hands out consecutive slices of one arena; with base == NULL it only counts. */
static double *take(double *base, int64_t *used, int64_t n)
{
    double *p = base ? base + *used : NULL;
    *used += n;
    return p;
}

static int64_t carve(ref_net *s, double *base)
{
    int64_t used = 0;
    const int64_t NW = s->N * s->W;
    s->ht[0] = take(base, &used, 2 * s->N);
    for (int l = 0; l < s->D; l++) {
        s->h[l + 1] = take(base, &used, NW);
        s->ht[l + 1] = take(base, &used, NW);
        s->a[l] = take(base, &used, NW);
        s->at[l] = take(base, &used, NW);
        s->ds[l] = take(base, &used, NW);
        s->dds[l] = take(base, &used, NW);
    }
    s->u = take(base, &used, s->N);
    s->r = take(base, &used, s->N);
    s->ubar = take(base, &used, s->N);
    s->rbar = take(base, &used, s->N);
    s->hbar = take(base, &used, NW);
    s->htbar = take(base, &used, NW);
    s->abar = take(base, &used, NW);
    s->atbar = take(base, &used, NW);
    return used;
}

/* y [n][out] = x [n][in] w^T (w [out][in]) + b [out] (b may be NULL) */
static void dense_forward(double *y, const double *x, const double *w, const double *b, int64_t n,
                          int in, int out)
{
    for (int64_t i = 0; i < n; i++)
        for (int o = 0; o < out; o++) {
            double acc = b ? b[o] : 0.0;
            for (int k = 0; k < in; k++) acc += x[i * in + k] * w[(int64_t)o * in + k];
            y[i * out + o] = acc;
        }
}

/* Reverse of dense_forward, accumulating: xbar [n][in] += ybar w (may be NULL),
 * wbar [out][in] += ybar^T x, bbar [out] += sum of rows of ybar (may be NULL). */
static void dense_backward(double *xbar, double *wbar, double *bbar, const double *ybar,
                           const double *x, const double *w, int64_t n, int in, int out)
{
    for (int64_t i = 0; i < n; i++)
        for (int o = 0; o < out; o++) {
            const double g = ybar[i * out + o];
            if (bbar) bbar[o] += g;
            for (int k = 0; k < in; k++) {
                wbar[(int64_t)o * in + k] += g * x[i * in + k];
                if (xbar) xbar[i * in + k] += g * w[(int64_t)o * in + k];
            }
        }
}

/* h = s(a), ds = s'(a), dds = s''(a)   [n] each; tanh or irelu_c (docs/pinn.md) */
static void act_forward(double *h, double *ds, double *dds, const double *a, int64_t n, int irelu,
                        double c)
{
    for (int64_t k = 0; k < n; k++) {
        if (irelu) {
            const double p = a[k] > 0.0 ? a[k] : 0.0;
            h[k] = c * p * p;
            ds[k] = 2.0 * c * p;
            dds[k] = a[k] > 0.0 ? 2.0 * c : 0.0;
        } else {
            const double t = tanh(a[k]);
            h[k] = t;
            ds[k] = 1.0 - t * t;
            dds[k] = -2.0 * t * ds[k];
        }
    }
}

static const double *weight(const ref_net *s, const double *p, int l)
{
    return p + dc_pinn_weight_offset(s->layout, l);
}

static const double *bias(const ref_net *s, const double *p, int l)
{
    return p + dc_pinn_bias_offset(s->layout, l);
}

/* Pass 1 at the points xt [N][2] with the tangent along v [2]: s->u = u', s->r = D_v u'. */
static void forward(ref_net *s, const double *p, const double *xt, const double v[2])
{
    const int64_t N = s->N, NW = N * s->W;
    s->h[0] = (double *)xt; /* read only */
    for (int64_t i = 0; i < N; i++) {
        s->ht[0][2 * i] = v[0];
        s->ht[0][2 * i + 1] = v[1];
    }
    for (int l = 0; l < s->D; l++) {
        const int in = l == 0 ? 2 : s->W;
        dense_forward(s->a[l], s->h[l], weight(s, p, l), bias(s, p, l), N, in, s->W);
        dense_forward(s->at[l], s->ht[l], weight(s, p, l), NULL, N, in, s->W);
        act_forward(s->h[l + 1], s->ds[l], s->dds[l], s->a[l], NW, s->irelu[l], s->c);
        for (int64_t k = 0; k < NW; k++) s->ht[l + 1][k] = s->ds[l][k] * s->at[l][k];
    }
    dense_forward(s->u, s->h[s->D], weight(s, p, s->D), bias(s, p, s->D), N, s->W, 1);
    dense_forward(s->r, s->ht[s->D], weight(s, p, s->D), NULL, N, s->W, 1);
}

/* Pass 3: grad [n_params] = dS/dtheta for the seeds s->ubar, s->rbar. Rules per layer:
 * abar = hbar s' + h'bar s'' a',  a'bar = h'bar s'  (activation); for a dense layer y = h W^T + b
 * and its tangent y' = h' W^T: hbar = ybar W, h'bar = y'bar W, Wbar = ybar^T h + y'bar^T h',
 * bbar = sum of ybar over the rows. */
static void reverse(ref_net *s, const double *p, double *grad)
{
    const int64_t N = s->N, NW = N * s->W;
    const int D = s->D;
    memset(grad, 0, (size_t)s->layout->n_params * sizeof *grad);
    memset(s->hbar, 0, (size_t)NW * sizeof *s->hbar);
    memset(s->htbar, 0, (size_t)NW * sizeof *s->htbar);
    double *gw = grad + dc_pinn_weight_offset(s->layout, D);
    double *gb = grad + dc_pinn_bias_offset(s->layout, D);
    dense_backward(s->hbar, gw, gb, s->ubar, s->h[D], weight(s, p, D), N, s->W, 1);
    dense_backward(s->htbar, gw, NULL, s->rbar, s->ht[D], weight(s, p, D), N, s->W, 1);
    for (int l = D - 1; l >= 0; l--) {
        for (int64_t k = 0; k < NW; k++) {
            s->abar[k] = s->hbar[k] * s->ds[l][k] + s->htbar[k] * s->dds[l][k] * s->at[l][k];
            s->atbar[k] = s->htbar[k] * s->ds[l][k];
        }
        const int in = l == 0 ? 2 : s->W;
        /* the input's adjoints are not needed: x and t are not parameters */
        double *xbar = l > 0 ? s->hbar : NULL, *xtbar = l > 0 ? s->htbar : NULL;
        if (l > 0) {
            memset(s->hbar, 0, (size_t)NW * sizeof *s->hbar);
            memset(s->htbar, 0, (size_t)NW * sizeof *s->htbar);
        }
        gw = grad + dc_pinn_weight_offset(s->layout, l);
        gb = grad + dc_pinn_bias_offset(s->layout, l);
        dense_backward(xbar, gw, gb, s->abar, s->h[l], weight(s, p, l), N, in, s->W);
        dense_backward(xtbar, gw, NULL, s->atbar, s->ht[l], weight(s, p, l), N, in, s->W);
    }
}

/* Sets up s for N points and allocates its arena (*arena, freed by the caller). */
static int net_init(ref_net *s, dc_pinn_layout *layout, const dc_pinn_shape *shape,
                    const dc_activation *act, int64_t N, double **arena, dc_error *err)
{
    int rc = DC_OK;
    memset(s, 0, sizeof *s);
    *arena = NULL;
    DC_TRY(dc_pinn_layout_init(layout, shape, err));
    if (N < 0) DC_FAIL(DC_ERR_INPUT, "PINN: negative point count %lld", (long long)N);
    s->W = shape->width;
    s->D = shape->depth;
    s->N = N;
    s->layout = layout;
    s->c = act->irelu_scale;
    for (int l = 0; l < s->D; l++) s->irelu[l] = dc_pinn_layer_is_irelu(act, l, s->D);
    DC_ALLOC(*arena, carve(s, NULL) + 1);
    carve(s, *arena);
cleanup:
    return rc;
}

int dc_pinn_ref_predict(const dc_pinn_shape *shape, const dc_activation *act, const double *params,
                        const double *xt, int64_t n, double *u, double *u_x, double *u_t,
                        dc_error *err)
{
    int rc = DC_OK;
    ref_net s;
    dc_pinn_layout layout;
    double *arena = NULL;
    DC_TRY(net_init(&s, &layout, shape, act, n, &arena, err));
    const double along_x[2] = {1.0, 0.0}, along_t[2] = {0.0, 1.0};
    forward(&s, params, xt, along_x);
    if (u) memcpy(u, s.u, (size_t)n * sizeof *u);
    if (u_x) memcpy(u_x, s.r, (size_t)n * sizeof *u_x);
    if (u_t) {
        forward(&s, params, xt, along_t);
        memcpy(u_t, s.r, (size_t)n * sizeof *u_t);
    }
cleanup:
    free(arena);
    return rc;
}

int dc_pinn_ref_loss_grad(const dc_pinn_shape *shape, const dc_activation *act,
                          const double *params, const dc_pinn_problem *problem, dc_pinn_loss *loss,
                          double *grad, dc_error *err)
{
    int rc = DC_OK;
    ref_net s;
    dc_pinn_layout layout;
    double *arena = NULL;
    DC_TRY(dc_pinn_problem_check(problem, err));
    const int64_t N = dc_pinn_n_points(problem->n_interior, problem->n_initial,
                                       problem->n_boundary);
    DC_TRY(net_init(&s, &layout, shape, act, N, &arena, err));
    double v[2];
    dc_pinn_residual_direction(problem->beta, v);
    forward(&s, params, problem->xt, v);
    dc_pinn_loss_seeds(problem, s.u, s.r, s.ubar, s.rbar, loss);
    if (grad) reverse(&s, params, grad);
cleanup:
    free(arena);
    return rc;
}
