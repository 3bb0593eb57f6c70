/* `dcsweep report A.h5 B.h5 ...`: each task's report under a heading naming it, then the aggregate
 * across tasks (include/dcsweep/report/report_multi.h), in every format.
 *
 * A task's own report is exactly what `dcsweep report` of that file alone prints: text and
 * markdown put it under a heading, JSON nests its object in "tasks", and CSV prefixes its rows
 * with the task's number and file and appends the aggregate's columns, empty. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_report.h"
#include "cmd_report_table.h"
#include "dcsweep/config/config.h"
#include "dcsweep/core/json_out.h"

/* The aggregate's columns after the single-file CSV's. */
static const char multi_csv_extra[] = "n_tasks,complete,iqm,iqm_ci_low,iqm_ci_high,n_resamples,baseline_mean";
#define MULTI_CSV_EXTRA 7
#define MAX_CSV_COLS 64

static const char *family_of(const dc_report *r) { return r->model_kind[0] ? r->model_kind : "?"; }
static const char *sweep_of(const dc_report *r) { return r->sweep_name[0] ? r->sweep_name : "?"; }

/* The metric's name when every task has the same one, else "mixed" (each task's is in its row). */
static const char *metric_label(const dc_report_multi *mu)
{
    const char *first = mu->tasks[0]->metrics[mu->tasks[0]->metric].name;
    for (int t = 1; t < mu->n_tasks; t++)
        if (strcmp(mu->tasks[t]->metrics[mu->tasks[t]->metric].name, first) != 0) return "per-task metric";
    return first;
}

/* A ratio to the baseline: three decimals, or four significant digits when large. */
static void format_ratio(char *buf, double v)
{
    if (!isfinite(v)) snprintf(buf, CELL, "-");
    else if (fabs(v) >= 1e4) snprintf(buf, CELL, "%.4g", v);
    else snprintf(buf, CELL, "%.3f", v);
}

static void format_interval(char *buf, double lo, double hi)
{
    char a[CELL], b[CELL];
    format_ratio(a, lo);
    format_ratio(b, hi);
    if (!isfinite(lo)) snprintf(buf, CELL, "-");
    else snprintf(buf, CELL, "[%.28s, %.28s]", a, b);
}

/* ---- text and markdown ---- */

static int print_normalisation(FILE *out, const dc_report_multi *mu, const report_source *srcs, int markdown,
                               dc_error *err)
{
    int rc = DC_OK;
    dc_rtable t;
    DC_TRY(dc_rtable_init(&t, "Normalisation: each task's metric divided by its baseline's mean (1 = the baseline)",
                          7, mu->n_tasks, err));
    const char *h[] = {"task", "file", "sweep", "family", "metric", "baseline mean", "seeds"};
    dc_rtable_set_cells(dc_rtable_row(&t), 7, h);
    t.right[0] = t.right[5] = t.right[6] = 1;
    for (int i = 0; i < mu->n_tasks; i++) {
        const dc_report *r = mu->tasks[i];
        char (*row)[CELL] = dc_rtable_row(&t);
        snprintf(row[0], CELL, "%d", i + 1);
        const char *p = srcs[i].path;
        size_t len = strlen(p);
        snprintf(row[1], CELL, "%s%s", len > 40 ? "..." : "", len > 40 ? p + len - 40 : p);
        snprintf(row[2], CELL, "%.60s", sweep_of(r));
        snprintf(row[3], CELL, "%.60s", family_of(r));
        snprintf(row[4], CELL, "%.60s", r->metrics[r->metric].name);
        snprintf(row[5], CELL, "%.6g", mu->baseline_mean[i]);
        snprintf(row[6], CELL, "%d", mu->n_seeds[i]);
    }
    char note[LINE];
    snprintf(note, sizeof note, "baseline: %s", srcs[0].baseline_spec ? srcs[0].baseline_spec : "");
    dc_rtable_note(&t, note);
    /* a divisor from degenerate runs makes every ratio of that task one to a failure */
    for (int i = 0; i < mu->n_tasks; i++) {
        const dc_report_config *base = &mu->tasks[i]->configs[mu->tasks[i]->baseline];
        if (!base->n_diverged && !base->n_collapsed) continue;
        snprintf(note, sizeof note, "task %d's baseline has %d diverged and %d collapsed run(s) of %d: its "
                 "ratios are to a degenerate baseline", i + 1, base->n_diverged, base->n_collapsed, base->n_runs);
        dc_rtable_footer(&t, note);
    }
    dc_rtable_print(out, &t, markdown);
cleanup:
    dc_rtable_free(&t);
    return rc;
}

static int print_aggregate(FILE *out, const dc_report_multi *mu, int markdown, dc_error *err)
{
    int rc = DC_OK;
    dc_rtable t;
    char title[200], note[LINE];
    snprintf(title, sizeof title, "Aggregate over %d tasks: %s / the task's baseline mean, pooled over "
             "the tasks' seeds", mu->n_tasks, metric_label(mu));
    DC_TRY(dc_rtable_init(&t, title, 9, mu->n_configs, err));
    snprintf(note, sizeof note, "%s %s is better; 1 = each task's baseline; IQM: mean of the middle 50%% "
             "(rliable's)", mu->higher_is_better ? "↑" : "↓", mu->higher_is_better ? "higher" : "lower");
    dc_rtable_note(&t, note);
    snprintf(note, sizeof note, "95%% CI: percentile of %d stratified bootstrap resamples (seeds resampled "
             "within each task; seeded)", DC_BOOTSTRAP_RESAMPLES);
    dc_rtable_note(&t, note);
    dc_rtable_note(&t, "tasks: those with a done seed of the configuration; n: the pooled values");
    const char *h[] = {"c", "extent", "rescaling", "tasks", "n", "mean", "95% CI", "IQM", "95% CI"};
    dc_rtable_set_cells(dc_rtable_row(&t), 9, h);
    for (int c = 0; c < 9; c++) t.right[c] = c == 0 || c >= 3;
    int n_partial = 0;
    for (int a = 0; a < mu->n_configs; a++) {
        const dc_report_aggregate *g = &mu->configs[a];
        char (*row)[CELL] = dc_rtable_row(&t);
        dc_report_key_format_scale(&g->key, row[0], CELL);
        snprintf(row[1], CELL, "%s", dc_extent_name(g->key.extent));
        snprintf(row[2], CELL, "%s", dc_rescaling_name(g->key.rescaling));
        snprintf(row[3], CELL, "%d/%d%s", g->n_tasks, mu->n_tasks, g->n_tasks < mu->n_tasks ? "*" : "");
        n_partial += g->n_tasks < mu->n_tasks;
        snprintf(row[4], CELL, "%d", g->n_values);
        format_ratio(row[5], g->mean);
        format_interval(row[6], g->mean_ci_low, g->mean_ci_high);
        format_ratio(row[7], g->iqm);
        format_interval(row[8], g->iqm_ci_low, g->iqm_ci_high);
    }
    if (n_partial) {
        snprintf(note, sizeof note, "*: %d configuration(s) without a done seed in some task: aggregated over "
                 "the tasks that have one, not comparable with the others", n_partial);
        dc_rtable_footer(&t, note);
    }
    dc_rtable_print(out, &t, markdown);
cleanup:
    dc_rtable_free(&t);
    return rc;
}

static int print_multi_tables(FILE *out, const dc_report_multi *mu, const report_source *srcs, int markdown,
                              dc_error *err)
{
    int rc = DC_OK;
    for (int i = 0; i < mu->n_tasks; i++) {
        const dc_report *r = mu->tasks[i];
        if (markdown)
            fprintf(out, "# Task %d of %d: %s (sweep %s, family %s)\n\n", i + 1, mu->n_tasks, srcs[i].path,
                    sweep_of(r), family_of(r));
        else
            fprintf(out, "==== Task %d of %d: %s (sweep %s, family %s) ====\n\n", i + 1, mu->n_tasks,
                    srcs[i].path, sweep_of(r), family_of(r));
        DC_TRY(dc_report_print_tables(out, r, &srcs[i], markdown, err));
    }
    if (markdown) fprintf(out, "# Aggregate over %d tasks\n\n", mu->n_tasks);
    else fprintf(out, "==== Aggregate over %d tasks ====\n\n", mu->n_tasks);
    DC_TRY(print_normalisation(out, mu, srcs, markdown, err));
    DC_TRY(print_aggregate(out, mu, markdown, err));
cleanup:
    return rc;
}

/* ---- CSV ---- */

/* The header's column names (split in place at the commas of line); returns how many. */
static int split_header(char *line, char **names)
{
    int n = 0;
    for (char *p = line; n < MAX_CSV_COLS; p++) {
        names[n++] = p;
        p = strchr(p, ',');
        if (!p) break;
        *p = '\0';
    }
    return n;
}

/* A path may hold a comma or a quote: quoted, quotes doubled. */
static void csv_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* A row of cells by column name (NULL: empty), after the task and file columns. */
static void csv_row(FILE *out, const char *task, const char *path, int n, const char *const *cells)
{
    fprintf(out, "%s,", task);
    csv_quoted(out, path);
    for (int c = 0; c < n; c++) fprintf(out, ",%s", cells[c] ? cells[c] : "");
    fputc('\n', out);
}

static int column(char *const *names, int n, const char *name)
{
    for (int c = 0; c < n; c++)
        if (strcmp(names[c], name) == 0) return c;
    return -1;
}

/* Sets the cell of column name to a number (empty when missing) in buf [n][40]. */
static void set_num(char (*buf)[40], const char **cells, char *const *names, int n, const char *name, double v)
{
    int c = column(names, n, name);
    if (c < 0) return;
    dc_json_double(buf[c], sizeof buf[c], v);
    cells[c] = buf[c];
}

static void set_int(char (*buf)[40], const char **cells, char *const *names, int n, const char *name, int v)
{
    int c = column(names, n, name);
    if (c < 0) return;
    snprintf(buf[c], sizeof buf[c], "%d", v);
    cells[c] = buf[c];
}

static void set_text(const char **cells, char *const *names, int n, const char *name, const char *v)
{
    int c = column(names, n, name);
    if (c >= 0) cells[c] = v;
}

static int print_multi_csv(FILE *out, const dc_report_multi *mu, const report_source *srcs, dc_error *err)
{
    int rc = DC_OK;
    char *text = NULL, *header = NULL;
    size_t size = 0;
    char *names[MAX_CSV_COLS], nums[MAX_CSV_COLS][40];
    const char *cells[MAX_CSV_COLS];
    int n_cols = 0;
    for (int i = 0; i < mu->n_tasks; i++) {
        FILE *mem = open_memstream(&text, &size);
        if (!mem) DC_FAIL(DC_ERR_NOMEM, "report: out of memory");
        dc_report_print_csv(mem, mu->tasks[i], &srcs[i]);
        fclose(mem);
        char *rest = strchr(text, '\n');
        if (!rest) DC_FAIL(DC_ERR_INTERNAL, "report: a task's CSV has no header");
        *rest++ = '\0';
        if (i == 0) {
            size_t len = strlen(text);
            DC_ALLOC(header, len + sizeof multi_csv_extra + 2);
            snprintf(header, len + sizeof multi_csv_extra + 2, "%s,%s", text, multi_csv_extra);
            fprintf(out, "task,file,%s\n", header);
            n_cols = split_header(header, names);
        }
        char task[16];
        snprintf(task, sizeof task, "%d", i + 1);
        for (char *line = rest, *end; *line; line = end + 1) {
            end = strchr(line, '\n');
            if (!end) break;
            *end = '\0';
            fprintf(out, "%s,", task);
            csv_quoted(out, srcs[i].path);
            fprintf(out, ",%s%.*s\n", line, MULTI_CSV_EXTRA, ",,,,,,,,,,");
        }
        free(text);
        text = NULL;
    }
    /* the normalisation: one row per task (n: its seeds; mean and baseline_mean: the divisor) */
    for (int i = 0; i < mu->n_tasks; i++) {
        const dc_report *r = mu->tasks[i];
        const dc_report_config *base = &r->configs[r->baseline];
        char task[16], scale[40];
        snprintf(task, sizeof task, "%d", i + 1);
        for (int c = 0; c < n_cols; c++) cells[c] = NULL;
        set_text(cells, names, n_cols, "section", "normalisation");
        set_text(cells, names, n_cols, "metric", r->metrics[r->metric].name);
        set_text(cells, names, n_cols, "unit", "\"ratio\"");
        dc_json_double(scale, sizeof scale, base->key.irelu_scale);
        set_text(cells, names, n_cols, "irelu_scale", scale);
        set_text(cells, names, n_cols, "extent", dc_extent_name(base->key.extent));
        set_text(cells, names, n_cols, "rescaling", dc_rescaling_name(base->key.rescaling));
        set_int(nums, cells, names, n_cols, "n", mu->n_seeds[i]);
        set_num(nums, cells, names, n_cols, "mean", 1.0);
        set_num(nums, cells, names, n_cols, "baseline_mean", mu->baseline_mean[i]);
        set_text(cells, names, n_cols, "direction", r->metrics[r->metric].higher_is_better ? "higher" : "lower");
        csv_row(out, task, srcs[i].path, n_cols, cells);
    }
    for (int a = 0; a < mu->n_configs; a++) {
        const dc_report_aggregate *g = &mu->configs[a];
        char scale[40];
        for (int c = 0; c < n_cols; c++) cells[c] = NULL;
        set_text(cells, names, n_cols, "section", "aggregate");
        set_text(cells, names, n_cols, "metric", metric_label(mu));
        set_text(cells, names, n_cols, "unit", "\"ratio\"");
        dc_json_double(scale, sizeof scale, g->key.irelu_scale);
        set_text(cells, names, n_cols, "irelu_scale", scale);
        set_text(cells, names, n_cols, "extent", dc_extent_name(g->key.extent));
        set_text(cells, names, n_cols, "rescaling", dc_rescaling_name(g->key.rescaling));
        set_int(nums, cells, names, n_cols, "n", g->n_values);
        set_num(nums, cells, names, n_cols, "mean", g->mean);
        set_num(nums, cells, names, n_cols, "ci_low", g->mean_ci_low);
        set_num(nums, cells, names, n_cols, "ci_high", g->mean_ci_high);
        set_text(cells, names, n_cols, "direction", mu->higher_is_better ? "higher" : "lower");
        set_int(nums, cells, names, n_cols, "n_tasks", g->n_tasks);
        set_text(cells, names, n_cols, "complete", g->n_tasks == mu->n_tasks ? "true" : "false");
        set_num(nums, cells, names, n_cols, "iqm", g->iqm);
        set_num(nums, cells, names, n_cols, "iqm_ci_low", g->iqm_ci_low);
        set_num(nums, cells, names, n_cols, "iqm_ci_high", g->iqm_ci_high);
        set_int(nums, cells, names, n_cols, "n_resamples", g->n_resamples);
        csv_row(out, "", "", n_cols, cells);
    }
cleanup:
    free(text);
    free(header);
    return rc;
}

/* ---- JSON ---- */

static void json_num(FILE *out, const char *key, double v)
{
    char buf[40];
    dc_json_double(buf, sizeof buf, v);
    fprintf(out, "%s%s", key, buf[0] ? buf : "null");
}

static void print_multi_json(FILE *out, const dc_report_multi *mu, const report_source *srcs)
{
    fputs("{\"tasks\": [\n", out);
    for (int i = 0; i < mu->n_tasks; i++) {
        if (i) fputs(",\n", out);
        dc_report_print_json(out, mu->tasks[i], &srcs[i]);
    }
    fprintf(out, "],\n \"aggregate\": {\"metric\": ");
    dc_json_string(out, metric_label(mu));
    fprintf(out, ", \"direction\": \"%s\", \"n_tasks\": %d, \"normalisation\": \"value / the task's baseline "
                 "mean\", \"iqm\": \"scipy.stats.trim_mean(pooled, 0.25)\", \"interval\": \"percentile 2.5, "
                 "97.5 (numpy linear)\", \"bootstrap\": \"stratified: seeds resampled within each task\", "
                 "\"resamples\": %d, \"seed\": %u, \"baseline\": ",
            mu->higher_is_better ? "higher" : "lower", mu->n_tasks, DC_BOOTSTRAP_RESAMPLES,
            (unsigned)DC_BOOTSTRAP_SEED);
    dc_json_string(out, srcs[0].baseline_spec ? srcs[0].baseline_spec : "");
    fputs(",\n  \"tasks\": [", out);
    for (int i = 0; i < mu->n_tasks; i++) {
        const dc_report *r = mu->tasks[i];
        fputs(i ? ",\n   {\"file\": " : "\n   {\"file\": ", out);
        dc_json_string(out, srcs[i].path);
        fputs(", \"sweep_name\": ", out);
        dc_json_string(out, r->sweep_name);
        fputs(", \"model_kind\": ", out);
        dc_json_string(out, r->model_kind);
        fprintf(out, ", \"metric\": \"%s\", \"n_seeds\": %d", r->metrics[r->metric].name, mu->n_seeds[i]);
        json_num(out, ", \"baseline_mean\": ", mu->baseline_mean[i]);
        const dc_report_config *base = &r->configs[r->baseline];
        fprintf(out, ", \"baseline_n_done\": %d, \"baseline_n_diverged\": %d, \"baseline_n_collapsed\": %d}",
                base->n_done, base->n_diverged, base->n_collapsed);
    }
    fputs("],\n  \"configurations\": [", out);
    for (int a = 0; a < mu->n_configs; a++) {
        const dc_report_aggregate *g = &mu->configs[a];
        fputs(a ? ",\n   {" : "\n   {", out);
        json_num(out, "\"irelu_scale\": ", g->key.irelu_scale);
        fprintf(out, ", \"extent\": \"%s\", \"rescaling\": \"%s\", \"n_tasks\": %d, \"complete\": %s, "
                     "\"n_values\": %d, \"n_resamples\": %d",
                dc_extent_name(g->key.extent), dc_rescaling_name(g->key.rescaling), g->n_tasks,
                g->n_tasks == mu->n_tasks ? "true" : "false", g->n_values, g->n_resamples);
        json_num(out, ", \"mean\": ", g->mean);
        json_num(out, ", \"mean_ci_low\": ", g->mean_ci_low);
        json_num(out, ", \"mean_ci_high\": ", g->mean_ci_high);
        json_num(out, ", \"iqm\": ", g->iqm);
        json_num(out, ", \"iqm_ci_low\": ", g->iqm_ci_low);
        json_num(out, ", \"iqm_ci_high\": ", g->iqm_ci_high);
        fputc('}', out);
    }
    fputs("]}}\n", out);
}

int dc_report_print_multi(FILE *out, const char *format, const dc_report_multi *mu, const report_source *srcs,
                          dc_error *err)
{
    if (strcmp(format, "json") == 0) {
        print_multi_json(out, mu, srcs);
        return DC_OK;
    }
    if (strcmp(format, "csv") == 0) return print_multi_csv(out, mu, srcs, err);
    return print_multi_tables(out, mu, srcs, strcmp(format, "markdown") == 0, err);
}
