/* The tables of `dcsweep report`'s text and markdown formats (not a public interface): cells of
 * fixed size, a title, note lines under it and footer lines under the table. */
#ifndef DCSWEEP_CMD_REPORT_TABLE_H
#define DCSWEEP_CMD_REPORT_TABLE_H

#include <stdio.h>

#include "dcsweep/config/run.h"
#include "dcsweep/core/error.h"

#define MAX_COLS (8 + DC_MAX_METRICS)
#define CELL 64
#define TERMINAL_COLUMNS 100
#define MAX_NOTES 4
#define MAX_FOOTERS DC_MAX_METRICS
#define LINE 160

typedef struct dc_rtable {
    const char *title;
    int n_notes, n_footers;
    char notes[MAX_NOTES][LINE];      /* lines under the title: what the numbers mean */
    char footers[MAX_FOOTERS][LINE];  /* lines under the table: exceptions (ties, no candidate) */
    int cols, rows, cap;        /* rows includes the header (row 0) */
    char (*cells)[MAX_COLS][CELL];
    int right[MAX_COLS];        /* numbers align right */
    char overflow[MAX_COLS][CELL];  /* rows past cap land here (a bug), never out of bounds */
} dc_rtable;

int dc_rtable_init(dc_rtable *t, const char *title, int cols, int max_rows, dc_error *err);
void dc_rtable_free(dc_rtable *t);
void dc_rtable_note(dc_rtable *t, const char *text);    /* a line under the title */
void dc_rtable_footer(dc_rtable *t, const char *text);  /* a line under the table */
/* The next row's cells (the first call gives the header). */
char (*dc_rtable_row(dc_rtable *t))[CELL];
void dc_rtable_set_cells(char (*row)[CELL], int n, const char *const *values);
/* Aligned text (two spaces between columns, one when 100 columns need it) or a pipe table. */
void dc_rtable_print(FILE *out, const dc_rtable *t, int markdown);

/* A p-value: three decimals, or two significant digits below 0.001; "-" when there is none. */
void dc_rtable_format_p(char *buf, double p);

#endif
