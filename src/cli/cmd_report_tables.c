/* `dcsweep report` as aligned text (a 100-column terminal) or markdown pipe tables (a paper draft).
 *
 * Both formats render the same cells, so what a user reads in the terminal is what lands in the
 * draft. Numbers have a fixed number of decimals per metric (three significant digits for the
 * smallest mean), so that columns line up; fractions (EFwT) are in percent. Metric names, units
 * and which way is better are the file's (/metrics); units are in the column headers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_report.h"
#include "cmd_report_table.h"
#include "dcsweep/config/config.h"

/* ---- what a metric column shows ---- */

/* The split of a metric by its name's prefix (val_ and test_ columns), or "". */
static const char *split_of(const char *name)
{
    if (strncmp(name, "test_", 5) == 0) return "test";
    if (strncmp(name, "val_", 4) == 0) return "val";
    return "";
}

static const char *suffix_of(const char *name)
{
    const char *split = split_of(name);
    return *split ? name + strlen(split) + 1 : name;
}

/* Short column labels of the metrics these tables know (a potential's); any other is shown by name. */
static const char *label_of(const dc_report *r, int m)
{
    static const char *const known[][2] = {{"energy_mae", "E MAE"}, {"energy_rmse", "E RMSE"},
                                           {"force_mae", "F MAE"}, {"force_rmse", "F RMSE"},
                                           {"efwt", "EFwT"}};
    const char *suffix = suffix_of(r->metrics[m].name);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(suffix, known[i][0]) == 0) return known[i][1];
    return r->metrics[m].name;
}

/* Fractions (EFwT) read as percentages; everything else stays in its own unit. */
static double display_scale(const dc_report *r, int m) { return r->metrics[m].fraction ? 100.0 : 1.0; }

static const char *display_unit(const dc_report *r, int m)
{
    return r->metrics[m].fraction ? "%" : r->metrics[m].unit;
}

/* "text [unit]", or "text" for a dimensionless metric. */
static void with_unit(char *buf, const char *text, const dc_report *r, int m)
{
    const char *unit = display_unit(r, m);
    if (*unit) snprintf(buf, CELL, "%s [%s]", text, unit);
    else snprintf(buf, CELL, "%s", text);
}

/* Decimals for a metric, the same in every row so that columns line up as in a paper: three
 * significant digits for the smallest configuration mean; fractions one decimal of a percent. -1
 * when the means span so many decades that fixed decimals would print 7+ digits (a diverging
 * setting next to a good one): then each value gets its own significant digits. */
static int metric_decimals(const dc_report *r, int m)
{
    if (r->metrics[m].fraction) return 1;
    double lo = INFINITY, hi = 0;
    for (int i = 0; i < r->n_configs; i++) {
        double v = fabs(r->configs[i].mean[m]);
        if (isfinite(v) && v > 0 && v < lo) lo = v;
        if (isfinite(v) && v > hi) hi = v;
    }
    if (!isfinite(lo)) return 4;
    int d = 2 - (int)floor(log10(lo));
    d = d < 0 ? 0 : d > 8 ? 8 : d;
    return hi * pow(10.0, d) >= 1e6 ? -1 : d;
}

static void format_value(char *buf, const dc_report *r, double v, int m)
{
    int d = metric_decimals(r, m);
    if (!isfinite(v)) snprintf(buf, CELL, "-");
    else if (d < 0) snprintf(buf, CELL, "%.4g", v);
    else snprintf(buf, CELL, "%.*f", d, v * display_scale(r, m));
}

static void format_mean_sd(char *buf, const dc_report *r, double mean, double sd, int m)
{
    int d = metric_decimals(r, m);
    double k = display_scale(r, m);
    if (d < 0 && isfinite(mean)) {  /* four significant digits of this mean, sd to match */
        d = mean == 0 ? 4 : 3 - (int)floor(log10(fabs(mean)));
        /* beyond 8 decimals (a residual of 1e-12 next to one of 0.1): exponent notation */
        if (d > 8) {
            if (!isfinite(sd)) snprintf(buf, CELL, "%.3e", mean * k);
            else snprintf(buf, CELL, "%.3e ± %.1e", mean * k, sd * k);
            return;
        }
        d = d < 0 ? 0 : d;
    }
    if (!isfinite(mean)) snprintf(buf, CELL, "-");
    else if (!isfinite(sd)) snprintf(buf, CELL, "%.*f", d, mean * k);
    else snprintf(buf, CELL, "%.*f ± %.*f", d, mean * k, d, sd * k);
}

static void format_count(char *buf, int n) { snprintf(buf, CELL, "%d", n); }

/* "n/N": what a mean covers (n of the configuration's N runs). */
static void format_of(char *buf, int n, int of) { snprintf(buf, CELL, "%d/%d", n, of); }

/* Which way is better, next to every metric a table shows. */
static const char *arrow_of(const dc_report *r, int m) { return r->metrics[m].higher_is_better ? "↑" : "↓"; }

static const char *direction_words(const dc_report *r, int m)
{
    return r->metrics[m].higher_is_better ? "higher is better" : "lower is better";
}

/* A rate with its interval in percent: "33% [6%, 79%]"; "-" without finished runs. */
static void format_rate(char *buf, const dc_report_rate *rate)
{
    if (!isfinite(rate->rate)) snprintf(buf, CELL, "-");
    else snprintf(buf, CELL, "%.0f%% [%.0f%%, %.0f%%]", 100 * rate->rate, 100 * rate->ci_low,
                  100 * rate->ci_high);
}

static void key_cells(char (*row)[CELL], const dc_report_key *k)
{
    dc_report_key_format_scale(k, row[0], CELL);
    snprintf(row[1], CELL, "%s", dc_extent_name(k->extent));
    snprintf(row[2], CELL, "%s", dc_rescaling_name(k->rescaling));
}

/* ---- sections ---- */

/* Whether the per-configuration tables show metric m: the headline metrics and the fractions
 * (EFwT), with their siblings of the other split (the validation table shows what the test
 * table does); every metric when the file marks none of them. csv and json have them all. */
static int shown(const dc_report *r, int m)
{
    int any = 0;
    for (int k = 0; k < r->n_metrics; k++) {
        const dc_metric_desc *d = &r->metrics[k];
        if (!(d->headline || d->fraction)) continue;
        any = 1;
        if (strcmp(suffix_of(d->name), suffix_of(r->metrics[m].name)) == 0) return 1;
    }
    return !any;
}

/* One split's shown metrics per configuration (split "" = metrics of no split); the first table
 * printed also carries the run counts. */
static int print_configs(FILE *out, const dc_report *r, const char *split, int counts, int markdown,
                         dc_error *err)
{
    int rc = DC_OK;
    dc_rtable t;
    char title[160], heads[DC_MAX_METRICS][CELL];
    int cols_m[DC_MAX_METRICS], n_cols = 0;
    memset(&t, 0, sizeof t);
    for (int m = 0; m < r->n_metrics; m++)
        if (strcmp(split_of(r->metrics[m].name), split) == 0 && shown(r, m)) {
            char text[CELL];
            with_unit(text, label_of(r, m), r, m);
            snprintf(heads[n_cols], CELL, "%.56s %s", text, arrow_of(r, m));
            cols_m[n_cols++] = m;
        }
    if (n_cols == 0) return DC_OK;
    if (*split)
        snprintf(title, sizeof title, "%s split: mean ± sd over done seeds, per configuration",
                 strcmp(split, "test") == 0 ? "Test" : "Validation");
    else
        snprintf(title, sizeof title, "Mean ± sd over done seeds, per configuration");
    int coll = counts && r->collapse_metric >= 0;
    const int lead = counts ? 7 + coll : 4, cols = lead + n_cols;
    DC_TRY(dc_rtable_init(&t, title, cols, r->n_configs, err));
    dc_rtable_note(&t, "done: the seeds each mean covers, of the configuration's runs; "
                   "↓ lower is better, ↑ higher");
    const char *head[MAX_COLS] = {"c", "extent", "rescaling", "done", "div", "fail", "pend", "coll"};
    for (int c = 0; c < n_cols; c++) head[lead + c] = heads[c];
    dc_rtable_set_cells(dc_rtable_row(&t), cols, head);
    for (int c = 3; c < cols; c++) t.right[c] = 1;
    t.right[0] = 1;
    for (int i = 0; i < r->n_configs; i++) {
        const dc_report_config *cfg = &r->configs[i];
        char (*row)[CELL] = dc_rtable_row(&t);
        key_cells(row, &cfg->key);
        int at = 3;
        format_of(row[at++], cfg->n_done, cfg->n_runs);
        if (counts) {
            format_count(row[at++], cfg->n_diverged);
            format_count(row[at++], cfg->n_failed);
            format_count(row[at++], cfg->n_pending);
            if (coll) format_count(row[at++], cfg->n_collapsed);
        }
        for (int c = 0; c < n_cols; c++) {
            int m = cols_m[c];
            format_mean_sd(row[at], r, cfg->mean[m], cfg->sd[m], m);
            /* a done run without this value (NaN): the cell says what its mean covers */
            if (cfg->n_value[m] < cfg->n_done) {
                size_t len = strlen(row[at]);
                snprintf(row[at] + len, CELL - len, " (n=%d)", cfg->n_value[m]);
            }
            at++;
        }
    }
    dc_rtable_print(out, &t, markdown);
cleanup:
    dc_rtable_free(&t);
    return rc;
}

/* Diverged and collapsed runs: outcomes that the means leave out or hide. */
static int print_rates(FILE *out, const dc_report *r, int markdown, dc_error *err)
{
    int rc = DC_OK;
    dc_rtable t;
    char note[LINE];
    int coll = r->collapse_metric >= 0, cols = coll ? 8 : 6;
    DC_TRY(dc_rtable_init(&t, "Diverged and collapsed runs per configuration, of finished (done + diverged) "
                          "runs", cols, r->n_configs, err));
    dc_rtable_note(&t, "rate [Wilson 95% CI]; failed and pending runs never finished and are not counted");
    char rule[LINE - 32], meaning[LINE - 3];
    dc_report_collapse_text(r, rule, sizeof rule, meaning, sizeof meaning);
    if (coll) {
        snprintf(note, sizeof note, "collapsed: done with %s:", rule);
        dc_rtable_note(&t, note);
        snprintf(note, sizeof note, "  %s", meaning);
    } else
        snprintf(note, sizeof note, "collapsed: no rule for this file (no %s column, and no force_rms_test "
                 "in its model_record)", DC_COLLAPSE_METRIC);
    dc_rtable_note(&t, note);
    const char *h[] = {"c", "extent", "rescaling", "finished", "div", "div rate", "coll", "coll rate"};
    dc_rtable_set_cells(dc_rtable_row(&t), cols, h);
    for (int c = 0; c < cols; c++) t.right[c] = c == 0 || c >= 3;
    for (int i = 0; i < r->n_configs; i++) {
        const dc_report_config *cfg = &r->configs[i];
        char (*row)[CELL] = dc_rtable_row(&t);
        key_cells(row, &cfg->key);
        format_count(row[3], cfg->diverged.n);
        format_count(row[4], cfg->n_diverged);
        format_rate(row[5], &cfg->diverged);
        if (coll) {
            format_count(row[6], cfg->n_collapsed);
            format_rate(row[7], &cfg->collapsed);
        }
    }
    dc_rtable_print(out, &t, markdown);
cleanup:
    dc_rtable_free(&t);
    return rc;
}

static int print_effects(FILE *out, const dc_report *r, int markdown, dc_error *err)
{
    int rc = DC_OK;
    dc_rtable t;
    char title[160], head[CELL];
    snprintf(title, sizeof title, "Main effects on %s: mean over configurations of their seed mean",
             r->metrics[r->metric].name);
    char text[CELL];
    with_unit(text, "mean", r, r->metric);
    snprintf(head, sizeof head, "%.56s %s", text, arrow_of(r, r->metric));
    DC_TRY(dc_rtable_init(&t, title, 4, r->n_effects, err));
    const char *h[] = {"factor", "level", "configs", head};
    dc_rtable_set_cells(dc_rtable_row(&t), 4, h);
    t.right[1] = t.right[2] = t.right[3] = 1;
    for (int i = 0; i < r->n_effects; i++) {
        const dc_report_effect *e = &r->effects[i];
        char (*row)[CELL] = dc_rtable_row(&t);
        snprintf(row[0], CELL, "%s", e->factor == DC_FACTOR_IRELU_SCALE ? "c" : dc_factor_name(e->factor));
        if (e->factor == DC_FACTOR_IRELU_SCALE) snprintf(row[1], CELL, "%g", e->level.irelu_scale);
        else if (e->factor == DC_FACTOR_EXTENT) snprintf(row[1], CELL, "%s", dc_extent_name(e->level.extent));
        else snprintf(row[1], CELL, "%s", dc_rescaling_name(e->level.rescaling));
        snprintf(row[2], CELL, "%d/%d", e->n_configs, e->n_configs_total);
        format_value(row[3], r, e->mean, r->metric);
    }
    dc_rtable_print(out, &t, markdown);
cleanup:
    dc_rtable_free(&t);
    return rc;
}

static int print_paired(FILE *out, const dc_report *r, const report_source *src, int markdown,
                        dc_error *err)
{
    int rc = DC_OK;
    dc_rtable t;
    memset(&t, 0, sizeof t);
    if (r->baseline < 0) {
        fprintf(out, "%sPaired comparisons left out: the grid has no configuration "
                     "extent=none,rescaling=power10\n(choose a baseline with --baseline, e.g. "
                     "extent=output,rescaling=standard,c=1).\n\n", markdown ? "### " : "");
        return DC_OK;
    }
    char title[200], note[LINE];
    double k = display_scale(r, r->metric);
    /* Differences are smaller than the means: up to two more decimals for 3 significant digits. */
    int d = metric_decimals(r, r->metric), d_max = d + 2;
    for (int i = 0; i < r->n_paired && d >= 0; i++) {
        double v = fabs(r->paired[i].stats.mean) * k;
        while (isfinite(v) && v > 0 && d < d_max && v * pow(10.0, d) < 100.0) d++;
    }
    snprintf(title, sizeof title, "Paired differences on %s vs baseline %s, over common seeds",
             r->metrics[r->metric].name, src->baseline_spec ? src->baseline_spec : "");
    DC_TRY(dc_rtable_init(&t, title, 9, r->n_paired, err));
    const char *unit = display_unit(r, r->metric);
    snprintf(note, sizeof note, "%s%s%s%s %s; 95%% CI from Student's t; better: seeds where the config wins",
             *unit ? "in " : "", unit, *unit ? ", " : "", arrow_of(r, r->metric), direction_words(r, r->metric));
    dc_rtable_note(&t, note);
    int n_p = 0;
    for (int i = 0; i < r->n_paired; i++) n_p += isfinite(r->paired[i].p_t) != 0;
    snprintf(note, sizeof note, "p: paired t-test; Holm: adjusted over the %d p-values of this table; "
             "sign-flip: exact, n >= %d", n_p, DC_SIGN_FLIP_MIN_N);
    dc_rtable_note(&t, note);
    const char *h[] = {"c", "extent", "rescaling", "better", "config - base", "95% CI", "p", "Holm",
                       "sign-flip"};
    dc_rtable_set_cells(dc_rtable_row(&t), 9, h);
    for (int c = 0; c < 9; c++) t.right[c] = c == 0 || c >= 3;
    for (int i = 0; i < r->n_paired; i++) {
        const dc_report_paired *p = &r->paired[i];
        char (*row)[CELL] = dc_rtable_row(&t);
        key_cells(row, &r->configs[p->config].key);
        if (p->stats.n > 0) format_of(row[3], p->n_better, p->stats.n);
        else snprintf(row[3], CELL, "-");
        if (!isfinite(p->stats.mean)) snprintf(row[4], CELL, "-");
        else if (d < 0) snprintf(row[4], CELL, "%+.4g", p->stats.mean * k);
        else snprintf(row[4], CELL, "%+.*f", d, p->stats.mean * k);
        if (isfinite(p->stats.ci_low) && d < 0)
            snprintf(row[5], CELL, "[%+.3g, %+.3g]", p->stats.ci_low * k, p->stats.ci_high * k);
        else if (isfinite(p->stats.ci_low))
            snprintf(row[5], CELL, "[%+.*f, %+.*f]", d, p->stats.ci_low * k, d, p->stats.ci_high * k);
        else snprintf(row[5], CELL, "-");
        dc_rtable_format_p(row[6], p->p_t);
        dc_rtable_format_p(row[7], p->p_holm);
        dc_rtable_format_p(row[8], p->p_sign_flip);
    }
    const dc_report_config *base = &r->configs[r->baseline];
    if (base->n_diverged || base->n_collapsed) {
        snprintf(note, sizeof note, "the baseline itself has %d diverged and %d collapsed run(s) of %d",
                 base->n_diverged, base->n_collapsed, base->n_runs);
        dc_rtable_footer(&t, note);
    }
    dc_rtable_print(out, &t, markdown);
cleanup:
    dc_rtable_free(&t);
    return rc;
}

static int print_best(FILE *out, const dc_report *r, int markdown, dc_error *err)
{
    int rc = DC_OK;
    dc_rtable t;
    /* "(lowest mean; EFwT: highest)": the labels of the metrics where higher is better, once each */
    char title[256] = "Best configuration per metric (lowest mean";
    size_t len = strlen(title);
    int n_higher = 0;
    for (int m = 0; m < r->n_metrics; m++) {
        if (!r->metrics[m].higher_is_better) continue;
        int seen = 0;
        for (int k = 0; k < m && !seen; k++)
            seen = r->metrics[k].higher_is_better && strcmp(label_of(r, k), label_of(r, m)) == 0;
        if (!seen && len < sizeof title)
            len += (size_t)snprintf(title + len, sizeof title - len, "%s%s", n_higher++ ? ", " : "; ",
                                    label_of(r, m));
    }
    if (len < sizeof title) snprintf(title + len, sizeof title - len, "%s)", n_higher ? ": highest" : "");
    DC_TRY(dc_rtable_init(&t, title, 8, r->n_metrics, err));
    dc_rtable_note(&t, "candidates: configurations with a mean and no diverged or collapsed run (cand: "
                   "of those with a mean)");
    dc_rtable_note(&t, "a best mean that several candidates share names none of them");
    const char *h[] = {"metric", "c", "extent", "rescaling", "done", "mean ± sd", "unit", "cand"};
    dc_rtable_set_cells(dc_rtable_row(&t), 8, h);
    t.right[1] = t.right[4] = t.right[5] = t.right[7] = 1;
    for (int m = 0; m < r->n_metrics; m++) {
        char (*row)[CELL] = dc_rtable_row(&t), line[LINE];
        snprintf(row[0], CELL, "%s %s", r->metrics[m].name, arrow_of(r, m));
        snprintf(row[6], CELL, "%s", display_unit(r, m));
        format_of(row[7], r->best_n_candidates[m], r->best_n_candidates[m] + r->best_n_degenerate[m]);
        int b = r->best[m];
        if (b < 0) {
            for (int c = 1; c < 6; c++) snprintf(row[c], CELL, "-");
            if (r->best_status[m] == DC_BEST_TIE) {
                char v[CELL];
                format_value(v, r, r->best_mean[m], m);
                snprintf(row[5], CELL, "%.50s (tie)", v);
                if (r->best_n_tied[m] == r->best_n_candidates[m])
                    snprintf(line, sizeof line, "%s: every candidate (%d) ties at %s: none is best",
                             r->metrics[m].name, r->best_n_tied[m], v);
                else
                    snprintf(line, sizeof line, "%s: %d of %d candidates tie at %s: none is named",
                             r->metrics[m].name, r->best_n_tied[m], r->best_n_candidates[m], v);
                dc_rtable_footer(&t, line);
            } else if (r->best_status[m] == DC_BEST_NO_CANDIDATE) {
                snprintf(line, sizeof line, "%s: every configuration with a mean has a diverged or "
                         "collapsed run", r->metrics[m].name);
                dc_rtable_footer(&t, line);
            }
            continue;
        }
        const dc_report_config *cfg = &r->configs[b];
        key_cells(row + 1, &cfg->key);
        format_of(row[4], cfg->n_value[m], cfg->n_runs);
        format_mean_sd(row[5], r, cfg->mean[m], cfg->sd[m], m);
    }
    dc_rtable_print(out, &t, markdown);
cleanup:
    dc_rtable_free(&t);
    return rc;
}

/* The units line: a potential's in its dataset's terms; any other family's metrics grouped by unit. */
static void print_units(FILE *out, const dc_report *r, const char *item)
{
    static const char scale_note[] = "c = IReLU scale (- for extent none)";
    if (r->energy_unit[0]) {
        fprintf(out, "%sUnits: energy %s, force %s, EFwT %% of molecules; %s\n\n", item, r->energy_unit,
                r->force_unit, scale_note);
        return;
    }
    char line[1024];
    size_t len = (size_t)snprintf(line, sizeof line, "%sUnits:", item);
    int done[DC_MAX_METRICS] = {0}, groups = 0;
    for (int m = 0; m < r->n_metrics; m++) {
        if (done[m]) continue;
        const char *unit = display_unit(r, m);
        for (int k = m, first = 1; k < r->n_metrics && len < sizeof line; k++) {
            if (done[k] || strcmp(display_unit(r, k), unit) != 0) continue;
            done[k] = 1;
            len += (size_t)snprintf(line + len, sizeof line - len, "%s%s",
                                    first ? (groups ? "; " : " ") : ", ", r->metrics[k].name);
            first = 0;
        }
        if (len < sizeof line)
            len += (size_t)snprintf(line + len, sizeof line - len, " %s%s", *unit ? "in " : "dimensionless",
                                    unit);
        groups++;
    }
    /* the scale's note on the same line when the line still fits the terminal */
    if (len + 2 + strlen(scale_note) <= TERMINAL_COLUMNS) fprintf(out, "%s; %s\n\n", line, scale_note);
    else fprintf(out, "%s\n%s%s\n\n", line, item, scale_note);
}

int dc_report_print_tables(FILE *out, const dc_report *r, const report_source *src, int markdown,
                           dc_error *err)
{
    int rc = DC_OK;
    const char *item = markdown ? "- " : "";
    if (markdown) fprintf(out, "## Sweep %s\n\n", r->sweep_name[0] ? r->sweep_name : src->path);
    fprintf(out, "%sResults: %s (sweep %s, %d epoch%s)\n", item, src->path,
            r->sweep_name[0] ? r->sweep_name : "?", r->epochs, r->epochs == 1 ? "" : "s");
    fprintf(out, "%sRuns: %d: %d done, %d diverged, %d failed, %d pending (only done runs are averaged)\n",
            item, r->n_runs, r->n_done, r->n_diverged, r->n_failed, r->n_pending);
    print_units(out, r, item);
    /* test first, then validation, then the metrics of no split (a PDE's) */
    static const char *const splits[3] = {"test", "val", ""};
    int printed = 0;
    for (int i = 0; i < 3; i++) {
        int has = 0;
        for (int m = 0; m < r->n_metrics && !has; m++)
            has = strcmp(split_of(r->metrics[m].name), splits[i]) == 0 && shown(r, m);
        if (!has) continue;
        DC_TRY(print_configs(out, r, splits[i], !printed, markdown, err));
        printed = 1;
    }
    DC_TRY(print_rates(out, r, markdown, err));
    DC_TRY(print_effects(out, r, markdown, err));
    DC_TRY(dc_report_print_factorial(out, r, markdown, err));
    DC_TRY(print_paired(out, r, src, markdown, err));
    DC_TRY(print_best(out, r, markdown, err));
    DC_TRY(dc_report_print_p_best(out, r, markdown, err));
cleanup:
    return rc;
}
