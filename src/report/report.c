/* Post-hoc analysis of a results file (include/dcsweep/report/report.h): aggregation only, no printing.
 *
 * Everything is computed from four per-run arrays (configuration, seed, status, metrics), so the
 * statistics can be tested on rows built in memory as well as on a file read through the results
 * API. Files are read serially: a report never needs the MPI runtime. */
#include "dcsweep/report/report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/results/results.h"

int dc_report_default_metric(const dc_metric_desc *metrics, int n)
{
    for (int m = 0; m < n; m++)
        if (metrics[m].headline == DC_HEADLINE_DEFAULT) return m;
    /* files written before the families marked their default */
    for (int m = 0; m < n; m++)
        if (strcmp(metrics[m].name, "test_force_mae") == 0) return m;
    for (int m = 0; m < n; m++)
        if (metrics[m].headline) return m;
    return n > 0 ? 0 : -1;
}

static char *dup_string(const char *s, dc_error *err);

/* The dataset's units, for the header line, when the file's metrics are in them (a model of a
 * dataset's energies); a file of other metrics (a PDE's) has no units line, whatever
 * unit attributes it carries. A file too old to record its metric units gets docs/model.md's. */
static int take_units(dc_report *r, dc_results *res, dc_error *err)
{
    int rc = DC_OK;
    char *eu = NULL, *lu = NULL;
    if (dc_results_read_attr_string(res, "energy_unit", &eu, NULL) != DC_OK) eu = NULL;
    if (dc_results_read_attr_string(res, "length_unit", &lu, NULL) != DC_OK) lu = NULL;
    const char *e = eu ? eu : "eV", *l = lu ? lu : "Angstrom";
    int in_units = !r->model_kind[0];
    for (int m = 0; m < r->n_metrics; m++) in_units |= strcmp(r->metrics[m].unit, e) == 0;
    if (in_units) {
        free(r->energy_unit);
        free(r->length_unit);
        free(r->force_unit);
        r->energy_unit = dup_string(e, err);
        r->length_unit = dup_string(l, err);
        r->force_unit = dc_calloc(strlen(e) + strlen(l) + 2, 1, err);
        if (r->force_unit) sprintf(r->force_unit, "%s/%s", e, l);
        if (!r->energy_unit || !r->length_unit || !r->force_unit) DC_FAIL(DC_ERR_NOMEM, "out of memory");
    }
cleanup:
    free(eu);
    free(lu);
    return rc;
}

int dc_report_metric_index(const dc_report *r, const char *name)
{
    for (int m = 0; m < r->n_metrics; m++)
        if (name && strcmp(r->metrics[m].name, name) == 0) return m;
    return -1;
}

const char *dc_factor_name(dc_factor f)
{
    static const char *const names[DC_N_FACTORS] = {"irelu_scale", "extent", "rescaling"};
    return f >= 0 && f < DC_N_FACTORS ? names[f] : "?";
}

/* ---- configurations ---- */

/* Extent none ignores the scale, so its key carries NaN there and NaN matches NaN. */
static int key_equal(const dc_report_key *a, const dc_report_key *b)
{
    if (a->extent != b->extent || a->rescaling != b->rescaling) return 0;
    if (isnan(a->irelu_scale) || isnan(b->irelu_scale))
        return isnan(a->irelu_scale) && isnan(b->irelu_scale);
    return a->irelu_scale == b->irelu_scale;
}

static int level_equal(dc_factor f, const dc_report_key *a, const dc_report_key *b)
{
    switch (f) {
    case DC_FACTOR_IRELU_SCALE: return a->irelu_scale == b->irelu_scale;
    case DC_FACTOR_EXTENT: return a->extent == b->extent;
    default: return a->rescaling == b->rescaling;
    }
}

void dc_report_key_format_scale(const dc_report_key *key, char *buf, size_t cap)
{
    if (isnan(key->irelu_scale)) snprintf(buf, cap, "-");
    else snprintf(buf, cap, "%g", key->irelu_scale);
}

/* ---- baseline ---- */

void dc_report_baseline_default(dc_report_baseline *out)
{
    memset(out, 0, sizeof *out);
    out->has_extent = out->has_rescaling = 1;
    out->key.irelu_scale = NAN;
    out->key.extent = DC_EXTENT_NONE;
    out->key.rescaling = DC_RESCALE_POWER10;
}

void dc_report_baseline_format(const dc_report_baseline *b, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    if (b->has_scale && len < cap)
        len += (size_t)snprintf(buf + len, cap - len, "c=%g", b->key.irelu_scale);
    if (b->has_extent && len < cap)
        len += (size_t)snprintf(buf + len, cap - len, "%sextent=%s", len ? "," : "",
                                dc_extent_name(b->key.extent));
    if (b->has_rescaling && len < cap)
        snprintf(buf + len, cap - len, "%srescaling=%s", len ? "," : "",
                 dc_rescaling_name(b->key.rescaling));
}

int dc_report_baseline_parse(const char *spec, dc_report_baseline *out, dc_error *err)
{
    int rc = DC_OK;
    char *copy = NULL;
    memset(out, 0, sizeof *out);
    out->key.irelu_scale = NAN;
    if (!spec || !*spec)
        DC_FAIL(DC_ERR_INPUT, "--baseline needs key=value pairs, e.g. extent=none,rescaling=power10");
    DC_ALLOC(copy, strlen(spec) + 1);
    memcpy(copy, spec, strlen(spec));
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq || eq == item || !eq[1])
            DC_FAIL(DC_ERR_INPUT, "--baseline: '%s' is not key=value (keys: c, extent, rescaling)", item);
        *eq = '\0';
        const char *key = item, *value = eq + 1;
        int *seen;
        if (strcmp(key, "c") == 0 || strcmp(key, "irelu_scale") == 0) {
            char *end = NULL;
            errno = 0;
            double v = strtod(value, &end);
            if (*end || errno || !isfinite(v) || v <= 0)
                DC_FAIL(DC_ERR_INPUT, "--baseline: c needs a positive number, got '%s'", value);
            out->key.irelu_scale = v;
            seen = &out->has_scale;
        } else if (strcmp(key, "extent") == 0) {
            if (dc_extent_parse(value, &out->key.extent) != 0)
                DC_FAIL(DC_ERR_INPUT, "--baseline: unknown extent '%s' (none, output, full)", value);
            seen = &out->has_extent;
        } else if (strcmp(key, "rescaling") == 0) {
            if (dc_rescaling_parse(value, &out->key.rescaling) != 0)
                DC_FAIL(DC_ERR_INPUT,
                        "--baseline: unknown rescaling '%s' (none, power10, minmax, standard, robust)",
                        value);
            seen = &out->has_rescaling;
        } else {
            DC_FAIL(DC_ERR_INPUT, "--baseline: unknown key '%s' (keys: c, extent, rescaling)", key);
        }
        if (*seen) DC_FAIL(DC_ERR_INPUT, "--baseline: %s given twice", key);
        *seen = 1;
    }
    if (!out->has_scale && !out->has_extent && !out->has_rescaling)
        DC_FAIL(DC_ERR_INPUT, "--baseline needs key=value pairs, e.g. extent=none,rescaling=power10");
cleanup:
    free(copy);
    return rc;
}

static int baseline_matches(const dc_report_baseline *b, const dc_report_key *k)
{
    if (b->has_extent && b->key.extent != k->extent) return 0;
    if (b->has_rescaling && b->key.rescaling != k->rescaling) return 0;
    if (b->has_scale && !(b->key.irelu_scale == k->irelu_scale)) return 0;
    return 1;
}

/* The one configuration the baseline names; DC_ERR_INPUT when none or several match. */
static int find_baseline(const dc_report *r, const dc_report_baseline *b, int *out, dc_error *err)
{
    char spec[128];
    dc_report_baseline_format(b, spec, sizeof spec);
    int found = -1, n = 0;
    char scales[256] = "";
    size_t len = 0;
    for (int i = 0; i < r->n_configs; i++) {
        if (!baseline_matches(b, &r->configs[i].key)) continue;
        if (found < 0) found = i;
        n++;
        if (len < sizeof scales) {
            char c[32];
            dc_report_key_format_scale(&r->configs[i].key, c, sizeof c);
            len += (size_t)snprintf(scales + len, sizeof scales - len, "%s%s %s %s", n > 1 ? "; " : "",
                                    c, dc_extent_name(r->configs[i].key.extent),
                                    dc_rescaling_name(r->configs[i].key.rescaling));
        }
    }
    if (n == 0)
        return dc_error_set(err, DC_ERR_INPUT, "baseline %s matches no configuration of the file", spec);
    if (n > 1)
        return dc_error_set(err, DC_ERR_INPUT,
                            "baseline %s is ambiguous: it matches %d configurations (%s); add c=, "
                            "extent= or rescaling=",
                            spec, n, scales);
    *out = found;
    return DC_OK;
}

/* ---- aggregation ---- */

static void set_rate(dc_report_rate *out, int k, int n)
{
    out->k = k;
    out->n = n;
    out->rate = n > 0 ? (double)k / n : NAN;
    dc_wilson(k, n, DC_Z975, &out->ci_low, &out->ci_high);
}

static int build_configs(dc_report *r, const dc_report_key *keys, const int *statuses,
                         const double *metrics, dc_error *err)
{
    int rc = DC_OK;
    double *values = NULL;
    DC_ALLOC(r->configs, r->n_runs > 0 ? r->n_runs : 1);
    DC_ALLOC(values, r->n_runs > 0 ? r->n_runs : 1);
    for (int i = 0; i < r->n_runs; i++) {
        dc_report_key k = keys[i];
        if (k.extent == DC_EXTENT_NONE) k.irelu_scale = NAN;
        int c = 0;
        while (c < r->n_configs && !key_equal(&r->configs[c].key, &k)) c++;
        if (c == r->n_configs) r->configs[r->n_configs++].key = k;
        r->run_config[i] = c;
        dc_report_config *cfg = &r->configs[c];
        cfg->n_runs++;
        switch (statuses[i]) {
        case DC_RUN_DONE: cfg->n_done++; r->n_done++; break;
        case DC_RUN_DIVERGED: cfg->n_diverged++; r->n_diverged++; break;
        case DC_RUN_FAILED: cfg->n_failed++; r->n_failed++; break;
        default: cfg->n_pending++; r->n_pending++; break;
        }
    }
    /* Per configuration and metric: done runs with a finite value. */
    for (int c = 0; c < r->n_configs; c++) {
        for (int m = 0; m < r->n_metrics; m++) {
            int n = 0;
            for (int i = 0; i < r->n_runs; i++) {
                double v = metrics[(size_t)i * r->n_metrics + m];
                if (r->run_config[i] == c && statuses[i] == DC_RUN_DONE && isfinite(v)) values[n++] = v;
            }
            r->configs[c].n_value[m] = n;
            dc_mean_sd(values, n, &r->configs[c].mean[m], &r->configs[c].sd[m]);
        }
    }
    for (int i = 0; i < r->n_runs; i++) {
        if (statuses[i] != DC_RUN_DONE || r->collapse_metric < 0) continue;
        double v = metrics[(size_t)i * r->n_metrics + r->collapse_metric];
        r->run_collapsed[i] = isfinite(v) && fabs(v / r->collapse_reference - 1.0) < DC_COLLAPSE_TOLERANCE;
        r->configs[r->run_config[i]].n_collapsed += r->run_collapsed[i];
        r->n_collapsed += r->run_collapsed[i];
    }
    for (int c = 0; c < r->n_configs; c++) {
        dc_report_config *cfg = &r->configs[c];
        int finished = cfg->n_done + cfg->n_diverged;
        set_rate(&cfg->diverged, cfg->n_diverged, finished);
        set_rate(&cfg->collapsed, cfg->n_collapsed, finished);
        if (r->collapse_metric < 0) cfg->collapsed.rate = cfg->collapsed.ci_low = cfg->collapsed.ci_high = NAN;
    }
cleanup:
    free(values);
    return rc;
}

/* Main effects: per factor level, the mean over its configurations of their mean. */
static int build_effects(dc_report *r, dc_error *err)
{
    int rc = DC_OK;
    DC_ALLOC(r->effects, DC_N_FACTORS * (r->n_configs > 0 ? r->n_configs : 1));
    for (int f = 0; f < DC_N_FACTORS; f++) {
        int first = r->n_effects;
        for (int c = 0; c < r->n_configs; c++) {
            const dc_report_config *cfg = &r->configs[c];
            if (f == DC_FACTOR_IRELU_SCALE && isnan(cfg->key.irelu_scale)) continue;
            int e = first;
            while (e < r->n_effects && !level_equal((dc_factor)f, &r->effects[e].level, &cfg->key)) e++;
            if (e == r->n_effects) {
                r->effects[e].factor = (dc_factor)f;
                r->effects[e].level = cfg->key;
                r->effects[e].mean = 0;
                r->n_effects++;
            }
            dc_report_effect *eff = &r->effects[e];
            eff->n_configs_total++;
            double v = cfg->mean[r->metric];
            if (isfinite(v)) {
                eff->mean += v;
                eff->n_configs++;
            }
        }
        for (int e = first; e < r->n_effects; e++)
            r->effects[e].mean = r->effects[e].n_configs ? r->effects[e].mean / r->effects[e].n_configs : NAN;
    }
cleanup:
    return rc;
}

/* Paired differences on the report's metric: each configuration's done runs against the
 * baseline's done run of the same seed (the first such row, should a file hold duplicates). */
static int build_paired(dc_report *r, const double *metrics, dc_error *err)
{
    int rc = DC_OK;
    double *diff = NULL, *used_p = NULL;
    int64_t *used = NULL;
    if (r->baseline < 0) return DC_OK;
    DC_ALLOC(r->paired, r->n_configs);
    DC_ALLOC(used_p, r->n_configs);
    DC_ALLOC(diff, r->n_runs > 0 ? r->n_runs : 1);
    DC_ALLOC(used, r->n_runs > 0 ? r->n_runs : 1);
    for (int c = 0; c < r->n_configs; c++) {
        if (c == r->baseline) continue;
        int n = 0;
        for (int i = 0; i < r->n_runs; i++) {
            double v = metrics[(size_t)i * r->n_metrics + r->metric];
            if (r->run_config[i] != c || r->run_status[i] != DC_RUN_DONE || !isfinite(v)) continue;
            int dup = 0;
            for (int k = 0; k < n && !dup; k++) dup = used[k] == r->run_seed[i];
            if (dup) continue;
            for (int j = 0; j < r->n_runs; j++) {
                double b = metrics[(size_t)j * r->n_metrics + r->metric];
                if (r->run_config[j] == r->baseline && r->run_seed[j] == r->run_seed[i] &&
                    r->run_status[j] == DC_RUN_DONE && isfinite(b)) {
                    used[n] = r->run_seed[i];
                    diff[n++] = v - b;
                    break;
                }
            }
        }
        dc_report_paired *p = &r->paired[r->n_paired++];
        p->config = c;
        dc_paired_stats_compute(diff, n, &p->stats);
        int higher = r->metrics[r->metric].higher_is_better;
        for (int k = 0; k < n; k++) {
            p->n_better += higher ? diff[k] > 0 : diff[k] < 0;
            p->n_worse += higher ? diff[k] < 0 : diff[k] > 0;
        }
        p->p_t = dc_paired_t_p(&p->stats);
        p->p_sign_flip = n >= DC_SIGN_FLIP_MIN_N ? dc_sign_flip_p(diff, n) : NAN;
    }
    /* Holm over the section: the family of tests a reader scans for "significant" rows. */
    for (int i = 0; i < r->n_paired; i++) diff[i] = r->paired[i].p_t;
    dc_holm(diff, r->n_paired, used_p);
    for (int i = 0; i < r->n_paired; i++) r->paired[i].p_holm = used_p[i];
cleanup:
    free(diff);
    free(used);
    free(used_p);
    return rc;
}

const char *dc_best_status_name(dc_best_status s)
{
    static const char *const names[] = {"best", "tie", "no_candidate", "no_data"};
    return s >= 0 && s <= DC_BEST_NO_DATA ? names[s] : "?";
}

/* Equal means: exactly, or to the last bits (the same constant reached by different roundings). */
static int same_mean(double a, double b) { return fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b)); }

/* The best candidate per metric: a configuration with a diverged or collapsed run is never one
 * (its mean is of the seeds that survived, or of a constant predictor's residual of 0), and a
 * shared best mean (every EFwT 0) names no configuration. */
static void build_best(dc_report *r)
{
    for (int m = 0; m < r->n_metrics; m++) {
        int best = -1, higher = r->metrics[m].higher_is_better, n_data = 0, n_cand = 0;
        for (int c = 0; c < r->n_configs; c++) {
            const dc_report_config *cfg = &r->configs[c];
            double v = cfg->mean[m];
            if (!isfinite(v)) continue;
            n_data++;
            if (cfg->n_diverged > 0 || cfg->n_collapsed > 0) continue;
            n_cand++;
            if (best < 0 || (higher ? v > r->configs[best].mean[m] : v < r->configs[best].mean[m]))
                best = c;
        }
        int tied = 0;
        for (int c = 0; c < r->n_configs && best >= 0; c++) {
            const dc_report_config *cfg = &r->configs[c];
            if (isfinite(cfg->mean[m]) && cfg->n_diverged == 0 && cfg->n_collapsed == 0)
                tied += same_mean(cfg->mean[m], r->configs[best].mean[m]);
        }
        r->best_n_candidates[m] = n_cand;
        r->best_n_degenerate[m] = n_data - n_cand;
        r->best_n_tied[m] = tied;
        r->best_status[m] = n_data == 0 ? DC_BEST_NO_DATA : n_cand == 0 ? DC_BEST_NO_CANDIDATE
                            : tied > 1 ? DC_BEST_TIE : DC_BEST_ONE;
        r->best[m] = r->best_status[m] == DC_BEST_ONE ? best : -1;
        r->best_mean[m] = best >= 0 ? r->configs[best].mean[m] : NAN;
    }
}

static char *dup_string(const char *s, dc_error *err)
{
    size_t n = strlen(s ? s : "");
    char *d = dc_calloc(n + 1, 1, err);
    if (d && n) memcpy(d, s, n);
    return d;
}

int dc_report_compute(dc_report *r, int n, const dc_report_key *keys, const int64_t *seeds,
                      const int *statuses, const double *metrics, int n_metrics,
                      const dc_metric_desc *descs, int metric, const dc_report_baseline *baseline,
                      const dc_collapse_rule *collapse, dc_error *err)
{
    int rc = DC_OK;
    memset(r, 0, sizeof *r);
    r->n_runs = n;
    r->metric = metric;
    r->baseline = -1;
    if (n_metrics < 1 || n_metrics > DC_MAX_METRICS)
        DC_FAIL(DC_ERR_INPUT, "%d metric columns (a report needs 1 to %d)", n_metrics, DC_MAX_METRICS);
    if (metric < 0 || metric >= n_metrics) DC_FAIL(DC_ERR_INTERNAL, "metric %d out of range", metric);
    r->n_metrics = n_metrics;
    memcpy(r->metrics, descs, (size_t)n_metrics * sizeof *descs);
    r->collapse_metric = dc_report_metric_index(r, collapse ? collapse->metric : DC_COLLAPSE_METRIC);
    r->collapse_reference = collapse ? collapse->reference : 1.0;
    if (!(isfinite(r->collapse_reference) && r->collapse_reference > 0)) r->collapse_metric = -1;
    if (!(r->energy_unit = dup_string("", err)) || !(r->length_unit = dup_string("", err)) ||
        !(r->force_unit = dup_string("", err)) || !(r->sweep_name = dup_string("", err)) ||
        !(r->model_kind = dup_string("", err)))
        return DC_ERR_NOMEM;
    int cap = n > 0 ? n : 1;
    DC_ALLOC(r->run_config, cap);
    DC_ALLOC(r->run_seed, cap);
    DC_ALLOC(r->run_status, cap);
    DC_ALLOC(r->run_collapsed, cap);
    DC_ALLOC(r->run_metrics, (size_t)cap * n_metrics);
    for (int i = 0; i < n; i++) {
        r->run_seed[i] = seeds[i];
        r->run_status[i] = statuses[i];
        for (int m = 0; m < n_metrics; m++)
            r->run_metrics[(size_t)i * n_metrics + m] =
                statuses[i] == DC_RUN_DONE ? metrics[(size_t)i * n_metrics + m] : NAN;
    }
    DC_TRY(build_configs(r, keys, statuses, r->run_metrics, err));
    DC_TRY(build_effects(r, err));
    if (baseline) {
        DC_TRY(find_baseline(r, baseline, &r->baseline, err));
    } else {
        /* The default baseline is a convenience: a grid without it just has no paired section. */
        dc_report_baseline def;
        dc_report_baseline_default(&def);
        if (find_baseline(r, &def, &r->baseline, NULL) != DC_OK) r->baseline = -1;
    }
    DC_TRY(build_paired(r, r->run_metrics, err));
    build_best(r);
    DC_TRY(dc_report_build_factorial(r, err));
    DC_TRY(dc_report_build_bootstrap(r, err));
cleanup:
    return rc;
}

/* ---- reading a file ---- */

/* The index of the metric called name (NULL: the default) among the file's; DC_ERR_INPUT with the
 * valid names when there is none. */
static int choose_metric(const char *path, const dc_metric_desc *descs, int n, const char *name,
                         int *out, dc_error *err)
{
    *out = dc_report_default_metric(descs, n);
    if (*out < 0) return dc_error_set(err, DC_ERR_INPUT, "%s: the file has no metric columns", path);
    if (!name) return DC_OK;
    for (int m = 0; m < n; m++)
        if (strcmp(descs[m].name, name) == 0) {
            *out = m;
            return DC_OK;
        }
    char valid[DC_MAX_METRICS * (DC_METRIC_NAME_MAX + 2)];
    size_t len = 0;
    valid[0] = '\0';
    for (int m = 0; m < n && len < sizeof valid; m++)
        len += (size_t)snprintf(valid + len, sizeof valid - len, "%s%s", m ? ", " : "", descs[m].name);
    return dc_error_set(err, DC_ERR_INPUT, "%s: unknown metric '%s' (valid: %s)", path, name, valid);
}

/* Replaces *field with a copy of the file's attribute name when it has one. */
static void take_attr(dc_results *res, const char *name, char **field)
{
    char *value = NULL;
    if (dc_results_read_attr_string(res, name, &value, NULL) != DC_OK) return;
    free(*field);
    *field = value;
}

int dc_report_load(dc_report *r, const char *path, const char *metric,
                   const dc_report_baseline *baseline, dc_error *err)
{
    int rc = DC_OK;
    dc_results *res = NULL;
    dc_results_row *rows = NULL;
    dc_report_key *keys = NULL;
    int64_t *seeds = NULL;
    int *statuses = NULL;
    double *metrics = NULL;
    memset(r, 0, sizeof *r);
    /* A file that is not ours is bad input (2) with the wording every command uses. */
    DC_TRY(dc_results_open(&res, path, 0, err));
    int n = dc_results_n_runs(res), n_metrics = 0, chosen = -1;
    const dc_metric_desc *descs = dc_results_metrics(res, &n_metrics);
    DC_TRY(choose_metric(path, descs, n_metrics, metric, &chosen, err));
    DC_ALLOC(rows, n);
    DC_ALLOC(keys, n);
    DC_ALLOC(seeds, n);
    DC_ALLOC(statuses, n);
    DC_ALLOC(metrics, (size_t)n * n_metrics);
    DC_TRY(dc_results_read_rows(res, 0, n, rows, err));
    for (int i = 0; i < n; i++) {
        const dc_results_row *row = &rows[i];
        if (dc_extent_parse(row->extent, &keys[i].extent) != 0)
            DC_FAIL(DC_ERR_INPUT, "%s: /runs row %d: unknown extent '%s'", path, i, row->extent);
        if (dc_rescaling_parse(row->rescaling, &keys[i].rescaling) != 0)
            DC_FAIL(DC_ERR_INPUT, "%s: /runs row %d: unknown rescaling '%s'", path, i, row->rescaling);
        keys[i].irelu_scale = row->irelu_scale;
        statuses[i] = dc_results_status_parse(row->status);
        if (statuses[i] < 0)
            DC_FAIL(DC_ERR_INPUT, "%s: /runs row %d: unknown status '%s'", path, i, row->status);
        seeds[i] = row->seed;
        for (int m = 0; m < n_metrics; m++) metrics[(size_t)i * n_metrics + m] = row->metric[m];
    }
    dc_collapse_rule force_rule;
    DC_TRY(dc_report_compute(r, n, keys, seeds, statuses, metrics, n_metrics, descs, chosen, baseline,
                             dc_report_force_rule(res, &force_rule), err));
    r->epochs = dc_results_epochs(res);
    /* Name, family and units are informational: a file without them still reports. */
    take_attr(res, "sweep_name", &r->sweep_name);
    take_attr(res, "model_kind", &r->model_kind);
    DC_TRY(take_units(r, res, err));
cleanup:
    if (res) dc_results_close(res, NULL);
    free(rows);
    free(keys);
    free(seeds);
    free(statuses);
    free(metrics);
    return rc;
}

void dc_report_free(dc_report *r)
{
    if (!r) return;
    free(r->sweep_name);
    free(r->model_kind);
    free(r->energy_unit);
    free(r->length_unit);
    free(r->force_unit);
    free(r->configs);
    free(r->effects);
    free(r->paired);
    free(r->factorial.contrasts);
    free(r->bootstrap.p_best);
    free(r->run_config);
    free(r->run_seed);
    free(r->run_status);
    free(r->run_collapsed);
    free(r->run_metrics);
    memset(r, 0, sizeof *r);
}
