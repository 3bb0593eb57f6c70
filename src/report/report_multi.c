/* Several tasks together: the aggregate across results files of the same factors, with a
 * stratified bootstrap over seeds within tasks (include/dcsweep/report/report_multi.h). */
#include "dcsweep/report/report_multi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- factor levels ---- */

/* Extent none has no scale: its key's NaN matches NaN only. */
static int same_key(const dc_report_key *a, const dc_report_key *b)
{
    if (a->extent != b->extent || a->rescaling != b->rescaling) return 0;
    if (isnan(a->irelu_scale) || isnan(b->irelu_scale)) return isnan(a->irelu_scale) && isnan(b->irelu_scale);
    return a->irelu_scale == b->irelu_scale;
}

/* A factor's level of a configuration as a number (the scale, or the enum), NaN when it has none. */
static double level_of(dc_factor f, const dc_report_key *k)
{
    if (f == DC_FACTOR_IRELU_SCALE) return k->irelu_scale;
    return f == DC_FACTOR_EXTENT ? (double)k->extent : (double)k->rescaling;
}

/* The distinct levels of factor f in r, in order of first appearance; returns how many. */
static int levels(const dc_report *r, dc_factor f, double *out)
{
    int n = 0;
    for (int c = 0; c < r->n_configs; c++) {
        double v = level_of(f, &r->configs[c].key);
        int seen = isnan(v);
        for (int k = 0; k < n && !seen; k++) seen = out[k] == v;
        if (!seen) out[n++] = v;
    }
    return n;
}

static void format_levels(char *buf, size_t cap, dc_factor f, const double *v, int n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && len < cap; i++) {
        const char *sep = i ? "," : "";
        if (f == DC_FACTOR_IRELU_SCALE) len += (size_t)snprintf(buf + len, cap - len, "%s%g", sep, v[i]);
        else if (f == DC_FACTOR_EXTENT)
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", sep, dc_extent_name((dc_extent)v[i]));
        else len += (size_t)snprintf(buf + len, cap - len, "%s%s", sep, dc_rescaling_name((dc_rescaling)v[i]));
    }
    if (n == 0) snprintf(buf, cap, "(none)");
}

/* Whether every level of a [na] is in b [nb] and the counts agree: the same set. */
static int same_set(const double *a, int na, const double *b, int nb)
{
    if (na != nb) return 0;
    for (int i = 0; i < na; i++) {
        int found = 0;
        for (int k = 0; k < nb && !found; k++) found = a[i] == b[k];
        if (!found) return 0;
    }
    return 1;
}

int dc_report_multi_check_factors(const dc_report *const *tasks, const char *const *paths, int n,
                                  dc_error *err)
{
    int rc = DC_OK;
    double *a = NULL, *b = NULL;
    int cap = 1;
    for (int t = 0; t < n; t++) cap = tasks[t]->n_configs > cap ? tasks[t]->n_configs : cap;
    DC_ALLOC(a, cap);
    DC_ALLOC(b, cap);
    for (int f = 0; f < DC_N_FACTORS; f++) {
        int na = levels(tasks[0], (dc_factor)f, a);
        for (int t = 1; t < n; t++) {
            int nb = levels(tasks[t], (dc_factor)f, b);
            if (same_set(a, na, b, nb)) continue;
            char la[256], lb[256];
            format_levels(la, sizeof la, (dc_factor)f, a, na);
            format_levels(lb, sizeof lb, (dc_factor)f, b, nb);
            DC_FAIL(DC_ERR_INPUT, "report: the files' factors differ: %s has %s levels %s, %s has %s "
                    "(only files of the same grid aggregate)", paths[0], dc_factor_name((dc_factor)f), la,
                    paths[t], lb);
        }
    }
cleanup:
    free(a);
    free(b);
    return rc;
}

/* ---- statistics ---- */

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

double dc_iqm_sort(double *x, int n)
{
    if (n <= 0) return NAN;
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    int cut = n / 4;  /* scipy's trim_mean: int(0.25 * n) from each end */
    double sum = 0;
    for (int i = cut; i < n - cut; i++) sum += x[i];
    return sum / (n - 2 * cut);
}

static double mean_of(const double *x, int n)
{
    if (n <= 0) return NAN;
    double sum = 0;
    for (int i = 0; i < n; i++) sum += x[i];
    return sum / n;
}

/* numpy's default (linear) percentile q in [0, 1] of x [n], sorted in place; NaN when n is 0. */
static double percentile_sort(double *x, int n, double q)
{
    if (n <= 0) return NAN;
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    double h = (n - 1) * q;
    int lo = (int)floor(h);
    if (lo >= n - 1) return x[n - 1];
    return x[lo] + (h - lo) * (x[lo + 1] - x[lo]);
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ---- the aggregate ---- */

/* What the bootstrap reads: per task its seeds and, per (aggregate configuration, seed), the
 * normalised value or NaN. */
typedef struct task_values {
    int n_seeds;
    int64_t *seeds;     /* [n_seeds] done seeds with a finite value, in row order */
    double *v;          /* [n_configs][n_seeds] */
} task_values;

/* The seeds of task r with a done, finite value of its metric, in row order. */
static int task_seeds(const dc_report *r, int64_t *seeds)
{
    int n = 0;
    for (int i = 0; i < r->n_runs; i++) {
        double v = r->run_metrics[(size_t)i * r->n_metrics + r->metric];
        if (r->run_status[i] != DC_RUN_DONE || !isfinite(v)) continue;
        int seen = 0;
        for (int k = 0; k < n && !seen; k++) seen = seeds[k] == r->run_seed[i];
        if (!seen) seeds[n++] = r->run_seed[i];
    }
    return n;
}

/* The union of the tasks' configurations, in order of first appearance. */
static int build_union(dc_report_multi *mu, dc_error *err)
{
    int rc = DC_OK, cap = 0;
    for (int t = 0; t < mu->n_tasks; t++) cap += mu->tasks[t]->n_configs;
    DC_ALLOC(mu->configs, cap > 0 ? cap : 1);
    for (int t = 0; t < mu->n_tasks; t++)
        for (int c = 0; c < mu->tasks[t]->n_configs; c++) {
            const dc_report_key *k = &mu->tasks[t]->configs[c].key;
            int seen = 0;
            for (int a = 0; a < mu->n_configs && !seen; a++) seen = same_key(&mu->configs[a].key, k);
            if (!seen) mu->configs[mu->n_configs++].key = *k;
        }
cleanup:
    return rc;
}

/* Task t's normalised values per (aggregate configuration, seed). */
static int fill_task(const dc_report_multi *mu, int t, task_values *tv, dc_error *err)
{
    int rc = DC_OK;
    const dc_report *r = mu->tasks[t];
    int cap = r->n_runs > 0 ? r->n_runs : 1;
    DC_ALLOC(tv->seeds, cap);
    tv->n_seeds = task_seeds(r, tv->seeds);
    DC_ALLOC(tv->v, (size_t)mu->n_configs * (tv->n_seeds > 0 ? tv->n_seeds : 1));
    for (size_t i = 0; i < (size_t)mu->n_configs * tv->n_seeds; i++) tv->v[i] = NAN;
    for (int i = 0; i < r->n_runs; i++) {
        double v = r->run_metrics[(size_t)i * r->n_metrics + r->metric];
        if (r->run_status[i] != DC_RUN_DONE || !isfinite(v)) continue;
        int a = 0, s = 0;
        while (!same_key(&mu->configs[a].key, &r->configs[r->run_config[i]].key)) a++;
        while (tv->seeds[s] != r->run_seed[i]) s++;
        tv->v[(size_t)a * tv->n_seeds + s] = v / mu->baseline_mean[t];
    }
cleanup:
    return rc;
}

/* One aggregate configuration's pooled values over the seeds drawn (draw[t] [n_seeds of t]; NULL:
 * every seed once), into pool; returns how many. */
static int pool_values(const task_values *tv, int n_tasks, int a, int *const *draw, double *pool)
{
    int n = 0;
    for (int t = 0; t < n_tasks; t++)
        for (int i = 0; i < tv[t].n_seeds; i++) {
            int s = draw ? draw[t][i] : i;
            double v = tv[t].v[(size_t)a * tv[t].n_seeds + s];
            if (isfinite(v)) pool[n++] = v;
        }
    return n;
}

static int check_tasks(dc_report_multi *mu, const char *const *paths, dc_error *err)
{
    int rc = DC_OK;
    for (int t = 0; t < mu->n_tasks; t++) {
        const dc_report *r = mu->tasks[t];
        const dc_metric_desc *d = &r->metrics[r->metric];
        if (r->baseline < 0)
            DC_FAIL(DC_ERR_INPUT, "report: %s has no configuration extent=none,rescaling=power10 to normalise "
                    "by (choose one with --baseline)", paths[t]);
        double base = r->configs[r->baseline].mean[r->metric];
        if (!(base > 0) || !isfinite(base))
            DC_FAIL(DC_ERR_INPUT, "report: %s: the baseline's mean %s is %g; the aggregate divides by it, so it "
                    "must be positive (choose another --baseline)", paths[t], d->name, base);
        if (t > 0 && d->higher_is_better != mu->higher_is_better)
            DC_FAIL(DC_ERR_INPUT, "report: %s's metric %s is %s-is-better, %s's %s is not: they do not "
                    "aggregate (choose --metric)", paths[t], d->name, d->higher_is_better ? "higher" : "lower",
                    paths[0], mu->tasks[0]->metrics[mu->tasks[0]->metric].name);
        if (t == 0) mu->higher_is_better = d->higher_is_better;
        mu->baseline_mean[t] = base;
    }
cleanup:
    return rc;
}

int dc_report_multi_compute(dc_report_multi *mu, const dc_report *const *tasks, const char *const *paths,
                            int n, dc_error *err)
{
    int rc = DC_OK;
    task_values *tv = NULL;
    int **draw = NULL, total_seeds = 0;
    double *pool = NULL, *boot_mean = NULL, *boot_iqm = NULL;
    memset(mu, 0, sizeof *mu);
    mu->n_tasks = n;
    mu->tasks = tasks;
    DC_ALLOC(mu->baseline_mean, n);
    DC_ALLOC(mu->n_seeds, n);
    DC_TRY(check_tasks(mu, paths, err));
    DC_TRY(build_union(mu, err));
    DC_ALLOC(tv, n);
    DC_ALLOC(draw, n);
    for (int t = 0; t < n; t++) {
        DC_TRY(fill_task(mu, t, &tv[t], err));
        mu->n_seeds[t] = tv[t].n_seeds;
        total_seeds += tv[t].n_seeds;
        DC_ALLOC(draw[t], tv[t].n_seeds > 0 ? tv[t].n_seeds : 1);
    }
    const int B = DC_BOOTSTRAP_RESAMPLES, A = mu->n_configs;
    DC_ALLOC(pool, total_seeds > 0 ? total_seeds : 1);
    DC_ALLOC(boot_mean, (size_t)A * B);
    DC_ALLOC(boot_iqm, (size_t)A * B);
    for (int a = 0; a < A; a++) {
        dc_report_aggregate *g = &mu->configs[a];
        for (int t = 0; t < n; t++)
            for (int s = 0, has = 0; s < tv[t].n_seeds && !has; s++)
                if (isfinite(tv[t].v[(size_t)a * tv[t].n_seeds + s])) g->n_tasks += has = 1;
        g->n_values = pool_values(tv, n, a, NULL, pool);
        g->mean = mean_of(pool, g->n_values);
        g->iqm = dc_iqm_sort(pool, g->n_values);
    }
    /* One stream: resample by resample, task by task, each task's seeds drawn from its own. */
    uint64_t state = DC_BOOTSTRAP_SEED;
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < n; t++)
            for (int i = 0; i < tv[t].n_seeds; i++)
                draw[t][i] = (int)(((splitmix64(&state) >> 11) * (uint64_t)tv[t].n_seeds) >> 53);
        for (int a = 0; a < A; a++) {
            int k = pool_values(tv, n, a, draw, pool);
            boot_mean[(size_t)a * B + b] = mean_of(pool, k);
            boot_iqm[(size_t)a * B + b] = dc_iqm_sort(pool, k);
        }
    }
    for (int a = 0; a < A; a++) {
        dc_report_aggregate *g = &mu->configs[a];
        double *bm = boot_mean + (size_t)a * B, *bi = boot_iqm + (size_t)a * B;
        int k = 0;
        for (int b = 0; b < B; b++)
            if (isfinite(bm[b])) {
                bm[k] = bm[b];
                bi[k++] = bi[b];
            }
        g->n_resamples = k;
        g->mean_ci_low = percentile_sort(bm, k, 0.025);
        g->mean_ci_high = percentile_sort(bm, k, 0.975);
        g->iqm_ci_low = percentile_sort(bi, k, 0.025);
        g->iqm_ci_high = percentile_sort(bi, k, 0.975);
    }
cleanup:
    for (int t = 0; tv && t < n; t++) {
        free(tv[t].seeds);
        free(tv[t].v);
    }
    for (int t = 0; draw && t < n; t++) free(draw[t]);
    free(tv);
    free(draw);
    free(pool);
    free(boot_mean);
    free(boot_iqm);
    return rc;
}

void dc_report_multi_free(dc_report_multi *mu)
{
    free(mu->baseline_mean);
    free(mu->n_seeds);
    free(mu->configs);
    memset(mu, 0, sizeof *mu);
}
