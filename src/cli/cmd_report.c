/* `dcsweep report`: summarise a results file (options, loading, choice of format). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_report.h"
#include "dcsweep/cli/cli.h"
#include "dcsweep/model/model.h"
#include "dcsweep/report/report.h"
#include "dcsweep/report/report_multi.h"

static const char report_help_format[] =
    "usage: dcsweep report RESULTS.h5 [RESULTS.h5...] [--metric METRIC]\n"
    "                      [--format table|markdown|csv|json] [--baseline KEY=VALUE[,KEY=VALUE...]]\n"
    "\n"
    "Summarises a results file (complete, partial or merged; of any model family: the metrics, their\n"
    "units and which way is better come from the file's /metrics): per configuration (grid point\n"
    "without its seed) the runs done, diverged, failed and pending, and the mean and sample standard\n"
    "deviation over done seeds of the headline metrics (per split where the columns have one: test,\n"
    "validation); the main effect of each factor on METRIC; paired comparisons of every configuration\n"
    "with a baseline on METRIC; the best configuration per metric. Diverged, failed and pending runs\n"
    "are counted, never averaged. csv and json hold every metric.\n"
    "\n"
    "  main effect of a level  = mean, over the configurations at that level with a done run, of\n"
    "                            their per-configuration mean (extent none has no IReLU scale and is\n"
    "                            not part of the scale's levels)\n"
    "  paired difference       = mean over seeds done in both of METRIC(config, seed) -\n"
    "                            METRIC(baseline, seed), 95%% CI from Student's t with n-1 df;\n"
    "                            k of n seeds better (in METRIC's direction), the paired t-test's p,\n"
    "                            that p adjusted by Holm over the section, and the exact sign-flip\n"
    "                            p (n >= 6)\n"
    "  rates                   = diverged and collapsed runs of the finished (done + diverged) ones\n"
    "                            per configuration, Wilson 95%% CI; collapsed: done with\n"
    "                            |" DC_COLLAPSE_METRIC " - 1| < 0.01 (a constant predictor's derivative),\n"
    "                            or for a potential |test_force_rmse / RMS of the test forces - 1|\n"
    "                            < 0.01 (forces no better than zero); files without either have no rule\n"
    "  best                    = best mean among configurations without a diverged or collapsed\n"
    "                            run; a shared best mean (a tie) names none\n"
    "  factorial               = ANOVA and contrasts (95%% CI) of c x extent x rescaling over the\n"
    "                            configurations with c (extent none has no c: left out), seeds done\n"
    "                            in all of them as blocks; the seeds' share of the variance\n"
    "  P(best)                 = share of 2000 paired bootstrap resamples of the seeds (seeded,\n"
    "                            deterministic) where a candidate of best has the best mean\n"
    "\n"
    "Several files (tasks: molecules, PDEs, families) of the same factors' levels: each file's report\n"
    "under a heading naming the file, its sweep and family, then the aggregate across tasks:\n"
    "  normalised value        = a task's METRIC / the mean of that task's baseline configuration\n"
    "                            (--baseline, the same in every task), so 1 = the baseline\n"
    "  mean, IQM               = per configuration, over the pooled normalised per-seed values of\n"
    "                            every task: their mean and interquartile mean (rliable's: sorted,\n"
    "                            floor(n/4) dropped at each end, the rest averaged)\n"
    "  95%% CI                  = percentiles 2.5 and 97.5 of 2000 stratified bootstrap resamples:\n"
    "                            each task's seeds resampled independently (one draw for all its\n"
    "                            configurations), splitmix64 seeded 20261207, deterministic\n"
    "  missing configuration   = one without a done seed in some task (not in its grid, or every\n"
    "                            seed diverged, failed or pending) is aggregated over the tasks that\n"
    "                            have one and flagged (k/T*, json \"complete\": false)\n"
    "METRIC is each file's default, or --metric for all (every file must have it). Refused (exit 2,\n"
    "one line): files whose factor levels differ, a task without the baseline or whose baseline mean\n"
    "is not positive, metrics of opposite directions. csv adds task and file columns; json is\n"
    "{tasks: [each file's report], aggregate}.\n"
    "\n"
    "options:\n"
    "  --metric METRIC     metric of the main effects and paired comparisons, a column of the file\n"
    "                      (default: the one its model family marks); by task.kind:\n"
    "%s"
    "  --format FORMAT     table (default, 100 columns), markdown (pipe tables), csv (one table with\n"
    "                      a `section` column), json ({configurations, main_effects, paired, best});\n"
    "                      every format says which way each metric is better\n"
    "  --baseline SPEC     the configuration to compare with: keys c, extent, rescaling (default\n"
    "                      extent=none,rescaling=power10; without it the paired section is left out\n"
    "                      when the grid lacks that configuration); it must match exactly one\n"
    "  --help              print this text\n"
    "\n"
    "examples:\n"
    "  dcsweep report results/quickstart.h5\n"
    "  dcsweep report results/quickstart.h5 --metric test_energy_mae --format markdown\n"
    "  dcsweep report results/pinn_quickstart.h5 --metric ux_nrmse\n"
    "  dcsweep report results/ablation.h5 --baseline extent=none,rescaling=standard --format json\n"
    "  dcsweep report results/pinn_quickstart.h5 results/pinn_diffsorp_quickstart.h5\n";

/* The help, with each family's metric columns (dc_model_ops.metrics_help). */
static void print_help(void)
{
    char families[2048];
    size_t len = 0;
    families[0] = '\0';
    for (const dc_family *const *f = dc_model_families(); *f && len < sizeof families; f++) {
        const dc_model_ops *ops = dc_model_find((*f)->kind);
        len += (size_t)snprintf(families + len, sizeof families - len, "%22s%s (default %s):\n%24s%s\n", "",
                                ops->kind, ops->report_metric, "", ops->metrics_help);
    }
    printf(report_help_format, families);
}

typedef struct report_options {
    const char **paths;  /* [n_paths] the results files, in argument order (argv's strings) */
    int n_paths;
    const char *metric, *format, *baseline;
    int help;
} report_options;

/* "--name value" or "--name=value"; 1 when arg is this option (value NULL if missing). */
static int take_value(const char *arg, const char *name, int argc, char **argv, int *i,
                      const char **value)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) return 0;
    if (arg[n] == '=') *value = arg + n + 1;
    else if (arg[n] == '\0') *value = *i + 1 < argc ? argv[++*i] : NULL;
    else return 0;
    return 1;
}

static int parse_options(report_options *o, int argc, char **argv, dc_error *err)
{
    int rc = DC_OK, done = 0;
    memset(o, 0, sizeof *o);
    DC_ALLOC(o->paths, argc);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL, **slot = NULL;
        if (done || arg[0] != '-' || arg[1] == '\0') {
            o->paths[o->n_paths++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) done = 1;
        else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) o->help = 1;
        else if (take_value(arg, "--metric", argc, argv, &i, &value)) slot = &o->metric;
        else if (take_value(arg, "--format", argc, argv, &i, &value)) slot = &o->format;
        else if (take_value(arg, "--baseline", argc, argv, &i, &value)) slot = &o->baseline;
        else DC_FAIL(DC_ERR_INPUT, "report: unknown option '%s' (see dcsweep report --help)", arg);
        if (slot) {
            if (!value || !*value) DC_FAIL(DC_ERR_INPUT, "report: %.*s needs a value", (int)strcspn(arg, "="), arg);
            *slot = value;
        }
    }
    if (!o->n_paths && !o->help)
        DC_FAIL(DC_ERR_INPUT, "report: missing the results file (usage: dcsweep report RESULTS.h5; see --help)");
cleanup:
    return rc;
}

/* Several files: each task's report, then the aggregate (cmd_report_multi.c). Every file is
 * loaded with the same options; the metric is each file's default unless --metric names one. */
static int report_many(const report_options *o, const char *format, dc_error *err)
{
    int rc = DC_OK, n = o->n_paths;
    dc_report *reports = NULL;
    const dc_report **tasks = NULL;
    report_source *srcs = NULL;
    char (*specs)[128] = NULL;
    dc_report_multi multi;
    memset(&multi, 0, sizeof multi);
    DC_ALLOC(reports, n);
    DC_ALLOC(tasks, n);
    DC_ALLOC(srcs, n);
    DC_ALLOC(specs, n);
    dc_report_baseline baseline;
    if (o->baseline) DC_TRY(dc_report_baseline_parse(o->baseline, &baseline, err));
    else dc_report_baseline_default(&baseline);
    for (int i = 0; i < n; i++) {
        DC_TRY(dc_report_load(&reports[i], o->paths[i], o->metric, o->baseline ? &baseline : NULL, err));
        tasks[i] = &reports[i];
        if (reports[i].baseline >= 0) dc_report_baseline_format(&baseline, specs[i], sizeof specs[i]);
        srcs[i] = (report_source){o->paths[i], reports[i].baseline >= 0 ? specs[i] : NULL};
    }
    DC_TRY(dc_report_multi_check_factors(tasks, o->paths, n, err));
    DC_TRY(dc_report_multi_compute(&multi, tasks, o->paths, n, err));
    DC_TRY(dc_report_print_multi(stdout, format, &multi, srcs, err));
cleanup:
    dc_report_multi_free(&multi);
    for (int i = 0; reports && i < n; i++) dc_report_free(&reports[i]);
    free(reports);
    free(tasks);
    free(srcs);
    free(specs);
    return rc;
}

int dc_cmd_report(int argc, char **argv)
{
    int rc = DC_OK;
    dc_error e = {0}, *err = &e;
    report_options o;
    dc_report report;
    memset(&report, 0, sizeof report);
    DC_TRY(parse_options(&o, argc, argv, err));
    if (o.help) {
        print_help();
        goto cleanup;
    }
    const char *format = o.format ? o.format : "table";
    if (strcmp(format, "table") && strcmp(format, "markdown") && strcmp(format, "csv") && strcmp(format, "json"))
        DC_FAIL(DC_ERR_INPUT, "report: unknown format '%s' (table, markdown, csv or json)", format);
    if (o.n_paths > 1) {
        DC_TRY(report_many(&o, format, err));
        if (fflush(stdout) != 0) DC_FAIL(DC_ERR_IO, "report: cannot write the output");
        goto cleanup;
    }
    dc_report_baseline baseline;
    if (o.baseline) DC_TRY(dc_report_baseline_parse(o.baseline, &baseline, err));
    DC_TRY(dc_report_load(&report, o.paths[0], o.metric, o.baseline ? &baseline : NULL, err));

    char spec[128] = "";
    if (report.baseline >= 0) {
        if (!o.baseline) dc_report_baseline_default(&baseline);
        dc_report_baseline_format(&baseline, spec, sizeof spec);
    }
    report_source src = {o.paths[0], report.baseline >= 0 ? spec : NULL};
    if (strcmp(format, "json") == 0) dc_report_print_json(stdout, &report, &src);
    else if (strcmp(format, "csv") == 0) dc_report_print_csv(stdout, &report, &src);
    else DC_TRY(dc_report_print_tables(stdout, &report, &src, strcmp(format, "markdown") == 0, err));
    if (fflush(stdout) != 0) DC_FAIL(DC_ERR_IO, "report: cannot write the output");
cleanup:
    dc_report_free(&report);
    free(o.paths);
    return rc == DC_OK ? 0 : dc_cli_report(err);
}
