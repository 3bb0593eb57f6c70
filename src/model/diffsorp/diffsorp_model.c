/* The diffusion-sorption PINN behind the model interface (dcsweep/model/model.h; the task in
 * ../shared/spec/DIFFSORP.md, docs/diffsorp.md): the reference field, computed once per worker by
 * the project's finite-volume solver (about a second at T = 500), the collocation and data points,
 * and one float engine for the full batch. A run only changes the activation and the rescaling.
 *
 * Full batch like the advection PINN: n_train_items 0, an epoch is one Adam step on every point,
 * and the validation loss is the loss at the current weights. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/core/json_out.h"
#include "dcsweep/model/diffsorp.h"
#include "dcsweep/model/model.h"
#include "diffsorp_solver.h"

#define DIFFSORP_NUMERICS_VERSION 1

enum { N_TERMS = 5, N_METRICS = 5 };

typedef struct diffsorp_model {
    dc_model_info info;
    dc_diffsorp_task task;
    dc_pinn_shape shape;
    dc_pinn_layout layout;
    dc_diffsorp *engine;
    int64_t n_points;          /* N_r + N_0 + 2 N_b + N_d */
    double *xt;                /* [n_points][2] (x, physical t) in dc_diffsorp_points' order */
    int64_t *data_index;       /* [N_d] flat reference-grid indices */
    double *data_target;       /* [N_d] the reference field there */
    int64_t n_labels;
    double *labels;            /* [N_0 + N_b + N_d] what the rescaling statistics are fitted on */
    double *u_ref;             /* [20][1024] the reference at the evaluation frames */
    double ref_x[DC_DIFFSORP_NX];        /* u_ref's cell centres x_i = (i + 0.5) / 1024 */
    double ref_t[DC_DIFFSORP_EVAL_NT];   /* u_ref's frames t_q = T - 19 + q (seconds) */
    dc_diffsorp_problem problem; /* shift and scale are the current run's */
    dc_activation act;         /* of the current run */
    char record[1024];         /* info.record: the task and its constants as JSON */
} diffsorp_model;

static void diffsorp_model_destroy(void *impl)
{
    diffsorp_model *m = impl;
    if (!m) return;
    dc_diffsorp_destroy(m->engine);
    free(m->xt);
    free(m->data_index);
    free(m->data_target);
    free(m->labels);
    free(m->u_ref);
    free(m);
}

/* The /runs columns (lower is better for all): u's errors against the reference at the last 20
 * frames, relative ones dimensionless; the headline ones are the nRMSE of u and of the derivative
 * the residual's flux is made of. */
static void describe_metrics(dc_model_info *info)
{
    static const struct {
        const char *name, *unit;
        int headline;
    } cols[N_METRICS] = {
        {"u_nrmse", "", DC_HEADLINE_DEFAULT}, {"u_rmse", "u", 0}, {"u_max_err", "u", 0},
        {"ux_nrmse", "", 1}, {"residual_rms", "u/s", 0},
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

/* What the results file records of the task (attribute model_record): enough to recompute the
 * reference field and the points from the file alone. */
static int write_record(diffsorp_model *m, dc_error *err)
{
    const dc_diffsorp_task *t = &m->task;
    char u_init[32], d[32], k[32], n_f[32];
    dc_json_double(u_init, sizeof u_init, t->u_init);
    dc_json_double(d, sizeof d, m->problem.D);
    dc_json_double(k, sizeof k, m->problem.K);
    dc_json_double(n_f, sizeof n_f, m->problem.n_f);
    const size_t cap = sizeof m->record;
    int n = snprintf(m->record, cap, "{\"task\": \"diffsorp\", \"D\": %s, \"K\": %s, \"n_f\": %s, "
                     "\"t_end\": %d, \"u_init\": %s, \"t_input\": \"%s\", \"n_interior\": %d, "
                     "\"n_initial\": %d, \"n_boundary\": %d, \"data_points\": %lld, "
                     "\"reference\": \"finite volumes, 1024 cells, BDF2 (DIFFSORP.md)\"}",
                     d, k, n_f, t->t_end, u_init, t->t_raw ? "raw" : "scaled", t->n_interior,
                     t->n_initial, t->n_boundary, (long long)t->data_points);
    if (n < 0 || (size_t)n >= cap)
        return dc_error_set(err, DC_ERR_INTERNAL, "the diffusion-sorption record is longer than %zu bytes",
                            cap - 1);
    return DC_OK;
}

static void describe(diffsorp_model *m)
{
    static const char *const terms[N_TERMS] = {"residual", "initial", "left", "right", "data"};
    dc_model_info *info = &m->info;
    info->kind = "diffsorp";
    info->numerics_version = DIFFSORP_NUMERICS_VERSION;
    info->n_params = m->layout.n_params;
    info->n_tensors = m->layout.n_tensors;
    info->tensors = m->layout.tensors;
    info->n_train_items = 0;
    info->n_terms = N_TERMS;
    for (int k = 0; k < N_TERMS; k++) info->terms[k] = terms[k];
    info->n_values = 1;
    info->values[0] = "loss";
    describe_metrics(info);
    info->count_names[0] = "points";
    info->count_names[1] = NULL;
    info->record = m->record;
    /* The reference at the metrics' frames, so that a results file can be plotted against it. */
    for (int i = 0; i < DC_DIFFSORP_NX; i++) m->ref_x[i] = ((double)i + 0.5) / (double)DC_DIFFSORP_NX;
    for (int q = 0; q < DC_DIFFSORP_EVAL_NT; q++)
        m->ref_t[q] = (double)m->task.t_end - (double)(DC_DIFFSORP_EVAL_NT - 1 - q);
    info->task_field = (dc_task_field){.name = "reference_u", .rows = DC_DIFFSORP_EVAL_NT,
                                       .cols = DC_DIFFSORP_NX, .values = m->u_ref, .x = m->ref_x,
                                       .t = m->ref_t};
    dc_model_spec *spec = &info->spec;
    const char *names[5] = {"width", "depth", "t_end", "u_init", "tau"};
    const double values[5] = {m->shape.width, m->shape.depth, m->task.t_end, m->task.u_init, m->problem.tau};
    for (int k = 0; k < 5; k++) {
        snprintf(spec->names[k], sizeof spec->names[k], "%s", names[k]);
        spec->values[k] = values[k];
    }
    spec->n = 5;
    spec->n_elements = 0;
}

/* The reference field: every frame for the data targets, the last 20 for the metrics. */
static int solve_reference(diffsorp_model *m, dc_error *err)
{
    int rc = DC_OK;
    const dc_diffsorp_task *t = &m->task;
    const int64_t nx = DC_DIFFSORP_NX, frames_n = (int64_t)t->t_end + 1;
    double *frames = NULL;
    dc_diffsorp_solver_cfg cfg;
    dc_diffsorp_solver_defaults(&cfg, t->t_end, t->u_init);
    DC_ALLOC(frames, frames_n * nx);
    DC_TRY(dc_diffsorp_solve(&cfg, frames, NULL, err));
    DC_ALLOC(m->u_ref, DC_DIFFSORP_EVAL_NT * nx);
    memcpy(m->u_ref, frames + (frames_n - DC_DIFFSORP_EVAL_NT) * nx,
           (size_t)(DC_DIFFSORP_EVAL_NT * nx) * sizeof *m->u_ref);
    if (t->data_points > 0) {
        DC_ALLOC(m->data_index, t->data_points);
        DC_ALLOC(m->data_target, t->data_points);
        DC_TRY(dc_diffsorp_data_select(frames_n * nx, t->data_points, m->data_index, err));
        dc_diffsorp_data_points(DC_DIFFSORP_NX, frames, m->data_index, t->data_points, NULL, m->data_target);
    }
cleanup:
    free(frames);
    return rc;
}

static int diffsorp_model_create(void **out, const dc_sweep *sweep, dc_error *err)
{
    int rc = DC_OK;
    diffsorp_model *m = NULL;
    *out = NULL;
    DC_ALLOC(m, 1);
    dc_diffsorp_task_from_sweep(&m->task, sweep);
    const dc_diffsorp_task *t = &m->task;
    m->shape = (dc_pinn_shape){.width = t->width, .depth = t->depth};
    DC_TRY(dc_pinn_layout_init(&m->layout, &m->shape, err));
    DC_TRY(solve_reference(m, err));
    const int64_t n_res = dc_diffsorp_n_residual_points(t->n_interior, t->n_initial, t->n_boundary);
    m->n_points = n_res + t->data_points;
    DC_ALLOC(m->xt, 2 * m->n_points);
    dc_diffsorp_points(t->t_end, t->n_interior, t->n_initial, t->n_boundary, m->data_index, t->data_points,
                       m->xt);
    m->n_labels = (int64_t)t->n_initial + t->n_boundary + t->data_points;
    DC_ALLOC(m->labels, m->n_labels);
    dc_diffsorp_labels(t->u_init, t->n_initial, t->n_boundary, m->data_target, t->data_points, m->labels);
    m->problem = (dc_diffsorp_problem){
        .n_interior = t->n_interior, .n_initial = t->n_initial, .n_boundary = t->n_boundary,
        .n_data = t->data_points, .xt = m->xt, .data_target = m->data_target, .u_init = t->u_init,
        .D = DC_DIFFSORP_D, .K = dc_diffsorp_sorption_k(), .n_f = DC_DIFFSORP_N_F,
        .tau = t->t_raw ? 1.0 : (double)t->t_end, .w_residual = t->w_residual, .w_initial = t->w_initial,
        .w_boundary = t->w_boundary, .w_data = t->w_data, .shift = 0.0, .scale = 1.0};
    DC_TRY(dc_diffsorp_problem_check(&m->problem, err));
    DC_TRY(dc_diffsorp_create(&m->engine, &m->shape, m->n_points, n_res, err));
    DC_TRY(write_record(m, err));
    describe(m);
    *out = m;
    m = NULL;
cleanup:
    diffsorp_model_destroy(m);
    return rc;
}

static const dc_model_info *diffsorp_model_info(const void *impl)
{
    return &((const diffsorp_model *)impl)->info;
}

static int diffsorp_model_rescale(const void *impl, dc_rescaling method, dc_rescale *out, dc_error *err)
{
    const diffsorp_model *m = impl;
    return dc_rescale_fit(out, method, m->labels, m->n_labels, err);
}

static int diffsorp_model_begin_run(void *impl, const dc_run *run, dc_error *err)
{
    int rc = DC_OK;
    diffsorp_model *m = impl;
    dc_rescale rs;
    m->act = (dc_activation){.extent = run->extent,
                             .irelu_scale = run->extent == DC_EXTENT_NONE ? 0.0 : run->irelu_scale};
    /* DC_ERR_NUMERIC for a degenerate statistic (robust on data-free labels): this run fails */
    DC_TRY(dc_rescale_fit(&rs, run->rescaling, m->labels, m->n_labels, err));
    m->problem.shift = rs.shift;
    m->problem.scale = rs.scale;
cleanup:
    return rc;
}

static void diffsorp_model_init_params(const void *impl, uint64_t seed, float *params)
{
    dc_pinn_init_params(&((const diffsorp_model *)impl)->layout, seed, params);
}

static int diffsorp_model_loss_grad(void *impl, const float *params, const int *items, int n_items,
                                    float *grad, double *terms, double *total, dc_error *err)
{
    int rc = DC_OK;
    diffsorp_model *m = impl;
    dc_diffsorp_loss loss;
    (void)items; /* full batch: every step is every point */
    (void)n_items;
    DC_TRY(dc_diffsorp_loss_grad(m->engine, &m->act, params, &m->problem, &loss, grad, err));
    terms[0] = loss.residual;
    terms[1] = loss.initial;
    terms[2] = loss.left;
    terms[3] = loss.right;
    terms[4] = loss.data;
    *total = loss.total;
cleanup:
    return rc;
}

static int diffsorp_model_validate(void *impl, const float *params, double *values, dc_error *err)
{
    int rc = DC_OK;
    diffsorp_model *m = impl;
    dc_diffsorp_loss loss;
    DC_TRY(dc_diffsorp_loss_grad(m->engine, &m->act, params, &m->problem, &loss, NULL, err));
    values[0] = loss.total;
cleanup:
    return rc;
}

static int diffsorp_model_metrics(void *impl, const float *params, double *metrics, dc_error *err)
{
    int rc = DC_OK;
    diffsorp_model *m = impl;
    dc_diffsorp_predictor pred = {.engine = m->engine, .act = m->act, .params = params, .tau = m->problem.tau};
    dc_diffsorp_metrics v;
    DC_TRY(dc_diffsorp_metrics_eval(m->u_ref, m->task.t_end, &m->problem, dc_diffsorp_predictor_call, &pred,
                                    &v, err));
    metrics[0] = v.u_nrmse;
    metrics[1] = v.u_rmse;
    metrics[2] = v.u_max_err;
    metrics[3] = v.ux_nrmse;
    metrics[4] = v.residual_rms;
cleanup:
    return rc;
}

static double diffsorp_model_step_flops(const void *impl, const int *items, int n_items, int64_t counts[2])
{
    const diffsorp_model *m = impl;
    (void)items;
    (void)n_items;
    const int64_t m_res = m->n_points - m->task.data_points;
    counts[0] = m->n_points;
    counts[1] = 0;
    return dc_diffsorp_step_flops(&m->shape, m->n_points, m_res);
}

const dc_model_ops dc_diffsorp_model_ops = {
    .kind = "diffsorp",
    .family = &dc_diffsorp_family,
    .summary = "the diffusion-sorption PINN u_t = D/R(u) u_xx (second order), reference by finite volumes",
    .metrics_help = "u_nrmse, u_rmse, u_max_err, ux_nrmse, residual_rms",
    .report_metric = "u_nrmse",
    .describe = dc_diffsorp_describe,
    .create = diffsorp_model_create,
    .destroy = diffsorp_model_destroy,
    .info = diffsorp_model_info,
    .rescale = diffsorp_model_rescale,
    .begin_run = diffsorp_model_begin_run,
    .init_params = diffsorp_model_init_params,
    .loss_grad = diffsorp_model_loss_grad,
    .validate = diffsorp_model_validate,
    .metrics = diffsorp_model_metrics,
    .step_flops = diffsorp_model_step_flops,
};
