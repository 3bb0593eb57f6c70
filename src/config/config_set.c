/* The schema of the sweep file, "did you mean" suggestions, unknown-key detection and `--set`
 * overrides (parsed with libconfig itself, so a value means the same on the command line as in the
 * file, and copied into the loaded configuration before validation). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

/* Every shared key of the file (docs/sweep-format.md); the families add their own (family.h). */
static const dc_key schema[] = {
    {"name", KEY_STRING},
    {"output", KEY_STRING},       /* the results path, or a group: */
    {"output.path", KEY_STRING},
    {"output.keep_models", KEY_BOOL},
    {"task", KEY_GROUP},            /* config_family.c: what the sweep solves */
    {"task.kind", KEY_STRING},
    {"dataset", KEY_GROUP},
    {"dataset.train", KEY_STRING},
    {"dataset.validation", KEY_STRING},
    {"dataset.test", KEY_STRING},
    {"dataset.file", KEY_STRING},
    {"dataset.split", KEY_GROUP},
    {"dataset.split.train", KEY_SPLIT},
    {"dataset.split.validation", KEY_SPLIT},
    {"dataset.split.test", KEY_SPLIT},
    {"dataset.split_seed", KEY_INT},
    {"dataset.energy_key", KEY_STRING},
    {"dataset.forces_key", KEY_STRING},
    {"dataset.length_unit", KEY_STRING},
    {"dataset.energy_unit", KEY_STRING},
    {"dataset.atomic_energies", KEY_STRING},
    {"dataset.isolated_atoms", KEY_STRING},
    {"model", KEY_GROUP},
    {"train", KEY_GROUP},
    {"train.epochs", KEY_INT},
    {"train.batch_size", KEY_INT},
    {"train.learning_rate", KEY_FLOAT},
    {"train.force_weight", KEY_FLOAT},
    {"train.loss", KEY_STRING},
    {"train.schedule", KEY_STRING},
    {"train.lr_decay", KEY_FLOAT},
    {"train.lr_decay_every", KEY_INT},
    {"train.plateau", KEY_GROUP},
    {"train.plateau.factor", KEY_FLOAT},
    {"train.plateau.patience", KEY_INT},
    {"train.plateau.threshold", KEY_FLOAT},
    {"train.plateau.cooldown", KEY_INT},
    {"train.plateau.min_lr", KEY_FLOAT},
    {"train.warmup_epochs", KEY_INT},
    {"train.monitor", KEY_STRING},
    {"train.eval_every", KEY_INT},
    {"train.early_stopping", KEY_GROUP},
    {"train.early_stopping.patience", KEY_INT},
    {"train.early_stopping.min_delta", KEY_FLOAT},
    {"train.select", KEY_STRING},
    {"train.ema_decay", KEY_FLOAT},
    {"train.checkpoint_seconds", KEY_FLOAT},
    {"train.weight_decay", KEY_FLOAT},
    {"train.eval_batch_size", KEY_INT},
    {"run", KEY_GROUP},
    {"run.heartbeat_timeout", KEY_FLOAT},
    {"run.stop_timeout", KEY_FLOAT},
    {"grid", KEY_GROUP},
    {"grid.irelu_scale", KEY_FLOATS},
    {"grid.extent", KEY_STRINGS},
    {"grid.rescaling", KEY_STRINGS},
    {"grid.seeds", KEY_INTS},
};
#define N_SCHEMA (int)(sizeof schema / sizeof schema[0])

/* The i-th key of the whole schema: the shared keys, then each family's in its order; NULL past
 * the end. A family key comes back in *slot. */
static const dc_key *schema_key(const dc_config_ctx *c, int i, dc_key *slot)
{
    if (i < N_SCHEMA) return &schema[i];
    i -= N_SCHEMA;
    for (int f = 0; c->families && c->families[f]; f++) {
        const dc_family *fam = c->families[f];
        if (i < fam->n_keys) {
            slot->path = fam->keys[i].key;
            slot->kind = fam->keys[i].type == DC_FKEY_DOUBLE   ? KEY_FLOAT
                         : fam->keys[i].type == DC_FKEY_CHOICE ? KEY_STRING
                                                                 : KEY_INT;
            return slot;
        }
        i -= fam->n_keys;
    }
    return NULL;
}

const dc_key *dc_config_find_key(const dc_config_ctx *c, const char *path)
{
    static const dc_key family_int = {NULL, KEY_INT}, family_float = {NULL, KEY_FLOAT},
                        family_string = {NULL, KEY_STRING};
    for (int i = 0; i < N_SCHEMA; i++)
        if (strcmp(schema[i].path, path) == 0) return &schema[i];
    for (int f = 0; c->families && c->families[f]; f++)
        for (int k = 0; k < c->families[f]->n_keys; k++)
            if (strcmp(c->families[f]->keys[k].key, path) == 0)
                return c->families[f]->keys[k].type == DC_FKEY_DOUBLE   ? &family_float
                       : c->families[f]->keys[k].type == DC_FKEY_CHOICE ? &family_string
                                                                         : &family_int;
    return NULL;
}

static int edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 63 || lb > 63) return 1000;
    int prev[64], cur[64];
    for (int j = 0; j <= lb; j++) prev[j] = j;
    for (int i = 1; i <= la; i++) {
        cur[0] = i;
        for (int j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(int) * (size_t)(lb + 1));
    }
    return prev[lb];
}

static const char *leaf(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot ? dot + 1 : path;
}

void dc_config_suggest(const dc_config_ctx *c, char *out, size_t size, const char *path)
{
    const char *best = NULL;
    int best_d = 1000;
    dc_key slot;
    for (int i = 0; schema_key(c, i, &slot); i++) {
        const char *key = schema_key(c, i, &slot)->path;
        /* The right key in the wrong group ("train.cutoff") is the likeliest slip. */
        if (strcmp(leaf(key), leaf(path)) == 0 && strcmp(key, path) != 0) {
            best = key;
            best_d = 0;
            break;
        }
        int d = edit_distance(path, key);
        if (d < best_d) {
            best_d = d;
            best = key;
        }
    }
    int len = (int)strlen(path);
    if (best && (best_d <= 2 || best_d * 3 <= len))
        snprintf(out, size, " (did you mean %s?)", best);
    else
        snprintf(out, size, "%s", "");
}

int dc_config_is_overridden(const dc_config_ctx *c, const char *key)
{
    for (int i = 0; i < c->n_overridden; i++) {
        size_t n = strlen(c->overridden[i]);
        if (strncmp(key, c->overridden[i], n) == 0 && (key[n] == '\0' || key[n] == '.')) return 1;
    }
    return 0;
}

void dc_config_where(const dc_config_ctx *c, const char *key, const config_setting_t *s, char *out,
                     size_t size)
{
    int line = s ? (int)config_setting_source_line(s) : 0;
    /* A group that only --set created (no line) belongs to the command line too. */
    int created = 0;
    for (int i = 0; s && line == 0 && i < c->n_overridden; i++) {
        size_t n = strlen(key);
        created |= strncmp(c->overridden[i], key, n) == 0 && c->overridden[i][n] == '.';
    }
    if (created || dc_config_is_overridden(c, key)) snprintf(out, size, "--set %s", key);
    else if (line > 0) snprintf(out, size, "%s:%d: %s", c->path, line, key);
    else snprintf(out, size, "%s: %s", c->path, key);
}

int dc_config_fail(dc_config_ctx *c, const char *key, const config_setting_t *s, const char *fmt,
                   ...)
{
    char msg[DC_ERROR_MAX], where[DC_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dc_config_where(c, key, s, where, sizeof where);
    return dc_error_set(c->err, DC_ERR_INPUT, "%s: %s", where, msg);
}

const char *dc_config_type_phrase(int type)
{
    switch (type) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a float";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    case CONFIG_TYPE_GROUP: return "a group";
    default: return "nothing";
    }
}

static const char *kind_phrase(dc_key_kind kind)
{
    switch (kind) {
    case KEY_GROUP: return "a group";
    case KEY_STRING: return "a string";
    case KEY_INT: return "an integer";
    case KEY_FLOAT: return "a number";
    case KEY_SPLIT: return "a count or a fraction";
    case KEY_FLOATS: return "a list of numbers";
    case KEY_INTS: return "a list of integers";
    case KEY_STRINGS: return "a list of strings";
    case KEY_BOOL: return "true or false";
    }
    return "a value";
}

int dc_config_check_unknown(dc_config_ctx *c, const config_setting_t *group, const char *prefix)
{
    char full[256], hint[160];
    int n = config_setting_length(group);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(s);
        snprintf(full, sizeof full, "%s%s%s", prefix, *prefix ? "." : "", name ? name : "?");
        const dc_key *k = dc_config_find_key(c, full);
        if (!k) {
            dc_config_suggest(c, hint, sizeof hint, full);
            return dc_config_fail(c, full, s, "unknown key%s", hint);
        }
        /* `output` is a path or a group of output settings */
        if (config_setting_is_group(s) && (k->kind == KEY_GROUP || strcmp(full, "output") == 0)) {
            int rc = dc_config_check_unknown(c, s, full);
            if (rc != DC_OK) return rc;
        }
    }
    return DC_OK;
}

/* Appends s to out as a libconfig string literal. */
static void append_quoted(char *out, size_t size, const char *s, size_t n)
{
    size_t used = strlen(out);
    if (used + 1 < size) out[used++] = '"';
    for (size_t i = 0; i < n && used + 3 < size; i++) {
        if (s[i] == '"' || s[i] == '\\') out[used++] = '\\';
        out[used++] = s[i];
    }
    if (used + 1 < size) out[used++] = '"';
    out[used] = '\0';
}

/* "[full, none]" or "full,none" -> `("full", "none")`: bare words in a list of strings are strings. */
static void quote_string_list(char *out, size_t size, const char *value)
{
    const char *p = value, *end = value + strlen(value);
    if (*p == '[' || *p == '(') p++;
    if (end > p && (end[-1] == ']' || end[-1] == ')')) end--;
    snprintf(out, size, "%s", "(");
    int first = 1;
    while (p < end) {
        while (p < end && isspace((unsigned char)*p)) p++;
        const char *q = p;
        int in_quotes = 0;
        while (q < end && (in_quotes || *q != ',')) {
            if (*q == '"' && (q == p || q[-1] != '\\')) in_quotes = !in_quotes;
            q++;
        }
        const char *e = q;
        while (e > p && isspace((unsigned char)e[-1])) e--;
        if (e > p || q < end) {
            if (!first) strncat(out, ", ", size - strlen(out) - 1);
            if (*p == '"') {
                size_t used = strlen(out), n = (size_t)(e - p);
                if (used + n + 1 < size) {
                    memcpy(out + used, p, n);
                    out[used + n] = '\0';
                }
            } else {
                append_quoted(out, size, p, (size_t)(e - p));
            }
            first = 0;
        }
        p = q < end ? q + 1 : q;
    }
    strncat(out, ")", size - strlen(out) - 1);
}

static void trim(char *s)
{
    size_t n = strlen(s), start = 0;
    while (start < n && isspace((unsigned char)s[start])) start++;
    while (n > start && isspace((unsigned char)s[n - 1])) n--;
    memmove(s, s + start, n - start);
    s[n - start] = '\0';
}

static int set_scalar(config_setting_t *dst, const config_setting_t *src)
{
    switch (src->type) {
    case CONFIG_TYPE_INT: return config_setting_set_int(dst, config_setting_get_int(src));
    case CONFIG_TYPE_INT64: return config_setting_set_int64(dst, config_setting_get_int64(src));
    case CONFIG_TYPE_FLOAT: return config_setting_set_float(dst, config_setting_get_float(src));
    case CONFIG_TYPE_STRING: return config_setting_set_string(dst, config_setting_get_string(src));
    case CONFIG_TYPE_BOOL: return config_setting_set_bool(dst, config_setting_get_bool(src));
    default: return CONFIG_FALSE;
    }
}

/* Copies the scratch value v into parent.name. Arrays become lists (their type check comes later). */
static int copy_value(dc_config_ctx *c, const char *key, dc_key_kind kind, config_setting_t *parent,
                      const char *name, const config_setting_t *v)
{
    if (config_setting_is_group(v))
        return dc_config_fail(c, key, NULL, "expected %s, got a group", kind_phrase(kind));
    int aggregate = config_setting_is_array(v) || config_setting_is_list(v);
    config_setting_t *dst = config_setting_add(parent, name, aggregate ? CONFIG_TYPE_LIST : v->type);
    if (!dst) return dc_error_set(c->err, DC_ERR_INTERNAL, "--set %s: cannot add the setting", key);
    if (!aggregate) {
        if (set_scalar(dst, v) != CONFIG_TRUE)
            return dc_error_set(c->err, DC_ERR_INTERNAL, "--set %s: cannot copy the value", key);
        return DC_OK;
    }
    int n = config_setting_length(v);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(v, (unsigned)i);
        if (!config_setting_is_scalar(e))
            return dc_config_fail(c, key, NULL, "expected %s, got a list in it", kind_phrase(kind));
        config_setting_t *d = config_setting_add(dst, NULL, e->type);
        if (!d || set_scalar(d, e) != CONFIG_TRUE)
            return dc_error_set(c->err, DC_ERR_INTERNAL, "--set %s: cannot copy element %d", key, i);
    }
    return DC_OK;
}

int dc_config_apply_override(dc_config_ctx *c, const char *assignment)
{
    int rc = DC_OK;
    dc_error *err = c->err;
    config_t scratch;
    config_init(&scratch);
    char key[256], *value = NULL, *text = NULL, *rewritten = NULL, *widened = NULL;
    const char *eq = strchr(assignment, '=');
    if (!eq) DC_FAIL(DC_ERR_INPUT, "--set %s: expected key=value", assignment);
    size_t key_len = (size_t)(eq - assignment);
    if (key_len >= sizeof key) DC_FAIL(DC_ERR_INPUT, "--set: key too long");
    memcpy(key, assignment, key_len);
    key[key_len] = '\0';
    trim(key);
    const dc_key *k = dc_config_find_key(c, key);
    if (!k) {
        char hint[160];
        dc_config_suggest(c, hint, sizeof hint, key);
        DC_FAIL(DC_ERR_INPUT, "--set %s: unknown key%s", key, hint);
    }
    if (k->kind == KEY_GROUP)
        DC_FAIL(DC_ERR_INPUT, "--set %s: is a group: set its keys one at a time (%s.KEY=VALUE)", key,
                key);
    value = strdup(eq + 1);
    if (!value) DC_FAIL(DC_ERR_NOMEM, "out of memory");
    trim(value);

    /* Bare words are strings where a string is expected; numeric lists may mix 1 and 0.5, which
     * a libconfig array forbids, so they are parsed as a libconfig list. */
    size_t cap = 2 * strlen(value) + 64;
    DC_ALLOC(rewritten, cap);
    if (k->kind == KEY_STRING && value[0] != '"') {
        append_quoted(rewritten, cap, value, strlen(value));
    } else if (k->kind == KEY_STRINGS && value[0] != '"') {
        quote_string_list(rewritten, cap, value);
    } else {
        snprintf(rewritten, cap, "%s", value);
        size_t n = strlen(rewritten);
        if ((k->kind == KEY_FLOATS || k->kind == KEY_INTS) && n >= 2 && rewritten[0] == '[' &&
            rewritten[n - 1] == ']') {
            rewritten[0] = '(';
            rewritten[n - 1] = ')';
        }
    }
    char wide[64];
    int wide_line = dc_config_widen_ints(rewritten, &widened, wide, sizeof wide);
    if (wide_line < 0) DC_FAIL(DC_ERR_NOMEM, "out of memory");
    if (wide_line > 0)
        DC_FAIL(DC_ERR_INPUT, "--set %s: integer %s is out of range (at most 9223372036854775807)", key,
                wide);
    DC_ALLOC(text, strlen(widened) + 16);
    sprintf(text, "v = %s;", widened);
    if (config_read_string(&scratch, text) != CONFIG_TRUE)
        DC_FAIL(DC_ERR_INPUT, "--set %s: expected %s, got \"%s\"", key, kind_phrase(k->kind), value);
    const config_setting_t *v = config_lookup(&scratch, "v");
    if (!v) DC_FAIL(DC_ERR_INPUT, "--set %s: expected %s, got \"%s\"", key, kind_phrase(k->kind), value);

    /* Walk (creating) the groups down to the key's parent, then replace the key. */
    config_setting_t *parent = config_root_setting(&c->cfg);
    char part[256];
    const char *p = key;
    for (;;) {
        const char *dot = strchr(p, '.');
        if (!dot) break;
        size_t prefix_len = (size_t)(dot - key);
        memcpy(part, p, (size_t)(dot - p));
        part[dot - p] = '\0';
        config_setting_t *m = config_setting_get_member(parent, part);
        if (m && parent == config_root_setting(&c->cfg) && strcmp(part, "output") == 0 &&
            m->type == CONFIG_TYPE_STRING) {
            /* `output = "x.h5"` and --set output.keep_models: the path becomes output.path */
            char *path = strdup(config_setting_get_string(m));
            config_setting_remove(parent, "output");
            m = config_setting_add(parent, "output", CONFIG_TYPE_GROUP);
            config_setting_t *ps = m && path ? config_setting_add(m, "path", CONFIG_TYPE_STRING) : NULL;
            int ok = ps && config_setting_set_string(ps, path) == CONFIG_TRUE;
            free(path);
            if (!ok) DC_FAIL(DC_ERR_INTERNAL, "--set %s: cannot turn output into a group", key);
        }
        if (!m) m = config_setting_add(parent, part, CONFIG_TYPE_GROUP);
        if (!m) DC_FAIL(DC_ERR_INTERNAL, "--set %s: cannot add group %s", key, part);
        if (!config_setting_is_group(m)) {
            char group_key[256];
            memcpy(group_key, key, prefix_len);
            group_key[prefix_len] = '\0';
            rc = dc_config_fail(c, group_key, m, "expected a group, got %s (cannot --set %s)",
                                dc_config_type_phrase(m->type), key);
            goto cleanup;
        }
        parent = m;
        p = dot + 1;
    }
    if (config_setting_get_member(parent, p)) config_setting_remove(parent, p);
    if (!dc_config_is_overridden(c, key)) {
        if (c->n_overridden >= DC_MAX_OVERRIDES)
            DC_FAIL(DC_ERR_INPUT, "--set %s: more than %d different keys set", key, DC_MAX_OVERRIDES);
        c->overridden[c->n_overridden] = strdup(key);
        if (!c->overridden[c->n_overridden]) DC_FAIL(DC_ERR_NOMEM, "out of memory");
        c->n_overridden++;
    }
    DC_TRY(copy_value(c, key, k->kind, parent, p, v));

cleanup:
    config_destroy(&scratch);
    free(value);
    free(text);
    free(rewritten);
    free(widened);
    return rc;
}
