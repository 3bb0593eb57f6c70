/* Training one grid point (include/dcsweep/train/trainer.h). The model instance (its data, its
 * engines, its buffers) is created once per worker in dc_trainer_create; a run then only sets the
 * model's activation and rescaling and draws its weights and batch order from its seed, so it is a
 * pure function of (sweep, run). Everything a run carries from epoch to epoch lives in one
 * dc_run_state, which is what a checkpoint saves and a resumed run starts from. */
#include "dcsweep/train/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/core/perf.h"
#include "dcsweep/core/rng.h"
#include "dcsweep/train/adam.h"
#include "dcsweep/train/schedule.h"

/* The random stream of epoch e's batch order is DC_BATCH_STREAM + e: distinct from the weight
 * initialisation's stream, so changing one never shifts the other, and the order of epoch e
 * depends on (seed, e) alone. */
#define DC_BATCH_STREAM ((uint64_t)1 << 32)

enum { BAD_NONE = 0, BAD_NAN, BAD_INF, BAD_PARAMS, BAD_VALIDATION };

struct dc_trainer {
    dc_train_config train;
    const dc_model_ops *ops;
    void *model;
    const dc_model_info *info;
    dc_trainer_desc desc;
    char curve_names[DC_MAX_CURVES][DC_METRIC_NAME_MAX];
    int curve_values;    /* index of the first val_<value> curve */
    int curve_lr, curve_monitor, curve_seconds;
    int monitor;         /* index of the monitored value among the model's validation values */
    float *params;       /* [n_params] the weights being trained */
    float *grad;         /* [n_params] */
    float *ema;          /* [n_params] their moving average; NULL without EMA */
    float *best;         /* [n_params] the best evaluated weights; NULL with select = last */
    float *selected;     /* the weights of the last run's metrics (params, ema or best) */
    dc_adam adam;
    int *order;          /* [n_train_items] the epoch's batch order */
};

void dc_run_result_free(dc_run_result *result)
{
    if (!result) return;
    free(result->curves);
    result->curves = NULL;
}

void dc_trainer_destroy(dc_trainer *tr)
{
    if (!tr) return;
    if (tr->model) tr->ops->destroy(tr->model);
    dc_adam_free(&tr->adam);
    free(tr->params);
    free(tr->grad);
    free(tr->ema);
    free(tr->best);
    free(tr->order);
    free(tr);
}

static int add_curve(dc_trainer *tr, const char *prefix, const char *name, const char *suffix,
                     dc_error *err)
{
    int k = tr->desc.n_curves;
    if (k >= DC_MAX_CURVES)
        return dc_error_set(err, DC_ERR_INTERNAL, "more than %d curves", DC_MAX_CURVES);
    snprintf(tr->curve_names[k], DC_METRIC_NAME_MAX, "%s%s%s", prefix, name, suffix);
    tr->desc.curves[k] = tr->curve_names[k];
    tr->desc.n_curves++;
    return DC_OK;
}

/* The metric a family names for `report --help` is the one its models mark (a family's two
 * descriptions of its default cannot drift apart). */
static int check_report_metric(const dc_model_ops *ops, const dc_model_info *info, dc_error *err)
{
    int marked = -1;
    for (int m = 0; m < info->n_metrics; m++)
        if (info->metrics[m].headline == DC_HEADLINE_DEFAULT) {
            if (marked >= 0 || !ops->report_metric || strcmp(info->metrics[m].name, ops->report_metric) != 0)
                return dc_error_set(err, DC_ERR_INTERNAL, "family %s: its default report metric is %s, "
                                    "its models mark %s", ops->kind, ops->report_metric ? ops->report_metric : "none",
                                    info->metrics[m].name);
            marked = m;
        }
    if (marked < 0 && ops->report_metric)
        return dc_error_set(err, DC_ERR_INTERNAL, "family %s: no metric is marked %s", ops->kind, ops->report_metric);
    return DC_OK;
}

/* The curves in the order of trainer.h: loss terms, validation values, lr, monitor, seconds. */
static int describe(dc_trainer *tr, dc_error *err)
{
    int rc = DC_OK;
    const dc_model_info *info = tr->info;
    tr->desc.model_kind = info->kind;
    tr->desc.numerics_version = info->numerics_version;
    tr->desc.model_record = info->record;
    tr->desc.task_field = info->task_field;
    tr->desc.n_params = info->n_params;
    tr->desc.n_tensors = info->n_tensors;
    tr->desc.tensors = info->tensors;
    tr->desc.spec = &info->spec;
    tr->desc.n_metrics = info->n_metrics;
    tr->desc.metrics = info->metrics;
    for (int t = 0; t < info->n_terms; t++) DC_TRY(add_curve(tr, "train_", info->terms[t], "_loss", err));
    tr->curve_values = tr->desc.n_curves;
    for (int v = 0; v < info->n_values; v++) DC_TRY(add_curve(tr, "val_", info->values[v], "", err));
    tr->curve_lr = tr->desc.n_curves;
    DC_TRY(add_curve(tr, "", "lr", "", err));
    tr->curve_monitor = tr->desc.n_curves;
    DC_TRY(add_curve(tr, "", "monitor", "", err));
    tr->curve_seconds = tr->desc.n_curves;
    DC_TRY(add_curve(tr, "", "epoch_seconds", "", err));
cleanup:
    return rc;
}

static int find_monitor(dc_trainer *tr, dc_error *err)
{
    for (int v = 0; v < tr->info->n_values; v++)
        if (strcmp(tr->info->values[v], tr->train.monitor) == 0) {
            tr->monitor = v;
            return DC_OK;
        }
    return dc_error_set(err, DC_ERR_INPUT, "train.monitor: the %s model has no validation value \"%s\"",
                        tr->info->kind, tr->train.monitor);
}

int dc_trainer_create(dc_trainer **out, const dc_sweep *sweep, dc_error *err)
{
    int rc = DC_OK;
    dc_trainer *tr = NULL;
    *out = NULL;
    DC_ALLOC(tr, 1);
    tr->train = sweep->train;
    if (tr->train.epochs < 1) DC_FAIL(DC_ERR_INPUT, "train.epochs %d must be >= 1", tr->train.epochs);
    if (tr->train.eval_every < 1) tr->train.eval_every = 1;
    if (!tr->train.monitor[0]) snprintf(tr->train.monitor, sizeof tr->train.monitor, "loss");
    /* a sweep's family values are read by the family dc_sweep_load found: there is no default */
    if (!sweep->family) DC_FAIL(DC_ERR_INTERNAL, "the sweep has no model family (not loaded by dc_sweep_load)");
    const char *kind = sweep->family->kind;
    if (!(tr->ops = dc_model_find(kind))) DC_FAIL(DC_ERR_INPUT, "task.kind '%s': no such model family", kind);
    DC_TRY(tr->ops->create(&tr->model, sweep, err));
    tr->info = tr->ops->info(tr->model);
    DC_TRY(check_report_metric(tr->ops, tr->info, err));
    DC_TRY(describe(tr, err));
    DC_TRY(find_monitor(tr, err));
    const int64_t n = tr->info->n_params;
    DC_TRY(dc_adam_init(&tr->adam, n, tr->train.weight_decay, err));
    DC_ALLOC(tr->params, n);
    DC_ALLOC(tr->grad, n);
    if (tr->train.ema_decay > 0) DC_ALLOC(tr->ema, n);
    if (tr->train.select == DC_SELECT_BEST) DC_ALLOC(tr->best, n);
    DC_ALLOC(tr->order, tr->info->n_train_items > 0 ? tr->info->n_train_items : 1);
    tr->selected = tr->params;
    *out = tr;
    return DC_OK;
cleanup:
    dc_trainer_destroy(tr);
    return rc;
}

const dc_trainer_desc *dc_trainer_describe(const dc_trainer *tr) { return &tr->desc; }

int dc_trainer_rescale(const dc_trainer *tr, dc_rescaling method, dc_rescale *out, dc_error *err)
{
    return tr->ops->rescale(tr->model, method, out, err);
}

const dc_model_info *dc_trainer_model(const dc_trainer *tr) { return tr->info; }

const float *dc_trainer_params(const dc_trainer *tr) { return tr->selected; }

/* Epoch e's (0-based) batch order: a permutation of the training items from (seed, e) alone. */
static void epoch_order(int *order, int n, int64_t seed, int epoch)
{
    dc_rng rng;
    dc_rng_seed(&rng, (uint64_t)seed, DC_BATCH_STREAM + (uint64_t)epoch);
    dc_rng_permutation(&rng, order, n);
}

static int params_finite(const float *p, int64_t n)
{
    for (int64_t k = 0; k < n; k++)
        if (!isfinite(p[k])) return 0;
    return 1;
}

/* A model error that is this run's alone (its data or its statistics), not the worker's: the run
 * fails with the reason and the sweep goes on. */
static int run_failure(int code) { return code == DC_ERR_INPUT || code == DC_ERR_NUMERIC; }

static void set_message(dc_run_result *result, const char *text)
{
    /* cut to the column: the message is one line for a human */
    size_t len = strnlen(text, sizeof result->message - 1);
    memcpy(result->message, text, len);
    result->message[len] = '\0';
}

/* One epoch's steps: the mean of each loss term over its batches into terms [n_terms], with *bad
 * set when the loss or the parameters stopped being finite. */
static int train_epoch(dc_trainer *tr, const dc_run *run, int epoch, double lr,
                       const dc_train_hooks *hooks, double *terms, int *bad, dc_error *err)
{
    int rc = DC_OK;
    const dc_model_info *info = tr->info;
    const int items = info->n_train_items;
    const int bs = items > 0 ? tr->train.batch_size : 1;
    const int n_steps = items > 0 ? (items + bs - 1) / bs : 1;
    double step_terms[DC_MODEL_MAX_TERMS];
    *bad = BAD_NONE;
    for (int t = 0; t < info->n_terms; t++) terms[t] = 0.0;
    if (items > 0) epoch_order(tr->order, items, run->seed, epoch);
    for (int step = 0; step < n_steps; step++) {
        int start = step * bs, n = items - start < bs ? items - start : bs;
        double total = 0.0;
        DC_TRY(tr->ops->loss_grad(tr->model, tr->params, tr->order + start, n, tr->grad,
                                  step_terms, &total, err));
        if (!isfinite(total)) {
            *bad = isnan(total) ? BAD_NAN : BAD_INF;
            goto cleanup;
        }
        dc_adam_step(&tr->adam, tr->params, tr->grad, lr);
        if (tr->ema) dc_ema_update(tr->ema, tr->params, info->n_params, tr->train.ema_decay, tr->adam.t);
        for (int t = 0; t < info->n_terms; t++) terms[t] += step_terms[t];
        if (hooks && hooks->on_step) hooks->on_step(hooks->ctx);
    }
    for (int t = 0; t < info->n_terms; t++) terms[t] /= n_steps;
    if (!params_finite(tr->params, info->n_params)) *bad = BAD_PARAMS;
cleanup:
    return rc;
}

static int start_result(dc_trainer *tr, const dc_run *run, dc_run_result *result, dc_error *err)
{
    int rc = DC_OK;
    const int n_epochs = tr->train.epochs;
    memset(result, 0, sizeof *result);
    result->run_index = run->index;
    result->status = DC_RUN_PENDING;
    result->n_epochs = n_epochs;
    result->n_metrics = tr->desc.n_metrics;
    result->n_curves = tr->desc.n_curves;
    result->final_lr = NAN;
    for (int k = 0; k < DC_MAX_METRICS; k++) result->metrics[k] = NAN;
    DC_ALLOC(result->curves, (int64_t)result->n_curves * n_epochs);
    for (int64_t k = 0; k < (int64_t)result->n_curves * n_epochs; k++) result->curves[k] = NAN;
cleanup:
    return rc;
}

/* The state's arrays point at the trainer's buffers and the result's curves. */
static void bind_state(dc_trainer *tr, const dc_run *run, dc_run_result *result, dc_run_state *st)
{
    st->run = run->index;
    st->n_params = tr->info->n_params;
    st->params = tr->params;
    st->adam_m = tr->adam.m;
    st->adam_v = tr->adam.v;
    st->ema = tr->ema;
    st->best = tr->best;
    st->n_curves = result->n_curves;
    st->n_epochs = result->n_epochs;
    st->curves = result->curves;
}

/* A fresh start: the seed's weights, zero moments, the schedule's initial state. */
static void start_state(dc_trainer *tr, const dc_run *run, dc_run_state *st)
{
    tr->ops->init_params(tr->model, (uint64_t)run->seed, tr->params);
    dc_adam_reset(&tr->adam);
    if (tr->ema) memcpy(tr->ema, tr->params, (size_t)tr->info->n_params * sizeof *tr->ema);
    if (tr->best) memcpy(tr->best, tr->params, (size_t)tr->info->n_params * sizeof *tr->best);
    st->epoch = 0;
    st->adam_step = 0;
    st->stop_reason = DC_STOP_NONE;
    dc_schedule_start(&tr->train, st);
}

static int resume_state(dc_trainer *tr, const dc_run_state *from, dc_run_state *st, dc_error *err)
{
    const size_t bytes = (size_t)tr->info->n_params * sizeof(float);
    if (from->run != st->run || from->n_params != st->n_params || from->n_curves != st->n_curves ||
        from->n_epochs != st->n_epochs || from->epoch < 0 || from->epoch > st->n_epochs ||
        !from->params || !from->adam_m || !from->adam_v || !from->curves || (tr->ema && !from->ema) ||
        (tr->best && !from->best))
        return dc_error_set(err, DC_ERR_INPUT, "run %d: the checkpoint does not fit this run (run %d, "
                            "%lld parameters, %d curves x %d epochs)", st->run, from->run,
                            (long long)from->n_params, from->n_curves, from->n_epochs);
    memcpy(tr->params, from->params, bytes);
    memcpy(tr->adam.m, from->adam_m, bytes);
    memcpy(tr->adam.v, from->adam_v, bytes);
    tr->adam.t = from->adam_step;
    if (tr->ema) memcpy(tr->ema, from->ema, bytes);
    if (tr->best) memcpy(tr->best, from->best, bytes);
    memcpy(st->curves, from->curves, (size_t)st->n_curves * (size_t)st->n_epochs * sizeof(double));
    st->epoch = from->epoch;
    st->adam_step = from->adam_step;
    st->best_value = from->best_value;
    st->best_epoch = from->best_epoch;
    st->lr = from->lr;
    st->plateau_best = from->plateau_best;
    st->plateau_bad = from->plateau_bad;
    st->plateau_cooldown = from->plateau_cooldown;
    st->stop_best = from->stop_best;
    st->stop_wait = from->stop_wait;
    st->stop_reason = from->stop_reason;
    return DC_OK;
}

/* Validation of the evaluated weights (the EMA when on): the model's values into the curves, then
 * what the monitored value decides. */
static int evaluate(dc_trainer *tr, dc_run_state *st, int e, dc_stop_reason *stop, int *bad,
                    dc_error *err)
{
    int rc = DC_OK;
    const int n_epochs = tr->train.epochs;
    const float *eval = tr->ema ? tr->ema : tr->params;
    double values[DC_MODEL_MAX_VALUES];
    DC_TRY(tr->ops->validate(tr->model, eval, values, err));
    for (int v = 0; v < tr->info->n_values; v++)
        st->curves[(int64_t)(tr->curve_values + v) * n_epochs + e] = values[v];
    double m = values[tr->monitor];
    st->curves[(int64_t)tr->curve_monitor * n_epochs + e] = m;
    if (!isfinite(m)) {
        *bad = BAD_VALIDATION;
        goto cleanup;
    }
    int improved = 0;
    *stop = dc_schedule_observe(&tr->train, st, e + 1, m, &improved);
    if (improved && tr->best) memcpy(tr->best, eval, (size_t)tr->info->n_params * sizeof *tr->best);
cleanup:
    return rc;
}

/* The epochs from st->epoch on, until the last one or a stop. */
static int train_epochs(dc_trainer *tr, const dc_run *run, dc_run_state *st, dc_run_result *result,
                        const dc_train_hooks *hooks, int *bad, int *aborted, dc_error *err)
{
    int rc = DC_OK;
    const int n_epochs = tr->train.epochs;
    const dc_model_info *info = tr->info;
    if (st->stop_reason != DC_STOP_NONE) { /* resumed from the epoch that decided to stop */
        result->stop_reason = (dc_stop_reason)st->stop_reason;
        result->final_lr = st->epoch > 0 ? st->curves[(int64_t)tr->curve_lr * n_epochs + st->epoch - 1] : NAN;
        goto cleanup;
    }
    for (int e = st->epoch; e < n_epochs; e++) {
        double t0 = dc_perf_seconds(), terms[DC_MODEL_MAX_TERMS];
        double lr = dc_schedule_lr(&tr->train, st, e);
        dc_stop_reason stop = DC_STOP_NONE;
        DC_TRY(train_epoch(tr, run, e, lr, hooks, terms, bad, err));
        result->final_lr = lr;
        if (*bad) {
            result->diverged_epoch = e + 1;
            goto cleanup;
        }
        if ((e + 1) % tr->train.eval_every == 0 || e + 1 == n_epochs) {
            DC_TRY(evaluate(tr, st, e, &stop, bad, err));
            if (*bad) {
                result->diverged_epoch = e + 1;
                goto cleanup;
            }
        }
        double *c = st->curves;
        for (int t = 0; t < info->n_terms; t++) c[(int64_t)t * n_epochs + e] = terms[t];
        c[(int64_t)tr->curve_lr * n_epochs + e] = lr;
        c[(int64_t)tr->curve_seconds * n_epochs + e] = dc_perf_seconds() - t0;
        st->epoch = e + 1;
        st->adam_step = tr->adam.t;
        st->stop_reason = stop;
        result->epochs_completed = e + 1;
        if (hooks && hooks->on_epoch) {
            double now[DC_MAX_CURVES];
            for (int j = 0; j < result->n_curves; j++) now[j] = c[(int64_t)j * n_epochs + e];
            if (hooks->on_epoch(hooks->ctx, run, e + 1, now, st) != 0) {
                *aborted = 1; /* stays pending: resumed from the checkpoint, or rerun */
                goto cleanup;
            }
        }
        if (stop != DC_STOP_NONE) {
            result->stop_reason = stop;
            goto cleanup;
        }
    }
    result->stop_reason = DC_STOP_MAX_EPOCHS;
cleanup:
    return rc;
}

int dc_trainer_run(dc_trainer *tr, const dc_run *run, const dc_run_state *resume,
                   dc_run_result *result, const dc_train_hooks *hooks, dc_error *err)
{
    int rc = DC_OK, bad = BAD_NONE, aborted = 0;
    static const char *const bad_what[] = {"", "loss became NaN", "loss became Inf",
                                           "parameters became non-finite",
                                           "the validation value became NaN or Inf"};
    double t_run = dc_perf_seconds();
    dc_error run_err = {0};
    dc_run_state st;
    memset(&st, 0, sizeof st);
    tr->selected = tr->params;

    DC_TRY(start_result(tr, run, result, err));
    bind_state(tr, run, result, &st);
    int mrc = tr->ops->begin_run(tr->model, run, &run_err);
    if (mrc == DC_OK) {
        start_state(tr, run, &st);
        if (resume) DC_TRY(resume_state(tr, resume, &st, err));
        result->epochs_completed = st.epoch;
        if (resume && st.epoch > 0) result->final_lr = st.curves[(int64_t)tr->curve_lr * st.n_epochs + st.epoch - 1];
        mrc = train_epochs(tr, run, &st, result, hooks, &bad, &aborted, &run_err);
    }
    if (mrc == DC_OK && !bad && !aborted) {
        tr->selected = tr->best ? tr->best : tr->ema ? tr->ema : tr->params;
        mrc = tr->ops->metrics(tr->model, tr->selected, result->metrics, &run_err);
    }
    result->best_epoch = st.best_epoch;
    if (mrc != DC_OK) {
        if (!run_failure(mrc)) DC_FAIL(mrc, "%s", run_err.message);
        result->status = DC_RUN_FAILED;
        result->stop_reason = DC_STOP_NONE;
        set_message(result, run_err.message);
    } else if (bad) {
        result->status = DC_RUN_DIVERGED;
        result->stop_reason = DC_STOP_DIVERGED;
        char what[128];
        snprintf(what, sizeof what, "%s at epoch %d", bad_what[bad], result->diverged_epoch);
        set_message(result, what);
    } else if (!aborted) {
        result->status = DC_RUN_DONE;
        result->params = tr->selected;
    }
cleanup:
    if (result->status != DC_RUN_DONE)
        for (int k = 0; k < DC_MAX_METRICS; k++) result->metrics[k] = NAN;
    result->wall_seconds = dc_perf_seconds() - t_run;
    return rc;
}

int dc_trainer_bench(dc_trainer *tr, const dc_run *run, int warmup, int steps, dc_bench_result *out,
                     dc_error *err)
{
    int rc = DC_OK;
    const dc_model_info *info = tr->info;
    const int items = info->n_train_items;
    const int bs = items > 0 ? tr->train.batch_size : 0;
    const int n_batches = items > 0 ? (items + bs - 1) / bs : 1;
    double terms[DC_MODEL_MAX_TERMS], total = 0.0;
    memset(out, 0, sizeof *out);
    DC_TRY(tr->ops->begin_run(tr->model, run, err));
    tr->ops->init_params(tr->model, (uint64_t)run->seed, tr->params);
    dc_adam_reset(&tr->adam);
    if (items > 0) epoch_order(tr->order, items, run->seed, 0);
    double t0 = 0.0;
    for (int s = 0; s < warmup + steps; s++) {
        if (s == warmup) t0 = dc_perf_seconds();
        int start = (s % n_batches) * bs;
        int n = items - start < bs ? items - start : bs;
        DC_TRY(tr->ops->loss_grad(tr->model, tr->params, tr->order + start, n, tr->grad, terms,
                                  &total, err));
        dc_adam_step(&tr->adam, tr->params, tr->grad, tr->train.learning_rate);
        if (s >= warmup) {
            int64_t counts[2] = {0, 0};
            out->flops += tr->ops->step_flops(tr->model, tr->order + start, n, counts);
            out->items += n;
            out->counts[0] += counts[0];
            out->counts[1] += counts[1];
        }
    }
    out->steps = steps;
    out->seconds = steps > 0 ? dc_perf_seconds() - t0 : 0.0;
cleanup:
    return rc;
}
