/* The training protocol's decisions (src/train/schedule.c) against their definitions: the plateau
 * schedule against the learning rates that PyTorch 1.13's ReduceLROnPlateau gave for the same
 * monitored values (factor 0.5, patience 2, threshold 0.1 rel, cooldown 1, min_lr 0.05; printed by
 * torch.optim.lr_scheduler, copied here), the stop at min_lr, the step schedule and warm-up, early
 * stopping with min_delta, the best epoch, and the EMA update. */
#include <math.h>

#include "check.h"
#include "dcsweep/train/schedule.h"

static void test_plateau_matches_pytorch(void)
{
    const double values[] = {10, 9.5, 9.2, 9.1, 8.0, 8.5, 8.4, 8.3, 8.2, 7.0, 7.1, 7.2, 7.3, 7.4,
                             7.5, 7.6, 7.7, 7.8, 7.9, 8.0, 8.1, 8.2, 8.3, 8.3, 8.3};
    const double torch_lr[] = {1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25,
                               0.125, 0.125, 0.125, 0.125, 0.0625, 0.0625, 0.0625, 0.0625, 0.05,
                               0.05, 0.05, 0.05};
    dc_train_config t = {.learning_rate = 1.0, .schedule = DC_SCHEDULE_PLATEAU,
                         .plateau = {.factor = 0.5, .patience = 2, .threshold = 0.1, .cooldown = 1,
                                     .min_lr = 0.05}};
    dc_run_state st = {0};
    dc_schedule_start(&t, &st);
    int improved = 0;
    for (int i = 0; i < 24; i++) {
        dc_stop_reason stop = dc_schedule_observe(&t, &st, i + 1, values[i], &improved);
        CHECK(stop == DC_STOP_NONE, "evaluation %d: stopped (%d)", i, (int)stop);
        CHECK(st.lr == torch_lr[i], "evaluation %d: lr %g, PyTorch %g", i, st.lr, torch_lr[i]);
        CHECK(dc_schedule_lr(&t, &st, i + 1) == torch_lr[i], "the next epoch's lr");
    }
    /* PyTorch would reduce again here but cannot go below min_lr: the run stops. */
    CHECK(dc_schedule_observe(&t, &st, 25, values[24], &improved) == DC_STOP_MIN_LR,
          "no stop at min_lr");
    CHECK(st.best_epoch == 10 && st.best_value == 7.0, "best %g at epoch %d", st.best_value, st.best_epoch);
}

static void test_step_and_warmup(void)
{
    dc_train_config t = {.learning_rate = 1e-3, .schedule = DC_SCHEDULE_STEP, .lr_decay = 0.5,
                         .lr_decay_every = 10, .warmup_epochs = 4};
    dc_run_state st = {0};
    dc_schedule_start(&t, &st);
    CHECK_CLOSE(dc_schedule_lr(&t, &st, 0), 0.25e-3, 1e-15);
    CHECK_CLOSE(dc_schedule_lr(&t, &st, 3), 1e-3, 1e-15);
    CHECK_CLOSE(dc_schedule_lr(&t, &st, 9), 1e-3, 1e-15);
    CHECK_CLOSE(dc_schedule_lr(&t, &st, 10), 0.5e-3, 1e-15);
    CHECK_CLOSE(dc_schedule_lr(&t, &st, 25), 0.25e-3, 1e-15);
    t.schedule = DC_SCHEDULE_CONSTANT;
    t.warmup_epochs = 0;
    CHECK(dc_schedule_lr(&t, &st, 25) == 1e-3, "constant");
}

static void test_early_stopping(void)
{
    dc_train_config t = {.learning_rate = 1.0, .early_stopping = {.patience = 3, .min_delta = 0.1}};
    dc_run_state st = {0};
    dc_schedule_start(&t, &st);
    const double v[] = {5.0, 4.0, 3.95, 3.92, 3.91, 3.0};
    int improved = 0;
    dc_stop_reason stop = DC_STOP_NONE;
    int k = 0;
    for (; k < 6 && stop == DC_STOP_NONE; k++) stop = dc_schedule_observe(&t, &st, k + 1, v[k], &improved);
    /* 3.95, 3.92, 3.91 are better but by less than min_delta: three evaluations without improvement */
    CHECK(stop == DC_STOP_EARLY && k == 5, "stopped %d after %d evaluations", (int)stop, k);
    CHECK(st.best_epoch == 5 && st.best_value == 3.91, "the best epoch ignores min_delta: %d", st.best_epoch);
    t.early_stopping.patience = 0;  /* off */
    dc_schedule_start(&t, &st);
    for (int i = 0; i < 50; i++)
        CHECK(dc_schedule_observe(&t, &st, i + 1, 1.0, &improved) == DC_STOP_NONE, "patience 0 stopped");
}

static void test_ema(void)
{
    float ema[2] = {1.0f, -1.0f}, p[2] = {3.0f, 1.0f};
    /* step 1: d = min(0.99, 2/11) */
    dc_ema_update(ema, p, 2, 0.99, 1);
    double d = 2.0 / 11.0;
    CHECK_CLOSE(ema[0], d * 1.0 + (1 - d) * 3.0, 1e-6);
    CHECK_CLOSE(ema[1], d * -1.0 + (1 - d) * 1.0, 1e-6);
    float e2[1] = {0.0f}, q[1] = {1.0f};
    dc_ema_update(e2, q, 1, 0.9, 1000);  /* late: the configured decay */
    CHECK_CLOSE(e2[0], 0.1, 1e-6);
}

int main(void)
{
    test_plateau_matches_pytorch();
    test_step_and_warmup();
    test_early_stopping();
    test_ema();
    return check_finish();
}
