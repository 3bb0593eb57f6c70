/* The t distribution and the report's statistics: quantiles against closed forms and table values,
 * paired differences, and the aggregation of a small grid built in memory. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "schnet_fixture.h"
#include "dcsweep/config/run.h"
#include "dcsweep/report/report.h"
#include "dcsweep/core/stats.h"

#define EXPECT(cond) CHECK(cond, "%s", "")

static void test_incbeta(void)
{
    CHECK_CLOSE(dc_incbeta(3.0, 1.0, 0.7), pow(0.7, 3.0), 1e-14);       /* I_x(a, 1) = x^a */
    CHECK_CLOSE(dc_incbeta(1.0, 4.0, 0.2), 1 - pow(0.8, 4.0), 1e-14);   /* I_x(1, b) = 1-(1-x)^b */
    CHECK_CLOSE(dc_incbeta(7.5, 7.5, 0.5), 0.5, 1e-14);                 /* symmetry */
    CHECK_CLOSE(dc_incbeta(2.5, 0.5, 0.3), 0.01892712407194565, 1e-12); /* scipy.special.betainc */
    CHECK_CLOSE(dc_incbeta(10, 20, 0.4), 0.785318389762826, 1e-12);
    EXPECT(dc_incbeta(1, 1, 0) == 0 && dc_incbeta(1, 1, 1) == 1);
    EXPECT(isnan(dc_incbeta(-1, 1, 0.5)) && isnan(dc_incbeta(1, 1, 1.5)));
}

static void test_t(void)
{
    const double pi = 3.14159265358979323846;
    /* Closed forms: df 1 is Cauchy, df 2 has t = (2p - 1) sqrt(2 / (4 p (1 - p))). */
    CHECK_CLOSE(dc_t_quantile(0.975, 1), tan(pi * 0.475), 1e-12);
    CHECK_CLOSE(dc_t_quantile(0.9995, 1), tan(pi * 0.4995), 1e-11);
    CHECK_CLOSE(dc_t_quantile(0.975, 2), 0.95 * sqrt(2.0 / (4 * 0.975 * 0.025)), 1e-12);
    /* The printed tables (4 decimals) ... */
    const struct { int df; double t; } table[] = {{1, 12.7062}, {2, 4.3027}, {4, 2.7764},
                                                  {9, 2.2622}, {29, 2.0452}, {30, 2.0423}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        EXPECT(fabs(dc_t_quantile(0.975, table[i].df) - table[i].t) < 0.5e-4);
    /* ... and scipy.stats.t.ppf to its own accuracy (~1e-10). */
    CHECK_CLOSE(dc_t_quantile(0.975, 3), 3.182446305284263, 1e-10);
    CHECK_CLOSE(dc_t_quantile(0.975, 4), 2.7764451051977987, 1e-10);
    CHECK_CLOSE(dc_t_quantile(0.975, 9), 2.2621571627409915, 1e-10);
    CHECK_CLOSE(dc_t_quantile(0.975, 29), 2.045229642132703, 1e-10);
    CHECK_CLOSE(dc_t_quantile(0.975, 1000), 1.9623390808264074, 1e-10);
    /* df 3: F(t) = 1/2 + (th + sin th cos th) / pi, th = atan(t / sqrt 3), inverted by bisection
     * (scipy gives 5.84090929975643 here, off by 2e-9). */
    CHECK_CLOSE(dc_t_quantile(0.995, 3), 5.840909309733344, 1e-13);
    CHECK_CLOSE(dc_t_quantile(0.05, 7), -1.8945786050613054, 1e-10);
    CHECK_CLOSE(dc_t_quantile(0.975, 2.5), 3.5746548420118773, 1e-10);
    CHECK_CLOSE(dc_t_cdf(1.7, 6), 0.9299801726875514, 1e-12);
    CHECK_CLOSE(dc_t_cdf(-1.7, 6), 1 - 0.9299801726875514, 1e-12);
    EXPECT(dc_t_cdf(0, 5) == 0.5 && dc_t_quantile(0.5, 5) == 0);
    /* Round trip. */
    for (double df = 1; df <= 64; df *= 2)
        for (double p = 0.01; p < 1; p += 0.07) CHECK_CLOSE(dc_t_cdf(dc_t_quantile(p, df), df), p, 1e-12);
    EXPECT(isnan(dc_t_quantile(0, 3)) && isnan(dc_t_quantile(1, 3)) && isnan(dc_t_quantile(0.9, 0)));
}

static void test_paired(void)
{
    const double d[] = {0.3, -0.1, 0.45, 0.2, 0.05};
    dc_paired_stats s;
    dc_paired_stats_compute(d, 5, &s);
    EXPECT(s.n == 5);
    CHECK_CLOSE(s.mean, 0.18, 1e-14);
    CHECK_CLOSE(s.sd, 0.21389249636207439, 1e-13);
    CHECK_CLOSE(s.ci_low, -0.08558261221871785, 1e-10);
    CHECK_CLOSE(s.ci_high, 0.44558261221871787, 1e-10);
    EXPECT(!s.excludes_zero);
    const double up[] = {1.0, 1.2, 0.9, 1.1};
    dc_paired_stats_compute(up, 4, &s);
    EXPECT(s.excludes_zero && s.ci_low > 0);
    dc_paired_stats_compute(up, 1, &s);
    EXPECT(s.n == 1 && s.mean == 1.0 && isnan(s.sd) && isnan(s.ci_low) && !s.excludes_zero);
    dc_paired_stats_compute(up, 0, &s);
    EXPECT(s.n == 0 && isnan(s.mean));
}

/* The tests a paired comparison reports, against scipy and statsmodels (values printed by them). */
static void test_paired_tests(void)
{
    const double d[] = {0.3, -0.1, 0.45, 0.2, 0.05, 0.12};
    dc_paired_stats s;
    dc_paired_stats_compute(d, 5, &s);
    CHECK_CLOSE(dc_paired_t_p(&s), 0.13301194756747756, 1e-12);  /* ttest_1samp(d[:5], 0) */
    /* sign-flip over 2^6 patterns: 6 of 64 reach |0.72| */
    CHECK_CLOSE(dc_sign_flip_p(d, 6), 0.09375, 0);
    const double same[] = {1, 1, 1, 1, 1, 1};
    CHECK_CLOSE(dc_sign_flip_p(same, 6), 2.0 / 64, 0);             /* only all + and all - */
    EXPECT(isnan(dc_sign_flip_p(d, 0)) && isnan(dc_sign_flip_p(d, DC_SIGN_FLIP_MAX_N + 1)));
    const double constant[] = {2, 2, 2};
    dc_paired_stats_compute(constant, 3, &s);
    EXPECT(dc_paired_t_p(&s) == 0);                                /* t infinite */
    const double zero[] = {0, 0, 0};
    dc_paired_stats_compute(zero, 3, &s);
    EXPECT(isnan(dc_paired_t_p(&s)));
    /* multipletests(p, method='holm'), a NaN left out */
    const double p[] = {0.01, 0.04, NAN, 0.03, 0.005, 0.2};
    const double want[] = {0.04, 0.09, NAN, 0.09, 0.025, 0.2};
    double adj[6];
    dc_holm(p, 6, adj);
    for (int i = 0; i < 6; i++)
        EXPECT(isnan(want[i]) ? isnan(adj[i]) : fabs(adj[i] - want[i]) < 1e-15);
    /* proportion_confint(k, n, method='wilson') */
    double lo, hi;
    dc_wilson(1, 7, DC_Z975, &lo, &hi);
    CHECK_CLOSE(lo, 0.02567962434474355, 1e-14);
    CHECK_CLOSE(hi, 0.5131278292743189, 1e-14);
    dc_wilson(0, 3, DC_Z975, &lo, &hi);
    EXPECT(fabs(lo) < 1e-16);
    CHECK_CLOSE(hi, 0.5614970317550455, 1e-14);
    dc_wilson(0, 0, DC_Z975, &lo, &hi);
    EXPECT(isnan(lo) && isnan(hi));
    /* scipy.stats.f.sf and 2 t.sf */
    CHECK_CLOSE(dc_f_sf(3.2, 2, 10), 0.08429091335387398, 1e-12);
    CHECK_CLOSE(dc_f_sf(0.5, 4, 28), 0.7359047591664416, 1e-12);
    EXPECT(dc_f_sf(0, 3, 5) == 1 && dc_f_sf(INFINITY, 3, 5) == 0 && isnan(dc_f_sf(NAN, 3, 5)));
    CHECK_CLOSE(dc_t_two_sided_p(2.1, 7), 0.0738711962129226, 1e-12);
    CHECK_CLOSE(dc_t_two_sided_p(-2.1, 7), 0.0738711962129226, 1e-12);
}

/* Two configurations plus a baseline over 3 seeds; metric value = f(config) + seed. */
static void test_report_compute(void)
{
    enum { N = 9 };
    dc_report_key keys[N];
    int64_t seeds[N];
    int statuses[N];
    double metrics[N][FX_METRICS];
    dc_metric_desc descs[FX_METRICS];
    fx_metrics(descs);
    const int TF = FX_TEST + FX_FORCE_MAE, TW = FX_TEST + FX_EFWT;
    const dc_report_key cfg[3] = {{NAN, DC_EXTENT_NONE, DC_RESCALE_POWER10},
                                  {0.5, DC_EXTENT_FULL, DC_RESCALE_POWER10},
                                  {1.0, DC_EXTENT_FULL, DC_RESCALE_POWER10}};
    const double base[3] = {10, 8, 11};
    for (int s = 0; s < 3; s++)
        for (int c = 0; c < 3; c++) {
            int i = 3 * s + c;
            keys[i] = cfg[c];
            seeds[i] = 100 + s;
            statuses[i] = DC_RUN_DONE;
            for (int m = 0; m < FX_METRICS; m++) metrics[i][m] = base[c] + s + 0.1 * m;
        }
    /* Seed 102 of c = 1.0 diverged: 2 done pairs remain for it. */
    statuses[8] = DC_RUN_DIVERGED;
    metrics[8][TF] = NAN;

    dc_report r;
    dc_error err = {0};
    EXPECT(dc_report_compute(&r, N, keys, seeds, statuses, &metrics[0][0], FX_METRICS, descs,
                            TF, NULL, NULL, &err) == DC_OK);
    EXPECT(r.n_configs == 3 && r.n_done == 8 && r.n_diverged == 1);
    EXPECT(r.n_metrics == FX_METRICS && strcmp(r.metrics[TF].name, "test_force_mae") == 0);
    double tf = 0.1 * TF;
    CHECK_CLOSE(r.configs[0].mean[TF], 11 + tf, 1e-14);
    CHECK_CLOSE(r.configs[0].sd[TF], 1.0, 1e-14);
    CHECK_CLOSE(r.configs[2].mean[TF], 11.5 + tf, 1e-14);
    EXPECT(r.configs[2].n_done == 2 && r.configs[2].n_diverged == 1);
    /* Main effects: c = 0.5 and 1.0 one configuration each; extent full = mean of 9+tf, 11.5+tf. */
    EXPECT(r.n_effects == 2 + 2 + 1);
    EXPECT(r.effects[0].factor == DC_FACTOR_IRELU_SCALE && r.effects[0].level.irelu_scale == 0.5);
    CHECK_CLOSE(r.effects[0].mean, 9 + tf, 1e-14);
    EXPECT(r.effects[3].factor == DC_FACTOR_EXTENT && r.effects[3].level.extent == DC_EXTENT_FULL);
    CHECK_CLOSE(r.effects[3].mean, (9 + 11.5) / 2 + tf, 1e-14);
    CHECK_CLOSE(r.effects[4].mean, (11 + 9 + 11.5) / 3 + tf, 1e-14);
    /* Paired against the default baseline (none, power10): differences are exactly -2 and +1. */
    EXPECT(r.baseline == 0 && r.n_paired == 2);
    EXPECT(r.paired[0].config == 1 && r.paired[0].stats.n == 3);
    CHECK_CLOSE(r.paired[0].stats.mean, -2, 1e-13);
    EXPECT(r.paired[0].stats.sd < 1e-12 && r.paired[0].stats.excludes_zero);
    EXPECT(r.paired[1].stats.n == 2);
    CHECK_CLOSE(r.paired[1].stats.mean, 1, 1e-13);
    /* EFwT's highest mean is c = 1.0's, whose diverged seed makes it no candidate. */
    EXPECT(r.best[TF] == 1 && r.best[TW] == 0 && r.best_status[TW] == DC_BEST_ONE);
    EXPECT(r.best_n_candidates[TW] == 2 && r.best_n_degenerate[TW] == 1);
    EXPECT(r.configs[2].diverged.k == 1 && r.configs[2].diverged.n == 3 && r.collapse_metric == -1);
    EXPECT(isnan(r.configs[2].collapsed.rate));
    dc_report_free(&r);

    /* Baselines: ambiguous, absent, and a good one; parse errors. */
    dc_report_baseline b;
    EXPECT(dc_report_baseline_parse("extent=full", &b, &err) == DC_OK);
    EXPECT(dc_report_compute(&r, N, keys, seeds, statuses, &metrics[0][0], FX_METRICS, descs,
                            TF, &b, NULL, &err) == DC_ERR_INPUT);
    EXPECT(strstr(err.message, "ambiguous") != NULL);
    dc_report_free(&r);
    EXPECT(dc_report_baseline_parse("extent=output,rescaling=standard", &b, &err) == DC_OK);
    EXPECT(dc_report_compute(&r, N, keys, seeds, statuses, &metrics[0][0], FX_METRICS, descs,
                            TF, &b, NULL, &err) == DC_ERR_INPUT);
    EXPECT(strstr(err.message, "matches no configuration") != NULL);
    dc_report_free(&r);
    EXPECT(dc_report_baseline_parse("c=1,extent=full", &b, &err) == DC_OK);
    EXPECT(dc_report_compute(&r, N, keys, seeds, statuses, &metrics[0][0], FX_METRICS, descs,
                            TF, &b, NULL, &err) == DC_OK);
    EXPECT(r.baseline == 2 && r.n_paired == 2 && r.paired[0].stats.n == 2);
    dc_report_free(&r);
    EXPECT(dc_report_baseline_parse("extent=sideways", &b, &err) == DC_ERR_INPUT);
    EXPECT(dc_report_baseline_parse("color=red", &b, &err) == DC_ERR_INPUT);
    EXPECT(dc_report_baseline_parse("c=-1", &b, &err) == DC_ERR_INPUT);
    EXPECT(dc_report_baseline_parse("extent=none,extent=full", &b, &err) == DC_ERR_INPUT);
    EXPECT(dc_report_baseline_parse("", &b, &err) == DC_ERR_INPUT);
    EXPECT(dc_report_compute(&r, N, keys, seeds, statuses, &metrics[0][0], FX_METRICS, descs, TW,
                             NULL, NULL, &err) == DC_OK);
    EXPECT(dc_report_metric_index(&r, "val_efwt") == FX_EFWT && dc_report_metric_index(&r, "test_force") == -1);
    dc_report_free(&r);
    /* The default metric: test_force_mae where there is one, else the first headline one. */
    EXPECT(dc_report_default_metric(descs, FX_METRICS) == TF);
    dc_metric_desc pinn[3] = {{"u_rmse", "u", 0, 0, 0}, {"u_nrmse", "", 0, 0, 1}, {"ux_nrmse", "", 0, 0, 1}};
    EXPECT(dc_report_default_metric(pinn, 3) == 1);
    pinn[1].headline = pinn[2].headline = 0;
    EXPECT(dc_report_default_metric(pinn, 3) == 0 && dc_report_default_metric(pinn, 0) == -1);
    /* the family's mark comes first, wherever it is */
    pinn[2].headline = DC_HEADLINE_DEFAULT;
    EXPECT(dc_report_default_metric(pinn, 3) == 2);
    descs[0].headline = DC_HEADLINE_DEFAULT;
    EXPECT(dc_report_default_metric(descs, FX_METRICS) == 0);
    descs[0].headline = 0;
}

int main(void)
{
    test_incbeta();
    test_t();
    test_paired();
    test_paired_tests();
    test_report_compute();
    return check_finish();
}
