/* The advection PINN behind the model interface (dcsweep/model/model.h; the task in docs/pinn.md):
 * the sweep's initial condition, drawn once from task.ic_seed, its collocation points and their
 * targets, and one float engine for the full batch. Everything here is prepared once per worker;
 * a run only changes the activation and the rescaling (begin_run).
 *
 * The model is data-free and full-batch: n_train_items is 0, so the trainer's epoch is one Adam
 * step on every point, and the validation loss is the same loss at the current weights (its
 * points are its data; there is no held-out set). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/model/model.h"
#include "dcsweep/model/pinn.h"
#include "dcsweep/core/json_out.h"

enum { N_METRICS = 5 };  /* u_nrmse, u_rmse, u_max_err, ux_nrmse, residual_rms */

typedef struct pinn_model {
    dc_model_info info;
    dc_pinn_task task;
    dc_pinn_shape shape;
    dc_pinn_layout layout;
    dc_pinn *engine;
    dc_pinn_ic ic;
    int64_t n_points;
    double *xt;                /* [n_points][2] in dc_pinn_points' order */
    double *ic_target;         /* [n_initial] u0 at the initial points: the labels */
    dc_pinn_problem problem;   /* shift and scale are the current run's */
    dc_activation act;         /* of the current run */
    char record[1024];         /* info.record: the drawn initial condition as JSON */
    double *u_exact;           /* [20][1024] the exact u on the metrics' grid (info.task_field) */
    double exact_x[DC_PINN_EVAL_NX];  /* its x_i = (i + 0.5) / 1024 */
    double exact_t[DC_PINN_EVAL_NT];  /* its t_q = T - 0.01 (19 - q) */
} pinn_model;

static void pinn_model_destroy(void *impl)
{
    pinn_model *m = impl;
    if (!m) return;
    dc_pinn_destroy(m->engine);
    free(m->xt);
    free(m->ic_target);
    free(m->u_exact);
    free(m);
}

/* The /runs columns: errors against the exact solution on the evaluation grid, in u's units
 * (relative ones dimensionless); the headline ones are the nRMSE of u and of the derivative the
 * loss constrains. */
static void describe_metrics(dc_model_info *info)
{
    static const struct {
        const char *name, *unit;
        int headline;
    } cols[N_METRICS] = {
        {"u_nrmse", "", DC_HEADLINE_DEFAULT}, {"u_rmse", "u", 0}, {"u_max_err", "u", 0},
        {"ux_nrmse", "", 1}, {"residual_rms", "u", 0},
    };
    info->n_metrics = N_METRICS;
    for (int k = 0; k < N_METRICS; k++) {
        dc_metric_desc *d = &info->metrics[k];
        snprintf(d->name, sizeof d->name, "%s", cols[k].name);
        snprintf(d->unit, sizeof d->unit, "%s", cols[k].unit);
        d->higher_is_better = d->fraction = 0;
        d->headline = cols[k].headline;
    }
}

/* What the results file records of the task (attribute model_record): the drawn initial
 * condition and the equation, so that u0 and the exact solution can be recomputed from the file
 * alone (docs/pinn.md, "The record"). */
static int write_record(pinn_model *m, dc_error *err)
{
    const dc_pinn_ic *ic = &m->ic;
    const size_t cap = sizeof m->record;
    char v[3 + 2 * DC_PINN_IC_MODES][32];
    dc_json_double(v[0], sizeof v[0], m->task.beta);
    dc_json_double(v[1], sizeof v[1], m->task.t_end);
    for (int k = 0; k < DC_PINN_IC_MODES; k++) {
        dc_json_double(v[2 + k], sizeof v[2 + k], ic->A[k]);
        dc_json_double(v[2 + DC_PINN_IC_MODES + k], sizeof v[2 + k], ic->phi[k]);
    }
    char xl[32], xr[32];
    dc_json_double(xl, sizeof xl, ic->xL);
    dc_json_double(xr, sizeof xr, ic->xR);
    int n = snprintf(m->record, cap, "{\"task\": \"advection\", \"beta\": %s, \"t_end\": %s, "
                     "\"ic_seed\": %lld, \"A\": [%s, %s, %s, %s], \"m\": [%d, %d, %d, %d], "
                     "\"phi\": [%s, %s, %s, %s], \"use_abs\": %s, \"sign\": %g, "
                     "\"use_window\": %s, \"xL\": %s, \"xR\": %s}",
                     v[0], v[1], (long long)m->task.ic_seed, v[2], v[3], v[4], v[5], ic->m[0],
                     ic->m[1], ic->m[2], ic->m[3], v[6], v[7], v[8], v[9],
                     ic->use_abs ? "true" : "false", ic->sign, ic->use_window ? "true" : "false",
                     xl, xr);
    if (n < 0 || (size_t)n >= cap)
        return dc_error_set(err, DC_ERR_INTERNAL, "the PINN record is longer than %zu bytes", cap - 1);
    return DC_OK;
}

/* The exact solution on the metrics' grid (dc_pinn_metrics_eval), the results file's task field:
 * what a plot of a kept model's u is drawn against. */
static int exact_field(pinn_model *m, dc_error *err)
{
    int rc = DC_OK;
    const int64_t NX = DC_PINN_EVAL_NX;
    double *xt = NULL;
    DC_ALLOC(xt, 2 * NX);
    DC_ALLOC(m->u_exact, DC_PINN_EVAL_NT * NX);
    for (int64_t i = 0; i < NX; i++) m->exact_x[i] = ((double)i + 0.5) / (double)NX;
    for (int q = 0; q < DC_PINN_EVAL_NT; q++) {
        m->exact_t[q] = m->task.t_end - 0.01 * (double)(DC_PINN_EVAL_NT - 1 - q);
        for (int64_t i = 0; i < NX; i++) {
            xt[2 * i] = m->exact_x[i];
            xt[2 * i + 1] = m->exact_t[q];
        }
        dc_pinn_exact(&m->ic, m->task.beta, xt, NX, m->u_exact + q * NX, NULL);
    }
    m->info.task_field = (dc_task_field){.name = "reference_u", .rows = DC_PINN_EVAL_NT, .cols = (int)NX,
                                         .values = m->u_exact, .x = m->exact_x, .t = m->exact_t};
cleanup:
    free(xt);
    return rc;
}

static void describe(pinn_model *m)
{
    dc_model_info *info = &m->info;
    info->kind = "advection";
    info->numerics_version = DC_PINN_NUMERICS_VERSION;
    info->n_params = m->layout.n_params;
    info->n_tensors = m->layout.n_tensors;
    info->tensors = m->layout.tensors;
    info->n_train_items = 0;
    info->n_terms = 3;
    info->terms[0] = "residual";
    info->terms[1] = "initial";
    info->terms[2] = "boundary";
    info->n_values = 1;
    info->values[0] = "loss";
    describe_metrics(info);
    info->count_names[0] = "points";
    info->count_names[1] = NULL;
    info->record = m->record;
    /* a kept model's evaluation needs the network's shape and the equation it solves */
    dc_model_spec *spec = &info->spec;
    const char *names[4] = {"width", "depth", "beta", "t_end"};
    const double values[4] = {m->shape.width, m->shape.depth, m->task.beta, m->task.t_end};
    for (int k = 0; k < 4; k++) {
        snprintf(spec->names[k], sizeof spec->names[k], "%s", names[k]);
        spec->values[k] = values[k];
    }
    spec->n = 4;
    spec->n_elements = 0;
}

static int pinn_model_create(void **out, const dc_sweep *sweep, dc_error *err)
{
    int rc = DC_OK;
    pinn_model *m = NULL;
    double *x0 = NULL;
    *out = NULL;
    DC_ALLOC(m, 1);
    dc_pinn_task_from_sweep(&m->task, sweep);
    const dc_pinn_task *t = &m->task;
    m->shape = (dc_pinn_shape){.width = t->width, .depth = t->depth};
    DC_TRY(dc_pinn_layout_init(&m->layout, &m->shape, err));
    m->n_points = dc_pinn_n_points(t->n_interior, t->n_initial, t->n_boundary);
    if (t->n_initial < 1 || m->n_points < 1)
        DC_FAIL(DC_ERR_INPUT, "task: the advection task needs initial points (n_initial %d)",
                t->n_initial);
    DC_ALLOC(m->xt, 2 * m->n_points);
    DC_ALLOC(m->ic_target, t->n_initial);
    DC_ALLOC(x0, t->n_initial);
    dc_pinn_points(t->t_end, t->n_interior, t->n_initial, t->n_boundary, m->xt);
    dc_pinn_ic_draw(&m->ic, (uint64_t)t->ic_seed);
    for (int j = 0; j < t->n_initial; j++) x0[j] = m->xt[2 * ((int64_t)t->n_interior + j)];
    dc_pinn_ic_eval(&m->ic, x0, t->n_initial, m->ic_target, NULL);
    m->problem = (dc_pinn_problem){.n_interior = t->n_interior, .n_initial = t->n_initial,
                                   .n_boundary = t->n_boundary, .xt = m->xt,
                                   .ic_target = m->ic_target, .beta = t->beta,
                                   .w_residual = t->w_residual, .w_initial = t->w_initial,
                                   .w_boundary = t->w_boundary, .shift = 0.0, .scale = 1.0};
    DC_TRY(dc_pinn_problem_check(&m->problem, err));
    /* the metrics predict one evaluation time (DC_PINN_EVAL_NX points) at a time */
    DC_TRY(dc_pinn_create(&m->engine, &m->shape,
                          m->n_points > DC_PINN_EVAL_NX ? m->n_points : DC_PINN_EVAL_NX, err));
    DC_TRY(write_record(m, err));
    DC_TRY(exact_field(m, err));
    describe(m);
    *out = m;
    m = NULL;
cleanup:
    free(x0);
    pinn_model_destroy(m);
    return rc;
}

static const dc_model_info *pinn_model_info(const void *impl)
{
    return &((const pinn_model *)impl)->info;
}

static int pinn_model_rescale(const void *impl, dc_rescaling method, dc_rescale *out, dc_error *err)
{
    const pinn_model *m = impl;
    return dc_rescale_fit(out, method, m->ic_target, m->task.n_initial, err);
}

static int pinn_model_begin_run(void *impl, const dc_run *run, dc_error *err)
{
    int rc = DC_OK;
    pinn_model *m = impl;
    dc_rescale rs;
    m->act = (dc_activation){.extent = run->extent,
                             .irelu_scale = run->extent == DC_EXTENT_NONE ? 0.0 : run->irelu_scale};
    /* DC_ERR_NUMERIC for a degenerate statistic (a constant u0 has no spread): this run fails */
    DC_TRY(dc_rescale_fit(&rs, run->rescaling, m->ic_target, m->task.n_initial, err));
    m->problem.shift = rs.shift;
    m->problem.scale = rs.scale;
cleanup:
    return rc;
}

static void pinn_model_init_params(const void *impl, uint64_t seed, float *params)
{
    dc_pinn_init_params(&((const pinn_model *)impl)->layout, seed, params);
}

static int pinn_model_loss_grad(void *impl, const float *params, const int *items, int n_items,
                                float *grad, double *terms, double *total, dc_error *err)
{
    int rc = DC_OK;
    pinn_model *m = impl;
    dc_pinn_loss loss;
    (void)items; /* full batch: every step is every point */
    (void)n_items;
    DC_TRY(dc_pinn_loss_grad(m->engine, &m->act, params, &m->problem, &loss, grad, err));
    terms[0] = loss.residual;
    terms[1] = loss.initial;
    terms[2] = loss.boundary;
    *total = loss.total;
cleanup:
    return rc;
}

static int pinn_model_validate(void *impl, const float *params, double *values, dc_error *err)
{
    int rc = DC_OK;
    pinn_model *m = impl;
    dc_pinn_loss loss;
    DC_TRY(dc_pinn_loss_grad(m->engine, &m->act, params, &m->problem, &loss, NULL, err));
    values[0] = loss.total;
cleanup:
    return rc;
}

static int pinn_model_metrics(void *impl, const float *params, double *metrics, dc_error *err)
{
    int rc = DC_OK;
    pinn_model *m = impl;
    dc_pinn_predictor pred = {.engine = m->engine, .act = m->act, .params = params};
    dc_pinn_metrics v;
    DC_TRY(dc_pinn_metrics_eval(&m->ic, m->task.beta, m->task.t_end, m->problem.shift,
                                m->problem.scale, dc_pinn_predictor_call, &pred, &v, err));
    metrics[0] = v.u_nrmse;
    metrics[1] = v.u_rmse;
    metrics[2] = v.u_max_err;
    metrics[3] = v.ux_nrmse;
    metrics[4] = v.residual_rms;
cleanup:
    return rc;
}

static double pinn_model_step_flops(const void *impl, const int *items, int n_items,
                                    int64_t counts[2])
{
    const pinn_model *m = impl;
    (void)items;
    (void)n_items;
    counts[0] = m->n_points;
    counts[1] = 0;
    return dc_pinn_step_flops(&m->shape, m->n_points);
}

const dc_model_ops dc_pinn_model_ops = {
    .kind = "advection",
    .family = &dc_pinn_family,
    .summary = "the advection PINN u_t + beta u_x = 0: collocation points, no dataset (docs/pinn.md)",
    .metrics_help = "u_nrmse, u_rmse, u_max_err, ux_nrmse, residual_rms",
    .report_metric = "u_nrmse",
    .describe = dc_pinn_describe,
    .create = pinn_model_create,
    .destroy = pinn_model_destroy,
    .info = pinn_model_info,
    .rescale = pinn_model_rescale,
    .begin_run = pinn_model_begin_run,
    .init_params = pinn_model_init_params,
    .loss_grad = pinn_model_loss_grad,
    .validate = pinn_model_validate,
    .metrics = pinn_model_metrics,
    .step_flops = pinn_model_step_flops,
};
