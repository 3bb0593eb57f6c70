/* What the command line shows of an advection sweep (dc_model_ops.describe): the task before the
 * plan, and for `dcsweep validate` the drawn initial condition, the points, the labels' rescaling
 * statistics for the grid's methods (a degenerate one would fail those runs) and the network. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/data/rescale.h"
#include "dcsweep/model/pinn.h"
#include "dcsweep/core/json_out.h"

static void describe_plan(const dc_sweep *sweep, const dc_pinn_task *t, FILE *out)
{
    fprintf(out, "task advection: u_t + %g u_x = 0 on [0, 1) x [0, %g], initial condition of ic_seed %lld\n"
            "  %d interior + %d initial + %d boundary-pair points; MLP %dx%d; %d full-batch steps\n",
            t->beta, t->t_end, (long long)t->ic_seed, t->n_interior, t->n_initial, t->n_boundary,
            t->width, t->depth, sweep->train.epochs);
}

static void describe_plan_json(const dc_sweep *sweep, const dc_pinn_task *t, FILE *out)
{
    char beta[32], t_end[32];
    dc_json_double(beta, sizeof beta, t->beta);
    dc_json_double(t_end, sizeof t_end, t->t_end);
    fprintf(out, "\"task\": {\"kind\": \"advection\", \"beta\": %s, \"t_end\": %s, \"ic_seed\": %lld, "
            "\"n_interior\": %d, \"n_initial\": %d, \"n_boundary\": %d, \"width\": %d, "
            "\"depth\": %d, \"steps\": %d}, ",
            beta, t_end, (long long)t->ic_seed, t->n_interior, t->n_initial, t->n_boundary, t->width,
            t->depth, sweep->train.epochs);
}

static void print_ic(const dc_pinn_ic *ic, const dc_pinn_task *t, FILE *out)
{
    fprintf(out, "%-11s advection u_t + %g u_x = 0, x in [0, 1) periodic, t in [0, %g]\n", "task",
            t->beta, t->t_end);
    fprintf(out, "%-11s ic_seed %lld: u0(x) = %s%s(", "initial", (long long)t->ic_seed,
            ic->sign < 0 ? "-" : "", ic->use_window ? "window(x) " : "");
    fprintf(out, "%s", ic->use_abs ? "|" : "");
    for (int k = 0; k < DC_PINN_IC_MODES; k++)
        fprintf(out, "%s%.4f sin(2 pi %d x + %.4f)", k ? " + " : "", ic->A[k], ic->m[k], ic->phi[k]);
    fprintf(out, "%s)\n", ic->use_abs ? "|" : "");
    if (ic->use_window)
        fprintf(out, "%-11s window(x) = 0.5 (tanh((x - %.4f)/0.01) - tanh((x - %.4f)/0.01))\n", "", ic->xL,
                ic->xR);
}

static int describe_validate(const dc_sweep *sweep, const dc_pinn_task *t, FILE *out, dc_error *err)
{
    int rc = DC_OK;
    double *xt = NULL, *x0 = NULL, *u0 = NULL;
    dc_pinn_ic ic;
    dc_pinn_layout layout;
    const dc_pinn_shape shape = {.width = t->width, .depth = t->depth};
    DC_TRY(dc_pinn_layout_init(&layout, &shape, err));
    const int64_t n = dc_pinn_n_points(t->n_interior, t->n_initial, t->n_boundary);
    DC_ALLOC(xt, 2 * n);
    DC_ALLOC(x0, t->n_initial);
    DC_ALLOC(u0, t->n_initial);
    dc_pinn_points(t->t_end, t->n_interior, t->n_initial, t->n_boundary, xt);
    dc_pinn_ic_draw(&ic, (uint64_t)t->ic_seed);
    for (int j = 0; j < t->n_initial; j++) x0[j] = xt[2 * ((int64_t)t->n_interior + j)];
    dc_pinn_ic_eval(&ic, x0, t->n_initial, u0, NULL);
    double lo = u0[0], hi = u0[0];
    for (int j = 1; j < t->n_initial; j++) lo = fmin(lo, u0[j]), hi = fmax(hi, u0[j]);
    print_ic(&ic, t, out);
    fprintf(out, "%-11s u0 at the initial points in %.6f .. %.6f\n", "", lo, hi);
    fprintf(out, "%-11s %d interior, %d initial, %d boundary pairs: %lld points\n", "points", t->n_interior,
            t->n_initial, t->n_boundary, (long long)n);
    fprintf(out, "%-11s weights residual %g, initial %g, boundary %g\n", "loss", t->w_residual, t->w_initial,
            t->w_boundary);
    fprintf(out, "%-11s", "rescaling");
    for (int r = 0; r < sweep->grid.n_rescaling; r++) {
        dc_rescale rs;
        dc_error why = {0};
        dc_rescaling method = sweep->grid.rescaling[r];
        if (dc_rescale_fit(&rs, method, u0, t->n_initial, &why) == DC_OK)
            fprintf(out, "%s %s (shift %.6g, scale %.6g)", r ? "," : "", dc_rescaling_name(method), rs.shift,
                    rs.scale);
        else
            fprintf(out, "%s %s (degenerate: its runs would fail)", r ? "," : "", dc_rescaling_name(method));
    }
    fprintf(out, "\n%-11s MLP (x, t) -> u, %d hidden layers of %d, %lld parameters\n", "model", shape.depth,
            shape.width, (long long)layout.n_params);
    fprintf(out, "%-11s %d full-batch steps, lr %g\n", "train", sweep->train.epochs, sweep->train.learning_rate);
cleanup:
    free(xt);
    free(x0);
    free(u0);
    return rc;
}

int dc_pinn_describe(const dc_sweep *sweep, dc_describe what, FILE *out, dc_error *err)
{
    dc_pinn_task t;
    dc_pinn_task_from_sweep(&t, sweep);
    switch (what) {
    case DC_DESCRIBE_PLAN: describe_plan(sweep, &t, out); break;
    case DC_DESCRIBE_PLAN_JSON: describe_plan_json(sweep, &t, out); break;
    case DC_DESCRIBE_VALIDATE: return describe_validate(sweep, &t, out, err);
    }
    return DC_OK;
}
