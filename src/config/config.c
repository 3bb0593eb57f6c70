/* Loading a sweep file: read the text, parse it with libconfig, apply --set overrides, reject
 * unknown keys, then read every key with its type, default and constraints (config_set.c holds the
 * schema and the overrides). Each error is one line naming file:line and the key. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_internal.h"
#include "dcsweep/core/sha256.h"

static const char *const extent_names[DC_N_EXTENTS] = {"none", "output", "full"};
static const char *const rescaling_names[DC_N_RESCALINGS] = {"none", "power10", "minmax",
                                                             "standard", "robust"};
static const char *const loss_names[2] = {"l1", "mse"};

static int parse_name(const char *s, const char *const *names, int n)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

const char *dc_extent_name(dc_extent e) { return (unsigned)e < DC_N_EXTENTS ? extent_names[e] : "?"; }
const char *dc_rescaling_name(dc_rescaling r)
{
    return (unsigned)r < DC_N_RESCALINGS ? rescaling_names[r] : "?";
}
const char *dc_loss_name(dc_loss l) { return (unsigned)l < 2 ? loss_names[l] : "?"; }
const char *dc_task_kind_name(dc_task_kind k) { return k == DC_TASK_SCHNET ? "schnet" : "?"; }

int dc_extent_parse(const char *s, dc_extent *out)
{
    int i = parse_name(s, extent_names, DC_N_EXTENTS);
    if (i < 0) return -1;
    *out = (dc_extent)i;
    return 0;
}

int dc_rescaling_parse(const char *s, dc_rescaling *out)
{
    int i = parse_name(s, rescaling_names, DC_N_RESCALINGS);
    if (i < 0) return -1;
    *out = (dc_rescaling)i;
    return 0;
}

int dc_loss_parse(const char *s, dc_loss *out)
{
    int i = parse_name(s, loss_names, 2);
    if (i < 0) return -1;
    *out = (dc_loss)i;
    return 0;
}

static int read_text(char **text, const char *path, dc_error *err)
{
    int rc = DC_OK;
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) DC_FAIL(DC_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    DC_ALLOC(buf, cap);
    for (;;) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (ferror(f)) DC_FAIL(DC_ERR_INPUT, "%s: cannot read: %s", path, strerror(errno));
        if (feof(f)) break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) DC_FAIL(DC_ERR_NOMEM, "out of memory reading %s", path);
        buf = bigger;
        cap *= 2;
    }
    buf[n] = '\0';
    *text = buf;
    buf = NULL;
cleanup:
    if (f) fclose(f);
    free(buf);
    return rc;
}

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

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    char *dir = strndup(path, (size_t)(slash - path));
    return dir;
}

/* Readers: each takes the default when the key is absent and checks type and range. */

static int want_type(dc_config_ctx *c, const char *key, const config_setting_t *s, const char *what,
                     int ok)
{
    if (ok) return DC_OK;
    return dc_config_fail(c, key, s, "expected %s, got %s", what, dc_config_type_phrase(s->type));
}

static int is_int(const config_setting_t *s)
{
    return s->type == CONFIG_TYPE_INT || s->type == CONFIG_TYPE_INT64;
}

static int read_int64(dc_config_ctx *c, const char *key, int64_t def, int64_t min, int64_t max,
                      int64_t *out)
{
    const config_setting_t *s = config_lookup(&c->cfg, key);
    *out = def;
    if (!s) return DC_OK;
    int rc = want_type(c, key, s, "an integer", is_int(s));
    if (rc != DC_OK) return rc;
    int64_t v = config_setting_get_int64(s);
    if (v < min)
        return dc_config_fail(c, key, s, "value %lld must be %s %lld", (long long)v,
                              min == 1 ? ">" : ">=", (long long)(min == 1 ? 0 : min));
    if (v > max) return dc_config_fail(c, key, s, "value %lld must be <= %lld", (long long)v, (long long)max);
    *out = v;
    return DC_OK;
}

static int read_int(dc_config_ctx *c, const char *key, int def, int min, int max, int *out)
{
    int64_t v = def;
    int rc = read_int64(c, key, def, min, max, &v);
    *out = (int)v;
    return rc;
}

/* lo_open: the value must be > lo (else >= lo). */
static int read_double(dc_config_ctx *c, const char *key, double def, double lo, int lo_open,
                       double hi, double *out)
{
    const config_setting_t *s = config_lookup(&c->cfg, key);
    *out = def;
    if (!s) return DC_OK;
    int rc = want_type(c, key, s, "a number", config_setting_is_number(s));
    if (rc != DC_OK) return rc;
    double v = is_int(s) ? (double)config_setting_get_int64(s) : config_setting_get_float(s);
    if (!isfinite(v)) return dc_config_fail(c, key, s, "value %g must be finite", v);
    if (lo_open ? !(v > lo) : !(v >= lo))
        return dc_config_fail(c, key, s, "value %g must be %s %g", v, lo_open ? ">" : ">=", lo);
    if (v > hi) return dc_config_fail(c, key, s, "value %g must be <= %g", v, hi);
    *out = v;
    return DC_OK;
}

/* *out = a copy of the string, of def when absent (NULL def: *out stays NULL). */
static int read_string(dc_config_ctx *c, const char *key, const char *def, char **out)
{
    const config_setting_t *s = config_lookup(&c->cfg, key);
    const char *v = def;
    if (s) {
        int rc = want_type(c, key, s, "a string", s->type == CONFIG_TYPE_STRING);
        if (rc != DC_OK) return rc;
        v = config_setting_get_string(s);
        if (!*v) return dc_config_fail(c, key, s, "empty string");
    }
    if (!v) return DC_OK;
    *out = strdup(v);
    if (!*out) return dc_error_set(c->err, DC_ERR_NOMEM, "out of memory");
    return DC_OK;
}

static int read_path(dc_config_ctx *c, const char *key, char **out, int must_exist)
{
    char *raw = NULL;
    int rc = read_string(c, key, NULL, &raw);
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
static int list_elems(dc_config_ctx *c, const char *key, int want, const char *what,
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
                 : want == CONFIG_TYPE_INT ? is_int(e)
                                           : e->type == want;
        if (!ok)
            return dc_config_fail(c, key, e, "expected a list of %ss, got %s%s", what,
                                  dc_config_type_phrase(e->type), aggregate ? " in it" : "");
        (*elems)[i] = e;
    }
    return DC_OK;
}

static int read_grid(dc_config_ctx *c, dc_grid_config *g)
{
    int rc = DC_OK, n;
    dc_error *err = c->err;
    const config_setting_t **e = NULL;

    DC_TRY(list_elems(c, "grid.irelu_scale", CONFIG_TYPE_FLOAT, "number", &e, &n));
    DC_ALLOC(g->irelu_scale, n < 0 ? 1 : n);
    g->n_irelu_scale = n < 0 ? 1 : n;
    g->irelu_scale[0] = 0.5;
    for (int i = 0; i < n; i++) {
        double v = is_int(e[i]) ? (double)config_setting_get_int64(e[i]) : config_setting_get_float(e[i]);
        if (!(v > 0) || !isfinite(v))
            DC_TRY(dc_config_fail(c, "grid.irelu_scale", e[i], "value %g must be > 0", v));
        for (int j = 0; j < i; j++)
            if (g->irelu_scale[j] == v)
                DC_TRY(dc_config_fail(c, "grid.irelu_scale", e[i], "duplicate value %g", v));
        g->irelu_scale[i] = v;
    }
    free(e);
    e = NULL;

    DC_TRY(list_elems(c, "grid.extent", CONFIG_TYPE_STRING, "string", &e, &n));
    DC_ALLOC(g->extent, n < 0 ? 1 : n);
    g->n_extent = n < 0 ? 1 : n;
    g->extent[0] = DC_EXTENT_FULL;
    for (int i = 0; i < n; i++) {
        const char *s = config_setting_get_string(e[i]);
        if (dc_extent_parse(s, &g->extent[i]) != 0)
            DC_TRY(dc_config_fail(c, "grid.extent", e[i],
                                  "unknown value \"%s\" (expected none, output or full)", s));
        for (int j = 0; j < i; j++)
            if (g->extent[j] == g->extent[i])
                DC_TRY(dc_config_fail(c, "grid.extent", e[i], "duplicate value \"%s\"", s));
    }
    free(e);
    e = NULL;

    DC_TRY(list_elems(c, "grid.rescaling", CONFIG_TYPE_STRING, "string", &e, &n));
    DC_ALLOC(g->rescaling, n < 0 ? 1 : n);
    g->n_rescaling = n < 0 ? 1 : n;
    g->rescaling[0] = DC_RESCALE_POWER10;
    for (int i = 0; i < n; i++) {
        const char *s = config_setting_get_string(e[i]);
        if (dc_rescaling_parse(s, &g->rescaling[i]) != 0)
            DC_TRY(dc_config_fail(c, "grid.rescaling", e[i],
                                  "unknown value \"%s\" (expected none, power10, minmax, standard or "
                                  "robust)", s));
        for (int j = 0; j < i; j++)
            if (g->rescaling[j] == g->rescaling[i])
                DC_TRY(dc_config_fail(c, "grid.rescaling", e[i], "duplicate value \"%s\"", s));
    }
    free(e);
    e = NULL;

    DC_TRY(list_elems(c, "grid.seeds", CONFIG_TYPE_INT, "integer", &e, &n));
    DC_ALLOC(g->seeds, n < 0 ? 1 : n);
    g->n_seeds = n < 0 ? 1 : n;
    g->seeds[0] = 0;
    for (int i = 0; i < n; i++) {
        int64_t v = config_setting_get_int64(e[i]);
        if (v < 0) DC_TRY(dc_config_fail(c, "grid.seeds", e[i], "value %lld must be >= 0", (long long)v));
        for (int j = 0; j < i; j++)
            if (g->seeds[j] == v)
                DC_TRY(dc_config_fail(c, "grid.seeds", e[i], "duplicate value %lld", (long long)v));
        g->seeds[i] = v;
    }
cleanup:
    free(e);
    return rc;
}

/* One split size: an integer is a count of frames, a float a fraction of them. *kind = 1 count,
 * 0 fraction, -1 absent. */
static int read_split(dc_config_ctx *c, const char *key, double *out, int *kind)
{
    const config_setting_t *s = config_lookup(&c->cfg, key);
    *kind = -1;
    *out = 0;
    if (!s) return DC_OK;
    int rc = want_type(c, key, s, "a count or a fraction", config_setting_is_number(s));
    if (rc != DC_OK) return rc;
    if (is_int(s)) {
        int64_t v = config_setting_get_int64(s);
        if (v < 1) return dc_config_fail(c, key, s, "value %lld must be > 0", (long long)v);
        if (v > 2000000000) return dc_config_fail(c, key, s, "value %lld is too large", (long long)v);
        *out = (double)v;
        *kind = 1;
    } else {
        double v = config_setting_get_float(s);
        if (!(v > 0 && v <= 1))
            return dc_config_fail(c, key, s, "value %g must be in (0, 1] (a fraction; write a count "
                                  "as an integer)", v);
        *out = v;
        *kind = 0;
    }
    return DC_OK;
}

static int read_dataset(dc_config_ctx *c, dc_dataset_config *d)
{
    int rc = DC_OK;
    const config_setting_t *ds = config_lookup(&c->cfg, "dataset");
    const char *layouts = "give train, validation and test files, or file and split";
    if (!ds) return dc_config_fail(c, "dataset", NULL, "missing (%s)", layouts);
    DC_TRY(read_string(c, "dataset.energy_key", "energy", &d->energy_key));
    DC_TRY(read_string(c, "dataset.forces_key", "forces", &d->forces_key));
    DC_TRY(read_string(c, "dataset.length_unit", "Angstrom", &d->length_unit));
    DC_TRY(read_string(c, "dataset.energy_unit", "eV", &d->energy_unit));
    const config_setting_t *file = config_lookup(&c->cfg, "dataset.file");
    const config_setting_t *split = config_lookup(&c->cfg, "dataset.split");
    const config_setting_t *test = config_lookup(&c->cfg, "dataset.test");
    if (!file) {
        if (split) DC_TRY(dc_config_fail(c, "dataset.split", split, "only used with dataset.file"));
        const config_setting_t *seed = config_lookup(&c->cfg, "dataset.split_seed");
        if (seed) DC_TRY(dc_config_fail(c, "dataset.split_seed", seed, "only used with dataset.file"));
        const char *keys[3] = {"dataset.train", "dataset.validation", "dataset.test"};
        char **dst[3] = {&d->train, &d->validation, &d->test};
        for (int i = 0; i < 3; i++) {
            if (!config_lookup(&c->cfg, keys[i]))
                DC_TRY(dc_config_fail(c, keys[i], ds, "missing (%s)", layouts));
            DC_TRY(read_path(c, keys[i], dst[i], 1));
        }
        return DC_OK;
    }
    const char *both[2] = {"dataset.train", "dataset.validation"};
    for (int i = 0; i < 2; i++) {
        const config_setting_t *s = config_lookup(&c->cfg, both[i]);
        if (s) DC_TRY(dc_config_fail(c, both[i], s, "not allowed with dataset.file (%s)", layouts));
    }
    if (!split)
        DC_TRY(dc_config_fail(c, "dataset.split", file,
                              "missing (dataset.file needs split = { train = ...; validation = ...; "
                              "test = ...; })"));
    DC_TRY(read_path(c, "dataset.file", &d->file, 1));
    const char *keys[3] = {"dataset.split.train", "dataset.split.validation", "dataset.split.test"};
    double *sizes[3] = {&d->split_train, &d->split_validation, &d->split_test};
    int kinds[3], first_kind = -1;
    for (int i = 0; i < 3; i++) {
        DC_TRY(read_split(c, keys[i], sizes[i], &kinds[i]));
        if (kinds[i] < 0 && i < 2) DC_TRY(dc_config_fail(c, keys[i], split, "missing"));
        if (kinds[i] >= 0 && first_kind >= 0 && kinds[i] != first_kind)
            DC_TRY(dc_config_fail(c, keys[i], config_lookup(&c->cfg, keys[i]),
                                  "mixes counts and fractions (write all sizes as counts, e.g. 300, "
                                  "or all as fractions, e.g. 0.8)"));
        if (kinds[i] >= 0 && first_kind < 0) first_kind = kinds[i];
    }
    if (kinds[2] >= 0 && test)
        DC_TRY(dc_config_fail(c, "dataset.test", test,
                              "not allowed with dataset.split.test (the test split comes from "
                              "dataset.file)"));
    if (kinds[2] < 0 && !test)
        DC_TRY(dc_config_fail(c, "dataset.split.test", split,
                              "missing (or give a separate dataset.test file)"));
    d->split_counts = first_kind == 1;
    double sum = d->split_train + d->split_validation + d->split_test;
    if (!d->split_counts && sum > 1 + 1e-9)
        DC_TRY(dc_config_fail(c, "dataset.split", split, "fractions sum to %g > 1", sum));
    if (test) DC_TRY(read_path(c, "dataset.test", &d->test, 1));
    DC_TRY(read_int64(c, "dataset.split_seed", 0, 0, INT64_MAX, &d->split_seed));
cleanup:
    return rc;
}

static int read_model_train(dc_config_ctx *c, dc_model_config *m, dc_train_config *t)
{
    int rc = DC_OK;
    DC_TRY(read_int(c, "model.features", 64, 1, 1 << 20, &m->features));
    if (m->features % 2 != 0)
        DC_TRY(dc_config_fail(c, "model.features", config_lookup(&c->cfg, "model.features"),
                              "value %d must be even (the output block maps F to F/2)", m->features));
    DC_TRY(read_int(c, "model.filters", 64, 1, 1 << 20, &m->filters));
    DC_TRY(read_int(c, "model.interactions", 3, 1, DC_MAX_INTERACTIONS, &m->interactions));
    DC_TRY(read_int(c, "model.gaussians", 25, 2, 1 << 20, &m->gaussians));
    DC_TRY(read_double(c, "model.cutoff", 5.0, 0, 1, INFINITY, &m->cutoff));

    DC_TRY(read_int(c, "train.epochs", 30, 1, 1 << 30, &t->epochs));
    DC_TRY(read_int(c, "train.batch_size", 20, 1, 1 << 30, &t->batch_size));
    DC_TRY(read_double(c, "train.learning_rate", 5e-4, 0, 1, INFINITY, &t->learning_rate));
    DC_TRY(read_double(c, "train.force_weight", 30.0, 0, 0, INFINITY, &t->force_weight));
    char *loss = NULL;
    DC_TRY(read_string(c, "train.loss", "l1", &loss));
    int bad_loss = dc_loss_parse(loss, &t->loss) != 0;
    if (bad_loss)
        rc = dc_config_fail(c, "train.loss", config_lookup(&c->cfg, "train.loss"),
                            "unknown value \"%s\" (expected l1 or mse)", loss);
    free(loss);
    if (bad_loss) goto cleanup;
    DC_TRY(read_double(c, "train.lr_decay", 1.0, 0, 1, 1.0, &t->lr_decay));
    DC_TRY(read_int(c, "train.lr_decay_every", 0, 0, 1 << 30, &t->lr_decay_every));
    DC_TRY(read_double(c, "train.weight_decay", 0.0, 0, 0, INFINITY, &t->weight_decay));
    DC_TRY(read_int(c, "train.eval_batch_size", 100, 1, 1 << 30, &t->eval_batch_size));
cleanup:
    return rc;
}

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
static int dump_effective(char **out, const dc_sweep *s, dc_error *err)
{
    size_t len = 0, cap = 1024;
    char *b = malloc(cap);
    int bad = !b;
    const dc_dataset_config *d = &s->dataset;
    const dc_grid_config *g = &s->grid;
    if (!bad) b[0] = '\0';
#define OUT(...) bad = bad || appendf(&b, &len, &cap, __VA_ARGS__)
    OUT("# dcsweep effective sweep v1\n");
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
    OUT("train.force_weight = %.17g;\ntrain.loss = \"%s\";\ntrain.lr_decay = %.17g;\n",
        t->force_weight, dc_loss_name(t->loss), t->lr_decay);
    OUT("train.lr_decay_every = %d;\ntrain.weight_decay = %.17g;\ntrain.eval_batch_size = %d;\n",
        t->lr_decay_every, t->weight_decay, t->eval_batch_size);
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

int dc_sweep_load(dc_sweep *sweep, const char *path, const dc_override *overrides, int n_overrides,
                  dc_error *err)
{
    int rc = DC_OK;
    memset(sweep, 0, sizeof *sweep);
    dc_config_ctx c = {.path = path, .err = err};
    config_init(&c.cfg);
    sweep->path = strdup(path);
    c.dir = dir_of(path);
    if (!sweep->path || !c.dir) DC_FAIL(DC_ERR_NOMEM, "out of memory");
    DC_TRY(read_text(&sweep->text, path, err));
    config_set_include_dir(&c.cfg, c.dir);
    if (config_read_string(&c.cfg, sweep->text) != CONFIG_TRUE) {
        const char *what = config_error_text(&c.cfg);
        int mixed = what && strstr(what, "mismatched element type");
        DC_FAIL(DC_ERR_INPUT, "%s:%d: %s%s", path, config_error_line(&c.cfg), what ? what : "syntax error",
                mixed ? " (in a [...] array write every number as a float, e.g. 1.0, or use (...))" : "");
    }
    for (int i = 0; i < n_overrides; i++) DC_TRY(dc_config_apply_override(&c, overrides[i].assignment));
    DC_TRY(dc_config_check_unknown(&c, config_root_setting(&c.cfg), ""));
    const char *groups[5] = {"dataset", "dataset.split", "model", "train", "grid"};
    for (int i = 0; i < 5; i++) {
        const config_setting_t *s = config_lookup(&c.cfg, groups[i]);
        if (s && !config_setting_is_group(s)) DC_TRY(want_type(&c, groups[i], s, "a group", 0));
    }

    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t base_len = strlen(base);
    if (base_len > 4 && strcmp(base + base_len - 4, ".cfg") == 0) base_len -= 4;
    char default_name[256];
    snprintf(default_name, sizeof default_name, "%.*s", (int)base_len, base);
    DC_TRY(read_string(&c, "name", default_name, &sweep->name));
    DC_TRY(read_dataset(&c, &sweep->dataset));
    DC_TRY(read_model_train(&c, &sweep->model, &sweep->train));
    DC_TRY(read_grid(&c, &sweep->grid));
    DC_TRY(read_path(&c, "output", &sweep->output, 0));
    if (!sweep->output) {
        DC_ALLOC(sweep->output, strlen(sweep->name) + 16);
        sprintf(sweep->output, "results/%s.h5", sweep->name);
    }
    DC_TRY(dump_effective(&sweep->effective, sweep, err));
    dc_sha256_hex(sweep->sha256, sweep->effective, strlen(sweep->effective));
cleanup:
    config_destroy(&c.cfg);
    free(c.dir);
    for (int i = 0; i < c.n_overridden; i++) free(c.overridden[i]);
    return rc;
}

void dc_sweep_free(dc_sweep *sweep)
{
    if (!sweep) return;
    free(sweep->path);
    free(sweep->text);
    free(sweep->effective);
    free(sweep->name);
    dc_dataset_config *d = &sweep->dataset;
    free(d->train);
    free(d->validation);
    free(d->test);
    free(d->file);
    free(d->energy_key);
    free(d->forces_key);
    free(d->length_unit);
    free(d->energy_unit);
    free(sweep->grid.irelu_scale);
    free(sweep->grid.extent);
    free(sweep->grid.rescaling);
    free(sweep->grid.seeds);
    free(sweep->output);
    memset(sweep, 0, sizeof *sweep);
}
