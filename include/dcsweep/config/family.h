/* What a model family tells the sweep file's reader: its task.kind, the keys it owns (type,
 * default, bounds), the shared keys it reads, its place in the canonical dump,
 * its training defaults and its own checks. A family defines one dc_family in its folder
 * (src/model/<family>/) and the model registry lists them (dc_model_families); the config module
 * knows no family by name.
 *
 * Shared keys: every sweep has the train protocol, grid, run and output keys. The optional shared
 * keys (DC_SHARED_KEYS: dataset, batches, force weight, loss) are read only by the families that
 * list them in `uses`; a sweep of another family that sets one is refused, naming the families
 * that use it. Several families may own a key of the same name (model.cutoff): each reads it with
 * its own default. */
#ifndef DCSWEEP_CONFIG_FAMILY_H
#define DCSWEEP_CONFIG_FAMILY_H

#include <stdint.h>

#define DC_MAX_FAMILY_KEYS 32   /* keys one family owns */
#define DC_MAX_MONITORS 4       /* validation values train.monitor may name */

typedef enum { DC_FKEY_INT = 0, DC_FKEY_INT64 = 1, DC_FKEY_DOUBLE = 2, DC_FKEY_CHOICE = 3 } dc_fkey_type;

/* One key a family owns. Integers are read within [min, max]; doubles within [min, max], or
 * (min, max] when min_open; a choice is one of choices[0..n_choices) (def: the default's index). */
typedef struct dc_family_key {
    const char *key;     /* "model.features" */
    dc_fkey_type type;
    double def, min, max;
    int min_open;
    const char *const *choices;
    int n_choices;
} dc_family_key;

/* A family key's value: .i for DC_FKEY_INT, DC_FKEY_INT64 and DC_FKEY_CHOICE (the choice's
 * index), .d for DC_FKEY_DOUBLE. */
typedef union dc_key_value {
    int64_t i;
    double d;
} dc_key_value;

/* The optional shared keys, in the order a family's `uses` may list them. */
#define DC_SHARED_KEYS {"dataset", "train.batch_size", "train.force_weight", "train.loss", \
                        "train.eval_batch_size"}

typedef struct dc_config_ctx dc_config_ctx;  /* the reader's state, for a family's check */
struct dc_sweep;

typedef struct dc_family {
    const char *kind;                /* task.kind */
    const dc_family_key *keys;       /* [n_keys] the keys it owns */
    int n_keys;
    const char *const *uses;         /* [n_uses] the optional shared keys it reads */
    int n_uses;
    /* The lines of the canonical dump (the sweep hash) before the shared protocol, in order: its
     * own keys, "task.kind", "dataset" (the dataset block) and shared train keys. A family keeps
     * this list as long as it has sweeps: the hash of each existing sweep file depends on it. */
    const char *const *dump;
    int n_dump;
    int default_epochs;
    double default_learning_rate;
    const char *monitors[DC_MAX_MONITORS];  /* what train.monitor may name; [0] is the default */
    int n_monitors;
    /* Checks across its keys once all are read (NULL: none): DC_OK, or dc_config_key_fail's code. */
    int (*check)(dc_config_ctx *c, const struct dc_sweep *sweep);
} dc_family;

/* Fails the sweep being read with "file:line: key: message" (the line of key, or of the nearest
 * group of it the file has), code DC_ERR_INPUT. For a family's check. */
int dc_config_key_fail(dc_config_ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The value of one of the sweep family's keys, as an integer or a double; *found 0 (and the value
 * 0) when the family has no such key. found may be NULL. */
int64_t dc_sweep_int(const struct dc_sweep *sweep, const char *key, int *found);
double dc_sweep_double(const struct dc_sweep *sweep, const char *key, int *found);

/* Whether the sweep's family reads optional shared key (one of DC_SHARED_KEYS). */
int dc_sweep_uses(const struct dc_sweep *sweep, const char *key);

#endif
