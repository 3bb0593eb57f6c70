/* The train section of the sweep file (docs/sweep-format.md): the training protocol (optimiser,
 * loss, learning-rate schedule, monitoring, early stopping, selection, EMA, checkpoints). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

static const char *const schedule_names[DC_N_SCHEDULES] = {"constant", "step", "plateau"};
static const char *const select_names[DC_N_SELECTS] = {"last", "best"};

const char *dc_schedule_name(dc_schedule s) { return (unsigned)s < DC_N_SCHEDULES ? schedule_names[s] : "?"; }
const char *dc_select_name(dc_select s) { return (unsigned)s < DC_N_SELECTS ? select_names[s] : "?"; }

/* A key that only means something with another setting: refused elsewhere, so that a typo in the
 * protocol never passes silently. */
static int only_with(dc_config_ctx *c, const char *key, int allowed, const char *why)
{
    const config_setting_t *s = config_lookup(&c->cfg, key);
    if (!s || allowed) return DC_OK;
    /* `--set train.schedule=...` on a file written for another schedule: its keys are left over
     * on purpose, not a typo. */
    if (dc_config_is_overridden(c, "train.schedule") && !dc_config_is_overridden(c, key)) return DC_OK;
    return dc_config_fail(c, key, s, "only used %s", why);
}

/* The learning-rate schedule, monitoring, early stopping, selection, EMA, checkpoints. */
static int read_protocol(dc_config_ctx *c, const dc_family *family, dc_train_config *t)
{
    int rc = DC_OK, v = 0;
    const int has_step = config_lookup(&c->cfg, "train.lr_decay_every") != NULL;
    /* today's sweep files with lr_decay_every mean the step schedule without saying so */
    DC_TRY(dc_config_read_choice(c, "train.schedule", has_step ? DC_SCHEDULE_STEP : DC_SCHEDULE_CONSTANT,
                                 schedule_names, DC_N_SCHEDULES, &v));
    t->schedule = (dc_schedule)v;
    const int step = t->schedule == DC_SCHEDULE_STEP, plateau = t->schedule == DC_SCHEDULE_PLATEAU;
    DC_TRY(only_with(c, "train.lr_decay", step, "with schedule = \"step\""));
    DC_TRY(only_with(c, "train.lr_decay_every", step, "with schedule = \"step\""));
    DC_TRY(only_with(c, "train.plateau", plateau, "with schedule = \"plateau\""));
    DC_TRY(dc_config_read_double(c, "train.lr_decay", 1.0, 0, 1, 1.0, &t->lr_decay));
    DC_TRY(dc_config_read_int(c, "train.lr_decay_every", step ? 1 : 0, step ? 1 : 0, 1 << 30,
                              &t->lr_decay_every));
    dc_plateau_config *p = &t->plateau;
    DC_TRY(dc_config_read_double(c, "train.plateau.factor", 0.1, 0, 1, 1.0, &p->factor));
    if (!(p->factor < 1.0))
        DC_TRY(dc_config_fail(c, "train.plateau.factor", config_lookup(&c->cfg, "train.plateau.factor"),
                              "value %g must be < 1 (it multiplies the learning rate)", p->factor));
    DC_TRY(dc_config_read_int(c, "train.plateau.patience", 10, 0, 1 << 30, &p->patience));
    DC_TRY(dc_config_read_double(c, "train.plateau.threshold", 1e-4, 0, 0, 1.0, &p->threshold));
    DC_TRY(dc_config_read_int(c, "train.plateau.cooldown", 0, 0, 1 << 30, &p->cooldown));
    DC_TRY(dc_config_read_double(c, "train.plateau.min_lr", 0.0, 0, 0, INFINITY, &p->min_lr));
    DC_TRY(dc_config_read_int(c, "train.warmup_epochs", 0, 0, 1 << 30, &t->warmup_epochs));

    /* The values a validation gives (each family lists its own); the
     * model checks its own list too. */
    DC_TRY(dc_config_read_choice(c, "train.monitor", 0, family->monitors, family->n_monitors, &v));
    snprintf(t->monitor, sizeof t->monitor, "%s", family->monitors[v]);
    DC_TRY(dc_config_read_int(c, "train.eval_every", 1, 1, 1 << 30, &t->eval_every));
    DC_TRY(dc_config_read_int(c, "train.early_stopping.patience", 0, 0, 1 << 30,
                              &t->early_stopping.patience));
    DC_TRY(dc_config_read_double(c, "train.early_stopping.min_delta", 0.0, 0, 0, INFINITY,
                                 &t->early_stopping.min_delta));
    DC_TRY(dc_config_read_choice(c, "train.select", DC_SELECT_LAST, select_names, DC_N_SELECTS, &v));
    t->select = (dc_select)v;
    DC_TRY(dc_config_read_double(c, "train.ema_decay", 0.0, 0, 0, 1.0, &t->ema_decay));
    if (!(t->ema_decay < 1.0))
        DC_TRY(dc_config_fail(c, "train.ema_decay", config_lookup(&c->cfg, "train.ema_decay"),
                              "value %g must be < 1 (0 turns the average off)", t->ema_decay));
    DC_TRY(dc_config_read_double(c, "train.checkpoint_seconds", 300.0, 0, 0, INFINITY,
                                 &t->checkpoint_seconds));
cleanup:
    return rc;
}

/* The optional shared keys are read whatever the family: a family that does not use them has
 * them refused when set (config_family.c), and their defaults are never read. */
int dc_config_read_train(dc_config_ctx *c, const dc_family *family, dc_train_config *t)
{
    int rc = DC_OK;
    /* a run holds its curves for every epoch (8 bytes x curves each, in memory and in the file):
     * a million epochs is 64 MB of SchNet curves, and more than any run here needs */
    DC_TRY(dc_config_read_int(c, "train.epochs", family->default_epochs, 1, DC_MAX_EPOCHS, &t->epochs));
    DC_TRY(dc_config_read_int(c, "train.batch_size", 20, 1, 1 << 30, &t->batch_size));
    DC_TRY(dc_config_read_double(c, "train.learning_rate", family->default_learning_rate, 0, 1, INFINITY,
                                 &t->learning_rate));
    DC_TRY(dc_config_read_double(c, "train.force_weight", 30.0, 0, 0, INFINITY, &t->force_weight));
    char *loss = NULL;
    DC_TRY(dc_config_read_string(c, "train.loss", "l1", &loss));
    int bad_loss = dc_loss_parse(loss, &t->loss) != 0;
    if (bad_loss)
        rc = dc_config_fail(c, "train.loss", config_lookup(&c->cfg, "train.loss"),
                            "unknown value \"%s\" (expected l1 or mse)", loss);
    free(loss);
    if (bad_loss) goto cleanup;
    DC_TRY(dc_config_read_double(c, "train.weight_decay", 0.0, 0, 0, INFINITY, &t->weight_decay));
    DC_TRY(dc_config_read_int(c, "train.eval_batch_size", 100, 1, 1 << 30, &t->eval_batch_size));
    DC_TRY(read_protocol(c, family, t));
cleanup:
    return rc;
}

