/* The tables of `dcsweep report` (cmd_report_table.h): one set of cells printed as aligned text
 * for a 100-column terminal or as a markdown pipe table, so that the terminal and the paper draft
 * show the same cells. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_report_table.h"



int dc_rtable_init(dc_rtable *t, const char *title, int cols, int max_rows, dc_error *err)
{
    memset(t, 0, sizeof *t);
    t->title = title;
    t->cols = cols;
    t->cap = max_rows + 1;
    t->cells = dc_calloc((size_t)t->cap, sizeof *t->cells, err);
    return t->cells ? DC_OK : DC_ERR_NOMEM;
}

void dc_rtable_free(dc_rtable *t) { free(t->cells); }

void dc_rtable_note(dc_rtable *t, const char *text)
{
    if (t->n_notes < MAX_NOTES) snprintf(t->notes[t->n_notes++], LINE, "%s", text);
}

void dc_rtable_footer(dc_rtable *t, const char *text)
{
    if (t->n_footers < MAX_FOOTERS) snprintf(t->footers[t->n_footers++], LINE, "%s", text);
}

/* The next row's cells (the first call gives the header). */
char (*dc_rtable_row(dc_rtable *t))[CELL]
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

static void print_text(FILE *out, const dc_rtable *t)
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
    for (int i = 0; i < t->n_notes; i++) fprintf(out, "%s\n", t->notes[i]);
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
    for (int i = 0; i < t->n_footers; i++) fprintf(out, "%s\n", t->footers[i]);
    fputc('\n', out);
}

static void print_markdown(FILE *out, const dc_rtable *t)
{
    fprintf(out, "### %s\n\n", t->title);
    for (int i = 0; i < t->n_notes; i++) fprintf(out, "%s%s", t->notes[i], i + 1 < t->n_notes ? "\n" : "\n\n");
    for (int r = 0; r < t->rows; r++) {
        for (int c = 0; c < t->cols; c++) fprintf(out, "| %s ", t->cells[r][c]);
        fputs("|\n", out);
        if (r == 0) {
            for (int c = 0; c < t->cols; c++) fputs(t->right[c] ? "|---:" : "|---", out);
            fputs("|\n", out);
        }
    }
    if (t->n_footers) fputc('\n', out);
    for (int i = 0; i < t->n_footers; i++) fprintf(out, "- %s\n", t->footers[i]);
    fputc('\n', out);
}

void dc_rtable_print(FILE *out, const dc_rtable *t, int markdown)
{
    if (markdown) print_markdown(out, t);
    else print_text(out, t);
}

/* ---- cells ---- */

void dc_rtable_set_cells(char (*row)[CELL], int n, const char *const *values)
{
    for (int i = 0; i < n; i++) snprintf(row[i], CELL, "%s", values[i]);
}


void dc_rtable_format_p(char *buf, double p)
{
    if (!isfinite(p)) snprintf(buf, CELL, "-");
    else if (p >= 0.001 || p == 0) snprintf(buf, CELL, "%.3f", p);
    else snprintf(buf, CELL, "%.1e", p);
}
