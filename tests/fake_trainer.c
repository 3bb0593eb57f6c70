/* The fake trainer of tests/fake_trainer.h. */
#include "fake_trainer.h"
#include "schnet_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The real SchNet trainer's layout (metric columns and curves), so that fake files look real. */
enum { FAKE_METRICS = FX_METRICS, FAKE_CURVES = FX_CURVES };

typedef struct fake {
    int epochs;
    int rank;
    dc_metric_desc metrics[FAKE_METRICS];
    dc_trainer_desc desc;
} fake;

static int fake_log_rank = -1;

void fake_trainer_set_rank(int rank) { fake_log_rank = rank; }

/* Whether run appears in the comma-separated list of environment variable name. */
static int listed(const char *name, int run)
{
    const char *s = getenv(name);
    while (s && *s) {
        char *end = NULL;
        long v = strtol(s, &end, 10);
        if (end == s) break;
        if (v == run) return 1;
        s = *end == ',' ? end + 1 : end;
    }
    return 0;
}

static int fake_create(void **state, const dc_sweep *sweep, dc_error *err)
{
    fake *f = dc_calloc(1, sizeof *f, err);
    if (!f) return DC_ERR_NOMEM;
    f->epochs = sweep->train.epochs;
    fx_metrics(f->metrics);
    f->desc.model_kind = "schnet";
    f->desc.numerics_version = getenv("FAKE_NUMERICS") ? atoi(getenv("FAKE_NUMERICS")) : 1;
    f->desc.n_metrics = FAKE_METRICS;
    f->desc.metrics = f->metrics;
    f->desc.n_curves = FAKE_CURVES;
    for (int c = 0; c < FAKE_CURVES; c++) f->desc.curves[c] = fx_curves[c];
    *state = f;
    return DC_OK;
}

static const dc_trainer_desc *fake_describe(const void *state) { return &((const fake *)state)->desc; }

static void fake_destroy(void *state) { free(state); }

static int fake_rescale(void *state, dc_rescaling method, dc_rescale *out, dc_error *err)
{
    (void)state;
    out->method = method;
    out->shift = method == DC_RESCALE_NONE || method == DC_RESCALE_POWER10 ? 0.0 : -100.0 - method;
    out->scale = method == DC_RESCALE_NONE ? 1.0 : 10.0 * method;
    if (method == DC_RESCALE_ROBUST) return dc_error_set(err, DC_ERR_NUMERIC, "robust: zero IQR");
    return DC_OK;
}

/* energy MAE/RMSE, force MAE/RMSE, EFwT of one split into m[5]. */
static void set_metrics(double *m, const dc_run *run, double split)
{
    double x = (double)run->index + 1.0, s = (double)run->seed;
    m[0] = split * (0.0123 * sqrt(x) + 1e-5 * s);
    m[1] = split * (0.0171 * sqrt(x) + 2e-5 * s);
    m[2] = split * (0.0456 / x + exp(-x) + 3e-5 * s);
    m[3] = split * (0.0612 / x + sin(x) * 1e-3 + 4e-5 * s);
    m[4] = fmod(0.37 * x, 1.0);
}

static int fake_run(void *state, const dc_run *run, const dc_run_state *resume, dc_run_result *r,
                    const dc_train_hooks *hooks, dc_error *err)
{
    (void)resume;
    int rc = DC_OK;
    fake *f = state;
    const char *log = getenv("FAKE_LOG");
    if (log) {
        FILE *lf = fopen(log, "a");
        if (lf) {
            fprintf(lf, "start %d rank %d pid %ld\n", run->index, fake_log_rank, (long)getpid());
            fclose(lf);
        }
    }
    memset(r, 0, sizeof *r);
    r->run_index = run->index;
    r->n_epochs = f->epochs;
    r->n_curves = FAKE_CURVES;
    r->n_metrics = FAKE_METRICS;
    DC_ALLOC(r->curves, (size_t)FAKE_CURVES * (size_t)f->epochs);
    for (int i = 0; i < FAKE_CURVES * f->epochs; i++) r->curves[i] = NAN;
    set_metrics(r->metrics, run, 1.0);
    set_metrics(r->metrics + 5, run, 1.1);
    if (listed("FAKE_FATAL_RUNS", run->index))
        DC_FAIL(DC_ERR_INTERNAL, "fake fatal error on run %d", run->index);
    int diverge_at = listed("FAKE_DIVERGE_RUNS", run->index) ? (f->epochs > 1 ? 2 : 1) : 0;
    long ms = getenv("FAKE_EPOCH_MS") ? atol(getenv("FAKE_EPOCH_MS")) : 0;
    if (fake_log_rank == 0 && getenv("FAKE_RANK0_EPOCH_MS")) ms = atol(getenv("FAKE_RANK0_EPOCH_MS"));
    r->status = DC_RUN_DONE;
    for (int e = 1; e <= f->epochs; e++) {
        if (ms > 0) {
            struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (e == diverge_at) {
            r->status = DC_RUN_DIVERGED;
            r->diverged_epoch = e;
            snprintf(r->message, sizeof r->message, "loss became NaN in epoch %d", e);
            break;
        }
        double values[FAKE_CURVES];
        for (int c = 0; c < FAKE_CURVES; c++) {
            values[c] = (0.5 + run->index) * (c + 1) / (double)e;
            r->curves[(size_t)c * (size_t)f->epochs + (size_t)(e - 1)] = values[c];
        }
        r->epochs_completed = e;
        if (hooks && hooks->on_step) hooks->on_step(hooks->ctx);
        if (hooks && hooks->on_epoch && hooks->on_epoch(hooks->ctx, run, e, values, NULL)) {
            r->status = DC_RUN_PENDING;
            break;
        }
    }
    if (r->status == DC_RUN_DONE) {
        r->stop_reason = DC_STOP_MAX_EPOCHS;
        r->best_epoch = r->epochs_completed;
        r->final_lr = 1e-3;
    }
    if (r->status == DC_RUN_DIVERGED) r->stop_reason = DC_STOP_DIVERGED;
    if (r->status == DC_RUN_DONE && listed("FAKE_FAIL_RUNS", run->index)) {
        r->status = DC_RUN_FAILED;
        snprintf(r->message, sizeof r->message, "fake failure of run %d", run->index);
    }
    if (r->status != DC_RUN_DONE)
        for (int k = 0; k < FAKE_METRICS; k++) r->metrics[k] = NAN;
    r->wall_seconds = 0.001 * (double)(ms * r->epochs_completed) + 1e-4;
cleanup:
    return rc;
}

const dc_trainer_ops fake_trainer_ops = {fake_create, fake_destroy, fake_describe, fake_run, fake_rescale};
