/* What a run is and what it reports: shared by the model and trainer (which produce results), the
 * results file (which stores them) and the sweep, report and status (which read them), so that
 * none of those has to include another's header for its vocabulary. */
#ifndef DCSWEEP_CONFIG_RUN_H
#define DCSWEEP_CONFIG_RUN_H

#include <stdint.h>

#include "dcsweep/config/config.h"

/* One grid point. */
typedef struct dc_run {
    int index;             /* position in the grid, 0-based: the run's identity everywhere */
    double irelu_scale;    /* c; NaN when extent is none */
    dc_extent extent;
    dc_rescaling rescaling;
    int64_t seed;
} dc_run;

typedef enum {
    DC_RUN_PENDING = 0,   /* not run, or interrupted: will be (re)run */
    DC_RUN_DONE = 1,
    DC_RUN_DIVERGED = 2,  /* loss became NaN/Inf: recorded with the epoch, not a crash */
    DC_RUN_FAILED = 3,    /* an error (allocation, numerics, data) recorded with its message */
} dc_run_status;
#define DC_N_RUN_STATUSES 4

const char *dc_run_status_name(dc_run_status s);  /* "pending" | "done" | "diverged" | "failed" */
int dc_run_status_parse(const char *name);        /* the status, or -1 for an unknown name */

/* The longest metric or curve name and unit a model may declare (the results file's columns). */
#define DC_METRIC_NAME_MAX 32
#define DC_METRIC_UNIT_MAX 48
#define DC_MAX_METRICS 16   /* final metrics of a run (/runs columns) */
#define DC_MAX_CURVES 16    /* per-epoch values (/curves/<name>) */

/* One number a run reports at its end: a /runs column. */
typedef struct dc_metric_desc {
    char name[DC_METRIC_NAME_MAX];  /* "test_force_mae", "u_nrmse" */
    char unit[DC_METRIC_UNIT_MAX];  /* "eV/Angstrom"; "" when dimensionless */
    int higher_is_better;           /* EFwT: 1; errors: 0 */
    int fraction;                   /* a fraction in [0, 1] (shown as a percentage) */
    int headline;                   /* shown in the progress line of `dcsweep run` */
} dc_metric_desc;

#endif
