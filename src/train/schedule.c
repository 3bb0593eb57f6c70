/* The training protocol between epochs (include/dcsweep/train/schedule.h). */
#include "dcsweep/train/schedule.h"

#include <math.h>

/* ReduceLROnPlateau leaves the lr alone when a reduction would change it by less than this. */
#define PLATEAU_EPS 1e-8

void dc_schedule_start(const dc_train_config *t, dc_run_state *st)
{
    st->lr = t->learning_rate;
    st->plateau_best = INFINITY;
    st->plateau_bad = 0;
    st->plateau_cooldown = 0;
    st->stop_best = INFINITY;
    st->stop_wait = 0;
    st->best_value = INFINITY;
    st->best_epoch = 0;
}

double dc_schedule_lr(const dc_train_config *t, const dc_run_state *st, int epoch)
{
    double lr = t->learning_rate;
    if (t->schedule == DC_SCHEDULE_STEP && t->lr_decay_every > 0)
        lr *= pow(t->lr_decay, (double)(epoch / t->lr_decay_every));
    else if (t->schedule == DC_SCHEDULE_PLATEAU)
        lr = st->lr;
    if (epoch < t->warmup_epochs) lr *= (double)(epoch + 1) / (double)t->warmup_epochs;
    return lr;
}

/* PyTorch's ReduceLROnPlateau.step (mode min, threshold_mode rel). Returns 1 when a reduction is
 * due but the lr is already at min_lr. */
static int plateau_step(const dc_plateau_config *p, dc_run_state *st, double v)
{
    if (v < st->plateau_best * (1.0 - p->threshold)) {
        st->plateau_best = v;
        st->plateau_bad = 0;
    } else {
        st->plateau_bad++;
    }
    if (st->plateau_cooldown > 0) {
        st->plateau_cooldown--;
        st->plateau_bad = 0;
    }
    if (st->plateau_bad <= p->patience) return 0;
    double reduced = fmax(st->lr * p->factor, p->min_lr);
    st->plateau_bad = 0;
    if (st->lr - reduced <= PLATEAU_EPS) return 1;
    st->lr = reduced;
    st->plateau_cooldown = p->cooldown;
    return 0;
}

dc_stop_reason dc_schedule_observe(const dc_train_config *t, dc_run_state *st, int epoch, double v,
                                   int *improved)
{
    *improved = v < st->best_value;
    if (*improved) {
        st->best_value = v;
        st->best_epoch = epoch;
    }
    dc_stop_reason stop = DC_STOP_NONE;
    if (v < st->stop_best - t->early_stopping.min_delta) {
        st->stop_best = v;
        st->stop_wait = 0;
    } else {
        st->stop_wait++;
    }
    if (t->early_stopping.patience > 0 && st->stop_wait >= t->early_stopping.patience) stop = DC_STOP_EARLY;
    if (t->schedule == DC_SCHEDULE_PLATEAU && plateau_step(&t->plateau, st, v) && stop == DC_STOP_NONE)
        stop = DC_STOP_MIN_LR;
    return stop;
}

void dc_ema_update(float *ema, const float *params, int64_t n, double decay, int64_t step)
{
    double warm = (1.0 + (double)step) / (10.0 + (double)step);
    const float d = (float)(decay < warm ? decay : warm), keep = 1.0f - d;
    for (int64_t k = 0; k < n; k++) ema[k] = d * ema[k] + keep * params[k];
}
