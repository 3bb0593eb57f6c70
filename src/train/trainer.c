/* Training one grid point (include/dcsweep/train/trainer.h). The model instance (its data, its
 * engines, its buffers) is created once per worker in dc_trainer_create; a run then only sets the
 * model's activation and rescaling and draws its weights and batch order from its seed, so it is a
 * pure function of (sweep, run). */
#include "dcsweep/train/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/core/perf.h"
#include "dcsweep/core/rng.h"
#include "dcsweep/train/adam.h"

/* The random stream of epoch e's batch order is DC_BATCH_STREAM + e: distinct from the weight
 * initialisation's stream, so changing one never shifts the other, and the order of epoch e
 * depends on (seed, e) alone. */
#define DC_BATCH_STREAM ((uint64_t)1 << 32)

struct dc_trainer {
    dc_train_config train;
    const dc_model_ops *ops;
    void *model;
    const dc_model_info *info;
    dc_trainer_desc desc;
    char curve_names[DC_MAX_CURVES][DC_METRIC_NAME_MAX];
    int curve_seconds;   /* index of the epoch_seconds curve */
    float *params;       /* [n_params] */
    float *grad;         /* [n_params] */
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

/* The curves in the order of trainer.h: loss terms, validation values, epoch seconds. */
static int describe(dc_trainer *tr, dc_error *err)
{
    int rc = DC_OK;
    const dc_model_info *info = tr->info;
    tr->desc.model_kind = info->kind;
    tr->desc.n_metrics = info->n_metrics;
    tr->desc.metrics = info->metrics;
    for (int t = 0; t < info->n_terms; t++) DC_TRY(add_curve(tr, "train_", info->terms[t], "_loss", err));
    for (int v = 0; v < info->n_values; v++) DC_TRY(add_curve(tr, "val_", info->values[v], "", err));
    tr->curve_seconds = tr->desc.n_curves;
    DC_TRY(add_curve(tr, "", "epoch_seconds", "", err));
cleanup:
    return rc;
}

int dc_trainer_create(dc_trainer **out, const dc_sweep *sweep, dc_error *err)
{
    int rc = DC_OK;
    dc_trainer *tr = NULL;
    *out = NULL;
    DC_ALLOC(tr, 1);
    tr->train = sweep->train;
    if (tr->train.epochs < 0) DC_FAIL(DC_ERR_INPUT, "train.epochs %d must be >= 0", tr->train.epochs);
    const char *kind = dc_task_kind_name(sweep->task.kind);
    if (!(tr->ops = dc_model_find(kind))) DC_FAIL(DC_ERR_INPUT, "task.kind '%s': no such model family", kind);
    DC_TRY(tr->ops->create(&tr->model, sweep, err));
    tr->info = tr->ops->info(tr->model);
    DC_TRY(describe(tr, err));
    DC_TRY(dc_adam_init(&tr->adam, tr->info->n_params, tr->train.weight_decay, err));
    DC_ALLOC(tr->params, tr->info->n_params);
    DC_ALLOC(tr->grad, tr->info->n_params);
    DC_ALLOC(tr->order, tr->info->n_train_items > 0 ? tr->info->n_train_items : 1);
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

const float *dc_trainer_params(const dc_trainer *tr) { return tr->params; }

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

static void diverge(dc_run_result *result, int epoch, const char *what)
{
    result->status = DC_RUN_DIVERGED;
    result->diverged_epoch = epoch;
    snprintf(result->message, sizeof result->message, "%s at epoch %d", what, epoch);
}

/* A model error that is this run's alone (its data or its statistics), not the worker's: the run
 * fails with the reason and the sweep goes on. */
static int run_failure(int code) { return code == DC_ERR_INPUT || code == DC_ERR_NUMERIC; }

static void fail(dc_run_result *result, const dc_error *why)
{
    result->status = DC_RUN_FAILED;
    /* cut to the column: the message is one line for a human */
    size_t len = strnlen(why->message, sizeof result->message - 1);
    memcpy(result->message, why->message, len);
    result->message[len] = '\0';
}

static double epoch_lr(const dc_train_config *t, int epoch)
{
    double lr = t->learning_rate;
    if (t->lr_decay_every > 0) lr *= pow(t->lr_decay, (double)(epoch / t->lr_decay_every));
    return lr;
}

/* One epoch's steps: the mean of each loss term over its batches into terms [n_terms]. Returns
 * DC_OK with *bad set when the loss or the parameters stopped being finite. */
static int train_epoch(dc_trainer *tr, const dc_run *run, int epoch, double *terms, int *bad,
                       dc_error *err)
{
    int rc = DC_OK;
    const dc_model_info *info = tr->info;
    const int items = info->n_train_items;
    const int bs = items > 0 ? tr->train.batch_size : 1;
    const double lr = epoch_lr(&tr->train, epoch);
    double step_terms[DC_MODEL_MAX_TERMS];
    int n_batches = 0;
    *bad = 0;
    for (int t = 0; t < info->n_terms; t++) terms[t] = 0.0;
    if (items > 0) epoch_order(tr->order, items, run->seed, epoch);
    const int n_steps = items > 0 ? (items + bs - 1) / bs : 1;
    for (int step = 0; step < n_steps; step++) {
        int start = step * bs, n = items - start < bs ? items - start : bs;
        double total = 0.0;
        DC_TRY(tr->ops->loss_grad(tr->model, tr->params, tr->order + start, n, tr->grad,
                                  step_terms, &total, err));
        if (!isfinite(total)) {
            *bad = isnan(total) ? 1 : 2;
            goto cleanup;
        }
        dc_adam_step(&tr->adam, tr->params, tr->grad, lr);
        for (int t = 0; t < info->n_terms; t++) terms[t] += step_terms[t];
        n_batches++;
    }
    for (int t = 0; t < info->n_terms; t++) terms[t] /= n_batches;
    if (!params_finite(tr->params, info->n_params)) *bad = 3;
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
    for (int k = 0; k < DC_MAX_METRICS; k++) result->metrics[k] = NAN;
    DC_ALLOC(result->curves, (int64_t)result->n_curves * (n_epochs > 0 ? n_epochs : 1));
    for (int64_t k = 0; k < (int64_t)result->n_curves * n_epochs; k++) result->curves[k] = NAN;
cleanup:
    return rc;
}

int dc_trainer_run(dc_trainer *tr, const dc_run *run, dc_run_result *result, dc_epoch_fn on_epoch,
                   void *ctx, dc_error *err)
{
    int rc = DC_OK;
    const dc_model_info *info = tr->info;
    const int n_epochs = tr->train.epochs;
    static const char *const bad_what[4] = {"", "loss became NaN", "loss became Inf",
                                            "parameters became non-finite"};
    double t_run = dc_perf_seconds();
    dc_error run_err = {0};

    DC_TRY(start_result(tr, run, result, err));
    int mrc = tr->ops->begin_run(tr->model, run, &run_err);
    if (mrc != DC_OK) {
        if (!run_failure(mrc)) DC_FAIL(mrc, "%s", run_err.message);
        fail(result, &run_err);
        goto cleanup;
    }
    tr->ops->init_params(tr->model, (uint64_t)run->seed, tr->params);
    dc_adam_reset(&tr->adam);
    double *c = result->curves;
    for (int e = 0; e < n_epochs; e++) {
        double t0 = dc_perf_seconds(), terms[DC_MODEL_MAX_TERMS], values[DC_MODEL_MAX_VALUES];
        int bad = 0;
        mrc = train_epoch(tr, run, e, terms, &bad, &run_err);
        if (mrc == DC_OK && !bad) mrc = tr->ops->validate(tr->model, tr->params, values, &run_err);
        if (mrc != DC_OK) {
            if (!run_failure(mrc)) DC_FAIL(mrc, "%s", run_err.message);
            fail(result, &run_err);
            goto cleanup;
        }
        if (bad) {
            diverge(result, e + 1, bad_what[bad]);
            goto cleanup;
        }
        int k = 0;
        for (int t = 0; t < info->n_terms; t++) c[(int64_t)k++ * n_epochs + e] = terms[t];
        for (int v = 0; v < info->n_values; v++) c[(int64_t)k++ * n_epochs + e] = values[v];
        c[(int64_t)tr->curve_seconds * n_epochs + e] = dc_perf_seconds() - t0;
        result->epochs_completed = e + 1;
        if (on_epoch) {
            double now[DC_MAX_CURVES];
            for (int j = 0; j < result->n_curves; j++) now[j] = c[(int64_t)j * n_epochs + e];
            if (on_epoch(ctx, run, e + 1, now) != 0) goto cleanup; /* stays pending: rerun */
        }
    }
    mrc = tr->ops->metrics(tr->model, tr->params, result->metrics, &run_err);
    if (mrc != DC_OK) {
        if (!run_failure(mrc)) DC_FAIL(mrc, "%s", run_err.message);
        fail(result, &run_err);
        goto cleanup;
    }
    result->status = DC_RUN_DONE;
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
