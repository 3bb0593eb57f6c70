/* The double-precision reference PINN: outputs, exact input derivatives and the exact gradient,
 * as a static schedule of the kit's ops (src/model/kit/dc_op.h) run by its generic passes:
 *
 *   xt [N][2] -> (dense W_l, b_l -> act_l) for l < depth -> dense W_depth, b_depth -> u [N][1]
 *
 * The passes (docs/pinn.md, "The gradient"):
 *   1. forward of plane 0 and of plane 1, the tangent along a direction v of the input (x, t);
 *   2. the loss and its seeds ubar = dL/du', rbar = dL/dr' (pinn_common.c), r' = plane 1 of u;
 *   3. reverse of S = sum_i ubar_i u'_i + rbar_i r'_i over both planes, parameter gradients
 *      accumulated from both (each op's vjp).
 * Training uses v = (beta, 1): the residual is one directional derivative (pinn_internal.h).
 * Prediction runs plane 1 twice, along x and along t; u_xx is plane 2 of a jet of order 2 along x.
 * Every intermediate is kept (a yardstick, not a fast path). */
#include <string.h>

#include "dc_op.h"
#include "pinn_internal.h"

typedef struct dc_pinn_ref_net {
    dc_sched sched;
    int xt, u;        /* buffer ids: the points [N][2], the output [N][1] */
    int64_t n_params; /* of the layout */
} dc_pinn_ref_net;

/* Builds and allocates the schedule of N points with jets of order K; xt is copied in. */
static int net_init(dc_pinn_ref_net *net, const dc_pinn_shape *shape, const dc_activation *act,
                    const double *xt, int64_t N, int K, dc_error *err)
{
    int rc = DC_OK;
    dc_pinn_layout layout;
    memset(net, 0, sizeof *net);
    dc_sched_init(&net->sched, K);
    DC_TRY(dc_pinn_layout_init(&layout, shape, err));
    if (N < 0) DC_FAIL(DC_ERR_INPUT, "PINN: negative point count %lld", (long long)N);
    dc_sched *s = &net->sched;
    net->n_params = layout.n_params;
    const int W = shape->width, D = shape->depth;
    int h = net->xt = dc_sched_input(s, "xt", N, 2);
    for (int l = 0; l <= D; l++) {
        const int in = l == 0 ? 2 : W, out = l == D ? 1 : W;
        const int w = dc_sched_param(s, "W", dc_pinn_weight_offset(&layout, l), out, in);
        const int b = dc_sched_param(s, "b", dc_pinn_bias_offset(&layout, l), out, 1);
        h = dc_sched_dense(s, l == D ? "u" : "a", h, w, b);
        if (l < D) {
            const dc_act a = dc_pinn_layer_is_irelu(act, l, D)
                                 ? (dc_act){.kind = DC_ACT_IRELU, .c = act->irelu_scale}
                                 : (dc_act){.kind = DC_ACT_TANH};
            h = dc_sched_act(s, "h", h, a);
        }
    }
    net->u = h;
    DC_TRY(dc_sched_alloc(s, err));
    memcpy(s->bufs[net->xt].val[0], xt, (size_t)(2 * N) * sizeof *xt);
cleanup:
    return rc;
}

/* Plane 1 of the input: the direction v at every point; higher planes stay 0 (a straight line). */
static void set_direction(dc_pinn_ref_net *net, const double v[2])
{
    dc_buf *x = &net->sched.bufs[net->xt];
    for (int64_t i = 0; i < x->rows; i++) {
        x->val[1][2 * i] = v[0];
        x->val[1][2 * i + 1] = v[1];
    }
}

static void copy_plane(double *dst, const dc_pinn_ref_net *net, int k)
{
    const dc_buf *u = &net->sched.bufs[net->u];
    if (dst) memcpy(dst, u->val[k], (size_t)u->rows * sizeof *dst);
}

int dc_pinn_ref_predict(const dc_pinn_shape *shape, const dc_activation *act, const double *params,
                        const double *xt, int64_t n, double *u, double *u_x, double *u_t,
                        dc_error *err)
{
    int rc = DC_OK;
    dc_pinn_ref_net net;
    DC_TRY(net_init(&net, shape, act, xt, n, 1, err));
    const double along_x[2] = {1.0, 0.0}, along_t[2] = {0.0, 1.0};
    dc_sched_bind(&net.sched, params, NULL);
    set_direction(&net, along_x);
    dc_sched_forward(&net.sched, 0);
    dc_sched_forward(&net.sched, 1);
    copy_plane(u, &net, 0);
    copy_plane(u_x, &net, 1);
    if (u_t) {
        set_direction(&net, along_t);
        dc_sched_forward(&net.sched, 1); /* plane 0 does not depend on the direction */
        copy_plane(u_t, &net, 1);
    }
cleanup:
    dc_sched_free(&net.sched);
    return rc;
}

int dc_pinn_ref_predict_xx(const dc_pinn_shape *shape, const dc_activation *act,
                           const double *params, const double *xt, int64_t n, double *u,
                           double *u_x, double *u_xx, dc_error *err)
{
    int rc = DC_OK;
    dc_pinn_ref_net net;
    DC_TRY(net_init(&net, shape, act, xt, n, 2, err));
    const double along_x[2] = {1.0, 0.0};
    dc_sched_bind(&net.sched, params, NULL);
    set_direction(&net, along_x);
    for (int k = 0; k <= 2; k++) dc_sched_forward(&net.sched, k);
    copy_plane(u, &net, 0);
    copy_plane(u_x, &net, 1);
    copy_plane(u_xx, &net, 2);
cleanup:
    dc_sched_free(&net.sched);
    return rc;
}

int dc_pinn_ref_loss_grad(const dc_pinn_shape *shape, const dc_activation *act,
                          const double *params, const dc_pinn_problem *problem, dc_pinn_loss *loss,
                          double *grad, dc_error *err)
{
    int rc = DC_OK;
    dc_pinn_ref_net net;
    memset(&net, 0, sizeof net);
    DC_TRY(dc_pinn_problem_check(problem, err));
    const int64_t N = dc_pinn_n_points(problem->n_interior, problem->n_initial,
                                       problem->n_boundary);
    DC_TRY(net_init(&net, shape, act, problem->xt, N, 1, err));
    dc_sched *s = &net.sched;
    dc_buf *u = &s->bufs[net.u];
    double v[2];
    dc_pinn_residual_direction(problem->beta, v);
    dc_sched_bind(s, params, NULL);
    set_direction(&net, v);
    dc_sched_forward(s, 0);
    dc_sched_forward(s, 1);
    dc_sched_zero_adj(s, 1);
    dc_pinn_loss_seeds(problem, u->val[0], u->val[1], u->adj[0], u->adj[1], loss);
    if (grad) {
        memset(grad, 0, (size_t)net.n_params * sizeof *grad);
        dc_sched_bind(s, params, grad);
        dc_sched_reverse(s, 1, 1);
    }
cleanup:
    dc_sched_free(&net.sched);
    return rc;
}
