/* The typed readers of the sweep file (config_internal.h): each takes the default when the key is
 * absent, checks type and range, and names file:line and key in its error. Paths are relative to
 * the sweep file's folder, or to the working directory when given with --set. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_internal.h"

/* "a/b/../c/./d" -> "a/c/d": messages show the path the user would type. Lexical only. */
static void normalize_path(char *path)
{
    char *out = path, *p = path, *end = path + strlen(path);
    int absolute = *p == '/';
    if (absolute) out++, p++;
    char *base = out; /* start of the relative part */
    /* out never passes p, but may overwrite the terminating NUL: loop on end, not on *p. */
    while (p < end) {
        char *slash = memchr(p, '/', (size_t)(end - p));
        size_t len = slash ? (size_t)(slash - p) : (size_t)(end - p);
        if (len == 0 || (len == 1 && p[0] == '.')) {
            /* drop empty and "." segments */
        } else if (len == 2 && p[0] == '.' && p[1] == '.' && out > base) {
            char *prev = out - 1; /* out ends with '/' */
            while (prev > base && prev[-1] != '/') prev--;
            if (strncmp(prev, "../", 3) == 0) {
                memmove(out, "../", 3);
                out += 3;
            } else {
                out = prev;
            }
        } else if (!(len == 2 && p[0] == '.' && p[1] == '.' && absolute)) {
            memmove(out, p, len);
            out += len;
            *out++ = '/';
        }
        p += len + (slash ? 1 : 0);
    }
    if (out > base && out[-1] == '/') out--;
    if (out == path) *out++ = '.';
    *out = '\0';
}

static char *resolve_path(const dc_config_ctx *c, const char *key, const char *value)
{
    const char *dir = dc_config_is_overridden(c, key) || value[0] == '/' ? "" : c->dir;
    char *path = malloc(strlen(dir) + strlen(value) + 2);
    if (!path) return NULL;
    sprintf(path, "%s%s%s", dir, *dir ? "/" : "", value);
    normalize_path(path);
    return path;
}

char *dc_config_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    char *dir = strndup(path, (size_t)(slash - path));
    return dir;
}

/* libconfig silently wraps a decimal integer beyond 32 bits that has no L suffix (2147483648 reads
 * as -2147483648). Such a literal gets its L in the copy *out, so that it reads as the 64-bit
 * integer it is and the key's own range check names the key and its maximum ("train.epochs: value
 * 99999999999 must be <= 1073741824"): a hint to add the L would only lead there. Strings and
 * comments are skipped. Returns 0; the 1-based line of a literal beyond 64 bits (its text in
 * literal), which no integer key takes; -1 out of memory. */
int dc_config_widen_ints(const char *text, char **out, char *literal, size_t size)
{
    int line = 1;
    size_t len = strlen(text), n_out = 0;
    const char *copied = text;
    char *buf = malloc(len + len / 10 + 2);  /* a wide literal has at least 10 digits */
    *out = NULL;
    if (!buf) return -1;
    for (const char *p = text; *p;) {
        if (*p == '\n') {
            line++;
            p++;
        } else if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1]) p++;
                else if (*p == '\n') line++;
            }
            if (*p) p++;
        } else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            while (*p && *p != '\n') p++;
        } else if (p[0] == '/' && p[1] == '*') {
            for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
                if (*p == '\n') line++;
            if (*p) p += 2;
        } else if (*p >= '0' && *p <= '9' && (p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '.'))) {
            const char *start = p;
            while (isalnum((unsigned char)*p) || *p == '.' || ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E')))
                p++;
            size_t n = (size_t)(p - start);
            int decimal = 1;
            for (size_t k = 0; k < n; k++) decimal = decimal && start[k] >= '0' && start[k] <= '9';
            if (!decimal || n < 10 || (n == 10 && strncmp(start, "2147483647", 10) <= 0)) continue;
            if (n > 19 || (n == 19 && strncmp(start, "9223372036854775807", 19) > 0)) {
                snprintf(literal, size, "%.*s", (int)n, start);
                free(buf);
                return line;
            }
            memcpy(buf + n_out, copied, (size_t)(p - copied));
            n_out += (size_t)(p - copied);
            buf[n_out++] = 'L';
            copied = p;
        } else {
            p++;
        }
    }
    memcpy(buf + n_out, copied, len - (size_t)(copied - text) + 1);
    *out = buf;
    return 0;
}

/* Readers: each takes the default when the key is absent and checks type and range. */

int dc_config_want_type(dc_config_ctx *c, const char *key, const config_setting_t *s,
                        const char *what, int ok)
{
    if (ok) return DC_OK;
    return dc_config_fail(c, key, s, "expected %s, got %s", what, dc_config_type_phrase(s->type));
}

int dc_config_is_int(const config_setting_t *s)
{
    return s->type == CONFIG_TYPE_INT || s->type == CONFIG_TYPE_INT64;
}

int dc_config_read_int64(dc_config_ctx *c, const char *key, int64_t def, int64_t min,
                         int64_t max, int64_t *out)
{
    const config_setting_t *s = config_lookup(&c->cfg, key);
    *out = def;
    if (!s) return DC_OK;
    int rc = dc_config_want_type(c, key, s, "an integer", dc_config_is_int(s));
    if (rc != DC_OK) return rc;
    int64_t v = config_setting_get_int64(s);
    if (v < min)
        return dc_config_fail(c, key, s, "value %lld must be %s %lld", (long long)v,
                              min == 1 ? ">" : ">=", (long long)(min == 1 ? 0 : min));
    if (v > max) return dc_config_fail(c, key, s, "value %lld must be <= %lld", (long long)v, (long long)max);
    *out = v;
    return DC_OK;
}

int dc_config_read_int(dc_config_ctx *c, const char *key, int def, int min, int max, int *out)
{
    int64_t v = def;
    int rc = dc_config_read_int64(c, key, def, min, max, &v);
    *out = (int)v;
    return rc;
}

/* lo_open: the value must be > lo (else >= lo). */
int dc_config_read_double(dc_config_ctx *c, const char *key, double def, double lo, int lo_open,
                          double hi, double *out)
{
    const config_setting_t *s = config_lookup(&c->cfg, key);
    *out = def;
    if (!s) return DC_OK;
    int rc = dc_config_want_type(c, key, s, "a number", config_setting_is_number(s));
    if (rc != DC_OK) return rc;
    double v = dc_config_is_int(s) ? (double)config_setting_get_int64(s) : config_setting_get_float(s);
    if (!isfinite(v)) return dc_config_fail(c, key, s, "value %g must be finite", v);
    if (lo_open ? !(v > lo) : !(v >= lo))
        return dc_config_fail(c, key, s, "value %g must be %s %g", v, lo_open ? ">" : ">=", lo);
    if (v > hi) return dc_config_fail(c, key, s, "value %g must be <= %g", v, hi);
    *out = v;
    return DC_OK;
}

/* *out = a copy of the string, of def when absent (NULL def: *out stays NULL). */
int dc_config_read_string(dc_config_ctx *c, const char *key, const char *def, char **out)
{
    const config_setting_t *s = config_lookup(&c->cfg, key);
    const char *v = def;
    if (s) {
        int rc = dc_config_want_type(c, key, s, "a string", s->type == CONFIG_TYPE_STRING);
        if (rc != DC_OK) return rc;
        v = config_setting_get_string(s);
        if (!*v) return dc_config_fail(c, key, s, "empty string");
    }
    if (!v) return DC_OK;
    *out = strdup(v);
    if (!*out) return dc_error_set(c->err, DC_ERR_NOMEM, "out of memory");
    return DC_OK;
}

int dc_config_read_bool(dc_config_ctx *c, const char *key, int def, int *out)
{
    const config_setting_t *s = config_lookup(&c->cfg, key);
    *out = def;
    if (!s) return DC_OK;
    int rc = dc_config_want_type(c, key, s, "true or false", s->type == CONFIG_TYPE_BOOL);
    if (rc == DC_OK) *out = config_setting_get_bool(s);
    return rc;
}

int dc_config_read_choice(dc_config_ctx *c, const char *key, int def, const char *const *names,
                          int n, int *out)
{
    char *v = NULL;
    *out = def;
    int rc = dc_config_read_string(c, key, NULL, &v);
    if (rc != DC_OK || !v) return rc;
    int found = -1;
    for (int i = 0; i < n && found < 0; i++)
        if (strcmp(v, names[i]) == 0) found = i;
    if (found < 0) {
        char list[256];
        size_t len = 0;
        list[0] = '\0';
        for (int i = 0; i < n && len < sizeof list; i++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ",
                                    names[i]);
        rc = dc_config_fail(c, key, config_lookup(&c->cfg, key), "unknown value \"%s\" (expected %s)", v, list);
    } else {
        *out = found;
    }
    free(v);
    return rc;
}

int dc_config_read_path(dc_config_ctx *c, const char *key, char **out, int must_exist)
{
    char *raw = NULL;
    int rc = dc_config_read_string(c, key, NULL, &raw);
    if (rc != DC_OK || !raw) return rc;
    *out = resolve_path(c, key, raw);
    free(raw);
    if (!*out) return dc_error_set(c->err, DC_ERR_NOMEM, "out of memory");
    struct stat st;
    if (must_exist && stat(*out, &st) != 0)
        return dc_config_fail(c, key, config_lookup(&c->cfg, key), "file not found: %s", *out);
    if (must_exist && S_ISDIR(st.st_mode))
        return dc_config_fail(c, key, config_lookup(&c->cfg, key), "is a directory: %s", *out);
    return DC_OK;
}

/* The elements of a list key (a lone scalar is a list of one), each of the wanted type.
 * *n = -1 when the key is absent. elems must be freed. */
int dc_config_list_elems(dc_config_ctx *c, const char *key, int want, const char *what,
                         const config_setting_t ***elems, int *n)
{
    const config_setting_t *s = config_lookup(&c->cfg, key);
    *elems = NULL;
    *n = -1;
    if (!s) return DC_OK;
    int aggregate = config_setting_is_array(s) || config_setting_is_list(s);
    if (config_setting_is_group(s))
        return dc_config_fail(c, key, s, "expected a list of %ss, got a group", what);
    *n = aggregate ? config_setting_length(s) : 1;
    if (*n == 0) return dc_config_fail(c, key, s, "empty list");
    *elems = calloc((size_t)*n, sizeof **elems);
    if (!*elems) return dc_error_set(c->err, DC_ERR_NOMEM, "out of memory");
    for (int i = 0; i < *n; i++) {
        const config_setting_t *e = aggregate ? config_setting_get_elem(s, (unsigned)i) : s;
        int ok = want == CONFIG_TYPE_FLOAT ? config_setting_is_number(e)
                 : want == CONFIG_TYPE_INT ? dc_config_is_int(e)
                                           : e->type == want;
        if (!ok)
            return dc_config_fail(c, key, e, "expected a list of %ss, got %s%s", what,
                                  dc_config_type_phrase(e->type), aggregate ? " in it" : "");
        (*elems)[i] = e;
    }
    return DC_OK;
}

