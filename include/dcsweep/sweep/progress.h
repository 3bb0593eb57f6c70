/* Progress output of `dcsweep run`: one line per finished run, or a live bar (\r) on a terminal,
 * and a summary at the end. Prints only to the FILE* it is given; knows nothing of MPI. */
#ifndef DCSWEEP_PROGRESS_H
#define DCSWEEP_PROGRESS_H

#include <stdio.h>

#include "dcsweep/results/results.h"

#define DC_PROGRESS_HEADLINES 4

typedef struct dc_progress {
    FILE *out;
    int tty;                /* live bar instead of lines */
    int n_runs;             /* grid size */
    int n_todo;             /* runs this session will train */
    int n_before;           /* rows already finished when the session started */
    int finished;           /* runs finished this session */
    int count[4];           /* this session, by dc_run_status */
    double t0;              /* monotonic seconds at init */
    int n_headline;         /* the metrics a finished run's line shows (dc_metric_desc.headline) */
    int headline[DC_PROGRESS_HEADLINES];                     /* their /runs column indices */
    const dc_metric_desc *headline_desc[DC_PROGRESS_HEADLINES];
    int bar_shown;          /* a bar line is on screen and must be ended before other output */
} dc_progress;

/* metrics [n_metrics]: the results file's columns (they must outlive p). */
void dc_progress_init(dc_progress *p, FILE *out, int tty, int n_runs, int n_todo, int n_before,
                      const dc_metric_desc *metrics, int n_metrics);

/* A run finished (its row as written). */
void dc_progress_run(dc_progress *p, const dc_results_row *row);

/* A free-form line (clears the bar first). */
void dc_progress_note(dc_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Seconds since init. */
double dc_progress_elapsed(const dc_progress *p);

/* What coordinating cost rank 0; a value < 0 is not shown. */
typedef struct {
    double share;      /* the coordinator's CPU share of rank 0's wall time */
    double max_gap;    /* the longest a rank could wait for an answer (seconds) */
    double per_report; /* CPU seconds per report answered (receive, write the row, reply) */
    double per_serve;  /* CPU seconds of the rest of a serve call: polls, watching, the lock */
} dc_coord_costs;

/* Counts every row of the file by status and prints the closing summary. */
void dc_progress_summary(dc_progress *p, const char *sweep_name, const char *path,
                         const dc_results_row *rows, int n_rows, const dc_coord_costs *costs);

/* "12.3s", "4m05s", "2h03m" */
void dc_format_duration(char *out, size_t size, double seconds);

#endif
