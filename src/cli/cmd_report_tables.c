/* `dcsweep report` as aligned text (a 100-column terminal) or markdown pipe tables (a paper draft).
 *
 * Both formats render the same cells, so what a user reads in the terminal is what lands in the
 * draft. Numbers have a fixed number of decimals per metric (three significant digits for the
 * smallest mean), so that columns line up; EFwT is in percent. Units are in the column headers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_report.h"
#include "dcsweep/config/config.h"

#define MAX_COLS 10
#define CELL 64
#define TERMINAL_COLUMNS 100

typedef struct table {
    const char *title;
    int cols, rows, cap;        /* rows includes the header (row 0) */
    char (*cells)[MAX_COLS][CELL];
    int right[MAX_COLS];        /* numbers align right */
    char overflow[MAX_COLS][CELL];  /* rows past cap land here (a bug), never out of bounds */
} table;

static int table_init(table *t, const char *title, int cols, int max_rows, dc_error *err)
{
    memset(t, 0, sizeof *t);
    t->title = title;
    t->cols = cols;
    t->cap = max_rows + 1;
    t->cells = dc_calloc((size_t)t->cap, sizeof *t->cells, err);
    return t->cells ? DC_OK : DC_ERR_NOMEM;
}

static void table_free(table *t) { free(t->cells); }

/* The next row's cells (the first call gives the header). */
static char (*table_row(table *t))[CELL]
{
    return t->rows < t->cap ? t->cells[t->rows++] : t->overflow;
}

/* Display width of UTF-8 text: "±" is two bytes and one column. */
static int text_width(const char *s)
{
    int w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void pad(FILE *out, int n)
{
    for (int i = 0; i < n; i++) fputc(' ', out);
}

static void table_print_text(FILE *out, const table *t)
{
    int width[MAX_COLS] = {0}, total = 0;
    for (int c = 0; c < t->cols; c++) {
        for (int r = 0; r < t->rows; r++) {
            int w = text_width(t->cells[r][c]);
            if (w > width[c]) width[c] = w;
        }
        total += width[c];
    }
    /* Two spaces between columns read best; one when that is what fits the terminal. */
    int gap = total + 2 * (t->cols - 1) <= TERMINAL_COLUMNS ? 2 : 1;
    fprintf(out, "%s\n", t->title);
    for (int r = 0; r < t->rows; r++) {
        for (int c = 0; c < t->cols; c++) {
            const char *s = t->cells[r][c];
            int fill = width[c] - text_width(s);
            if (c) pad(out, gap);
            if (t->right[c]) pad(out, fill);
            fputs(s, out);
            if (!t->right[c] && c + 1 < t->cols) pad(out, fill);
        }
        fputc('\n', out);
        if (r == 0) {
            for (int c = 0; c < t->cols; c++) {
                if (c) pad(out, gap);
                for (int i = 0; i < width[c]; i++) fputc('-', out);
            }
            fputc('\n', out);
        }
    }
    fputc('\n', out);
}

static void table_print_markdown(FILE *out, const table *t)
{
    fprintf(out, "### %s\n\n", t->title);
    for (int r = 0; r < t->rows; r++) {
        for (int c = 0; c < t->cols; c++) fprintf(out, "| %s ", t->cells[r][c]);
        fputs("|\n", out);
        if (r == 0) {
            for (int c = 0; c < t->cols; c++) fputs(t->right[c] ? "|---:" : "|---", out);
            fputs("|\n", out);
        }
    }
    fputc('\n', out);
}

static void table_print(FILE *out, const table *t, int markdown)
{
    if (markdown) table_print_markdown(out, t);
    else table_print_text(out, t);
}

/* ---- cells ---- */

static void set_cells(char (*row)[CELL], int n, const char *const *values)
{
    for (int i = 0; i < n; i++) snprintf(row[i], CELL, "%s", values[i]);
}

/* EFwT reads as a percentage; errors stay in the dataset's units. */
static double display_scale(dc_metric m) { return dc_metric_kind_of(m) == DC_METRIC_FRACTION ? 100.0 : 1.0; }

static const char *display_unit(const dc_report *r, dc_metric m)
{
    switch (dc_metric_kind_of(m)) {
    case DC_METRIC_ENERGY: return r->energy_unit;
    case DC_METRIC_FORCE: return r->force_unit;
    default: return "%";
    }
}

/* Decimals for a metric, the same in every row so that columns line up as in a paper: three
 * significant digits for the smallest configuration mean; EFwT one decimal of a percent. -1 when
 * the means span so many decades that fixed decimals would print 7+ digits (a diverging setting
 * next to a good one): then each value gets its own significant digits. */
static int metric_decimals(const dc_report *r, dc_metric m)
{
    if (dc_metric_kind_of(m) == DC_METRIC_FRACTION) return 1;
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

static void format_value(char *buf, const dc_report *r, double v, dc_metric m)
{
    int d = metric_decimals(r, m);
    if (!isfinite(v)) snprintf(buf, CELL, "-");
    else if (d < 0) snprintf(buf, CELL, "%.4g", v);
    else snprintf(buf, CELL, "%.*f", d, v * display_scale(m));
}

static void format_mean_sd(char *buf, const dc_report *r, double mean, double sd, dc_metric m)
{
    int d = metric_decimals(r, m);
    double k = display_scale(m);
    if (d < 0 && isfinite(mean)) {  /* four significant digits of this mean, sd to match */
        d = mean == 0 ? 4 : 3 - (int)floor(log10(fabs(mean)));
        d = d < 0 ? 0 : d > 8 ? 8 : d;
    }
    if (!isfinite(mean)) snprintf(buf, CELL, "-");
    else if (!isfinite(sd)) snprintf(buf, CELL, "%.*f", d, mean * k);
    else snprintf(buf, CELL, "%.*f ± %.*f", d, mean * k, d, sd * k);
}

static void format_count(char *buf, int n) { snprintf(buf, CELL, "%d", n); }

static void key_cells(char (*row)[CELL], const dc_report_key *k)
{
    dc_report_key_format_scale(k, row[0], CELL);
    snprintf(row[1], CELL, "%s", dc_extent_name(k->extent));
    snprintf(row[2], CELL, "%s", dc_rescaling_name(k->rescaling));
}

/* ---- sections ---- */

/* One split's metrics per configuration; the test table also carries the run counts. */
static int print_configs(FILE *out, const dc_report *r, int test, int markdown, dc_error *err)
{
    int rc = DC_OK;
    table t;
    char title[160], e_head[CELL], f_head[CELL];
    snprintf(title, sizeof title, "%s split: mean ± sd over done seeds, per configuration",
             test ? "Test" : "Validation");
    snprintf(e_head, CELL, "E MAE [%s]", r->energy_unit);
    snprintf(f_head, CELL, "F MAE [%s]", r->force_unit);
    dc_metric me = test ? DC_METRIC_TEST_ENERGY_MAE : DC_METRIC_VAL_ENERGY_MAE;
    dc_metric mf = test ? DC_METRIC_TEST_FORCE_MAE : DC_METRIC_VAL_FORCE_MAE;
    dc_metric mw = test ? DC_METRIC_TEST_EFWT : DC_METRIC_VAL_EFWT;
    int cols = test ? 10 : 7;
    DC_TRY(table_init(&t, title, cols, r->n_configs, err));
    if (test) {
        const char *head[] = {"c", "extent", "rescaling", "done", "div", "fail", "pend", e_head, f_head, "EFwT [%]"};
        set_cells(table_row(&t), cols, head);
    } else {
        const char *head[] = {"c", "extent", "rescaling", "done", e_head, f_head, "EFwT [%]"};
        set_cells(table_row(&t), cols, head);
    }
    for (int c = 3; c < cols; c++) t.right[c] = 1;
    t.right[0] = 1;
    for (int i = 0; i < r->n_configs; i++) {
        const dc_report_config *cfg = &r->configs[i];
        char (*row)[CELL] = table_row(&t);
        key_cells(row, &cfg->key);
        int at = 3;
        format_count(row[at++], cfg->n_done);
        if (test) {
            format_count(row[at++], cfg->n_diverged);
            format_count(row[at++], cfg->n_failed);
            format_count(row[at++], cfg->n_pending);
        }
        format_mean_sd(row[at++], r, cfg->mean[me], cfg->sd[me], me);
        format_mean_sd(row[at++], r, cfg->mean[mf], cfg->sd[mf], mf);
        format_mean_sd(row[at++], r, cfg->mean[mw], cfg->sd[mw], mw);
    }
    table_print(out, &t, markdown);
cleanup:
    table_free(&t);
    return rc;
}

static int print_effects(FILE *out, const dc_report *r, int markdown, dc_error *err)
{
    int rc = DC_OK;
    table t;
    char title[160], head[CELL];
    snprintf(title, sizeof title, "Main effects on %s: mean over configurations of their seed mean",
             dc_metric_name(r->metric));
    snprintf(head, CELL, "mean [%s]", display_unit(r, r->metric));
    DC_TRY(table_init(&t, title, 4, r->n_effects, err));
    const char *h[] = {"factor", "level", "configs", head};
    set_cells(table_row(&t), 4, h);
    t.right[1] = t.right[2] = t.right[3] = 1;
    for (int i = 0; i < r->n_effects; i++) {
        const dc_report_effect *e = &r->effects[i];
        char (*row)[CELL] = table_row(&t);
        snprintf(row[0], CELL, "%s", e->factor == DC_FACTOR_IRELU_SCALE ? "c" : dc_factor_name(e->factor));
        if (e->factor == DC_FACTOR_IRELU_SCALE) snprintf(row[1], CELL, "%g", e->level.irelu_scale);
        else if (e->factor == DC_FACTOR_EXTENT) snprintf(row[1], CELL, "%s", dc_extent_name(e->level.extent));
        else snprintf(row[1], CELL, "%s", dc_rescaling_name(e->level.rescaling));
        snprintf(row[2], CELL, "%d/%d", e->n_configs, e->n_configs_total);
        format_value(row[3], r, e->mean, r->metric);
    }
    table_print(out, &t, markdown);
cleanup:
    table_free(&t);
    return rc;
}

static int print_paired(FILE *out, const dc_report *r, const report_source *src, int markdown,
                        dc_error *err)
{
    int rc = DC_OK;
    table t;
    memset(&t, 0, sizeof t);
    if (r->baseline < 0) {
        fprintf(out, "%sPaired comparisons left out: the grid has no configuration "
                     "extent=none,rescaling=power10\n(choose a baseline with --baseline, e.g. "
                     "extent=output,rescaling=standard,c=1).\n\n", markdown ? "### " : "");
        return DC_OK;
    }
    char title[200], d_head[CELL], ci_head[CELL];
    const char *unit = display_unit(r, r->metric);
    double k = display_scale(r->metric);
    /* Differences are smaller than the means: up to two more decimals for 3 significant digits. */
    int d = metric_decimals(r, r->metric), d_max = d + 2;
    for (int i = 0; i < r->n_paired && d >= 0; i++) {
        double v = fabs(r->paired[i].stats.mean) * k;
        while (isfinite(v) && v > 0 && d < d_max && v * pow(10.0, d) < 100.0) d++;
    }
    snprintf(title, sizeof title, "Paired differences on %s vs baseline %s, over common seeds",
             dc_metric_name(r->metric), src->baseline_spec ? src->baseline_spec : "");
    snprintf(d_head, CELL, "config - base [%s]", unit);
    snprintf(ci_head, CELL, "95%% CI [%s]", unit);
    DC_TRY(table_init(&t, title, 7, r->n_paired, err));
    const char *h[] = {"c", "extent", "rescaling", "seeds", d_head, ci_head, "CI excludes 0"};
    set_cells(table_row(&t), 7, h);
    t.right[0] = t.right[3] = t.right[4] = t.right[5] = 1;
    for (int i = 0; i < r->n_paired; i++) {
        const dc_report_paired *p = &r->paired[i];
        char (*row)[CELL] = table_row(&t);
        key_cells(row, &r->configs[p->config].key);
        format_count(row[3], p->stats.n);
        if (!isfinite(p->stats.mean)) snprintf(row[4], CELL, "-");
        else if (d < 0) snprintf(row[4], CELL, "%+.4g", p->stats.mean * k);
        else snprintf(row[4], CELL, "%+.*f", d, p->stats.mean * k);
        if (isfinite(p->stats.ci_low) && d < 0)
            snprintf(row[5], CELL, "[%+.3g, %+.3g]", p->stats.ci_low * k, p->stats.ci_high * k);
        else if (isfinite(p->stats.ci_low))
            snprintf(row[5], CELL, "[%+.*f, %+.*f]", d, p->stats.ci_low * k, d, p->stats.ci_high * k);
        else snprintf(row[5], CELL, "-");
        /* Say which way: for errors lower is better, for EFwT higher. */
        int better = dc_metric_higher_is_better(r->metric) ? p->stats.mean > 0 : p->stats.mean < 0;
        snprintf(row[6], CELL, "%s", p->stats.n < 2 ? "- (n < 2)"
                                     : p->stats.excludes_zero ? (better ? "yes (better)" : "yes (worse)")
                                                              : "no");
    }
    table_print(out, &t, markdown);
cleanup:
    table_free(&t);
    return rc;
}

static int print_best(FILE *out, const dc_report *r, int markdown, dc_error *err)
{
    int rc = DC_OK;
    table t;
    DC_TRY(table_init(&t, "Best configuration per metric (lowest mean; EFwT: highest)", 7, DC_N_METRICS, err));
    const char *h[] = {"metric", "c", "extent", "rescaling", "done", "mean ± sd", "unit"};
    set_cells(table_row(&t), 7, h);
    t.right[1] = t.right[4] = t.right[5] = 1;
    for (int m = 0; m < DC_N_METRICS; m++) {
        char (*row)[CELL] = table_row(&t);
        snprintf(row[0], CELL, "%s", dc_metric_name((dc_metric)m));
        snprintf(row[6], CELL, "%s", display_unit(r, (dc_metric)m));
        int b = r->best[m];
        if (b < 0) {
            for (int c = 1; c < 6; c++) snprintf(row[c], CELL, "-");
            continue;
        }
        const dc_report_config *cfg = &r->configs[b];
        key_cells(row + 1, &cfg->key);
        format_count(row[4], cfg->n_done);
        format_mean_sd(row[5], r, cfg->mean[m], cfg->sd[m], (dc_metric)m);
    }
    table_print(out, &t, markdown);
cleanup:
    table_free(&t);
    return rc;
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
    fprintf(out, "%sUnits: energy %s, force %s, EFwT %% of molecules; c = IReLU scale (- for extent none)\n\n",
            item, r->energy_unit, r->force_unit);
    DC_TRY(print_configs(out, r, 1, markdown, err));
    DC_TRY(print_configs(out, r, 0, markdown, err));
    DC_TRY(print_effects(out, r, markdown, err));
    DC_TRY(print_paired(out, r, src, markdown, err));
    DC_TRY(print_best(out, r, markdown, err));
cleanup:
    return rc;
}
