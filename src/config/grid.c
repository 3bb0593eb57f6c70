/* Expansion of the sweep's factors into runs (order and rules in grid.h). */
#include "dcsweep/config/grid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int dc_grid_expand(dc_grid *grid, const dc_grid_config *config, dc_error *err)
{
    int rc = DC_OK;
    memset(grid, 0, sizeof *grid);
    /* Runs per (seed, rescaling): every scale for each extent that uses IReLU, one for none. */
    int64_t per_cell = 0;
    for (int e = 0; e < config->n_extent; e++)
        per_cell += config->extent[e] == DC_EXTENT_NONE ? 1 : config->n_irelu_scale;
    int64_t n = per_cell * config->n_rescaling * config->n_seeds;
    if (n <= 0) DC_FAIL(DC_ERR_INPUT, "grid: no runs (every factor needs at least one value)");
    if (n > 100000000) DC_FAIL(DC_ERR_INPUT, "grid: %lld runs is too many", (long long)n);
    DC_ALLOC(grid->runs, n);
    int k = 0;
    for (int s = 0; s < config->n_seeds; s++)
        for (int r = 0; r < config->n_rescaling; r++)
            for (int e = 0; e < config->n_extent; e++) {
                int none = config->extent[e] == DC_EXTENT_NONE;
                for (int c = 0; c < (none ? 1 : config->n_irelu_scale); c++) {
                    dc_run *run = &grid->runs[k];
                    run->index = k;
                    run->irelu_scale = none ? NAN : config->irelu_scale[c];
                    run->extent = config->extent[e];
                    run->rescaling = config->rescaling[r];
                    run->seed = config->seeds[s];
                    k++;
                }
            }
    grid->n_runs = k;
cleanup:
    return rc;
}

void dc_grid_free(dc_grid *grid)
{
    if (!grid) return;
    free(grid->runs);
    memset(grid, 0, sizeof *grid);
}

const char *dc_run_status_name(dc_run_status s)
{
    static const char *const names[DC_N_RUN_STATUSES] = {"pending", "done", "diverged", "failed"};
    return (unsigned)s < DC_N_RUN_STATUSES ? names[s] : "unknown";
}

int dc_run_status_parse(const char *name)
{
    for (int s = 0; s < DC_N_RUN_STATUSES; s++)
        if (name && strcmp(name, dc_run_status_name((dc_run_status)s)) == 0) return s;
    return -1;
}

const char *dc_stop_reason_name(dc_stop_reason r)
{
    static const char *const names[DC_N_STOP_REASONS] = {"", "max_epochs", "early_stopping", "min_lr",
                                                         "diverged"};
    return (unsigned)r < DC_N_STOP_REASONS ? names[r] : "?";
}
