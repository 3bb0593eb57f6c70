/* Small statistics for the report: Student's t distribution (by the regularized incomplete beta
 * function, no external library) and paired differences with their confidence interval. */
#ifndef DCSWEEP_STATS_H
#define DCSWEEP_STATS_H

/* The regularized incomplete beta function I_x(a, b), a, b > 0, x in [0, 1]; NaN outside. */
double dc_incbeta(double a, double b, double x);

/* The cumulative distribution function of Student's t with df > 0 degrees of freedom. */
double dc_t_cdf(double t, double df);

/* The p-quantile of Student's t with df > 0 degrees of freedom, p in (0, 1); NaN otherwise.
 * Inverts dc_t_cdf by bisection to full double precision (the CDF is exact to ~1e-14). */
double dc_t_quantile(double p, double df);

/* Mean of paired differences with a two-sided 95% t confidence interval (n - 1 df). */
typedef struct dc_paired_stats {
    int n;                    /* pairs */
    double mean;              /* mean difference; NaN when n = 0 */
    double sd;                /* sample standard deviation (n - 1); NaN when n < 2 */
    double t;                 /* t_{0.975, n-1}; NaN when n < 2 */
    double ci_low, ci_high;   /* mean -/+ t sd / sqrt(n); NaN when n < 2 */
    int excludes_zero;        /* the interval lies strictly on one side of 0 (0 when n < 2) */
} dc_paired_stats;

/* diff [n]: the per-seed differences. */
void dc_paired_stats_compute(const double *diff, int n, dc_paired_stats *out);

/* Mean and sample standard deviation (n - 1) of x [n]; NaN mean for n = 0, NaN sd for n < 2. */
void dc_mean_sd(const double *x, int n, double *mean, double *sd);

#endif
