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

static int read_grid(dc_config_ctx *c, dc_grid_config *g)
{
    int rc = DC_OK, n;
    dc_error *err = c->err;
    const config_setting_t **e = NULL;

    DC_TRY(dc_config_list_elems(c, "grid.irelu_scale", CONFIG_TYPE_FLOAT, "number", &e, &n));
    DC_ALLOC(g->irelu_scale, n < 0 ? 1 : n);
    g->n_irelu_scale = n < 0 ? 1 : n;
    g->irelu_scale[0] = 0.5;
    for (int i = 0; i < n; i++) {
        double v = dc_config_is_int(e[i]) ? (double)config_setting_get_int64(e[i]) : config_setting_get_float(e[i]);
        if (!(v > 0) || !isfinite(v))
            DC_TRY(dc_config_fail(c, "grid.irelu_scale", e[i], "value %g must be > 0", v));
        for (int j = 0; j < i; j++)
            if (g->irelu_scale[j] == v)
                DC_TRY(dc_config_fail(c, "grid.irelu_scale", e[i], "duplicate value %g", v));
        g->irelu_scale[i] = v;
    }
    free(e);
    e = NULL;

    DC_TRY(dc_config_list_elems(c, "grid.extent", CONFIG_TYPE_STRING, "string", &e, &n));
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

    DC_TRY(dc_config_list_elems(c, "grid.rescaling", CONFIG_TYPE_STRING, "string", &e, &n));
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

    DC_TRY(dc_config_list_elems(c, "grid.seeds", CONFIG_TYPE_INT, "integer", &e, &n));
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
    int rc = dc_config_want_type(c, key, s, "a count or a fraction", config_setting_is_number(s));
    if (rc != DC_OK) return rc;
    if (dc_config_is_int(s)) {
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

/* dataset.atomic_energies: "average" or the path of a file of isolated atoms; absent: none. */
static int read_atomic_energies(dc_config_ctx *c, dc_dataset_config *d)
{
    const char *key = "dataset.atomic_energies";
    const config_setting_t *s = config_lookup(&c->cfg, key);
    if (!s) return DC_OK;
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return dc_config_want_type(c, key, s, "a string: \"average\" or the path of an extended-XYZ file of "
                                   "isolated atoms", 0);
    if (strcmp(config_setting_get_string(s), "average") == 0) {
        d->e0_source = DC_E0_AVERAGE;
        return DC_OK;
    }
    d->e0_source = DC_E0_FILE;
    return dc_config_read_path(c, key, &d->e0_file, 1);
}

/* dataset.isolated_atoms: "shifted" (default) or "exact"; only with dataset.atomic_energies. */
static int read_isolated_atoms(dc_config_ctx *c, dc_dataset_config *d)
{
    const char *key = "dataset.isolated_atoms";
    const config_setting_t *s = config_lookup(&c->cfg, key);
    if (!s) return DC_OK;
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return dc_config_want_type(c, key, s, "a string: \"shifted\" or \"exact\"", 0);
    const char *v = config_setting_get_string(s);
    if (strcmp(v, "exact") != 0 && strcmp(v, "shifted") != 0)
        return dc_config_fail(c, key, s, "unknown value \"%s\" (\"shifted\" or \"exact\")", v);
    if (d->e0_source == DC_E0_NONE)
        return dc_config_fail(c, key, s, "needs dataset.atomic_energies (the E0 an isolated atom is predicted at)");
    d->isolated_exact = strcmp(v, "exact") == 0;
    return DC_OK;
}

static int read_dataset(dc_config_ctx *c, dc_dataset_config *d)
{
    int rc = DC_OK;
    const config_setting_t *ds = config_lookup(&c->cfg, "dataset");
    const char *layouts = "give train, validation and test files, or file and split";
    if (!ds) return dc_config_fail(c, "dataset", NULL, "missing (%s)", layouts);
    DC_TRY(dc_config_read_string(c, "dataset.energy_key", "energy", &d->energy_key));
    DC_TRY(dc_config_read_string(c, "dataset.forces_key", "forces", &d->forces_key));
    DC_TRY(dc_config_read_string(c, "dataset.length_unit", "Angstrom", &d->length_unit));
    DC_TRY(dc_config_read_string(c, "dataset.energy_unit", "eV", &d->energy_unit));
    DC_TRY(read_atomic_energies(c, d));
    DC_TRY(read_isolated_atoms(c, d));
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
            DC_TRY(dc_config_read_path(c, keys[i], dst[i], 1));
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
    DC_TRY(dc_config_read_path(c, "dataset.file", &d->file, 1));
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
    if (test) DC_TRY(dc_config_read_path(c, "dataset.test", &d->test, 1));
    DC_TRY(dc_config_read_int64(c, "dataset.split_seed", 0, 0, INT64_MAX, &d->split_seed));
cleanup:
    return rc;
}

int dc_sweep_load(dc_sweep *sweep, const char *path, const dc_override *overrides, int n_overrides,
                  const dc_family *const *families, dc_error *err)
{
    int rc = DC_OK;
    char *widened = NULL;
    memset(sweep, 0, sizeof *sweep);
    dc_config_ctx c = {.path = path, .err = err, .families = families};
    config_init(&c.cfg);
    sweep->path = strdup(path);
    c.dir = dc_config_dir_of(path);
    if (!sweep->path || !c.dir) DC_FAIL(DC_ERR_NOMEM, "out of memory");
    DC_TRY(read_text(&sweep->text, path, err));
    config_set_include_dir(&c.cfg, c.dir);
    char wide[64];
    int wide_line = dc_config_widen_ints(sweep->text, &widened, wide, sizeof wide);
    if (wide_line < 0) DC_FAIL(DC_ERR_NOMEM, "out of memory reading %s", path);
    if (wide_line > 0)
        DC_FAIL(DC_ERR_INPUT, "%s:%d: integer %s is out of range (at most 9223372036854775807)", path,
                wide_line, wide);
    if (config_read_string(&c.cfg, widened) != CONFIG_TRUE) {
        const char *what = config_error_text(&c.cfg);
        int mixed = what && strstr(what, "mismatched element type");
        DC_FAIL(DC_ERR_INPUT, "%s:%d: %s%s", path, config_error_line(&c.cfg), what ? what : "syntax error",
                mixed ? " (in a [...] array write every number as a float, e.g. 1.0, or use (...))" : "");
    }
    for (int i = 0; i < n_overrides; i++) DC_TRY(dc_config_apply_override(&c, overrides[i].assignment));
    DC_TRY(dc_config_check_unknown(&c, config_root_setting(&c.cfg), ""));
    const char *groups[] = {"task", "dataset", "dataset.split", "model", "train", "train.plateau",
                            "train.early_stopping", "grid", "run"};
    for (int i = 0; i < (int)(sizeof groups / sizeof groups[0]); i++) {
        const config_setting_t *s = config_lookup(&c.cfg, groups[i]);
        if (s && !config_setting_is_group(s)) DC_TRY(dc_config_want_type(&c, groups[i], s, "a group", 0));
    }

    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t base_len = strlen(base);
    if (base_len > 4 && strcmp(base + base_len - 4, ".cfg") == 0) base_len -= 4;
    char default_name[256];
    snprintf(default_name, sizeof default_name, "%.*s", (int)base_len, base);
    DC_TRY(dc_config_read_string(&c, "name", default_name, &sweep->name));
    DC_TRY(dc_config_read_family(&c, sweep));
    /* a family whose points are its data reads no dataset */
    if (dc_family_uses(sweep->family, "dataset")) DC_TRY(read_dataset(&c, &sweep->dataset));
    DC_TRY(dc_config_read_train(&c, sweep->family, &sweep->train));
    if (sweep->family->check) DC_TRY(sweep->family->check(&c, sweep));
    DC_TRY(read_grid(&c, &sweep->grid));
    DC_TRY(dc_config_read_double(&c, "run.heartbeat_timeout", 300.0, 0, 1, INFINITY,
                                 &sweep->run.heartbeat_timeout));
    DC_TRY(dc_config_read_double(&c, "run.stop_timeout", 120.0, 0, 1, INFINITY, &sweep->run.stop_timeout));
    const config_setting_t *out = config_lookup(&c.cfg, "output");
    sweep->keep_models = 1;
    if (out && config_setting_is_group(out)) {
        DC_TRY(dc_config_read_path(&c, "output.path", &sweep->output, 0));
        DC_TRY(dc_config_read_bool(&c, "output.keep_models", 1, &sweep->keep_models));
    } else {
        DC_TRY(dc_config_read_path(&c, "output", &sweep->output, 0));
    }
    if (!sweep->output) {
        DC_ALLOC(sweep->output, strlen(sweep->name) + 16);
        sprintf(sweep->output, "results/%s.h5", sweep->name);
    }
    DC_TRY(dc_config_dump_effective(&sweep->effective, sweep, err));
    dc_sha256_hex(sweep->sha256, sweep->effective, strlen(sweep->effective));
    static const char *const data_keys[DC_N_DATA_KEYS] = {"model.cutoff", "train.batch_size",
                                                          "train.eval_batch_size"};
    for (int i = 0; i < DC_N_DATA_KEYS; i++) {
        const config_setting_t *s = config_lookup(&c.cfg, data_keys[i]);
        sweep->data_keys[i].key = data_keys[i];
        sweep->data_keys[i].given = s != NULL;
        dc_config_where(&c, data_keys[i], s, sweep->data_keys[i].where, sizeof sweep->data_keys[i].where);
    }
cleanup:
    free(widened);
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
    free(d->e0_file);
    free(sweep->grid.irelu_scale);
    free(sweep->grid.extent);
    free(sweep->grid.rescaling);
    free(sweep->grid.seeds);
    free(sweep->output);
    memset(sweep, 0, sizeof *sweep);
}

int dc_sweep_key_fail(const dc_sweep *sweep, const char *key, dc_error *err, const char *fmt, ...)
{
    char msg[DC_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (int i = 0; i < DC_N_DATA_KEYS; i++)
        if (sweep->data_keys[i].key && strcmp(sweep->data_keys[i].key, key) == 0)
            return dc_error_set(err, DC_ERR_INPUT, "%s: %s", sweep->data_keys[i].where, msg);
    /* a sweep built in code, not loaded: no line to name */
    return dc_error_set(err, DC_ERR_INPUT, "%s: %s: %s", sweep->path ? sweep->path : "sweep", key, msg);
}
