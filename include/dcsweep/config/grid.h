/* The ablation grid: the cross product of the sweep's factors, without duplicates (with extent
 * none the IReLU scale does not apply, so those runs exist once per rescaling and seed), in
 * seed-major order so that any prefix of finished runs is a set of complete replicates. */
#ifndef DCSWEEP_GRID_H
#define DCSWEEP_GRID_H

#include <stdint.h>

#include "dcsweep/config/config.h"
#include "dcsweep/config/run.h"
#include "dcsweep/core/error.h"

typedef struct dc_grid {
    int n_runs;
    dc_run *runs;          /* [n_runs] */
} dc_grid;

/* Order: for each seed, for each rescaling, for each extent (as listed in the sweep file), for each
 * scale (once for extent none). */
int dc_grid_expand(dc_grid *grid, const dc_grid_config *config, dc_error *err);
void dc_grid_free(dc_grid *grid);

#endif
