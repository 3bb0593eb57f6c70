/* Factorial effects with seeds as blocks, and the probability that each configuration is best by a
 * paired bootstrap over seeds (include/dcsweep/report/report.h).
 *
 * Both work on complete blocks: the seeds done in every configuration analysed. That keeps the
 * factorial design balanced (every sum of squares is a plain sum over marginal means, and equals
 * what any ANOVA type gives) and keeps the bootstrap paired (a resample draws whole seeds). */
#include "dcsweep/report/report.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int same_level(dc_factor f, const dc_report_key *a, const dc_report_key *b)
{
    switch (f) {
    case DC_FACTOR_IRELU_SCALE: return a->irelu_scale == b->irelu_scale;
    case DC_FACTOR_EXTENT: return a->extent == b->extent;
    default: return a->rescaling == b->rescaling;
    }
}

static void set_level(dc_factor f, dc_report_key *dst, const dc_report_key *src)
{
    switch (f) {
    case DC_FACTOR_IRELU_SCALE: dst->irelu_scale = src->irelu_scale; break;
    case DC_FACTOR_EXTENT: dst->extent = src->extent; break;
    default: dst->rescaling = src->rescaling; break;
    }
}

/* Configuration c's value of the report's metric at a seed: its first done row with a finite
 * value (as the paired section pairs them); NaN when there is none. */
static double value_at(const dc_report *r, int c, int64_t seed)
{
    for (int i = 0; i < r->n_runs; i++) {
        double v = r->run_metrics[(size_t)i * r->n_metrics + r->metric];
        if (r->run_config[i] == c && r->run_seed[i] == seed && r->run_status[i] == DC_RUN_DONE &&
            isfinite(v))
            return v;
    }
    return NAN;
}

/* The distinct seeds of the rows of the configurations with in[c] set, in row order. */
static int collect_seeds(const dc_report *r, const int *in, int64_t *seeds)
{
    int n = 0;
    for (int i = 0; i < r->n_runs; i++) {
        if (!in[r->run_config[i]]) continue;
        int seen = 0;
        for (int k = 0; k < n && !seen; k++) seen = seeds[k] == r->run_seed[i];
        if (!seen) seeds[n++] = r->run_seed[i];
    }
    return n;
}

/* ---- factorial ---- */

/* Level index of factor i in a cell (the last factor varies fastest). */
static int digit(const dc_report_factorial *fa, int cell, int i)
{
    int stride = 1;
    for (int j = i + 1; j < fa->n_factors; j++) stride *= fa->n_levels[j];
    return cell / stride % fa->n_levels[i];
}

/* Mean of the cell means cm over the cells at level l of factor i and (j >= 0) level q of factor j. */
static double marginal(const dc_report_factorial *fa, const double *cm, int i, int l, int j, int q)
{
    double sum = 0;
    int n = 0;
    for (int c = 0; c < fa->n_cells; c++) {
        if (digit(fa, c, i) != l || (j >= 0 && digit(fa, c, j) != q)) continue;
        sum += cm[c];
        n++;
    }
    return sum / n;
}

static void anova_row(dc_report_factorial *fa, dc_term_kind kind, dc_factor a, dc_factor b, int df,
                      double ss)
{
    dc_report_anova_row *row = &fa->anova[fa->n_anova++];
    row->kind = kind;
    row->a = a;
    row->b = b;
    row->df = df;
    row->ss = ss;
    row->f = row->p = NAN;
}

static void add_contrast(dc_report_factorial *fa, dc_term_kind kind, int i, int l, int j, int q,
                         const dc_report_key *levels, int cap, double estimate, double n_per_mean, int n_means)
{
    dc_report_contrast *c = &fa->contrasts[fa->n_contrasts++];
    dc_factor a = fa->factors[i], b = j >= 0 ? fa->factors[j] : a;
    c->kind = kind;
    c->a = a;
    c->b = b;
    c->level = c->reference = (dc_report_key){NAN, DC_EXTENT_NONE, DC_RESCALE_NONE};
    set_level(a, &c->level, &levels[(size_t)a * cap + l]);
    set_level(a, &c->reference, &levels[(size_t)a * cap]);
    if (j >= 0) {
        set_level(b, &c->level, &levels[(size_t)b * cap + q]);
        set_level(b, &c->reference, &levels[(size_t)b * cap]);
    }
    c->estimate = estimate;
    /* n_means marginal means of n_per_mean observations each, with weights +-1 */
    c->se = sqrt(fa->ms_resid * n_means / n_per_mean);
    c->ci_low = estimate - fa->t * c->se;
    c->ci_high = estimate + fa->t * c->se;
    double t = c->se > 0 ? estimate / c->se : estimate != 0 ? INFINITY : NAN;
    c->p = dc_t_two_sided_p(t, fa->df_resid);
}

/* The sums of squares, F tests and contrasts of y [n_seeds][n_cells] (balanced). */
static int factorial_compute(dc_report_factorial *fa, const double *y, const dc_report_key *levels,
                             int cap, dc_error *err)
{
    int rc = DC_OK;
    const int n = fa->n_seeds, C = fa->n_cells, k = fa->n_factors;
    double *cm = NULL, *sm = NULL;
    DC_ALLOC(cm, C);
    DC_ALLOC(sm, n);
    double g = 0;
    for (int s = 0; s < n; s++)
        for (int c = 0; c < C; c++) {
            g += y[(size_t)s * C + c];
            cm[c] += y[(size_t)s * C + c] / n;
            sm[s] += y[(size_t)s * C + c] / C;
        }
    g /= (double)n * C;
    fa->grand_mean = g;
    double ss_total = 0, ss_seed = 0, ss_cells = 0, ss_resid = 0;
    for (int s = 0; s < n; s++)
        for (int c = 0; c < C; c++) {
            double v = y[(size_t)s * C + c];
            ss_total += (v - g) * (v - g);
            ss_resid += (v - sm[s] - cm[c] + g) * (v - sm[s] - cm[c] + g);
        }
    for (int s = 0; s < n; s++) ss_seed += C * (sm[s] - g) * (sm[s] - g);
    for (int c = 0; c < C; c++) ss_cells += n * (cm[c] - g) * (cm[c] - g);
    fa->df_resid = (n - 1) * (C - 1);
    fa->ms_resid = ss_resid / fa->df_resid;
    fa->t = dc_t_quantile(0.975, fa->df_resid);

    anova_row(fa, DC_TERM_SEED, 0, 0, n - 1, ss_seed);
    double ss_explained = 0;
    for (int i = 0; i < k; i++) {
        int L = fa->n_levels[i];
        double ss = 0;
        for (int l = 0; l < L; l++) {
            double d = marginal(fa, cm, i, l, -1, 0) - g;
            ss += (double)n * C / L * d * d;
        }
        anova_row(fa, DC_TERM_MAIN, fa->factors[i], fa->factors[i], L - 1, ss);
        ss_explained += ss;
    }
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++) {
            int Li = fa->n_levels[i], Lj = fa->n_levels[j];
            double ss = 0;
            for (int l = 0; l < Li; l++)
                for (int q = 0; q < Lj; q++) {
                    double d = marginal(fa, cm, i, l, j, q) - marginal(fa, cm, i, l, -1, 0) -
                               marginal(fa, cm, j, q, -1, 0) + g;
                    ss += (double)n * C / (Li * Lj) * d * d;
                }
            anova_row(fa, DC_TERM_TWO_WAY, fa->factors[i], fa->factors[j], (Li - 1) * (Lj - 1), ss);
            ss_explained += ss;
        }
    if (k == 3) {
        int df = (fa->n_levels[0] - 1) * (fa->n_levels[1] - 1) * (fa->n_levels[2] - 1);
        double ss = ss_cells - ss_explained;
        anova_row(fa, DC_TERM_THREE_WAY, 0, 0, df, ss > 0 ? ss : 0);
    }
    anova_row(fa, DC_TERM_RESIDUAL, 0, 0, fa->df_resid, ss_resid);
    for (int a = 0; a < fa->n_anova; a++) {
        dc_report_anova_row *row = &fa->anova[a];
        row->share = ss_total > 0 ? row->ss / ss_total : NAN;
        if (row->kind == DC_TERM_RESIDUAL) continue;
        double ms = row->ss / row->df;
        row->f = fa->ms_resid > 0 ? ms / fa->ms_resid : ms > 0 ? INFINITY : NAN;
        row->p = dc_f_sf(row->f, row->df, fa->df_resid);
    }

    int n_contrasts = 0;
    for (int i = 0; i < k; i++) {
        n_contrasts += fa->n_levels[i] - 1;
        for (int j = i + 1; j < k; j++) n_contrasts += (fa->n_levels[i] - 1) * (fa->n_levels[j] - 1);
    }
    DC_ALLOC(fa->contrasts, n_contrasts > 0 ? n_contrasts : 1);
    for (int i = 0; i < k; i++) {
        int L = fa->n_levels[i];
        double base = marginal(fa, cm, i, 0, -1, 0);
        for (int l = 1; l < L; l++)
            add_contrast(fa, DC_TERM_MAIN, i, l, -1, 0, levels, cap, marginal(fa, cm, i, l, -1, 0) - base,
                         (double)n * C / L, 2);
    }
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++) {
            int Li = fa->n_levels[i], Lj = fa->n_levels[j];
            double m00 = marginal(fa, cm, i, 0, j, 0);
            for (int l = 1; l < Li; l++)
                for (int q = 1; q < Lj; q++) {
                    double est = marginal(fa, cm, i, l, j, q) - marginal(fa, cm, i, l, j, 0) -
                                 marginal(fa, cm, i, 0, j, q) + m00;
                    add_contrast(fa, DC_TERM_TWO_WAY, i, l, j, q, levels, cap, est,
                                 (double)n * C / (Li * Lj), 4);
                }
        }
cleanup:
    free(cm);
    free(sm);
    return rc;
}

int dc_report_build_factorial(dc_report *r, dc_error *err)
{
    int rc = DC_OK;
    dc_report_factorial *fa = &r->factorial;
    const int cap = r->n_configs > 0 ? r->n_configs : 1;
    dc_report_key *levels = NULL;   /* [DC_N_FACTORS][cap] each factor's levels in the crossed part */
    int *cell_config = NULL, *in = NULL;
    int64_t *seeds = NULL;
    double *y = NULL;
    int counts[DC_N_FACTORS] = {0};
    memset(fa, 0, sizeof *fa);
    DC_ALLOC(levels, (size_t)DC_N_FACTORS * cap);
    DC_ALLOC(in, cap);
    for (int c = 0; c < r->n_configs; c++) {
        const dc_report_key *key = &r->configs[c].key;
        if (key->extent == DC_EXTENT_NONE) continue;
        in[c] = 1;
        for (int f = 0; f < DC_N_FACTORS; f++) {
            int l = 0;
            while (l < counts[f] && !same_level((dc_factor)f, &levels[(size_t)f * cap + l], key)) l++;
            if (l == counts[f]) levels[(size_t)f * cap + counts[f]++] = *key;
        }
    }
    fa->n_cells = 1;
    for (int f = 0; f < DC_N_FACTORS; f++)
        if (counts[f] >= 2) {
            fa->factors[fa->n_factors] = (dc_factor)f;
            fa->n_levels[fa->n_factors++] = counts[f];
            fa->n_cells *= counts[f];
        }
    if (fa->n_factors == 0) {
        snprintf(fa->why, sizeof fa->why, "no factor has two levels among the configurations with c "
                 "(extent output or full)");
        goto cleanup;
    }
    DC_ALLOC(cell_config, fa->n_cells);
    for (int cell = 0; cell < fa->n_cells; cell++) {
        cell_config[cell] = -1;
        for (int c = 0; c < r->n_configs && cell_config[cell] < 0; c++) {
            int match = in[c];
            for (int i = 0; i < fa->n_factors && match; i++) {
                dc_factor f = fa->factors[i];
                match = same_level(f, &r->configs[c].key, &levels[(size_t)f * cap + digit(fa, cell, i)]);
            }
            if (match) cell_config[cell] = c;
        }
        if (cell_config[cell] < 0) {
            snprintf(fa->why, sizeof fa->why, "the configurations with c are not a full factorial "
                     "(%d cells, a combination is missing)", fa->n_cells);
            goto cleanup;
        }
    }
    DC_ALLOC(seeds, r->n_runs > 0 ? r->n_runs : 1);
    DC_ALLOC(y, (size_t)(r->n_runs > 0 ? r->n_runs : 1) * fa->n_cells);
    fa->n_seeds_total = collect_seeds(r, in, seeds);
    for (int s = 0; s < fa->n_seeds_total; s++) {
        double *row = y + (size_t)fa->n_seeds * fa->n_cells;
        int complete = 1;
        for (int cell = 0; cell < fa->n_cells && complete; cell++) {
            row[cell] = value_at(r, cell_config[cell], seeds[s]);
            complete = isfinite(row[cell]);
        }
        fa->n_seeds += complete;
    }
    if (fa->n_seeds < 2) {
        snprintf(fa->why, sizeof fa->why, "%d seed(s) done in all %d configurations with c: "
                 "the blocks need 2", fa->n_seeds, fa->n_cells);
        goto cleanup;
    }
    DC_TRY(factorial_compute(fa, y, levels, cap, err));
    fa->available = 1;
cleanup:
    free(levels);
    free(cell_config);
    free(in);
    free(seeds);
    free(y);
    return rc;
}

/* ---- P(best) by a paired bootstrap over seeds ---- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int dc_report_build_bootstrap(dc_report *r, dc_error *err)
{
    int rc = DC_OK;
    dc_report_bootstrap *bs = &r->bootstrap;
    const int cap = r->n_configs > 0 ? r->n_configs : 1, m = r->metric;
    const int higher = r->metrics[m].higher_is_better;
    int *in = NULL, *cand = NULL, *draw = NULL;
    int64_t *seeds = NULL;
    double *y = NULL, *sums = NULL, *wins = NULL;
    DC_ALLOC(bs->p_best, cap);
    for (int c = 0; c < cap; c++) bs->p_best[c] = NAN;
    DC_ALLOC(in, cap);
    DC_ALLOC(cand, cap);
    for (int c = 0; c < r->n_configs; c++) {
        const dc_report_config *cfg = &r->configs[c];
        in[c] = isfinite(cfg->mean[m]) && cfg->n_diverged == 0 && cfg->n_collapsed == 0;
        if (in[c]) cand[bs->n_candidates++] = c;
    }
    if (bs->n_candidates < 2) goto cleanup;
    const int K = bs->n_candidates;
    DC_ALLOC(seeds, r->n_runs > 0 ? r->n_runs : 1);
    DC_ALLOC(y, (size_t)(r->n_runs > 0 ? r->n_runs : 1) * K);
    int n_seeds = collect_seeds(r, in, seeds);
    for (int s = 0; s < n_seeds; s++) {
        double *row = y + (size_t)bs->n_seeds * K;
        int complete = 1;
        for (int k = 0; k < K && complete; k++) {
            row[k] = value_at(r, cand[k], seeds[s]);
            complete = isfinite(row[k]);
        }
        bs->n_seeds += complete;
    }
    const int n = bs->n_seeds;
    if (n < 2) goto cleanup;
    DC_ALLOC(draw, n);
    DC_ALLOC(sums, K);
    DC_ALLOC(wins, K);
    uint64_t state = DC_BOOTSTRAP_SEED;
    for (int b = 0; b < DC_BOOTSTRAP_RESAMPLES; b++) {
        for (int i = 0; i < n; i++) draw[i] = (int)(((splitmix64(&state) >> 11) * (uint64_t)n) >> 53);
        /* Sums in draw order: every configuration's mean is over the same n seeds, so sums compare. */
        for (int k = 0; k < K; k++) {
            sums[k] = 0;
            for (int i = 0; i < n; i++) sums[k] += y[(size_t)draw[i] * K + k];
        }
        double best = sums[0];
        for (int k = 1; k < K; k++) best = higher ? fmax(best, sums[k]) : fmin(best, sums[k]);
        int tied = 0;
        for (int k = 0; k < K; k++) tied += sums[k] == best;
        for (int k = 0; k < K; k++)
            if (sums[k] == best) wins[k] += 1.0 / tied;
    }
    for (int k = 0; k < K; k++) bs->p_best[cand[k]] = wins[k] / DC_BOOTSTRAP_RESAMPLES;
cleanup:
    free(in);
    free(cand);
    free(draw);
    free(seeds);
    free(y);
    free(sums);
    free(wins);
    return rc;
}
