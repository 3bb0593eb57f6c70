/* The machine's yardstick for the benchmarks: what one core can do in a float32 oneDNN matmul,
 * measured in the same binary, so that an engine's GFLOP/s can be quoted as a fraction of it. */
#ifndef DCSWEEP_MODEL_PEAK_H
#define DCSWEEP_MODEL_PEAK_H

#include "dcsweep/core/error.h"

/* GFLOP/s of a float32 oneDNN matmul of size n x n x n (e.g. 2048), the best of `repeats` timed
 * executions after one warm-up, run both as a matmul primitive with fixed dimensions (oneDNN's
 * brgemm where the CPU has it) and with the row count as a runtime dimension (dnnl_sgemm, its
 * gemm:jit, what the engines' matmuls run): the faster of the two. Threads are oneDNN's
 * (OMP_NUM_THREADS, read at first use). */
int dc_dnnl_matmul_peak_gflops(int n, int repeats, double *gflops, dc_error *err);

/* The same yardstick sampled next to the work it measures: a benchmark alternates its own timing
 * with samples, so that a fraction of the peak compares two speeds of the same moment (on a
 * shared machine both drop together when a neighbour is busy). create sets up both ways of running
 * the product and warms them up; each sample times one execution of each and gives the faster, in GFLOP/s. */
typedef struct dc_peak_meter dc_peak_meter;
int dc_peak_meter_create(dc_peak_meter **meter, int n, dc_error *err);
int dc_peak_meter_sample(dc_peak_meter *meter, double *gflops, dc_error *err);
void dc_peak_meter_destroy(dc_peak_meter *meter);

#endif
