/* The canonical dump of a loaded sweep (dc_sweep.effective), which the sweep's SHA-256 is of. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

static int appendf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int appendf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if (n < 0) return -1;
        if ((size_t)n < *cap - *len) {
            *len += (size_t)n;
            return 0;
        }
        char *bigger = realloc(*buf, *cap * 2 + (size_t)n);
        if (!bigger) return -1;
        *buf = bigger;
        *cap = *cap * 2 + (size_t)n;
    }
}

/* The canonical text of every value that affects results, one `key = value;` per line in schema
 * order, numbers as %.17g (so 5 and 5.0 agree). Not in it: name and output (where results go),
 * dataset paths (the results module hashes the files' contents, so moving data keeps a sweep). */
int dc_config_dump_effective(char **out, const dc_sweep *s, dc_error *err)
{
    size_t len = 0, cap = 1024;
    char *b = malloc(cap);
    int bad = !b;
    const dc_dataset_config *d = &s->dataset;
    const dc_grid_config *g = &s->grid;
    if (!bad) b[0] = '\0';
#define OUT(...) bad = bad || appendf(&b, &len, &cap, __VA_ARGS__)
    OUT("# dcsweep effective sweep v2\n");
    OUT("dataset.layout = \"%s\";\n", !d->file ? "files" : d->split_test > 0 ? "split" : "split+test");
    if (d->file) {
        const char *fmt = d->split_counts ? "dataset.split.%s = %.0f;\n" : "dataset.split.%s = %.17g;\n";
        OUT(fmt, "train", d->split_train);
        OUT(fmt, "validation", d->split_validation);
        if (d->split_test > 0) OUT(fmt, "test", d->split_test);
        OUT("dataset.split_seed = %lld;\n", (long long)d->split_seed);
    }
    OUT("dataset.energy_key = \"%s\";\ndataset.forces_key = \"%s\";\n", d->energy_key, d->forces_key);
    OUT("dataset.length_unit = \"%s\";\ndataset.energy_unit = \"%s\";\n", d->length_unit, d->energy_unit);
    const dc_model_config *m = &s->model;
    OUT("model.features = %d;\nmodel.filters = %d;\nmodel.interactions = %d;\n", m->features,
        m->filters, m->interactions);
    OUT("model.gaussians = %d;\nmodel.cutoff = %.17g;\n", m->gaussians, m->cutoff);
    const dc_train_config *t = &s->train;
    OUT("train.epochs = %d;\ntrain.batch_size = %d;\ntrain.learning_rate = %.17g;\n", t->epochs,
        t->batch_size, t->learning_rate);
    OUT("train.force_weight = %.17g;\ntrain.loss = \"%s\";\n", t->force_weight, dc_loss_name(t->loss));
    OUT("train.weight_decay = %.17g;\ntrain.eval_batch_size = %d;\n", t->weight_decay, t->eval_batch_size);
    OUT("train.schedule = \"%s\";\n", dc_schedule_name(t->schedule));
    if (t->schedule == DC_SCHEDULE_STEP)
        OUT("train.lr_decay = %.17g;\ntrain.lr_decay_every = %d;\n", t->lr_decay, t->lr_decay_every);
    if (t->schedule == DC_SCHEDULE_PLATEAU) {
        const dc_plateau_config *p = &t->plateau;
        OUT("train.plateau.factor = %.17g;\ntrain.plateau.patience = %d;\n", p->factor, p->patience);
        OUT("train.plateau.threshold = %.17g;\ntrain.plateau.cooldown = %d;\n", p->threshold, p->cooldown);
        OUT("train.plateau.min_lr = %.17g;\n", p->min_lr);
    }
    OUT("train.warmup_epochs = %d;\ntrain.monitor = \"%s\";\ntrain.eval_every = %d;\n",
        t->warmup_epochs, t->monitor, t->eval_every);
    OUT("train.early_stopping.patience = %d;\ntrain.early_stopping.min_delta = %.17g;\n",
        t->early_stopping.patience, t->early_stopping.min_delta);
    OUT("train.select = \"%s\";\ntrain.ema_decay = %.17g;\n", dc_select_name(t->select), t->ema_decay);
    OUT("output.keep_models = %s;\n", s->keep_models ? "true" : "false");
    OUT("grid.irelu_scale = [");
    for (int i = 0; i < g->n_irelu_scale; i++) OUT("%s%.17g", i ? ", " : "", g->irelu_scale[i]);
    OUT("];\ngrid.extent = [");
    for (int i = 0; i < g->n_extent; i++) OUT("%s\"%s\"", i ? ", " : "", dc_extent_name(g->extent[i]));
    OUT("];\ngrid.rescaling = [");
    for (int i = 0; i < g->n_rescaling; i++)
        OUT("%s\"%s\"", i ? ", " : "", dc_rescaling_name(g->rescaling[i]));
    OUT("];\ngrid.seeds = [");
    for (int i = 0; i < g->n_seeds; i++) OUT("%s%lld", i ? ", " : "", (long long)g->seeds[i]);
    OUT("];\n");
#undef OUT
    if (bad) {
        free(b);
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    }
    *out = b;
    return DC_OK;
}

