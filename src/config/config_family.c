/* The task section and the family's keys (docs/sweep-format.md, family.h): task.kind names one of
 * the registered families; the keys it owns are read from its table; a key only other families
 * read (theirs, or an optional shared key it does not use) is an error naming them, so that a
 * setting never passes silently unused (a dataset in a sweep of a dataset-free family, another family's model size
 * sweep). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"

static const char *const shared_keys[] = DC_SHARED_KEYS;
#define N_SHARED_KEYS (int)(sizeof shared_keys / sizeof shared_keys[0])

int dc_family_uses(const dc_family *family, const char *key)
{
    for (int i = 0; i < family->n_uses; i++)
        if (strcmp(family->uses[i], key) == 0) return 1;
    return 0;
}

static int owns(const dc_family *family, const char *key)
{
    for (int i = 0; i < family->n_keys; i++)
        if (strcmp(family->keys[i].key, key) == 0) return 1;
    return 0;
}

/* "\"a\"" or "\"a\" or \"b\"": the families (task.kind) that read key (owned, or used when
 * shared). */
static void readers(const dc_config_ctx *c, const char *key, int shared, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (int f = 0; c->families[f] && len < size; f++) {
        const dc_family *fam = c->families[f];
        if (shared ? dc_family_uses(fam, key) : owns(fam, key))
            len += (size_t)snprintf(out + len, size - len, "%s\"%s\"", len ? " or " : "", fam->kind);
    }
}

/* The first key set in the file that this sweep's family does not read, as an error. */
static int check_foreign(dc_config_ctx *c, const dc_family *family)
{
    char who[160];
    for (int i = 0; i < N_SHARED_KEYS; i++) {
        const config_setting_t *s = config_lookup(&c->cfg, shared_keys[i]);
        if (!s || dc_family_uses(family, shared_keys[i])) continue;
        readers(c, shared_keys[i], 1, who, sizeof who);
        return dc_config_fail(c, shared_keys[i], s, "only used with task.kind = %s (this sweep's task.kind is \"%s\")",
                              who, family->kind);
    }
    for (int f = 0; c->families[f]; f++)
        for (int k = 0; k < c->families[f]->n_keys; k++) {
            const char *key = c->families[f]->keys[k].key;
            const config_setting_t *s = config_lookup(&c->cfg, key);
            if (!s || owns(family, key)) continue;
            readers(c, key, 0, who, sizeof who);
            return dc_config_fail(c, key, s, "only used with task.kind = %s (this sweep's task.kind is \"%s\")",
                                  who, family->kind);
        }
    return DC_OK;
}

static int read_key(dc_config_ctx *c, const dc_family_key *k, dc_key_value *v)
{
    int rc = DC_OK, small = 0;
    switch (k->type) {
    case DC_FKEY_INT:
        rc = dc_config_read_int(c, k->key, (int)k->def, (int)k->min, (int)k->max, &small);
        v->i = small;
        break;
    case DC_FKEY_INT64:
        rc = dc_config_read_int64(c, k->key, (int64_t)k->def, (int64_t)k->min,
                                  k->max >= 9.2e18 ? INT64_MAX : (int64_t)k->max, &v->i);
        break;
    case DC_FKEY_DOUBLE:
        rc = dc_config_read_double(c, k->key, k->def, k->min, k->min_open, k->max, &v->d);
        break;
    case DC_FKEY_CHOICE:
        rc = dc_config_read_choice(c, k->key, (int)k->def, k->choices, k->n_choices, &small);
        v->i = small;
        break;
    }
    return rc;
}

int dc_config_read_family(dc_config_ctx *c, dc_sweep *sweep)
{
    int rc = DC_OK, v = 0, n = 0;
    const char *names[16];
    for (n = 0; c->families && c->families[n] && n < 16; n++) names[n] = c->families[n]->kind;
    if (n == 0) return dc_error_set(c->err, DC_ERR_INTERNAL, "%s: no model family is registered", c->path);
    DC_TRY(dc_config_read_choice(c, "task.kind", 0, names, n, &v));
    const dc_family *family = sweep->family = c->families[v];
    if (family->n_keys > DC_MAX_FAMILY_KEYS)
        return dc_error_set(c->err, DC_ERR_INTERNAL, "family %s owns %d keys (at most %d)", family->kind,
                            family->n_keys, DC_MAX_FAMILY_KEYS);
    DC_TRY(check_foreign(c, family));
    for (int i = 0; i < family->n_keys; i++) DC_TRY(read_key(c, &family->keys[i], &sweep->values[i]));
cleanup:
    return rc;
}

int dc_config_key_fail(dc_config_ctx *c, const char *key, const char *fmt, ...)
{
    char msg[DC_ERROR_MAX], group[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* the key's line, or its nearest group's when the file leaves the key to its default */
    snprintf(group, sizeof group, "%s", key);
    const config_setting_t *s = config_lookup(&c->cfg, group);
    for (char *dot; !s && (dot = strrchr(group, '.'));) {
        *dot = '\0';
        s = config_lookup(&c->cfg, group);
    }
    return dc_config_fail(c, key, s, "%s", msg);
}

static const dc_key_value *family_value(const dc_sweep *sweep, const char *key, dc_fkey_type *type)
{
    for (int i = 0; sweep->family && i < sweep->family->n_keys; i++)
        if (strcmp(sweep->family->keys[i].key, key) == 0) {
            *type = sweep->family->keys[i].type;
            return &sweep->values[i];
        }
    return NULL;
}

int64_t dc_sweep_int(const dc_sweep *sweep, const char *key, int *found)
{
    dc_fkey_type type = DC_FKEY_INT;
    const dc_key_value *v = family_value(sweep, key, &type);
    if (found) *found = v != NULL;
    return !v ? 0 : type == DC_FKEY_DOUBLE ? (int64_t)v->d : v->i;
}

double dc_sweep_double(const dc_sweep *sweep, const char *key, int *found)
{
    dc_fkey_type type = DC_FKEY_DOUBLE;
    const dc_key_value *v = family_value(sweep, key, &type);
    if (found) *found = v != NULL;
    return !v ? 0.0 : type == DC_FKEY_DOUBLE ? v->d : (double)v->i;
}

int dc_sweep_uses(const dc_sweep *sweep, const char *key)
{
    return sweep->family && dc_family_uses(sweep->family, key);
}
