/* A worker: trains the runs the coordinator hands it, with mid-run checkpoints, writes each run's
 * row of the results file itself (independent parallel HDF5 I/O), then reports the row. Every
 * rank has one; rank 0's also serves the coordinator between its own training steps.
 *
 * Messages (all on the sweep's communicator, rank 0 is the coordinator):
 *   worker -> 0  DC_TAG_REPORT  dc_worker_report: "ready", a finished run, an abandoned run, or a
 *                               fatal error; every report asks for the next run
 *   worker -> 0  DC_TAG_NOTE    char[DC_NOTE_MAX]: a line for the progress output
 *   worker -> 0  DC_TAG_PROGRESS dc_run_progress (progress.h): where its run stands, at most every
 *                               --progress-seconds (a batch log's progress lines; none on a terminal)
 *   worker -> 0  DC_TAG_BEAT    int[2] (run, epoch): alive, while training and while waiting
 *                               for DC_TAG_CLOSE (run -1)
 *   0 -> worker  DC_TAG_ASSIGN  int: the next run's grid index, or -1: stop
 *   0 -> worker  DC_TAG_ABORT   empty: stop the run in progress (the sweep is being stopped); it is
 *                               checkpointed at the end of its epoch and stays pending
 *   0 -> worker  DC_TAG_CLOSE   empty: no run is left anywhere; come and close the file. Until it
 *                               comes, a worker told to stop keeps sending DC_TAG_BEAT (rank 0 may
 *                               still be training its own last run for minutes)
 *   worker -> 0  DC_TAG_BYE     empty: the answer to DC_TAG_CLOSE. Rank 0 enters the closing
 *                               collectives only when every rank has said it, so that a rank that
 *                               hangs after its last run ends the job instead of blocking it
 * Neither side blocks in MPI while waiting (Open MPI busy-polls a blocking receive): they test,
 * then sleep a few milliseconds. */
#ifndef DCSWEEP_SWEEP_WORKER_H
#define DCSWEEP_SWEEP_WORKER_H

#include <mpi.h>

#include "dcsweep/config/config.h"
#include "dcsweep/config/grid.h"
#include "dcsweep/core/error.h"
#include "dcsweep/data/rescale.h"
#include "dcsweep/results/checkpoint.h"
#include "dcsweep/results/results_mpi.h"
#include "dcsweep/sweep/progress.h"
#include "dcsweep/train/trainer.h"

/* What trains a run: the real trainer (dc_trainer_real_ops) or a test's fake. The functions have
 * the meaning of trainer.h's dc_trainer_create/destroy/describe/run/rescale. */
typedef struct dc_trainer_ops {
    int (*create)(void **state, const dc_sweep *sweep, dc_error *err);
    void (*destroy)(void *state);
    const dc_trainer_desc *(*describe)(const void *state);
    int (*run)(void *state, const dc_run *run, const dc_run_state *resume, dc_run_result *result,
               const dc_train_hooks *hooks, dc_error *err);
    int (*rescale)(void *state, dc_rescaling method, dc_rescale *out, dc_error *err);
} dc_trainer_ops;

/* dc_trainer_* of trainer.h behind dc_trainer_ops. */
extern const dc_trainer_ops dc_trainer_real_ops;

enum { DC_TAG_REPORT = 101, DC_TAG_ASSIGN = 102, DC_TAG_ABORT = 103, DC_TAG_NOTE = 104,
       DC_TAG_BEAT = 105, DC_TAG_CLOSE = 106, DC_TAG_BYE = 107, DC_TAG_PROGRESS = 108 };

#define DC_NOTE_MAX 512

typedef enum {
    DC_REPORT_READY = 0,     /* first request: no run yet */
    DC_REPORT_FINISHED = 1,  /* row written (done, diverged or failed) */
    DC_REPORT_ABANDONED = 2, /* stopped by a signal or DC_TAG_ABORT: the run stays pending */
    DC_REPORT_FATAL = 3,     /* the worker cannot go on: row has status failed and the message */
} dc_report_kind;

/* Sent as bytes: ranks of one job share one architecture and one build. */
typedef struct dc_worker_report {
    int kind;           /* dc_report_kind */
    int run;            /* grid index, -1 with READY */
    dc_results_row row; /* what was written (FINISHED, FATAL) */
} dc_worker_report;

typedef struct dc_worker {
    const dc_sweep *sweep;
    const dc_grid *grid;
    const dc_trainer_ops *ops;
    void *trainer;          /* ops->create's state */
    dc_results *results;
    const char *output;     /* the results path: checkpoints are <output>.ckpt/run-<k>.h5 */
    dc_checkpoint_id ckpt_id;
    MPI_Comm comm;          /* the sweep's communicator; MPI_COMM_NULL: alone */
    int rank;
    char host[DC_RESULTS_HOST_LEN + 1];
    /* Rank 0: the coordinator's service between steps and its notes, instead of messages. */
    int (*serve)(void *ctx);                /* non-zero: stop the run (the sweep is stopping) */
    void (*note)(void *ctx, const char *line);
    void (*progress)(void *ctx, const dc_run_progress *rp);
    void *coordinator;
    /* the run in progress */
    int run;
    int aborted;            /* DC_TAG_ABORT received, or the coordinator is stopping */
    double last_save;       /* monotonic seconds of the last checkpoint */
    double last_beat;       /* ... and of the last heartbeat sent */
    /* progress lines of a batch log: the run's start in this session, its last line */
    double progress_seconds;/* at most one line per run this often; 0: none (a terminal) */
    int lr_curve, monitor_curve;  /* indices of the "lr" and "monitor" curves, -1: none */
    double run_t0, last_progress;
    int epoch0;             /* the epoch this session started the run at (a resumed run's > 0) */
    int ckpt_warned;        /* a failed checkpoint was reported once for this run */
    dc_error ckpt_err;      /* the first checkpoint that failed (a full disk): training went on,
                             * but the sweep ends with this error (code DC_OK: none failed) */
} dc_worker;

/* Fills w (no progress lines: set progress_seconds for them); the trainer is created by the
 * caller (ops->create) and owned by it. */
int dc_worker_init(dc_worker *w, const dc_sweep *sweep, const dc_grid *grid, const dc_trainer_ops *ops,
                   void *trainer, dc_results *results, const char *output, MPI_Comm comm,
                   dc_error *err);

/* Trains grid run `run_index` (continuing from its checkpoint when there is a valid one), writes
 * its row (status last) unless it was abandoned, and describes the outcome in report. An error
 * return means the worker is unusable (report kind FATAL, its row recorded as failed when that
 * was still possible). */
int dc_worker_do_run(dc_worker *w, int run_index, dc_worker_report *report, dc_error *err);

/* The worker side of the protocol above on ranks > 0, until the coordinator says stop. */
int dc_worker_loop(dc_worker *w, dc_error *err);

/* Sleeping between polls with backoff: 0.5 ms after activity (answers are fast when the sweep is
 * busy), doubling up to 10 ms while nothing happens (an idle rank costs nothing measurable).
 * A sleep returns early on a signal. */
typedef struct dc_poll {
    long ns;  /* next sleep */
} dc_poll;

void dc_poll_reset(dc_poll *p);
void dc_poll_wait(dc_poll *p);

/* Completes a request by testing and sleeping: MPI_Wait would busy-poll a core. */
int dc_wait_polling(MPI_Request *req, dc_error *err);

#endif
