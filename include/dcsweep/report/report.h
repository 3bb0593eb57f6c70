/* Post-hoc analysis of a results file: per-configuration summaries, rates of diverged and
 * collapsed runs, main effects, factorial effects with seeds as blocks, paired comparisons against
 * a baseline (t-test, Holm, sign-flip), the best configuration per metric and P(best) by a paired
 * bootstrap. Aggregation only: the `report` command does every bit of printing.
 *
 * A configuration is a grid point without its seed: (irelu_scale, extent, rescaling). Only runs
 * with status done have metrics; diverged, failed and pending runs are counted, never averaged, so
 * a partial file (a sweep still running, or one shard) gives a valid report of what is there.
 * Knows nothing of MPI (files are opened serially) or oneDNN. */
#ifndef DCSWEEP_REPORT_H
#define DCSWEEP_REPORT_H

#include <stdint.h>

#include "dcsweep/config/config.h"
#include "dcsweep/config/run.h"
#include "dcsweep/core/error.h"
#include "dcsweep/core/stats.h"

/* The metrics are the file's: its /metrics table (name, unit, higher_is_better, fraction,
 * headline) in /runs column order, whatever the model family. */

/* The metric a report is about when none is asked for: the one its family marked
 * DC_HEADLINE_DEFAULT; in a file written before families marked one, test_force_mae when it has
 * it, else the first headline metric; else the first one; -1 when there are none. */
int dc_report_default_metric(const dc_metric_desc *metrics, int n);

/* ---- the report ---- */

/* A configuration's factors. irelu_scale is NaN when extent is none (the scale does not apply). */
typedef struct dc_report_key {
    double irelu_scale;
    dc_extent extent;
    dc_rescaling rescaling;
} dc_report_key;

/* A run is collapsed when it finished (status done) as a constant predictor, the trivial solution
 * a derivative-constrained network can fall into. What the file's metrics can show of it: the
 * error of a derivative, ||f' - f'*||, is exactly ||f'*|| (the reference) for a constant f (f' = 0),
 * and |value / reference - 1| <= ||f'|| / ||f'*|| for any f, so a ratio within
 * DC_COLLAPSE_TOLERANCE of 1 means a derivative no better than a constant's. The rule's column:
 *   - DC_COLLAPSE_METRIC, reference 1 (u_x of a PDE's solution, normalised, in every family that
 *     writes one);
 *   - a potential's test_force_rmse, reference the test split's RMS force component, which the
 *     file's model_record keeps (force_rms_test, dc_metrics_record): forces no better than zero,
 *     an energy that vanished or never depended on the positions.
 * A file with neither (a potential's from before force_rms_test) has no collapse rule, and every
 * rate of collapse is NaN there. A collapsed run is still done: its metrics enter the means and
 * the paired differences (it is what the configuration produced), and "best" never picks its
 * configuration. */
#define DC_COLLAPSE_METRIC "ux_nrmse"
#define DC_COLLAPSE_FORCE_METRIC "test_force_rmse"
#define DC_COLLAPSE_TOLERANCE 0.01

/* A collapse rule: the column and a constant predictor's value on it. */
typedef struct dc_collapse_rule {
    char metric[DC_METRIC_NAME_MAX];
    double reference;
} dc_collapse_rule;

/* The normal quantile of a two-sided 95% interval (Wilson's). */
#define DC_Z975 1.959963984540054

/* The share of a configuration's finished runs (done or diverged: failed and pending runs never
 * trained to the end) with an outcome, and its Wilson 95% interval. */
typedef struct dc_report_rate {
    int k, n;                      /* runs with the outcome, finished runs */
    double rate, ci_low, ci_high;  /* k / n and its interval; NaN when n is 0 (or no rule) */
} dc_report_rate;

typedef struct dc_report_config {
    dc_report_key key;
    int n_runs;                    /* rows of this configuration (one per seed) */
    int n_done, n_diverged, n_failed, n_pending;
    int n_collapsed;               /* done runs that are collapsed (0 when the file has no rule) */
    int n_value[DC_MAX_METRICS];   /* per metric, the done runs with a finite value: what the mean covers */
    double mean[DC_MAX_METRICS];   /* per metric, over done runs; NaN when none */
    double sd[DC_MAX_METRICS];     /* sample sd over done runs; NaN when fewer than 2 */
    dc_report_rate diverged;       /* diverged of finished */
    dc_report_rate collapsed;      /* collapsed of finished */
} dc_report_config;

/* The factors a main effect is computed for. */
typedef enum { DC_FACTOR_IRELU_SCALE = 0, DC_FACTOR_EXTENT = 1, DC_FACTOR_RESCALING = 2,
               DC_N_FACTORS = 3 } dc_factor;

const char *dc_factor_name(dc_factor f);  /* "irelu_scale" | "extent" | "rescaling" */

/* One level of a factor. mean = the mean over the configurations at this level that have at least
 * one done run of their per-configuration mean (each configuration weighs the same, however many
 * seeds finished). Configurations with extent none have no scale and are not part of any
 * irelu_scale level. */
typedef struct dc_report_effect {
    dc_factor factor;
    dc_report_key level;   /* only the factor's own field is meaningful */
    int n_configs;         /* configurations averaged (with a done run) */
    int n_configs_total;   /* configurations at this level */
    double mean;           /* NaN when n_configs is 0 */
} dc_report_effect;

/* A configuration against the baseline on the report's metric: differences config - baseline
 * per seed, over the seeds done in both. */
typedef struct dc_report_paired {
    int config;            /* index into configs */
    dc_paired_stats stats;
    int n_better;          /* seeds where the configuration beats the baseline (the metric's direction) */
    int n_worse;           /* seeds where it loses; stats.n - n_better - n_worse are ties */
    double p_t;            /* paired t-test, two-sided (dc_paired_t_p) */
    double p_holm;         /* p_t adjusted by Holm over every comparison of the section with a p_t */
    double p_sign_flip;    /* exact sign-flip test, two-sided; NaN when stats.n < DC_SIGN_FLIP_MIN_N */
} dc_report_paired;

/* Below 6 pairs the sign-flip test cannot reach p < 0.05 (its smallest p is 2^(1-n)). */
#define DC_SIGN_FLIP_MIN_N 6

/* What "best" found for a metric. Candidates are the configurations with a finite mean and no
 * diverged or collapsed run. */
typedef enum {
    DC_BEST_ONE = 0,           /* one candidate has the best mean */
    DC_BEST_TIE = 1,           /* several share it (e.g. an EFwT of 0 everywhere): none is named */
    DC_BEST_NO_CANDIDATE = 2,  /* configurations have means, but every one has a degenerate run */
    DC_BEST_NO_DATA = 3,       /* no configuration has a finite mean */
} dc_best_status;

const char *dc_best_status_name(dc_best_status s);  /* "best" | "tie" | "no_candidate" | "no_data" */

/* ---- factorial effects, seeds as blocks ----
 *
 * The grid is a full factorial except that extent none has no c. The analysis is on the crossed
 * part: the configurations whose extent uses c (output, full), c x extent x rescaling, with every
 * factor of at least two levels there; extent none is left out of it (its comparisons are the
 * paired section's, against the baseline). Blocks are the seeds done (with a finite value) in
 * every configuration of that part, so the design is balanced and an ANOVA's sums of squares do
 * not depend on the order of the terms. The model is y = seed + configuration + error (a
 * randomised complete block design whose treatments are the configurations); its residual mean
 * square is the error variance of every contrast below. */

#define DC_MAX_ANOVA_ROWS 9   /* seed, 3 main effects, 3 two-way, the three-way, residual */

typedef enum {
    DC_TERM_SEED = 0, DC_TERM_MAIN = 1, DC_TERM_TWO_WAY = 2, DC_TERM_THREE_WAY = 3,
    DC_TERM_RESIDUAL = 4,
} dc_term_kind;

/* One row of the ANOVA table. */
typedef struct dc_report_anova_row {
    dc_term_kind kind;
    dc_factor a, b;        /* the main effect's factor (a), the interaction's two (a, b) */
    int df;
    double ss;             /* sum of squares */
    double share;          /* ss / total ss about the grand mean */
    double f, p;           /* F = (ss / df) / residual mean square and its p; NaN for the residual */
} dc_report_anova_row;

/* A contrast with its 95% t interval (residual df). A main effect: mean at level minus mean at the
 * factor's reference level (its first), over every cell of the other factors. A two-way
 * interaction: (y[a, b] - y[a, b0]) - (y[a0, b] - y[a0, b0]), marginal over the third factor: how
 * much the effect of a's level changes between b's reference level and b's level. */
typedef struct dc_report_contrast {
    dc_term_kind kind;             /* DC_TERM_MAIN or DC_TERM_TWO_WAY */
    dc_factor a, b;                /* b only for an interaction */
    dc_report_key level;           /* a's level (and b's) in their fields */
    dc_report_key reference;       /* the reference levels, likewise */
    double estimate, se, ci_low, ci_high, p;  /* p: two-sided t-test of 0 */
} dc_report_contrast;

typedef struct dc_report_factorial {
    int available;                 /* 0: why says what is missing */
    char why[200];
    int n_factors;                 /* factors with >= 2 levels in the crossed part */
    dc_factor factors[DC_N_FACTORS];
    int n_levels[DC_N_FACTORS];    /* per factors[i] */
    int n_cells;                   /* configurations analysed (the product of n_levels) */
    int n_seeds;                   /* complete blocks */
    int n_seeds_total;             /* distinct seeds of those configurations' runs */
    int df_resid;
    double ms_resid;               /* residual mean square */
    double t;                      /* t_{0.975, df_resid} */
    double grand_mean;
    int n_anova;
    dc_report_anova_row anova[DC_MAX_ANOVA_ROWS];
    int n_contrasts;
    dc_report_contrast *contrasts; /* main effects factor by factor, then the interactions */
} dc_report_factorial;

/* ---- which configuration is best, by a paired bootstrap over seeds ----
 *
 * Over the seeds done (finite value) in every candidate configuration of "best" (no diverged or
 * collapsed run), DC_BOOTSTRAP_RESAMPLES resamples of those seeds with replacement, the same
 * resample for every configuration (paired); P(best) of a configuration is the share of resamples
 * where its mean is the best (ties share a resample equally). The resamples come from splitmix64
 * seeded with DC_BOOTSTRAP_SEED: index = (x >> 11) * n / 2^53, so a report is deterministic and
 * scripts can replay it. */
#define DC_BOOTSTRAP_RESAMPLES 2000
#define DC_BOOTSTRAP_SEED 20261207u

typedef struct dc_report_bootstrap {
    int n_seeds;                   /* complete seeds; 0 when fewer than 2 candidates or 2 seeds */
    int n_candidates;
    double *p_best;                /* [n_configs] NaN for a configuration that is no candidate */
} dc_report_bootstrap;

/* Which configuration(s) --baseline names: any subset of the three factors. */
typedef struct dc_report_baseline {
    int has_scale, has_extent, has_rescaling;
    dc_report_key key;
} dc_report_baseline;

typedef struct dc_report {
    char *sweep_name;      /* the file's attributes ("" when absent) */
    char *model_kind;      /* the family's task.kind ("" when absent) */
    /* The dataset's units when the file's metrics are in them (a potential's: the header line and
     * JSON "units" keep them); "" otherwise and for rows given in memory: every metric's own unit
     * is in metrics[]. */
    char *energy_unit;
    char *length_unit;
    char *force_unit;      /* "<energy>/<length>", or "" */
    int epochs;
    int n_runs;
    int n_done, n_diverged, n_failed, n_pending;

    int n_metrics;
    dc_metric_desc metrics[DC_MAX_METRICS];  /* the file's metric columns, in /runs order */

    int n_configs;
    dc_report_config *configs;   /* [n_configs] in order of first appearance in /runs */

    int metric;                  /* index into metrics: of the main effects and the paired comparisons */
    int n_effects;
    dc_report_effect *effects;   /* factor by factor, levels in order of first appearance */

    int baseline;                /* index into configs; -1 when there is no paired section */
    int n_paired;
    dc_report_paired *paired;    /* every configuration but the baseline, in config order */

    int best[DC_MAX_METRICS];    /* per metric, the candidate with the best mean; -1 unless DC_BEST_ONE */
    dc_best_status best_status[DC_MAX_METRICS];
    double best_mean[DC_MAX_METRICS];      /* the best candidate mean (of the tie too); NaN when none */
    int best_n_tied[DC_MAX_METRICS];       /* candidates sharing the best mean (1 for DC_BEST_ONE) */
    int best_n_candidates[DC_MAX_METRICS]; /* configurations with a finite mean and no degenerate run */
    int best_n_degenerate[DC_MAX_METRICS]; /* configurations with a finite mean left out as degenerate */

    dc_report_factorial factorial;  /* on the report's metric */
    dc_report_bootstrap bootstrap;  /* on the report's metric */

    int collapse_metric;         /* index of the collapse rule's column in metrics; -1: no rule */
    double collapse_reference;   /* a constant predictor's value on it (1: a normalised error) */
    int n_collapsed;             /* collapsed runs in the file */

    /* The runs themselves (for paired statistics and for tests). */
    int *run_config;             /* [n_runs] configuration index of each row */
    int64_t *run_seed;           /* [n_runs] */
    int *run_status;             /* [n_runs] dc_run_status */
    int *run_collapsed;          /* [n_runs] 1 for a collapsed run */
    double *run_metrics;         /* [n_runs][n_metrics]; NaN unless done */
} dc_report;

/* Index of the metric called name in r->metrics, or -1. */
int dc_report_metric_index(const dc_report *r, const char *name);

/* Parses "extent=none,rescaling=power10" (keys: c or irelu_scale, extent, rescaling; each at most
 * once). DC_ERR_INPUT with a one-line message for anything else. */
int dc_report_baseline_parse(const char *spec, dc_report_baseline *out, dc_error *err);

/* The default baseline: extent none with rescaling power10 (the paper's original setting). */
void dc_report_baseline_default(dc_report_baseline *out);

/* "extent=none,rescaling=power10" form of a baseline (buf of cap bytes). */
void dc_report_baseline_format(const dc_report_baseline *b, char *buf, size_t cap);

/* Loads path (a results file, read serially) and computes everything for the metric called
 * metric (NULL: dc_report_default_metric of the file's). baseline NULL means the default, and a
 * default that is not in the grid only leaves the paired section out (report->baseline = -1); a
 * given baseline that matches no configuration, or several, is DC_ERR_INPUT. So is a missing file,
 * one that is not a results file, and a metric the file does not have (the message lists the
 * file's; for a report, every one of these is a wrong argument). report is zeroed first; free it
 * with dc_report_free even on error. */
int dc_report_load(dc_report *report, const char *path, const char *metric,
                   const dc_report_baseline *baseline, dc_error *err);

/* The same from rows already in memory (tests): n rows of factors, seeds, statuses and
 * metrics [n][n_metrics] (read only where the status is done), the columns described by
 * descs [n_metrics]; metric is an index into them; collapse NULL: DC_COLLAPSE_METRIC with
 * reference 1 when there is that column. report is zeroed first; free it with dc_report_free even
 * on error. */
int dc_report_compute(dc_report *report, int n, const dc_report_key *keys, const int64_t *seeds,
                      const int *statuses, const double *metrics, int n_metrics,
                      const dc_metric_desc *descs, int metric, const dc_report_baseline *baseline,
                      const dc_collapse_rule *collapse, dc_error *err);
/* A potential's collapse rule from its results file (report_collapse.c): test_force_rmse against
 * model_record's force_rms_test; NULL when the file records none. */
typedef struct dc_results dc_results;
const dc_collapse_rule *dc_report_force_rule(dc_results *res, dc_collapse_rule *rule);
/* The collapse rule of r ("|ux_nrmse - 1| < 0.01") and what it means, as two texts short enough
 * for a 100-column table; both "" when it has none. */
void dc_report_collapse_text(const dc_report *r, char *rule, size_t rule_cap, char *meaning, size_t meaning_cap);

void dc_report_free(dc_report *report);

/* The factorial analysis and the bootstrap of r's metric (dc_report_compute calls them, after the
 * configurations and "best"; src/report/report_factorial.c). */
int dc_report_build_factorial(dc_report *r, dc_error *err);
int dc_report_build_bootstrap(dc_report *r, dc_error *err);

/* The scale of a configuration as the tables show it: "%g" of c, or "-" for extent none. */
void dc_report_key_format_scale(const dc_report_key *key, char *buf, size_t cap);

#endif
