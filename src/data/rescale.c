/* Label rescaling statistics (docs/model.md, "Label rescaling"). Percentiles follow numpy's default
 * ("linear") method, including its two-sided lerp, so robust matches numpy to the last bits. */
#include "dcsweep/data/rescale.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Local names: this module must not depend on the sweep-file module. */
static const char *method_name(dc_rescaling m)
{
    static const char *const names[] = {"none", "power10", "minmax", "standard", "robust"};
    return (int)m >= 0 && (int)m < DC_N_RESCALINGS ? names[m] : NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy.percentile(sorted, q), method="linear": virtual index (n-1) q/100, and numpy's _lerp,
 * which interpolates from the upper neighbour when the fraction is >= 0.5. */
static double percentile_sorted(const double *a, int n, double q)
{
    double idx = (double)(n - 1) * (q / 100.0);
    double lo_f = floor(idx);
    int lo = (int)lo_f, hi = lo + 1 < n ? lo + 1 : n - 1;
    double t = idx - lo_f, diff = a[hi] - a[lo];
    return t >= 0.5 ? a[hi] - diff * (1.0 - t) : a[lo] + diff * t;
}

/* Compensated (Neumaier) sum: the mean of thousands of ~-4e3 energies must be exact to ~1 ulp. */
static double sum_compensated(const double *x, int n, double centre)
{
    double s = 0, c = 0;
    for (int i = 0; i < n; i++) {
        double v = x[i] - centre, t = s + v;
        c += fabs(s) >= fabs(v) ? (s - t) + v : (v - t) + s;
        s = t;
    }
    return s + c;
}

int dc_rescale_fit(dc_rescale *rs, dc_rescaling method, const double *energy, int n, dc_error *err)
{
    int rc = DC_OK;
    double *sorted = NULL, *dev = NULL;
    const char *name = method_name(method);
    double shift = 0, scale = 1;
    if (!name) DC_FAIL(DC_ERR_INTERNAL, "%s:%d: unknown rescaling method %d", __FILE__, __LINE__, (int)method);
    if (n <= 0) DC_FAIL(DC_ERR_INPUT, "rescaling %s: no training energies", name);
    for (int i = 0; i < n; i++)
        if (!isfinite(energy[i]))
            DC_FAIL(DC_ERR_NUMERIC, "rescaling %s: training energy %d is not finite (%g)", name, i, energy[i]);

    switch (method) {
    case DC_RESCALE_NONE: break;
    case DC_RESCALE_POWER10: {
        double m = 0;
        for (int i = 0; i < n; i++) m = fmax(m, fabs(energy[i]));
        if (m == 0) DC_FAIL(DC_ERR_NUMERIC, "rescaling power10: the training energies are all 0 (scale 0)");
        scale = pow(10.0, ceil(log10(m)));
        break;
    }
    case DC_RESCALE_MINMAX: {
        double lo = energy[0], hi = energy[0];
        for (int i = 1; i < n; i++) {
            lo = fmin(lo, energy[i]);
            hi = fmax(hi, energy[i]);
        }
        shift = lo;
        scale = hi - lo;
        if (scale == 0)
            DC_FAIL(DC_ERR_NUMERIC, "rescaling minmax: the training energies are all equal (scale 0)");
        break;
    }
    case DC_RESCALE_STANDARD: {
        /* Two passes: the mean, then the mean squared deviation (population, ddof = 0). */
        shift = sum_compensated(energy, n, 0.0) / n;
        DC_ALLOC(dev, n);
        for (int i = 0; i < n; i++) dev[i] = (energy[i] - shift) * (energy[i] - shift);
        scale = sqrt(sum_compensated(dev, n, 0.0) / n);
        if (scale == 0)
            DC_FAIL(DC_ERR_NUMERIC, "rescaling standard: the training energies are all equal "
                                    "(standard deviation 0)");
        break;
    }
    case DC_RESCALE_ROBUST: {
        DC_ALLOC(sorted, n);
        memcpy(sorted, energy, (size_t)n * sizeof *sorted);
        qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
        /* numpy.median: the middle element, or the mean of the two middle ones. */
        shift = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
        scale = percentile_sorted(sorted, n, 75.0) - percentile_sorted(sorted, n, 25.0);
        if (scale == 0)
            DC_FAIL(DC_ERR_NUMERIC, "rescaling robust: the interquartile range of the training "
                                    "energies is 0 (scale 0)");
        break;
    }
    }
    if (!isfinite(shift) || !isfinite(scale) || scale <= 0)
        DC_FAIL(DC_ERR_NUMERIC, "rescaling %s: non-finite or non-positive statistic (shift %g, scale %g)",
                name, shift, scale);
    rs->method = method;
    rs->shift = shift;
    rs->scale = scale;
cleanup:
    free(sorted);
    free(dev);
    return rc;
}
