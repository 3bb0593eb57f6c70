/* The canonical dump of a loaded sweep (dc_sweep.effective), which the sweep's SHA-256 is of. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

/* The text being built; bad once an allocation failed (every later append is skipped). */
typedef struct dump_buf {
    char *b;
    size_t len, cap;
    int bad;
} dump_buf;

static void out(dump_buf *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(dump_buf *d, const char *fmt, ...)
{
    while (!d->bad) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(d->b + d->len, d->cap - d->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            d->bad = 1;
        } else if ((size_t)n < d->cap - d->len) {
            d->len += (size_t)n;
            return;
        } else {
            char *bigger = realloc(d->b, d->cap * 2 + (size_t)n);
            if (!bigger) d->bad = 1;
            else d->b = bigger, d->cap = d->cap * 2 + (size_t)n;
        }
    }
}

/* The dataset block: the layout, the split and the keys naming the labels. */
static void dump_dataset(dump_buf *o, const dc_dataset_config *d)
{
    out(o, "dataset.layout = \"%s\";\n", !d->file ? "files" : d->split_test > 0 ? "split" : "split+test");
    if (d->file) {
        const char *fmt = d->split_counts ? "dataset.split.%s = %.0f;\n" : "dataset.split.%s = %.17g;\n";
        out(o, fmt, "train", d->split_train);
        out(o, fmt, "validation", d->split_validation);
        if (d->split_test > 0) out(o, fmt, "test", d->split_test);
        out(o, "dataset.split_seed = %lld;\n", (long long)d->split_seed);
    }
    out(o, "dataset.energy_key = \"%s\";\ndataset.forces_key = \"%s\";\n", d->energy_key, d->forces_key);
    out(o, "dataset.length_unit = \"%s\";\ndataset.energy_unit = \"%s\";\n", d->length_unit, d->energy_unit);
    /* only when given, so that every sweep from before the key keeps its hash; the file's
     * contents are in the results' dataset digest */
    if (d->e0_source != DC_E0_NONE)
        out(o, "dataset.atomic_energies = \"%s\";\n", d->e0_source == DC_E0_AVERAGE ? "average" : "file");
    if (d->isolated_exact) out(o, "dataset.isolated_atoms = \"exact\";\n");
}

/* The shared train keys a family may place in its part of the dump; 0 when key is none of them. */
static int dump_train_key(dump_buf *o, const dc_train_config *t, const char *key)
{
    if (strcmp(key, "train.epochs") == 0) out(o, "%s = %d;\n", key, t->epochs);
    else if (strcmp(key, "train.batch_size") == 0) out(o, "%s = %d;\n", key, t->batch_size);
    else if (strcmp(key, "train.learning_rate") == 0) out(o, "%s = %.17g;\n", key, t->learning_rate);
    else if (strcmp(key, "train.force_weight") == 0) out(o, "%s = %.17g;\n", key, t->force_weight);
    else if (strcmp(key, "train.loss") == 0) out(o, "%s = \"%s\";\n", key, dc_loss_name(t->loss));
    else if (strcmp(key, "train.weight_decay") == 0) out(o, "%s = %.17g;\n", key, t->weight_decay);
    else if (strcmp(key, "train.eval_batch_size") == 0) out(o, "%s = %d;\n", key, t->eval_batch_size);
    else return 0;
    return 1;
}

/* The family's part of the dump, in the order it fixed (family.h: its sweeps' hashes depend on
 * it). A name it lists that is none of the dumpable keys is a bug of its table. */
static int dump_family(dump_buf *o, const dc_sweep *s, dc_error *err)
{
    const dc_family *f = s->family;
    for (int i = 0; i < f->n_dump; i++) {
        const char *key = f->dump[i];
        int k = 0;
        while (k < f->n_keys && strcmp(f->keys[k].key, key) != 0) k++;
        if (k < f->n_keys) {
            const dc_key_value *v = &s->values[k];
            if (f->keys[k].type == DC_FKEY_DOUBLE) out(o, "%s = %.17g;\n", key, v->d);
            else if (f->keys[k].type == DC_FKEY_CHOICE) out(o, "%s = \"%s\";\n", key, f->keys[k].choices[v->i]);
            else if (f->keys[k].type == DC_FKEY_INT) out(o, "%s = %d;\n", key, (int)v->i);
            else out(o, "%s = %lld;\n", key, (long long)v->i);
        } else if (strcmp(key, "task.kind") == 0) {
            out(o, "task.kind = \"%s\";\n", f->kind);
        } else if (strcmp(key, "dataset") == 0) {
            dump_dataset(o, &s->dataset);
        } else if (!dump_train_key(o, &s->train, key)) {
            return dc_error_set(err, DC_ERR_INTERNAL, "family %s dumps '%s', which is no key it may dump",
                                f->kind, key);
        }
    }
    return DC_OK;
}

/* The canonical text of every value that affects results, one `key = value;` per line in schema
 * order, numbers as %.17g (so 5 and 5.0 agree). Not in it: name and output (where results go),
 * dataset paths (the results module hashes the files' contents, so moving data keeps a sweep). */
int dc_config_dump_effective(char **out_text, const dc_sweep *s, dc_error *err)
{
    dump_buf o = {.cap = 1024};
    o.b = malloc(o.cap);
    o.bad = !o.b;
    const dc_grid_config *g = &s->grid;
    const dc_train_config *t = &s->train;
    if (!o.bad) o.b[0] = '\0';
    out(&o, "# dcsweep effective sweep v2\n");
    int rc = dump_family(&o, s, err);
    if (rc != DC_OK) {
        free(o.b);
        return rc;
    }
    out(&o, "train.schedule = \"%s\";\n", dc_schedule_name(t->schedule));
    if (t->schedule == DC_SCHEDULE_STEP)
        out(&o, "train.lr_decay = %.17g;\ntrain.lr_decay_every = %d;\n", t->lr_decay, t->lr_decay_every);
    if (t->schedule == DC_SCHEDULE_PLATEAU) {
        const dc_plateau_config *p = &t->plateau;
        out(&o, "train.plateau.factor = %.17g;\ntrain.plateau.patience = %d;\n", p->factor, p->patience);
        out(&o, "train.plateau.threshold = %.17g;\ntrain.plateau.cooldown = %d;\n", p->threshold, p->cooldown);
        out(&o, "train.plateau.min_lr = %.17g;\n", p->min_lr);
    }
    out(&o, "train.warmup_epochs = %d;\ntrain.monitor = \"%s\";\ntrain.eval_every = %d;\n",
        t->warmup_epochs, t->monitor, t->eval_every);
    out(&o, "train.early_stopping.patience = %d;\ntrain.early_stopping.min_delta = %.17g;\n",
        t->early_stopping.patience, t->early_stopping.min_delta);
    out(&o, "train.select = \"%s\";\ntrain.ema_decay = %.17g;\n", dc_select_name(t->select), t->ema_decay);
    out(&o, "output.keep_models = %s;\n", s->keep_models ? "true" : "false");
    out(&o, "grid.irelu_scale = [");
    for (int i = 0; i < g->n_irelu_scale; i++) out(&o, "%s%.17g", i ? ", " : "", g->irelu_scale[i]);
    out(&o, "];\ngrid.extent = [");
    for (int i = 0; i < g->n_extent; i++) out(&o, "%s\"%s\"", i ? ", " : "", dc_extent_name(g->extent[i]));
    out(&o, "];\ngrid.rescaling = [");
    for (int i = 0; i < g->n_rescaling; i++)
        out(&o, "%s\"%s\"", i ? ", " : "", dc_rescaling_name(g->rescaling[i]));
    out(&o, "];\ngrid.seeds = [");
    for (int i = 0; i < g->n_seeds; i++) out(&o, "%s%lld", i ? ", " : "", (long long)g->seeds[i]);
    out(&o, "];\n");
    if (o.bad) {
        free(o.b);
        return dc_error_set(err, DC_ERR_NOMEM, "out of memory");
    }
    *out_text = o.b;
    return DC_OK;
}

/* ---- comparing two dumps (`run` on a file of another sweep, `merge` of two sweeps' shards) ---- */

/* In a canonical dump (dc_sweep.effective: "key = value;" lines), the value of key, or NULL. */
static const char *dump_value(const char *text, const char *key, size_t key_len, size_t *len)
{
    for (const char *p = text; p && *p;) {
        size_t n = strcspn(p, "\n");
        if (n > key_len + 3 && strncmp(p, key, key_len) == 0 && strncmp(p + key_len, " = ", 3) == 0) {
            *len = n - key_len - 3 - (p[n - 1] == ';');
            return p + key_len + 3;
        }
        p += n;
        if (*p) p++;
    }
    return NULL;
}

/* Appends "key (old -> new)" for every key of `a` whose value in `b` differs or is absent
 * (`forward`: a is the old dump; otherwise only keys absent from b, as "absent -> value"). */
static size_t diff_keys(const char *a, const char *b, int forward, char *out, size_t len, size_t size)
{
    for (const char *p = a; p && *p && len < size;) {
        size_t n = strcspn(p, "\n");
        const char *eq = strstr(p, " = ");
        if (p[0] != '#' && eq && eq < p + n) {
            size_t key = (size_t)(eq - p), va = 0, vb = 0;
            const char *value_a = dump_value(a, p, key, &va), *value_b = dump_value(b, p, key, &vb);
            int differs = !value_b || va != vb || strncmp(value_a, value_b, va) != 0;
            if (differs && (forward || !value_b)) {
                const char *old = forward ? value_a : "absent", *now = forward ? (value_b ? value_b : "absent") : value_a;
                int no = forward ? (int)va : 6, nn = forward ? (value_b ? (int)vb : 6) : (int)va;
                len += (size_t)snprintf(out + len, size - len, "%s%.*s (%.*s -> %.*s)", len ? ", " : "",
                                        (int)key, p, no, old, nn, now);
            }
        }
        p += n;
        if (*p) p++;
    }
    return len;
}

void dc_sweep_dump_diff(const char *old_text, const char *new_text, char *out, size_t size)
{
    out[0] = '\0';
    size_t len = diff_keys(old_text, new_text, 1, out, 0, size);
    diff_keys(new_text, old_text, 0, out, len, size);
}
