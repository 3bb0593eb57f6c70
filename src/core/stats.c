/* Student's t distribution and paired differences (include/dcsweep/core/stats.h).
 *
 * The t CDF comes from the regularized incomplete beta function,
 *   P(T > t) = I_{df/(df+t^2)}(df/2, 1/2) / 2   (t >= 0),
 * evaluated by its continued fraction (modified Lentz), which converges fast on the side of
 * x < (a+1)/(a+b+2); the other side uses I_x(a,b) = 1 - I_{1-x}(b,a). The quantile inverts the
 * upper tail by bisection: the tail is monotone in t, so bisection cannot fail, and ~100 halvings
 * reach double precision, which costs nothing next to reading an HDF5 file. */
#include "dcsweep/core/stats.h"

#include <math.h>
#include <stdint.h>

#define CF_EPS 1e-16
#define CF_TINY 1e-300
#define CF_MAX_ITER 10000

/* The continued fraction of I_x(a, b) without its front factor (Numerical Recipes' betacf). */
static double beta_cf(double a, double b, double x)
{
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    if (fabs(d) < CF_TINY) d = CF_TINY;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= CF_MAX_ITER; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < CF_TINY) d = CF_TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < CF_TINY) c = CF_TINY;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < CF_TINY) d = CF_TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < CF_TINY) c = CF_TINY;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < CF_EPS) break;
    }
    return h;
}

double dc_incbeta(double a, double b, double x)
{
    if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1)) return NAN;
    if (x == 0) return 0.0;
    if (x == 1) return 1.0;
    double log_front = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1.0) / (a + b + 2.0)) return exp(log_front) * beta_cf(a, b, x) / a;
    return 1.0 - exp(log_front) * beta_cf(b, a, 1.0 - x) / b;
}

/* P(T > t) for t >= 0: accurate in the far tail too, where 1 - cdf would cancel. */
static double t_upper_tail(double t, double df)
{
    return 0.5 * dc_incbeta(df / 2.0, 0.5, df / (df + t * t));
}

double dc_t_cdf(double t, double df)
{
    if (!(df > 0) || isnan(t)) return NAN;
    if (isinf(t)) return t > 0 ? 1.0 : 0.0;
    double tail = t_upper_tail(fabs(t), df);
    return t >= 0 ? 1.0 - tail : tail;
}

double dc_t_quantile(double p, double df)
{
    if (!(df > 0) || !(p > 0) || !(p < 1)) return NAN;
    if (p == 0.5) return 0.0;
    if (p < 0.5) return -dc_t_quantile(1.0 - p, df);
    double q = 1.0 - p;  /* the upper tail to reach */
    double lo = 0.0, hi = 1.0;
    while (t_upper_tail(hi, df) > q) {
        lo = hi;
        hi *= 2.0;
        if (hi > 1e300) return INFINITY;
    }
    for (int i = 0; i < 2000 && hi - lo > 4e-16 * hi; i++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        if (t_upper_tail(mid, df) > q) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

void dc_mean_sd(const double *x, int n, double *mean, double *sd)
{
    double m = NAN, s = NAN;
    if (n > 0) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += x[i];
        m = sum / n;
    }
    if (n > 1) {
        /* Two passes: the sum of squared deviations does not cancel like E[x^2] - E[x]^2. */
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
        s = sqrt(ss / (n - 1));
    }
    *mean = m;
    *sd = s;
}

void dc_paired_stats_compute(const double *diff, int n, dc_paired_stats *out)
{
    out->n = n;
    dc_mean_sd(diff, n, &out->mean, &out->sd);
    out->t = out->ci_low = out->ci_high = NAN;
    out->excludes_zero = 0;
    if (n < 2) return;
    out->t = dc_t_quantile(0.975, n - 1);
    double half = out->t * out->sd / sqrt((double)n);
    out->ci_low = out->mean - half;
    out->ci_high = out->mean + half;
    out->excludes_zero = out->ci_low > 0 || out->ci_high < 0;
}

double dc_paired_t_p(const dc_paired_stats *s)
{
    if (s->n < 2 || !isfinite(s->mean) || !isfinite(s->sd)) return NAN;
    if (s->sd == 0) return s->mean == 0 ? NAN : 0.0;
    double t = fabs(s->mean) * sqrt((double)s->n) / s->sd;
    return 2.0 * t_upper_tail(t, s->n - 1);
}

double dc_sign_flip_p(const double *diff, int n)
{
    if (n < 1 || n > DC_SIGN_FLIP_MAX_N) return NAN;
    /* Gray code: each pattern differs from the previous one in one sign, so the sum is updated in
     * O(1) and the 2^n patterns cost 2^n steps (16.8 M at n = 24: a few tens of ms). */
    double sum = 0, scale = 0;
    for (int i = 0; i < n; i++) {
        sum += fabs(diff[i]);
        scale += fabs(diff[i]);
    }
    double observed = 0;
    for (int i = 0; i < n; i++) observed += diff[i];
    double threshold = fabs(observed) - 1e-9 * scale;
    uint32_t signs = 0;  /* bit i set: |diff_i| enters with a minus */
    uint64_t count = fabs(sum) >= threshold, total = (uint64_t)1 << n;
    for (uint64_t g = 1; g < total; g++) {
        int bit = 0;
        while (!(g >> bit & 1u)) bit++;
        double a = fabs(diff[bit]);
        sum += (signs >> bit & 1u) ? 2.0 * a : -2.0 * a;
        signs ^= 1u << bit;
        count += fabs(sum) >= threshold;
    }
    return (double)count / (double)total;
}

/* The position of finite p[i] in ascending order, ties broken by index (a stable sort's). */
static int holm_rank(const double *p, int n, int i)
{
    int rank = 0;
    for (int j = 0; j < n; j++)
        if (isfinite(p[j]) && (p[j] < p[i] || (p[j] == p[i] && j < i))) rank++;
    return rank;
}

void dc_holm(const double *p, int n, double *adj)
{
    /* O(n^2) without allocating: a report makes tens of comparisons. */
    int m = 0;
    for (int i = 0; i < n; i++) m += isfinite(p[i]) != 0;
    for (int i = 0; i < n; i++) {
        adj[i] = NAN;
        if (!isfinite(p[i])) continue;
        int rank = holm_rank(p, n, i);
        double running = 0;
        for (int j = 0; j < n; j++) {
            if (!isfinite(p[j])) continue;
            int r = holm_rank(p, n, j);
            double v = (double)(m - r) * p[j];
            if (r <= rank && v > running) running = v;
        }
        adj[i] = running < 1.0 ? running : 1.0;
    }
}

void dc_wilson(int k, int n, double z, double *low, double *high)
{
    if (n <= 0) {
        *low = *high = NAN;
        return;
    }
    double p = (double)k / n, z2 = z * z;
    double denom = 1.0 + z2 / n;
    double center = (p + z2 / (2.0 * n)) / denom;
    double half = z * sqrt(p * (1.0 - p) / n + z2 / (4.0 * (double)n * n)) / denom;
    /* exact bounds at the ends (the formula gives them up to rounding) */
    *low = k == 0 ? 0.0 : center - half;
    *high = k == n ? 1.0 : center + half;
}

double dc_f_sf(double f, double d1, double d2)
{
    if (isnan(f) || !(d1 > 0) || !(d2 > 0)) return NAN;
    if (f <= 0) return 1.0;
    if (isinf(f)) return 0.0;
    return dc_incbeta(d2 / 2.0, d1 / 2.0, d2 / (d2 + d1 * f));
}

double dc_t_two_sided_p(double t, double df)
{
    if (isnan(t) || !(df > 0)) return NAN;
    if (isinf(t)) return 0.0;
    return 2.0 * t_upper_tail(fabs(t), df);
}
