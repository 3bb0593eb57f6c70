/* Shared by the files of src/sweep/: the coordinator's state (coordinator.c), the collective
 * setup steps (setup.c) and the sweep itself (sweep.c). Not a public interface. */
#ifndef DCSWEEP_SWEEP_INTERNAL_H
#define DCSWEEP_SWEEP_INTERNAL_H

#include <mpi.h>
#include <stdint.h>

#include "dcsweep/results/lock.h"
#include "dcsweep/sweep/coordinator.h"
#include "dcsweep/sweep/progress.h"
#include "dcsweep/sweep/setup.h"
#include "dcsweep/sweep/worker.h"

/* ---- coordinator.c: rank 0's hand-out, served between its own training steps ---- */

typedef struct dc_coord {
    MPI_Comm comm;          /* MPI_COMM_NULL: alone */
    int size;
    const dc_run_config *cfg;
    const int *todo;        /* [n_todo] runs to train, in hand-out order */
    int n_todo, next;
    int *busy;              /* [size] run in progress on each rank, -1 if none */
    double *heard;          /* [size] monotonic seconds of each rank's last message */
    int active;             /* ranks > 0 not yet told to stop */
    int close_sent;         /* DC_TAG_CLOSE sent to every rank > 0, at close_since */
    double close_since;
    double beat_sent;       /* when the ranks told to stop last heard DC_TAG_BEAT from rank 0 */
    int aborts_sent;        /* DC_TAG_ABORT sent to the ranks busy when the sweep began to stop */
    unsigned char *released;/* [size] 1 once rank r was told to stop (assignment -1) */
    unsigned char *left;    /* [size] 1 once rank r answered DC_TAG_BYE */
    int n_left;
    int stopping;           /* no more hand-out: a signal, an abandoned run or a fatal worker */
    int stop_sig;           /* the signal that stopped the sweep; -1: a worker's */
    int signals;            /* stop signals handled */
    double stop_since;
    int fatal_rank;         /* the first rank that failed, -1 if none */
    int local_dead;         /* rank 0's own trainer failed: it only coordinates from then on */
    dc_error fatal;
    int hung;               /* a rank stopped answering: hung_err says which; the job must end */
    dc_error hung_err;
    dc_progress *progress;
    dc_lock *lock;
    double last_serve;      /* when serve last ran, and the longest gap while ranks trained */
    double max_gap;
    double serve_seconds;   /* CPU time spent serving (vs rank 0's wall time since wall0) */
    double report_seconds;  /* the part of it spent answering reports (receive, row, reply) */
    int handled;            /* reports of other ranks answered */
    int64_t serves;         /* calls of dc_coord_serve: rank 0's steps and epochs, and its idle polls */
    double wall0;
} dc_coord;

int dc_coord_init(dc_coord *c, MPI_Comm comm, int size, const dc_run_config *cfg, const int *todo,
                  int n_todo, dc_progress *progress, dc_lock *lock, dc_error *err);
void dc_coord_free(dc_coord *c);

/* Handles every message that has arrived (reports, notes, progress, heartbeats, BYEs), hands out runs,
 * watches signals and silent ranks. Never blocks. Returns 1 when rank 0's own run should stop. */
int dc_coord_serve(void *coord);

/* Once no rank has a run left: asks every rank to the close (DC_TAG_CLOSE, once) and returns 1
 * when all have answered, 0 before. */
int dc_coord_all_at_close(dc_coord *c);

/* The next run for rank 0 itself, or -1. */
int dc_coord_take(dc_coord *c);

/* Rank 0's own run ended (report as dc_worker_do_run made it). */
void dc_coord_local(dc_coord *c, const dc_worker_report *report, int rc, const dc_error *err);

/* A line for the progress output (rank 0's worker notes). */
void dc_coord_note(void *coord, const char *line);

/* Rank 0's own run's progress line (the others' come as DC_TAG_PROGRESS). */
void dc_coord_progress(void *coord, const dc_run_progress *rp);

/* The coordinator's share of rank 0's time, its longest answer delay and its serving time per report
 * of another rank (seconds; the inverse is its dispatch capacity in runs per second). */
void dc_coord_stats(const dc_coord *c, dc_coord_costs *costs);

/* ---- setup.c: the collective steps before training ---- */

enum { DC_FILE_CREATE = 0, DC_FILE_OPEN = 1 };

/* Every step ends in an agreement of dcsweep/sweep/setup.h, bounded by run.heartbeat_timeout. */

/* What the trainer's runs report (metric columns, curves, engine), as the first training rank's
 * trainer describes it, in fixed-size arrays that a broadcast can carry. */
typedef struct dc_file_layout {
    char model_kind[DC_METRIC_NAME_MAX];
    int numerics_version;
    char model_record[2048];            /* "" when the model records nothing */
    dc_task_field task_field;           /* name ""; none; its pointers are into task_buf */
    int task_has_x, task_has_t;         /* which axes it has */
    double *task_buf;                   /* owned, [rows * cols + cols + rows]: values, x, t;
                                         * broadcast apart from the fixed-size rest */
    int n_metrics, n_curves;
    dc_metric_desc metrics[DC_MAX_METRICS];
    char curve_names[DC_MAX_CURVES][DC_METRIC_NAME_MAX];
    const char *curves[DC_MAX_CURVES];  /* into curve_names, set on every rank */
    int64_t n_params;                   /* kept weights per run; 0: none kept */
    int n_tensors;
    dc_tensor tensors[DC_MAX_TENSORS];
    dc_model_spec spec;
} dc_file_layout;

/* Frees the layout's task field (a zeroed or broadcast layout). */
void dc_file_layout_free(dc_file_layout *layout);

/* Rank 0: the output's fate from the file that is there (create, open to resume, or refuse with
 * the settings that differ). */
int dc_sweep_decide_file(const dc_sweep *sweep, const dc_grid *grid, const dc_run_options *opts,
                         int *action, dc_error *err);

/* Broadcasts the layout from the first training rank (dc_file_layout_free frees it, also
 * after a failure). */
int dc_sweep_layout(const dc_sweep *sweep, const dc_trainer_ops *ops, void *trainer, dc_setup *setup,
                    dc_file_layout *layout, dc_error *err);

/* Rank 0, resuming: the file's engine and datasets are this sweep's (else DC_ERR_INPUT, or
 * *action = DC_FILE_CREATE with --restart). */
int dc_sweep_check_resume(const dc_sweep *sweep, const dc_run_options *opts,
                          const dc_file_layout *layout, int *action, dc_error *err);

/* Creates the results file collectively under a temporary name and renames it into place once
 * its layout is complete (a kill during creation leaves no file at the output path). */
int dc_sweep_create_file(const dc_sweep *sweep, const dc_grid *grid, const dc_trainer_ops *ops,
                         void *trainer, const dc_run_options *opts, const dc_file_layout *layout,
                         const dc_results_row *rows, dc_setup *setup, dc_results **results,
                         dc_error *err);

#endif
