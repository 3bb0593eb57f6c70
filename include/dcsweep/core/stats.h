/* Small statistics for the report: Student's t distribution (by the regularized incomplete beta
 * function, no external library), paired differences with their confidence interval and tests,
 * Holm's adjustment for many tests, and Wilson's interval of a proportion. */
#ifndef DCSWEEP_STATS_H
#define DCSWEEP_STATS_H

/* The regularized incomplete beta function I_x(a, b), a, b > 0, x in [0, 1]; NaN outside. */
double dc_incbeta(double a, double b, double x);

/* The cumulative distribution function of Student's t with df > 0 degrees of freedom. */
double dc_t_cdf(double t, double df);

/* The p-quantile of Student's t with df > 0 degrees of freedom, p in (0, 1); NaN otherwise.
 * Inverts dc_t_cdf by bisection to full double precision (the CDF is exact to ~1e-14). */
double dc_t_quantile(double p, double df);

/* P(F > f) for Fisher's F with d1, d2 > 0 degrees of freedom: I_{d2/(d2 + d1 f)}(d2/2, d1/2);
 * 1 for f <= 0, NaN for NaN f. */
double dc_f_sf(double f, double d1, double d2);

/* P(T > |t|) twice: the two-sided p of a t statistic with df > 0; 0 for an infinite t. */
double dc_t_two_sided_p(double t, double df);

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

/* The two-sided p-value of the paired t-test of s (H0: mean difference 0), as scipy's ttest_rel:
 * 2 P(T_{n-1} > |mean| sqrt(n) / sd). sd 0 gives 0 when the mean is not 0 (an infinite t) and NaN
 * when it is; NaN when n < 2. */
double dc_paired_t_p(const dc_paired_stats *s);

/* Largest n for which dc_sign_flip_p enumerates its 2^n sign patterns. */
#define DC_SIGN_FLIP_MAX_N 24

/* The exact two-sided p-value of the sign-flip (paired permutation) test of diff [n]: the share of
 * the 2^n sign patterns s whose |sum s_i |diff_i|| is at least |sum diff_i| (the observed pattern
 * included, so p >= 2^(1-n)); sums within 1e-9 of the observed one relative to sum |diff_i| count
 * as equal. NaN when n is 0 or above DC_SIGN_FLIP_MAX_N. */
double dc_sign_flip_p(const double *diff, int n);

/* Holm's step-down adjustment of p [n] into adj [n] (as statsmodels' multipletests 'holm'): with
 * m the number of finite p-values and p_(1) <= ... <= p_(m), adj_(j) = min(1, max_{i <= j} (m - i +
 * 1) p_(i)). Non-finite p-values are left out of m and come back NaN. */
void dc_holm(const double *p, int n, double *adj);

/* Wilson's score interval of k successes in n trials at normal quantile z (1.959963984540054 for
 * 95%); NaN bounds when n is 0. */
void dc_wilson(int k, int n, double z, double *low, double *high);

/* Mean and sample standard deviation (n - 1) of x [n]; NaN mean for n = 0, NaN sd for n < 2. */
void dc_mean_sd(const double *x, int n, double *mean, double *sd);

#endif
