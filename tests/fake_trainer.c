/* The fake trainer of tests/fake_trainer.h. */
#include "fake_trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct fake {
    int epochs;
    int rank;
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
    *state = f;
    return DC_OK;
}

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

static void set_metrics(dc_split_metrics *m, const dc_run *run, double split)
{
    double x = (double)run->index + 1.0, s = (double)run->seed;
    m->energy_mae = split * (0.0123 * sqrt(x) + 1e-5 * s);
    m->energy_rmse = split * (0.0171 * sqrt(x) + 2e-5 * s);
    m->force_mae = split * (0.0456 / x + exp(-x) + 3e-5 * s);
    m->force_rmse = split * (0.0612 / x + sin(x) * 1e-3 + 4e-5 * s);
    m->efwt = fmod(0.37 * x, 1.0);
}

static int fake_run(void *state, const dc_run *run, dc_run_result *r, dc_epoch_fn on_epoch,
                    void *ctx, dc_error *err)
{
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
    DC_ALLOC(r->curves, (size_t)DC_N_CURVES * (size_t)f->epochs);
    for (int i = 0; i < DC_N_CURVES * f->epochs; i++) r->curves[i] = NAN;
    set_metrics(&r->val, run, 1.0);
    set_metrics(&r->test, run, 1.1);
    if (listed("FAKE_FATAL_RUNS", run->index))
        DC_FAIL(DC_ERR_INTERNAL, "fake fatal error on run %d", run->index);
    int diverge_at = listed("FAKE_DIVERGE_RUNS", run->index) ? (f->epochs > 1 ? 2 : 1) : 0;
    long ms = getenv("FAKE_EPOCH_MS") ? atol(getenv("FAKE_EPOCH_MS")) : 0;
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
        double values[DC_N_CURVES];
        for (int c = 0; c < DC_N_CURVES; c++) {
            values[c] = (0.5 + run->index) * (c + 1) / (double)e;
            r->curves[(size_t)c * (size_t)f->epochs + (size_t)(e - 1)] = values[c];
        }
        r->epochs_completed = e;
        if (on_epoch && on_epoch(ctx, run, e, values)) {
            r->status = DC_RUN_PENDING;
            break;
        }
    }
    if (r->status == DC_RUN_DONE && listed("FAKE_FAIL_RUNS", run->index)) {
        r->status = DC_RUN_FAILED;
        snprintf(r->message, sizeof r->message, "fake failure of run %d", run->index);
    }
    if (r->status != DC_RUN_DONE) {
        dc_split_metrics none = {NAN, NAN, NAN, NAN, NAN};
        r->val = r->test = none;
    }
    r->wall_seconds = 0.001 * (double)(ms * r->epochs_completed) + 1e-4;
cleanup:
    return rc;
}

const dc_trainer_ops fake_trainer_ops = {fake_create, fake_destroy, fake_run, fake_rescale};
