/* A monotonic clock for timing loops and benchmarks. */
#ifndef DCSWEEP_CORE_PERF_H
#define DCSWEEP_CORE_PERF_H

/* Seconds on a monotonic clock. */
double dc_perf_seconds(void);

#endif
