/* The monotonic clock of include/dcsweep/core/perf.h. */
#include "dcsweep/core/perf.h"

#include <time.h>

double dc_perf_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
