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

/* Where an in-flight run stands, for a progress line of a batch log (`--progress-seconds`).
 * Sent as bytes from a worker to rank 0 (DC_TAG_PROGRESS): ranks share one build. */
typedef struct dc_run_progress {
    int run;                /* grid index */
    int rank;               /* the rank training it */
    int epoch, n_epochs;    /* epochs completed, and the most the run trains (train.epochs) */
    double lr;              /* the learning rate of the last epoch */
    char monitor_name[DC_METRIC_NAME_MAX];  /* train.monitor */
    double monitor;         /* the last evaluated monitored value, NaN before any evaluation */
    int monitor_epoch;      /* its epoch, 0: none yet */
    double best;            /* the best monitored value so far, NaN before any */
    int best_epoch;         /* 0: none yet */
    double epoch_seconds;   /* wall seconds per epoch over the epochs this session trained */
    double eta;             /* epoch_seconds x the epochs left to n_epochs; < 0: unknown */
    int may_stop_early;     /* early stopping is on: the run may end before n_epochs */
} dc_run_progress;

/* Fills rp from an epoch boundary of a run (dc_run_state, the epoch's curve values): lr_curve and
 * monitor_curve are the indices of the "lr" and "monitor" curves (-1: absent); seconds is the wall
 * time since this session started the run at epoch epoch0 (a resumed run starts past 0). */
void dc_run_progress_fill(dc_run_progress *rp, const dc_run_state *st, const double *curve_values,
                          int lr_curve, int monitor_curve, const char *monitor_name, double seconds,
                          int epoch0, int may_stop_early);

/* "progress: run 7 epoch 120/2000: lr 0.001, val_loss 0.0123 (epoch 120), best 0.011 at epoch 95; ETA
 * 4m05s (2.1 s/epoch x 1880 epochs left; early stopping may end it sooner)" (no newline). */
void dc_run_progress_format(char *out, size_t size, const dc_run_progress *rp);

/* Whether a progress line of a run is due: at most one per `every` seconds, the first `every`
 * seconds after the run started (a run shorter than that prints none). every <= 0: never. */
int dc_run_progress_due(double now, double last_line, double every);

/* An in-flight run's progress line (a batch log only: nothing on a terminal, where the bar is). */
void dc_progress_epoch(dc_progress *p, const dc_run_progress *rp);

/* "12.3s", "4m05s", "2h03m" */
void dc_format_duration(char *out, size_t size, double seconds);

#endif
