/* libdcsweep.so's C API (include/dcsweep/predict/dcsweep_api.h) over the predictor. The library is
 * linked with a version script that exports these functions only. */
#include "dcsweep/predict/dcsweep_api.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "dcsweep/predict/predict.h"

static void report(const dc_error *err, char *error, size_t size)
{
    if (error && size) snprintf(error, size, "%s", err->message);
}

/* The caller's asynchronous signals (Python's SIGINT handler, a sampling profiler's SIGPROF) wait
 * until the computation returns: oneDNN 2.6's gemm:jit points rsp at a heap workspace, and a handler
 * run on this thread meanwhile would push its frame into the heap (src/sweep/stop.c). Faults
 * (SIGSEGV and the like) stay deliverable. */
static void hold_signals(sigset_t *saved)
{
    sigset_t all;
    sigfillset(&all);
    const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) sigdelset(&all, faults[i]);
    pthread_sigmask(SIG_BLOCK, &all, saved);
}

dcsweep_model *dcsweep_model_load(const char *results_path, int run, char *error, size_t error_size)
{
    dc_predictor *p = NULL;
    dc_error err = {0};
    if (dc_predictor_load(&p, results_path ? results_path : "", run, &err) != DC_OK) report(&err, error, error_size);
    return (dcsweep_model *)p;
}

int dcsweep_model_compute(dcsweep_model *model, int n_atoms, const int *atomic_numbers,
                          const double *positions, double *energy, double *forces, char *error,
                          size_t error_size)
{
    dc_error err = {0};
    if (!model) {
        dc_error_set(&err, DC_ERR_INPUT, "no model");
        report(&err, error, error_size);
        return DC_ERR_INPUT;
    }
    sigset_t saved;
    hold_signals(&saved);
    int rc = dc_predictor_compute((dc_predictor *)model, n_atoms, atomic_numbers, positions, energy,
                                  forces, &err);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (rc != DC_OK) report(&err, error, error_size);
    return rc;
}

double dcsweep_model_cutoff(const dcsweep_model *model)
{
    return model ? dc_predictor_cutoff((const dc_predictor *)model) : 0.0;
}

double dcsweep_model_train_min_distance(const dcsweep_model *model)
{
    double d = model ? dc_predictor_train_min_distance((const dc_predictor *)model) : NAN;
    return isfinite(d) ? d : 0.0;
}

int dcsweep_model_check_distances(const dcsweep_model *model, int n_atoms, const double *positions,
                                  char *warning, size_t warning_size)
{
    int i = 0, j = 0;
    double d = 0.0;
    if (!model || !positions || n_atoms < 2) return 0;
    const dc_predictor *p = (const dc_predictor *)model;
    if (!dc_predictor_closest_pair(p, n_atoms, positions, &i, &j, &d)) return 0;
    if (warning && warning_size)
        snprintf(warning, warning_size, "atoms %d and %d are %.4g %s apart, closer than any pair in the "
                 "model's training data (%.4g): the prediction is an extrapolation", i, j, d,
                 dc_predictor_length_unit(p), dc_predictor_train_min_distance(p));
    return 1;
}

const int *dcsweep_model_elements(const dcsweep_model *model, int *n)
{
    *n = 0;
    return model ? dc_predictor_elements((const dc_predictor *)model, n) : NULL;
}

void dcsweep_model_free(dcsweep_model *model) { dc_predictor_free((dc_predictor *)model); }
