/* Training one grid point. Everything that does not depend on the run (datasets, neighbour lists,
 * the oneDNN engine, the buffers) is prepared once per worker in dc_trainer_create; a run then only
 * draws its weights and batch order from its seed, so it is a pure function of (sweep, run). */
#include "dcsweep/train/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/train/adam.h"
#include "dcsweep/model/batch.h"
#include "dcsweep/model/metrics.h"
#include "dcsweep/core/perf.h"
#include "dcsweep/core/rng.h"
#include "dcsweep/data/splits.h"

/* The random stream of epoch e's batch order is DC_BATCH_STREAM + e: distinct from the weight
 * initialisation's stream (1, in schnet_layout.c), so changing one never shifts the other, and the
 * order of epoch e depends on (seed, e) alone. */
#define DC_BATCH_STREAM ((uint64_t)1 << 32)

struct dc_trainer {
    dc_model_config model;
    dc_train_config train;
    dc_splits splits;
    const dc_dataset *split[DC_N_SPLITS];
    dc_neighbors nb[DC_N_SPLITS];
    dc_schnet_shape shape;
    dc_schnet_layout layout;
    dc_schnet *engine;
    dc_batch_buf buf;
    int max_mol, max_atoms;
    int64_t max_edges;
    float *params;     /* [n_params] */
    float *grad;       /* [n_params] */
    dc_adam adam;
    int *order;        /* [max frames of any split] batch order or 0..n-1 */
    double *energy;    /* [max_mol] predictions, scaled units */
    double *forces;    /* [max_atoms][3] */
    double *energy_u;  /* [max_mol] predictions mapped back to dataset units */
    double *forces_u;  /* [max_atoms][3] */
};

const char *dc_run_status_name(dc_run_status s)
{
    switch (s) {
    case DC_RUN_PENDING: return "pending";
    case DC_RUN_DONE: return "done";
    case DC_RUN_DIVERGED: return "diverged";
    case DC_RUN_FAILED: return "failed";
    }
    return "unknown";
}

const char *dc_curve_name(dc_curve c)
{
    static const char *names[DC_N_CURVES] = {"train_energy_loss", "train_force_loss",
                                             "val_energy_mae", "val_force_mae", "epoch_seconds"};
    return (c >= 0 && c < DC_N_CURVES) ? names[c] : "unknown";
}

void dc_run_result_free(dc_run_result *result)
{
    if (!result) return;
    free(result->curves);
    result->curves = NULL;
}

void dc_trainer_destroy(dc_trainer *tr)
{
    if (!tr) return;
    dc_schnet_destroy(tr->engine);
    for (int s = 0; s < DC_N_SPLITS; s++) dc_neighbors_free(&tr->nb[s]);
    dc_splits_free(&tr->splits);
    dc_batch_buf_free(&tr->buf);
    dc_adam_free(&tr->adam);
    free(tr->params);
    free(tr->grad);
    free(tr->order);
    free(tr->energy);
    free(tr->forces);
    free(tr->energy_u);
    free(tr->forces_u);
    free(tr);
}

int dc_trainer_create(dc_trainer **out, const dc_sweep *sweep, dc_error *err)
{
    int rc = DC_OK;
    dc_trainer *tr = NULL;
    *out = NULL;
    DC_ALLOC(tr, 1);
    tr->model = sweep->model;
    tr->train = sweep->train;
    if (tr->train.batch_size < 1 || tr->train.eval_batch_size < 1 || tr->train.epochs < 0)
        DC_FAIL(DC_ERR_INPUT, "train: batch_size %d and eval_batch_size %d must be >= 1, epochs %d >= 0",
                tr->train.batch_size, tr->train.eval_batch_size, tr->train.epochs);
    DC_TRY(dc_splits_load(&tr->splits, sweep, err));
    tr->split[DC_SPLIT_TRAIN] = &tr->splits.train;
    tr->split[DC_SPLIT_VALIDATION] = &tr->splits.validation;
    tr->split[DC_SPLIT_TEST] = &tr->splits.test;
    if (tr->split[DC_SPLIT_TRAIN]->n_frames < 1)
        DC_FAIL(DC_ERR_INPUT, "the training split has no frames");

    tr->shape = (dc_schnet_shape){.n_types = tr->splits.elements.n,
                                  .features = tr->model.features,
                                  .filters = tr->model.filters,
                                  .interactions = tr->model.interactions,
                                  .gaussians = tr->model.gaussians,
                                  .cutoff = tr->model.cutoff};
    DC_TRY(dc_schnet_layout_init(&tr->layout, &tr->shape, err));

    /* One engine for every batch: sized for the worst training batch and the worst evaluation
     * window of any split. */
    int max_frames = 0;
    for (int s = 0; s < DC_N_SPLITS; s++) {
        const dc_dataset *ds = tr->split[s];
        DC_TRY(dc_neighbors_build(&tr->nb[s], ds, tr->model.cutoff, err));
        int bs = s == DC_SPLIT_TRAIN ? tr->train.batch_size : tr->train.eval_batch_size;
        int atoms = 0;
        int64_t edges = 0;
        DC_TRY(dc_batch_limits(ds, &tr->nb[s], bs, &atoms, &edges, err));
        if (atoms > tr->max_atoms) tr->max_atoms = atoms;
        if (edges > tr->max_edges) tr->max_edges = edges;
        if (ds->n_frames > max_frames) max_frames = ds->n_frames;
    }
    tr->max_mol = tr->train.batch_size > tr->train.eval_batch_size ? tr->train.batch_size
                                                                  : tr->train.eval_batch_size;
    if (tr->max_atoms < 1) tr->max_atoms = 1;
    if (tr->max_edges < 1) tr->max_edges = 1;
    DC_TRY(dc_schnet_create(&tr->engine, &tr->shape, tr->max_mol, tr->max_atoms, tr->max_edges, err));
    DC_TRY(dc_batch_buf_init(&tr->buf, tr->max_mol, tr->max_atoms, tr->max_edges, err));
    DC_TRY(dc_adam_init(&tr->adam, tr->layout.n_params, tr->train.weight_decay, err));
    DC_ALLOC(tr->params, tr->layout.n_params);
    DC_ALLOC(tr->grad, tr->layout.n_params);
    DC_ALLOC(tr->order, max_frames);
    DC_ALLOC(tr->energy, tr->max_mol);
    DC_ALLOC(tr->forces, 3 * (int64_t)tr->max_atoms);
    DC_ALLOC(tr->energy_u, tr->max_mol);
    DC_ALLOC(tr->forces_u, 3 * (int64_t)tr->max_atoms);
    *out = tr;
    return DC_OK;
cleanup:
    dc_trainer_destroy(tr);
    return rc;
}

int dc_trainer_rescale(const dc_trainer *tr, dc_rescaling method, dc_rescale *out, dc_error *err)
{
    const dc_dataset *ds = tr->split[DC_SPLIT_TRAIN];
    return dc_rescale_fit(out, method, ds->energy, ds->n_frames, err);
}

const dc_dataset *dc_trainer_split(const dc_trainer *tr, int split)
{
    return (split >= 0 && split < DC_N_SPLITS) ? tr->split[split] : NULL;
}

const float *dc_trainer_params(const dc_trainer *tr, dc_schnet_shape *shape, int64_t *n_params)
{
    if (shape) *shape = tr->shape;
    if (n_params) *n_params = tr->layout.n_params;
    return tr->params;
}

static dc_activation run_activation(const dc_run *run)
{
    return (dc_activation){.extent = run->extent,
                           .irelu_scale = run->extent == DC_EXTENT_NONE ? 0.0 : run->irelu_scale};
}

/* Epoch e's (0-based) batch order: a permutation of the training frames from (seed, e) alone. */
static void epoch_order(int *order, int n, int64_t seed, int epoch)
{
    dc_rng rng;
    dc_rng_seed(&rng, (uint64_t)seed, DC_BATCH_STREAM + (uint64_t)epoch);
    dc_rng_permutation(&rng, order, n);
}

/* Metrics of a split with the current parameters, in windows of eval_batch_size frames. */
static int evaluate(dc_trainer *tr, int split, const dc_activation *act, const dc_rescale *rs,
                    dc_split_metrics *metrics, dc_error *err)
{
    int rc = DC_OK;
    const dc_dataset *ds = tr->split[split];
    dc_metrics_acc acc;
    dc_metrics_reset(&acc);
    for (int f = 0; f < ds->n_frames; f++) tr->order[f] = f;
    for (int start = 0; start < ds->n_frames; start += tr->train.eval_batch_size) {
        int n = ds->n_frames - start;
        if (n > tr->train.eval_batch_size) n = tr->train.eval_batch_size;
        dc_batch batch;
        DC_TRY(dc_batch_assemble(&batch, &tr->buf, ds, &tr->nb[split], tr->order + start, n, NULL, err));
        DC_TRY(dc_schnet_predict(tr->engine, act, tr->params, &batch, tr->energy, tr->forces, err));
        for (int b = 0; b < n; b++) tr->energy_u[b] = dc_unscale_energy(rs, tr->energy[b]);
        for (int64_t k = 0; k < 3 * (int64_t)batch.n_atoms; k++)
            tr->forces_u[k] = dc_unscale_force(rs, tr->forces[k]);
        /* a window is consecutive frames, so its true labels are contiguous in the dataset */
        int64_t first_atom = ds->frame_start[start];
        dc_metrics_add(&acc, n, batch.n_atoms, batch.mol, tr->energy_u, ds->energy + start,
                       tr->forces_u, ds->forces + 3 * first_atom);
    }
    dc_metrics_finish(&acc, metrics);
cleanup:
    return rc;
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

int dc_trainer_run(dc_trainer *tr, const dc_run *run, dc_run_result *result, dc_epoch_fn on_epoch,
                   void *ctx, dc_error *err)
{
    int rc = DC_OK;
    const int n_epochs = tr->train.epochs;
    const dc_dataset *train = tr->split[DC_SPLIT_TRAIN];
    const dc_split_metrics nan_metrics = {NAN, NAN, NAN, NAN, NAN};
    const dc_loss_spec loss = {.kind = tr->train.loss, .force_weight = tr->train.force_weight};
    const dc_activation act = run_activation(run);
    double t_run = dc_perf_seconds();

    memset(result, 0, sizeof *result);
    result->run_index = run->index;
    result->status = DC_RUN_PENDING;
    result->n_epochs = n_epochs;
    result->val = result->test = nan_metrics;
    DC_ALLOC(result->curves, (int64_t)DC_N_CURVES * (n_epochs > 0 ? n_epochs : 1));
    for (int k = 0; k < DC_N_CURVES * n_epochs; k++) result->curves[k] = NAN;

    dc_rescale rs;
    dc_error fit_err = {0};
    if (dc_rescale_fit(&rs, run->rescaling, train->energy, train->n_frames, &fit_err) != DC_OK) {
        /* a degenerate statistic fails this run, not the worker */
        result->status = DC_RUN_FAILED;
        /* truncation is fine: the message is one line for a human */
        size_t len = strnlen(fit_err.message, sizeof result->message - 1);
        memcpy(result->message, fit_err.message, len);
        result->message[len] = '\0';
        goto cleanup;
    }

    dc_schnet_init_params(&tr->layout, (uint64_t)run->seed, tr->params);
    dc_adam_reset(&tr->adam);
    const int bs = tr->train.batch_size;
    for (int e = 0; e < n_epochs; e++) {
        double t0 = dc_perf_seconds();
        double lr = tr->train.learning_rate;
        if (tr->train.lr_decay_every > 0) lr *= pow(tr->train.lr_decay, (double)(e / tr->train.lr_decay_every));
        epoch_order(tr->order, train->n_frames, run->seed, e);
        double sum_e = 0.0, sum_f = 0.0;
        int n_batches = 0;
        for (int start = 0; start < train->n_frames; start += bs) {
            int n = train->n_frames - start < bs ? train->n_frames - start : bs;
            dc_batch batch;
            dc_loss_value lv;
            DC_TRY(dc_batch_assemble(&batch, &tr->buf, train, &tr->nb[DC_SPLIT_TRAIN], tr->order + start,
                                     n, &rs, err));
            DC_TRY(dc_schnet_loss_grad(tr->engine, &act, tr->params, &batch, &loss, NULL, NULL,
                                       tr->grad, &lv, err));
            if (!isfinite(lv.total)) {
                diverge(result, e + 1, isnan(lv.total) ? "loss became NaN" : "loss became Inf");
                goto cleanup;
            }
            dc_adam_step(&tr->adam, tr->params, tr->grad, lr);
            sum_e += lv.energy_loss;
            sum_f += lv.force_loss;
            n_batches++;
        }
        if (!params_finite(tr->params, tr->layout.n_params)) {
            diverge(result, e + 1, "parameters became non-finite");
            goto cleanup;
        }
        DC_TRY(evaluate(tr, DC_SPLIT_VALIDATION, &act, &rs, &result->val, err));
        double *c = result->curves;
        c[DC_CURVE_TRAIN_ENERGY_LOSS * n_epochs + e] = sum_e / n_batches;
        c[DC_CURVE_TRAIN_FORCE_LOSS * n_epochs + e] = sum_f / n_batches;
        c[DC_CURVE_VAL_ENERGY_MAE * n_epochs + e] = result->val.energy_mae;
        c[DC_CURVE_VAL_FORCE_MAE * n_epochs + e] = result->val.force_mae;
        c[DC_CURVE_SECONDS * n_epochs + e] = dc_perf_seconds() - t0;
        result->epochs_completed = e + 1;
        if (on_epoch) {
            double values[DC_N_CURVES];
            for (int k = 0; k < DC_N_CURVES; k++) values[k] = c[k * n_epochs + e];
            if (on_epoch(ctx, run, e + 1, values) != 0) {
                result->val = nan_metrics;
                goto cleanup; /* stays pending: it will be rerun from scratch */
            }
        }
    }
    /* After the last epoch the validation metrics are those just computed with these weights. */
    if (n_epochs == 0) DC_TRY(evaluate(tr, DC_SPLIT_VALIDATION, &act, &rs, &result->val, err));
    DC_TRY(evaluate(tr, DC_SPLIT_TEST, &act, &rs, &result->test, err));
    result->status = DC_RUN_DONE;
cleanup:
    if (result->status != DC_RUN_DONE) result->val = result->test = nan_metrics;
    result->wall_seconds = dc_perf_seconds() - t_run;
    return rc;
}

int dc_trainer_bench(dc_trainer *tr, const dc_run *run, int warmup, int steps, dc_bench_result *out,
                     dc_error *err)
{
    int rc = DC_OK;
    const dc_dataset *train = tr->split[DC_SPLIT_TRAIN];
    const dc_loss_spec loss = {.kind = tr->train.loss, .force_weight = tr->train.force_weight};
    const dc_activation act = run_activation(run);
    const int bs = tr->train.batch_size;
    const int n_batches = (train->n_frames + bs - 1) / bs;
    dc_rescale rs;
    memset(out, 0, sizeof *out);
    out->max_atoms = tr->max_atoms;
    out->max_edges = tr->max_edges;
    DC_TRY(dc_rescale_fit(&rs, run->rescaling, train->energy, train->n_frames, err));
    dc_schnet_init_params(&tr->layout, (uint64_t)run->seed, tr->params);
    dc_adam_reset(&tr->adam);
    epoch_order(tr->order, train->n_frames, run->seed, 0);
    double t0 = 0.0;
    for (int s = 0; s < warmup + steps; s++) {
        if (s == warmup) t0 = dc_perf_seconds();
        int start = (s % n_batches) * bs;
        int n = train->n_frames - start < bs ? train->n_frames - start : bs;
        dc_batch batch;
        dc_loss_value lv;
        DC_TRY(dc_batch_assemble(&batch, &tr->buf, train, &tr->nb[DC_SPLIT_TRAIN], tr->order + start, n,
                                 &rs, err));
        DC_TRY(dc_schnet_loss_grad(tr->engine, &act, tr->params, &batch, &loss, NULL, NULL, tr->grad,
                                   &lv, err));
        dc_adam_step(&tr->adam, tr->params, tr->grad, tr->train.learning_rate);
        if (s >= warmup) {
            out->configs += n;
            out->atoms += batch.n_atoms;
            out->edges += batch.n_edges;
            out->flops += dc_schnet_step_flops(&tr->shape, n, batch.n_atoms, batch.n_edges);
        }
    }
    out->steps = steps;
    out->seconds = steps > 0 ? dc_perf_seconds() - t0 : 0.0;
cleanup:
    return rc;
}
