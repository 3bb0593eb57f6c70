/* The output formats of `dcsweep report` (not a public interface): the command parses its options
 * and computes a dc_report; these functions print it. */
#ifndef DCSWEEP_CMD_REPORT_H
#define DCSWEEP_CMD_REPORT_H

#include <stdio.h>

#include "dcsweep/core/error.h"
#include "dcsweep/report/report.h"
#include "dcsweep/report/report_multi.h"

/* What the outputs say about where the numbers came from. */
typedef struct report_source {
    const char *path;
    const char *baseline_spec;  /* as chosen ("extent=none,rescaling=power10"), or NULL */
} report_source;

/* Aligned text for a terminal (100 columns) or pipe tables for markdown. */
int dc_report_print_tables(FILE *out, const dc_report *r, const report_source *src, int markdown,
                           dc_error *err);

/* The factorial ANOVA and contrasts (or the line saying why they are left out), and P(best)
 * (cmd_report_factorial.c): sections of the text and markdown formats. */
int dc_report_print_factorial(FILE *out, const dc_report *r, int markdown, dc_error *err);
int dc_report_print_p_best(FILE *out, const dc_report *r, int markdown, dc_error *err);

/* One CSV table with a `section` column (tidy: one row per number set). */
void dc_report_print_csv(FILE *out, const dc_report *r, const report_source *src);

/* One JSON object: configurations, main_effects, paired, factorial, bootstrap, best. */
void dc_report_print_json(FILE *out, const dc_report *r, const report_source *src);

/* Several tasks (cmd_report_multi.c): each task's report under a heading naming its file, sweep
 * and family, then the aggregate, in format (table, markdown, csv or json); srcs [n_tasks]. */
int dc_report_print_multi(FILE *out, const char *format, const dc_report_multi *multi,
                          const report_source *srcs, dc_error *err);

#endif
