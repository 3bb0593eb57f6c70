/* The training protocol through the real trainer on the toy data: a run continued from the state of
 * any epoch is bitwise the uninterrupted run (plateau schedule, EMA, best-epoch selection and
 * eval_every on), the selected metrics are the best epoch's, early stopping stops when the
 * monitored value does not improve, and the lr curve is the schedule's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "toy_trainer.h"

/* A deep copy of the state at one epoch boundary. */
typedef struct capture {
    int at;           /* the epoch to copy */
    dc_run_state st;
    int n_epochs_seen;
} capture;

static float *copy_floats(const float *a, int64_t n)
{
    if (!a) return NULL;
    float *b = malloc((size_t)n * sizeof *b);
    memcpy(b, a, (size_t)n * sizeof *b);
    return b;
}

static int capture_state(void *ctx, const dc_run *run, int epoch, const double *c,
                         const dc_run_state *state)
{
    (void)run;
    (void)c;
    capture *k = ctx;
    k->n_epochs_seen = epoch;
    if (epoch != k->at) return 0;
    k->st = *state;
    k->st.params = copy_floats(state->params, state->n_params);
    k->st.adam_m = copy_floats(state->adam_m, state->n_params);
    k->st.adam_v = copy_floats(state->adam_v, state->n_params);
    k->st.ema = copy_floats(state->ema, state->n_params);
    k->st.best = copy_floats(state->best, state->n_params);
    size_t cells = (size_t)state->n_curves * (size_t)state->n_epochs;
    k->st.curves = malloc(cells * sizeof(double));
    memcpy(k->st.curves, state->curves, cells * sizeof(double));
    return 0;
}

static void free_capture(capture *k)
{
    free(k->st.params);
    free(k->st.adam_m);
    free(k->st.adam_v);
    free(k->st.ema);
    free(k->st.best);
    free(k->st.curves);
}

/* Equal results, bitwise, but for the timing curve (which is last) and wall_seconds. */
static void check_same(const dc_run_result *a, const dc_run_result *b, const char *what)
{
    CHECK(a->status == b->status && a->epochs_completed == b->epochs_completed &&
              a->best_epoch == b->best_epoch && a->stop_reason == b->stop_reason &&
              memcmp(&a->final_lr, &b->final_lr, sizeof a->final_lr) == 0,
          "%s: status %d/%d, epochs %d/%d, best %d/%d, stop %d/%d", what, a->status, b->status,
          a->epochs_completed, b->epochs_completed, a->best_epoch, b->best_epoch, a->stop_reason,
          b->stop_reason);
    CHECK(memcmp(a->metrics, b->metrics, sizeof a->metrics) == 0, "%s: metrics differ", what);
    size_t cells = (size_t)(a->n_curves - 1) * (size_t)a->n_epochs;
    CHECK(a->n_curves == b->n_curves && memcmp(a->curves, b->curves, cells * sizeof(double)) == 0,
          "%s: curves differ", what);
}

static void test_resume_bitwise(void)
{
    const char *sets[] = {"train.epochs=7", "train.schedule=\"plateau\"", "train.plateau.patience=0",
                          "train.plateau.factor=0.5", "train.ema_decay=0.9", "train.select=\"best\"",
                          "train.eval_every=2", "train.monitor=\"force_mae\"", "train.warmup_epochs=2"};
    setup s;
    if (setup_open(&s, sets, 9) != DC_OK) return;
    dc_error err = {0};
    dc_run_result whole, part;
    capture none = {.at = -1};
    dc_train_hooks hooks = {.on_epoch = capture_state, .ctx = &none};
    CHECK(dc_trainer_run(s.trainer, &s.grid.runs[0], NULL, &whole, &hooks, &err) == DC_OK, "%s", err.message);
    CHECK(whole.status == DC_RUN_DONE && whole.best_epoch > 0, "status %d, best %d", whole.status, whole.best_epoch);
    for (int at = 1; at <= 6; at++) {
        capture k = {.at = at};
        dc_run_result first;
        hooks.ctx = &k;
        CHECK(dc_trainer_run(s.trainer, &s.grid.runs[0], NULL, &first, &hooks, &err) == DC_OK, "%s", err.message);
        dc_run_result_free(&first);
        hooks.ctx = &none;
        CHECK(dc_trainer_run(s.trainer, &s.grid.runs[0], &k.st, &part, &hooks, &err) == DC_OK, "%s", err.message);
        char what[64];
        snprintf(what, sizeof what, "resumed after epoch %d", at);
        check_same(&whole, &part, what);
        dc_run_result_free(&part);
        free_capture(&k);
    }
    /* A state of another run does not fit. */
    capture k = {.at = 2};
    dc_run_result first;
    hooks.ctx = &k;
    dc_trainer_run(s.trainer, &s.grid.runs[0], NULL, &first, &hooks, &err);
    dc_run_result_free(&first);
    k.st.run = 1;
    CHECK(dc_trainer_run(s.trainer, &s.grid.runs[0], &k.st, &part, &hooks, &err) == DC_ERR_INPUT,
          "a state of run 1 was taken for run 0");
    dc_run_result_free(&part);
    free_capture(&k);
    dc_run_result_free(&whole);
    setup_close(&s);
}

/* The curve values of a result: curves[c][e]. */
static double curve(const setup *s, const dc_run_result *r, const char *name, int epoch)
{
    return r->curves[(int64_t)desc_index(s->trainer, name, 0) * r->n_epochs + epoch - 1];
}

static void test_select_best(void)
{
    const char *sets[] = {"train.epochs=6", "train.select=\"best\"", "train.monitor=\"force_mae\"",
                          "train.learning_rate=0.03"};
    setup s;
    if (setup_open(&s, sets, 4) != DC_OK) return;
    dc_run_result r;
    train(&s, 0, &r);
    int best = 1;
    for (int e = 1; e <= r.n_epochs; e++)
        if (curve(&s, &r, "val_force_mae", e) < curve(&s, &r, "val_force_mae", best)) best = e;
    CHECK(r.best_epoch == best, "best epoch %d, the curve's minimum at %d", r.best_epoch, best);
    /* the selected weights are the best epoch's: the same validation MAE, bit for bit */
    CHECK(M(&r, "val_force_mae") == curve(&s, &r, "val_force_mae", best), "val_force_mae %.17g vs %.17g",
          M(&r, "val_force_mae"), curve(&s, &r, "val_force_mae", best));
    CHECK(curve(&s, &r, "monitor", best) == curve(&s, &r, "val_force_mae", best), "monitor curve");
    printf("select best: epoch %d of %d (lr 0.03 makes the last epochs worse)\n", r.best_epoch, r.n_epochs);
    dc_run_result_free(&r);
    setup_close(&s);
}

static void test_early_stopping(void)
{
    /* No learning at all: the monitored value never improves after the first evaluation. */
    const char *sets[] = {"train.epochs=50", "train.learning_rate=1e-30", "train.early_stopping.patience=3"};
    setup s;
    if (setup_open(&s, sets, 3) != DC_OK) return;
    dc_run_result r;
    train(&s, 0, &r);
    CHECK(r.status == DC_RUN_DONE && r.stop_reason == DC_STOP_EARLY, "status %d, stop %s", r.status,
          dc_stop_reason_name(r.stop_reason));
    CHECK(r.epochs_completed == 4 && r.best_epoch == 1, "stopped after %d epochs (best %d), expected 4",
          r.epochs_completed, r.best_epoch);
    CHECK(isnan(curve(&s, &r, "val_force_mae", 5)), "an epoch after the stop has values");
    dc_run_result_free(&r);
    setup_close(&s);
}

static void test_lr_curve(void)
{
    const char *sets[] = {"train.epochs=5", "train.lr_decay_every=2", "train.lr_decay=0.5",
                          "train.learning_rate=0.004", "train.eval_every=2"};
    setup s;
    if (setup_open(&s, sets, 5) != DC_OK) return;
    dc_run_result r;
    train(&s, 0, &r);
    const double want[5] = {0.004, 0.004, 0.002, 0.002, 0.001};
    for (int e = 1; e <= 5; e++) CHECK(curve(&s, &r, "lr", e) == want[e - 1], "lr of epoch %d", e);
    CHECK(r.final_lr == 0.001 && r.stop_reason == DC_STOP_MAX_EPOCHS, "final lr %g", r.final_lr);
    /* evaluated after epochs 2, 4 and the last */
    CHECK(isnan(curve(&s, &r, "val_loss", 1)) && isfinite(curve(&s, &r, "val_loss", 2)) &&
              isnan(curve(&s, &r, "val_loss", 3)) && isfinite(curve(&s, &r, "val_loss", 5)),
          "eval_every 2");
    dc_run_result_free(&r);
    setup_close(&s);
}

int main(void)
{
    if (toy_open() != 0) return 1;
    test_resume_bitwise();
    test_select_best();
    test_early_stopping();
    test_lr_curve();
    toy_close();
    return check_finish();
}
