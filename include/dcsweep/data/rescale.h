/* Label rescaling (docs/model.md): E' = (E - shift) / scale, F' = F / scale, statistics from the
 * training energies only. */
#ifndef DCSWEEP_RESCALE_H
#define DCSWEEP_RESCALE_H

#include "dcsweep/config/config.h"
#include "dcsweep/core/error.h"

typedef struct dc_rescale {
    dc_rescaling method;
    double shift;
    double scale;
} dc_rescale;

/* Statistics of method over energy[0..n). A zero or non-finite scale is DC_ERR_NUMERIC with a
 * message naming the method and the statistic. */
int dc_rescale_fit(dc_rescale *rs, dc_rescaling method, const double *energy, int n, dc_error *err);

static inline double dc_rescale_energy(const dc_rescale *rs, double e) { return (e - rs->shift) / rs->scale; }
static inline double dc_rescale_force(const dc_rescale *rs, double f) { return f / rs->scale; }
static inline double dc_unscale_energy(const dc_rescale *rs, double e) { return e * rs->scale + rs->shift; }
static inline double dc_unscale_force(const dc_rescale *rs, double f) { return f * rs->scale; }

#endif
