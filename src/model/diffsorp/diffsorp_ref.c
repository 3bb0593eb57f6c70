/* The double-precision reference network of diffusion-sorption: the advection PINN's MLP on the
 * kit's op schedules (src/model/kit/dc_op.h), fed (x, t / tau):
 *
 *   in [N][2] -> (dense W_l, b_l -> act_l) for l < depth -> dense W_depth, b_depth -> u' [N][1]
 *
 * Two schedules of the same network, each with its own jet:
 *   sx: order 2 along x (input planes 1 = (1, 0), 2 = 0): planes 0, 1, 2 of u' are u', u'_x, u'_xx;
 *   st: order 1 along t (input plane 1 = (0, 1/tau)): plane 1 of u' is u'_t in physical time.
 * A jet carries one direction only, and the reverse pass needs every intermediate of both
 * directions, so each direction keeps its own planes rather than re-running one schedule.
 * The gradient (DIFFSORP.md "Loss"):
 *   1. forward both schedules;
 *   2. the loss and its seeds (diffsorp_loss.c) from u', u'_x, u'_xx (sx) and u'_t (st);
 *   3. reverse sx with adjoints (u'bar, u'_xbar, u'_xxbar) on planes 0..2 (the order-2 vjp brings
 *      the activations' third derivatives), reverse st with (0, u'_tbar) on planes 0..1; each adds
 *      its parameter adjoints to the one gradient vector: L depends on the parameters through the
 *      four outputs, and each schedule's reverse is the vjp of the outputs it computed.
 * Every intermediate is kept (a yardstick, not a fast path). */
#include <stdlib.h>
#include <string.h>

#include "dc_op.h"
#include "dcsweep/model/diffsorp.h"
#include "pinn/pinn_internal.h"

typedef struct diffsorp_net {
    dc_sched sched;
    int in, u;        /* buffer ids: the network's input [N][2] = (x, t/tau), its output [N][1] */
} diffsorp_net;

/* Builds and allocates the schedule of N points with jets of order K; its input is (x, t/tau) of
 * xt, and the jet's direction v [2] on plane 1 (higher planes 0: a straight line). */
static int net_init(diffsorp_net *net, const dc_pinn_shape *shape, const dc_activation *act,
                    const double *xt, int64_t N, double tau, int K, const double v[2],
                    dc_error *err)
{
    int rc = DC_OK;
    dc_pinn_layout layout;
    memset(net, 0, sizeof *net);
    dc_sched_init(&net->sched, K);
    DC_TRY(dc_pinn_layout_init(&layout, shape, err));
    if (N < 0) DC_FAIL(DC_ERR_INPUT, "diffsorp: negative point count %lld", (long long)N);
    dc_sched *s = &net->sched;
    const int W = shape->width, D = shape->depth;
    int h = net->in = dc_sched_input(s, "in", N, 2);
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
    dc_buf *x = &s->bufs[net->in];
    for (int64_t i = 0; i < N; i++) {
        x->val[0][2 * i] = xt[2 * i];
        x->val[0][2 * i + 1] = xt[2 * i + 1] / tau;
        x->val[1][2 * i] = v[0];
        x->val[1][2 * i + 1] = v[1];
    }
cleanup:
    return rc;
}

/* The two networks of N points, forward: sx's planes 0..2, st's planes 0..1. */
typedef struct diffsorp_pair {
    diffsorp_net x, t;
} diffsorp_pair;

static int pair_forward(diffsorp_pair *p, const dc_pinn_shape *shape, const dc_activation *act,
                        const double *params, double tau, const double *xt, int64_t N,
                        dc_error *err)
{
    int rc = DC_OK;
    const double along_x[2] = {1.0, 0.0}, along_t[2] = {0.0, 1.0 / tau};
    memset(p, 0, sizeof *p);
    if (!(tau > 0.0)) DC_FAIL(DC_ERR_INPUT, "diffsorp: time scale tau %g must be > 0", tau);
    DC_TRY(net_init(&p->x, shape, act, xt, N, tau, 2, along_x, err));
    DC_TRY(net_init(&p->t, shape, act, xt, N, tau, 1, along_t, err));
    dc_sched_bind(&p->x.sched, params, NULL);
    dc_sched_bind(&p->t.sched, params, NULL);
    for (int k = 0; k <= 2; k++) dc_sched_forward(&p->x.sched, k);
    for (int k = 0; k <= 1; k++) dc_sched_forward(&p->t.sched, k);
cleanup:
    return rc;
}

static void pair_free(diffsorp_pair *p)
{
    dc_sched_free(&p->x.sched);
    dc_sched_free(&p->t.sched);
}

static const double *plane(const diffsorp_net *net, int k)
{
    return net->sched.bufs[net->u].val[k];
}

static void copy_out(double *dst, const double *src, int64_t n)
{
    if (dst) memcpy(dst, src, (size_t)n * sizeof *dst);
}

int dc_diffsorp_ref_predict(const dc_pinn_shape *shape, const dc_activation *act,
                            const double *params, double tau, const double *xt, int64_t n,
                            double *u, double *u_x, double *u_xx, double *u_t, dc_error *err)
{
    int rc = DC_OK;
    diffsorp_pair p;
    DC_TRY(pair_forward(&p, shape, act, params, tau, xt, n, err));
    copy_out(u, plane(&p.x, 0), n);
    copy_out(u_x, plane(&p.x, 1), n);
    copy_out(u_xx, plane(&p.x, 2), n);
    copy_out(u_t, plane(&p.t, 1), n);
cleanup:
    pair_free(&p);
    return rc;
}

/* grad = the vjp of both schedules from the seeds already in their output adjoint planes. */
static void pair_reverse(diffsorp_pair *p, const double *params, double *grad, int64_t n_params)
{
    memset(grad, 0, (size_t)n_params * sizeof *grad);
    dc_sched_bind(&p->x.sched, params, grad);
    dc_sched_bind(&p->t.sched, params, grad);
    dc_sched_reverse(&p->x.sched, 2, 2);
    dc_sched_reverse(&p->t.sched, 1, 1);
}

int dc_diffsorp_ref_vjp(const dc_pinn_shape *shape, const dc_activation *act,
                        const double *params, double tau, const double *xt, int64_t n,
                        const double *u_bar, const double *u_x_bar, const double *u_xx_bar,
                        const double *u_t_bar, double *grad, dc_error *err)
{
    int rc = DC_OK;
    diffsorp_pair p;
    dc_pinn_layout layout;
    memset(&p, 0, sizeof p);
    DC_TRY(dc_pinn_layout_init(&layout, shape, err));
    DC_TRY(pair_forward(&p, shape, act, params, tau, xt, n, err));
    dc_sched_zero_adj(&p.x.sched, 2);
    dc_sched_zero_adj(&p.t.sched, 1);
    dc_buf *ux = &p.x.sched.bufs[p.x.u], *ut = &p.t.sched.bufs[p.t.u];
    const double *seeds[4] = {u_bar, u_x_bar, u_xx_bar, u_t_bar};
    double *adj[4] = {ux->adj[0], ux->adj[1], ux->adj[2], ut->adj[1]};
    for (int k = 0; k < 4; k++)
        if (seeds[k]) memcpy(adj[k], seeds[k], (size_t)n * sizeof(double));
    pair_reverse(&p, params, grad, layout.n_params);
cleanup:
    pair_free(&p);
    return rc;
}

int dc_diffsorp_ref_loss_grad(const dc_pinn_shape *shape, const dc_activation *act,
                              const double *params, const dc_diffsorp_problem *problem,
                              dc_diffsorp_loss *loss, double *grad, dc_error *err)
{
    int rc = DC_OK;
    diffsorp_pair p;
    dc_pinn_layout layout;
    memset(&p, 0, sizeof p);
    DC_TRY(dc_diffsorp_problem_check(problem, err));
    DC_TRY(dc_pinn_layout_init(&layout, shape, err));
    const int64_t N = dc_diffsorp_n_residual_points(problem->n_interior, problem->n_initial,
                                                    problem->n_boundary) + problem->n_data;
    DC_TRY(pair_forward(&p, shape, act, params, problem->tau, problem->xt, N, err));
    dc_sched_zero_adj(&p.x.sched, 2);
    dc_sched_zero_adj(&p.t.sched, 1);
    dc_buf *ux = &p.x.sched.bufs[p.x.u], *ut = &p.t.sched.bufs[p.t.u];
    /* st's plane-0 adjoint stays 0: u' is seeded once, in sx */
    dc_diffsorp_loss_seeds(problem, ux->val[0], ux->val[1], ux->val[2], ut->val[1], ux->adj[0],
                           ux->adj[1], ux->adj[2], ut->adj[1], NULL, loss);
    if (grad) pair_reverse(&p, params, grad, layout.n_params);
cleanup:
    pair_free(&p);
    return rc;
}
