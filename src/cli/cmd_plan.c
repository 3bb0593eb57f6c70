/* `dcsweep plan`: the expanded grid of a sweep file, as a table or as JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/cli/cli.h"
#include "dcsweep/config/grid.h"
#include "dcsweep/model/model.h"
#include "dcsweep/core/json_out.h"

static const char plan_help[] =
    "usage: dcsweep plan SWEEP.cfg [--format table|json] [--set KEY=VALUE ...]\n"
    "\n"
    "Prints the runs of a sweep in run order: for each seed, each rescaling, each extent, each IReLU\n"
    "scale (extent none does not use the scale: it runs once per rescaling and seed). A family with\n"
    "a task of its own is described first (a PDE: equation, initial condition,\n"
    "points, network, steps); its JSON has a \"task\" object before \"runs\".\n"
    "\n"
    "options:\n"
    "  --format table|json  output format (default table); json is\n"
    "                       {\"runs\": [{\"run\": 0, \"irelu_scale\": 0.5, \"extent\": \"full\",\n"
    "                       \"rescaling\": \"power10\", \"seed\": 0}, ...], \"total\": N}\n"
    "                       with null for the scale of extent none\n"
    "  --set KEY=VALUE      override a key of the sweep file (repeatable, applied in order)\n"
    "  --help               print this text\n"
    "\n"
    "example:\n"
    "  dcsweep plan sweeps/quickstart.cfg --set grid.seeds=[0] --format json\n";

static const char *plural(int n, const char *one, const char *many) { return n == 1 ? one : many; }

static void print_table(const dc_sweep *sweep, const dc_model_ops *ops, const dc_grid *grid)
{
    ops->describe(sweep, DC_DESCRIBE_PLAN, stdout, NULL);
    printf("%5s  %11s  %-6s  %-9s  %s\n", "run", "irelu_scale", "extent", "rescaling", "seed");
    for (int i = 0; i < grid->n_runs; i++) {
        const dc_run *r = &grid->runs[i];
        char scale[32] = "-";
        if (!isnan(r->irelu_scale)) dc_json_double(scale, sizeof scale, r->irelu_scale);
        printf("%5d  %11s  %-6s  %-9s  %lld\n", r->index, scale, dc_extent_name(r->extent),
               dc_rescaling_name(r->rescaling), (long long)r->seed);
    }
    const dc_grid_config *g = &sweep->grid;
    int has_none = 0;
    for (int e = 0; e < g->n_extent; e++) has_none |= g->extent[e] == DC_EXTENT_NONE;
    printf("%d %s: %d %s x %d %s x %d %s x %d %s%s\n", grid->n_runs, plural(grid->n_runs, "run", "runs"),
           g->n_irelu_scale, plural(g->n_irelu_scale, "scale", "scales"), g->n_extent,
           plural(g->n_extent, "extent", "extents"), g->n_rescaling,
           plural(g->n_rescaling, "rescaling", "rescalings"), g->n_seeds,
           plural(g->n_seeds, "seed", "seeds"),
           has_none && g->n_irelu_scale > 1 ? " (extent none once per rescaling and seed)" : "");
}

static void print_json(const dc_sweep *sweep, const dc_model_ops *ops, const dc_grid *grid)
{
    printf("{");
    ops->describe(sweep, DC_DESCRIBE_PLAN_JSON, stdout, NULL);
    printf("\"runs\": [");
    for (int i = 0; i < grid->n_runs; i++) {
        const dc_run *r = &grid->runs[i];
        char scale[32] = "null";
        if (!isnan(r->irelu_scale)) dc_json_double(scale, sizeof scale, r->irelu_scale);
        printf("%s{\"run\": %d, \"irelu_scale\": %s, \"extent\": \"%s\", \"rescaling\": \"%s\", "
               "\"seed\": %lld}",
               i ? ", " : "", r->index, scale, dc_extent_name(r->extent),
               dc_rescaling_name(r->rescaling), (long long)r->seed);
    }
    printf("], \"total\": %d}\n", grid->n_runs);
}

int dc_cmd_plan(int argc, char **argv)
{
    int rc = DC_OK;
    dc_error e = {0}, *err = &e;
    dc_cli_common opts;
    dc_sweep sweep = {0};
    dc_grid grid = {0};
    DC_TRY(dc_cli_parse_common(&opts, argc, argv, NULL, 0, err));
    if (opts.help) {
        fputs(plan_help, stdout);
        goto cleanup;
    }
    const char *format = opts.format ? opts.format : "table";
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        DC_FAIL(DC_ERR_INPUT, "plan: unknown format '%s' (expected table or json)", format);
    DC_TRY(dc_cli_load_sweep(&sweep, &opts, err));
    DC_TRY(dc_grid_expand(&grid, &sweep.grid, err));
    const dc_model_ops *ops = dc_model_find(sweep.family->kind);
    if (!ops) DC_FAIL(DC_ERR_INTERNAL, "task.kind %s: no model family", sweep.family->kind);
    if (strcmp(format, "json") == 0)
        print_json(&sweep, ops, &grid);
    else
        print_table(&sweep, ops, &grid);
cleanup:
    dc_grid_free(&grid);
    dc_sweep_free(&sweep);
    dc_cli_common_free(&opts);
    return rc == DC_OK ? 0 : dc_cli_report(err);
}
