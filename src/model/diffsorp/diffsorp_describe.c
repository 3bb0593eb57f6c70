/* What the command line shows of a diffusion-sorption sweep (dc_model_ops.describe): the task
 * before the plan, and for `dcsweep validate` the points, the loss weights, the labels' rescaling
 * statistics for the grid's methods (a degenerate one would fail those runs) and the network. */
#include <stdlib.h>

#include "dcsweep/core/json_out.h"
#include "dcsweep/data/rescale.h"
#include "dcsweep/model/diffsorp.h"
#include "diffsorp_solver.h"

static void describe_plan(const dc_sweep *sweep, const dc_diffsorp_task *t, FILE *out)
{
    fprintf(out, "task diffsorp: u_t = D/R(u) u_xx on [0, 1] x [0, %d], u(x, 0) = %g, t input %s\n"
            "  %d interior + %d initial + 2 x %d boundary + %lld data points; MLP %dx%d; %d full-batch steps\n",
            t->t_end, t->u_init, t->t_raw ? "raw" : "scaled", t->n_interior, t->n_initial, t->n_boundary,
            (long long)t->data_points, t->width, t->depth, sweep->train.epochs);
}

static void describe_plan_json(const dc_sweep *sweep, const dc_diffsorp_task *t, FILE *out)
{
    char u_init[32];
    dc_json_double(u_init, sizeof u_init, t->u_init);
    fprintf(out, "\"task\": {\"kind\": \"diffsorp\", \"t_end\": %d, \"u_init\": %s, \"t_input\": \"%s\", "
            "\"n_interior\": %d, \"n_initial\": %d, \"n_boundary\": %d, \"data_points\": %lld, "
            "\"width\": %d, \"depth\": %d, \"steps\": %d}, ",
            t->t_end, u_init, t->t_raw ? "raw" : "scaled", t->n_interior, t->n_initial, t->n_boundary,
            (long long)t->data_points, t->width, t->depth, sweep->train.epochs);
}

/* The labels (with the data targets, which need the reference field: about a second at T = 500). */
static int labels_of(const dc_diffsorp_task *t, double **labels, int64_t *n, dc_error *err)
{
    int rc = DC_OK;
    double *frames = NULL, *target = NULL;
    int64_t *index = NULL;
    const int64_t grid = DC_DIFFSORP_NX * ((int64_t)t->t_end + 1);
    if (t->data_points > 0) {
        dc_diffsorp_solver_cfg cfg;
        dc_diffsorp_solver_defaults(&cfg, t->t_end, t->u_init);
        DC_ALLOC(frames, grid);
        DC_TRY(dc_diffsorp_solve(&cfg, frames, NULL, err));
        DC_ALLOC(index, t->data_points);
        DC_ALLOC(target, t->data_points);
        DC_TRY(dc_diffsorp_data_select(grid, t->data_points, index, err));
        dc_diffsorp_data_points(DC_DIFFSORP_NX, frames, index, t->data_points, NULL, target);
    }
    *n = (int64_t)t->n_initial + t->n_boundary + t->data_points;
    DC_ALLOC(*labels, *n);
    dc_diffsorp_labels(t->u_init, t->n_initial, t->n_boundary, target, t->data_points, *labels);
cleanup:
    free(frames);
    free(index);
    free(target);
    return rc;
}

static int describe_validate(const dc_sweep *sweep, const dc_diffsorp_task *t, FILE *out, dc_error *err)
{
    int rc = DC_OK;
    double *labels = NULL;
    int64_t n_labels = 0;
    dc_pinn_layout layout;
    const dc_pinn_shape shape = {.width = t->width, .depth = t->depth};
    DC_TRY(dc_pinn_layout_init(&layout, &shape, err));
    DC_TRY(labels_of(t, &labels, &n_labels, err));
    fprintf(out, "%-11s diffusion-sorption u_t = D/R(u) u_xx, x in [0, 1], t in [0, %d], D %g, K %.6f, n_f %g\n",
            "task", t->t_end, DC_DIFFSORP_D, dc_diffsorp_sorption_k(), DC_DIFFSORP_N_F);
    fprintf(out, "%-11s u(x, 0) = %g, u(0, t) = 1, u(1, t) + D u_x(1, t) = 0; the network sees t%s\n",
            "conditions", t->u_init, t->t_raw ? "" : " / T");
    fprintf(out, "%-11s %d interior, %d initial, 2 x %d boundary, %lld data (reference grid)\n", "points",
            t->n_interior, t->n_initial, t->n_boundary, (long long)t->data_points);
    fprintf(out, "%-11s weights residual %g, initial %g, boundary %g, data %g\n", "loss", t->w_residual,
            t->w_initial, t->w_boundary, t->w_data);
    fprintf(out, "%-11s", "rescaling");
    for (int r = 0; r < sweep->grid.n_rescaling; r++) {
        dc_rescale rs;
        dc_error why = {0};
        dc_rescaling method = sweep->grid.rescaling[r];
        if (dc_rescale_fit(&rs, method, labels, n_labels, &why) == DC_OK)
            fprintf(out, "%s %s (shift %.6g, scale %.6g)", r ? "," : "", dc_rescaling_name(method), rs.shift,
                    rs.scale);
        else
            fprintf(out, "%s %s (degenerate: its runs would fail)", r ? "," : "", dc_rescaling_name(method));
    }
    fprintf(out, "\n%-11s MLP (x, t) -> u, %d hidden layers of %d, %lld parameters\n", "model", shape.depth,
            shape.width, (long long)layout.n_params);
    fprintf(out, "%-11s %d full-batch steps, lr %g\n", "train", sweep->train.epochs, sweep->train.learning_rate);
cleanup:
    free(labels);
    return rc;
}

int dc_diffsorp_describe(const dc_sweep *sweep, dc_describe what, FILE *out, dc_error *err)
{
    dc_diffsorp_task t;
    dc_diffsorp_task_from_sweep(&t, sweep);
    switch (what) {
    case DC_DESCRIBE_PLAN: describe_plan(sweep, &t, out); break;
    case DC_DESCRIBE_PLAN_JSON: describe_plan_json(sweep, &t, out); break;
    case DC_DESCRIBE_VALIDATE: return describe_validate(sweep, &t, out, err);
    }
    return DC_OK;
}
