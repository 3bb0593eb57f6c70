/* Shared by config.c (reading and validation) and config_set.c (schema, --set overrides): not a
 * public interface. */
#ifndef DCSWEEP_CONFIG_INTERNAL_H
#define DCSWEEP_CONFIG_INTERNAL_H

#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>

#include "dcsweep/config/config.h"

typedef enum {
    KEY_GROUP,
    KEY_STRING,
    KEY_INT,      /* integer */
    KEY_FLOAT,    /* number: integers are accepted */
    KEY_SPLIT,    /* integer count or float fraction */
    KEY_FLOATS,   /* list of numbers (a single number is a list of one) */
    KEY_INTS,     /* list of integers */
    KEY_STRINGS,  /* list of strings */
    KEY_BOOL,     /* true or false */
} dc_key_kind;

typedef struct dc_key {
    const char *path;   /* "model.features" */
    dc_key_kind kind;
} dc_key;

#define DC_MAX_OVERRIDES 64

struct dc_config_ctx {
    const char *path;       /* the sweep file, for messages */
    char *dir;              /* its directory: file paths are relative to it */
    config_t cfg;
    char *overridden[DC_MAX_OVERRIDES];  /* keys set by --set: named "--set key" in messages */
    int n_overridden;
    dc_error *err;
    const dc_family *const *families;  /* NULL-terminated: what task.kind may name */
};

/* The key of the schema (shared keys, or a key some family owns), or NULL. */
const dc_key *dc_config_find_key(const dc_config_ctx *c, const char *path);

/* out = " (did you mean model.features?)" for the closest schema key, or "" when none is close. */
void dc_config_suggest(const dc_config_ctx *c, char *out, size_t size, const char *path);

/* Whether key was set by --set (so it is named "--set key" and its paths are cwd-relative). */
int dc_config_is_overridden(const dc_config_ctx *c, const char *key);

/* out = "file:line: key", "--set key" or "file: key" (s NULL or without a line): where a value
 * came from, as errors name it. */
void dc_config_where(const dc_config_ctx *c, const char *key, const config_setting_t *s, char *out,
                     size_t size);

/* Fills c->err with "file:line: key: message" (or "--set key: message") and returns DC_ERR_INPUT.
 * s gives the line; it may be NULL (no line). */
int dc_config_fail(dc_config_ctx *c, const char *key, const config_setting_t *s, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

/* "an integer", "a string", ... for a libconfig type. */
const char *dc_config_type_phrase(int type);

/* Applies one "key=value" to c->cfg (creating groups as needed) and records the key. */
int dc_config_apply_override(dc_config_ctx *c, const char *assignment);

/* ---- config_read.c: typed readers (absent key: the default; errors name file:line and key) ---- */

int dc_config_want_type(dc_config_ctx *c, const char *key, const config_setting_t *s,
                        const char *what, int ok);
int dc_config_is_int(const config_setting_t *s);
int dc_config_read_int64(dc_config_ctx *c, const char *key, int64_t def, int64_t min, int64_t max,
                         int64_t *out);
int dc_config_read_int(dc_config_ctx *c, const char *key, int def, int min, int max, int *out);
/* lo_open: the value must be > lo (else >= lo). */
int dc_config_read_double(dc_config_ctx *c, const char *key, double def, double lo, int lo_open,
                          double hi, double *out);
/* *out = a copy of the string, of def when absent (NULL def: *out stays NULL). */
int dc_config_read_string(dc_config_ctx *c, const char *key, const char *def, char **out);
int dc_config_read_bool(dc_config_ctx *c, const char *key, int def, int *out);
/* One of names[0..n) (def when absent): *out its index; an unknown value lists them. */
int dc_config_read_choice(dc_config_ctx *c, const char *key, int def, const char *const *names,
                          int n, int *out);
int dc_config_read_path(dc_config_ctx *c, const char *key, char **out, int must_exist);
/* The elements of a list key (a lone scalar is a list of one), each of the wanted type.
 * *n = -1 when the key is absent. elems must be freed. */
int dc_config_list_elems(dc_config_ctx *c, const char *key, int want, const char *what,
                         const config_setting_t ***elems, int *n);
char *dc_config_dir_of(const char *path);
/* *out = text with an L after every decimal integer literal beyond 32 bits (which libconfig would
 * wrap); returns 0, the line of a literal beyond 64 bits (with the literal), or -1 out of memory. */
int dc_config_widen_ints(const char *text, char **out, char *literal, size_t size);

/* ---- the sections ---- */

/* config_train.c: the train section (defaults from the family). */
int dc_config_read_train(dc_config_ctx *c, const dc_family *family, dc_train_config *t);
/* config_family.c: task.kind, the refusal of keys its family does not read, the family's keys. */
int dc_config_read_family(dc_config_ctx *c, dc_sweep *sweep);
/* config_family.c: whether family reads optional shared key. */
int dc_family_uses(const dc_family *family, const char *key);
int dc_config_dump_effective(char **out, const dc_sweep *s, dc_error *err);

/* Fails on the first setting of the file (depth first, in file order) that is not in the schema. */
int dc_config_check_unknown(dc_config_ctx *c, const config_setting_t *group, const char *prefix);

#endif
