/* Several tasks together: results files of the same factors (molecules, PDEs, model families)
 * aggregated per configuration, as rliable aggregates over tasks.
 *
 * Normalisation: a task's value is divided by the mean of that task's baseline configuration (the
 * report's --baseline, over its done seeds), so 1 is the baseline in every task, and 0.8 is 20%
 * below it whatever the metric's unit or scale. It keeps the metric's direction (a ratio of
 * positive numbers), needs no best or worst run (min-max would hinge on the worst, often a
 * diverged-looking outlier), and a baseline is what every paired section already compares with.
 * A baseline mean that is not positive cannot normalise: the command refuses such a file.
 *
 * Per configuration the pooled values are every task's normalised per-seed values (done runs with
 * a finite value); the mean is their mean and the IQM rliable's (scipy.stats.trim_mean(x, 0.25):
 * sorted, floor(n / 4) dropped from each end, the rest averaged). The 95% intervals are
 * percentile intervals (numpy's linear rule) over DC_BOOTSTRAP_RESAMPLES stratified resamples: in
 * each, every task's seeds are resampled with replacement independently of the other tasks, and
 * one draw serves every configuration of the task (paired within a task, as its seeds are). The
 * draws are splitmix64 from DC_BOOTSTRAP_SEED, resample by resample, task by task in file order,
 * index = (x >> 11) * n / 2^53, so a report is deterministic and scripts can replay it.
 *
 * A configuration that has no done seed in some task (absent from its grid, or every seed
 * diverged, failed or pending) is aggregated over the tasks where it has one: n_tasks says how
 * many, and such a row is not comparable with the complete ones (every output flags it). */
#ifndef DCSWEEP_REPORT_MULTI_H
#define DCSWEEP_REPORT_MULTI_H

#include <stdint.h>

#include "dcsweep/core/error.h"
#include "dcsweep/report/report.h"

typedef struct dc_report_aggregate {
    dc_report_key key;
    int n_tasks;               /* tasks with a done seed of this configuration */
    int n_values;              /* pooled normalised values */
    int n_resamples;           /* resamples with at least one value (the intervals' sample) */
    double mean, mean_ci_low, mean_ci_high;
    double iqm, iqm_ci_low, iqm_ci_high;
} dc_report_aggregate;

typedef struct dc_report_multi {
    int n_tasks;
    const dc_report *const *tasks;  /* [n_tasks] not owned; each with its metric and baseline */
    double *baseline_mean;          /* [n_tasks] the divisor of each task */
    int *n_seeds;                   /* [n_tasks] seeds a resample of the task draws from */
    int higher_is_better;           /* every task's metric has the same direction */
    int n_configs;
    dc_report_aggregate *configs;   /* [n_configs] the union, in order of first appearance by task */
} dc_report_multi;

/* Refuses (DC_ERR_INPUT, one line naming the files and the factor's levels) two reports whose
 * factors have different levels; the seeds may differ. paths [n] name the files. */
int dc_report_multi_check_factors(const dc_report *const *tasks, const char *const *paths, int n,
                                  dc_error *err);

/* The aggregate of n reports (each computed on its own metric, with a baseline): DC_ERR_INPUT
 * naming the file when a task has no baseline, a baseline mean that is not positive, or a metric
 * of the other direction. multi is zeroed first; free it with dc_report_multi_free even on error. */
int dc_report_multi_compute(dc_report_multi *multi, const dc_report *const *tasks,
                            const char *const *paths, int n, dc_error *err);

void dc_report_multi_free(dc_report_multi *multi);

/* rliable's IQM of x [n] (sorted in place): NaN when n is 0. */
double dc_iqm_sort(double *x, int n);

#endif
