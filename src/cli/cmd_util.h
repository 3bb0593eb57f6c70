/* Small helpers shared by the `train` and `bench` commands (not a public interface). */
#ifndef DCSWEEP_CMD_UTIL_H
#define DCSWEEP_CMD_UTIL_H

#include <dlfcn.h>
#include <string.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dcsweep/core/error.h"

/* A non-negative integer option value (the whole string), below limit when limit > 0. */
static inline int cmd_parse_count(const char *s, const char *cmd, const char *option, long limit,
                                  int *out, dc_error *err)
{
    char *end = NULL;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : -1;
    if (!s || !*s || *end || errno || v < 0 || v > INT_MAX)
        return dc_error_set(err, DC_ERR_INPUT, "%s: %s needs a non-negative integer, got '%s'", cmd,
                            option, s ? s : "");
    if (limit > 0 && v >= limit)
        return dc_error_set(err, DC_ERR_INPUT, "%s: %s %ld is out of range (the sweep has %ld runs: 0..%ld)",
                            cmd, option, v, limit, limit - 1);
    *out = (int)v;
    return DC_OK;
}

/* A non-negative number of seconds (the whole string): --progress-seconds. */
static inline int cmd_parse_seconds(const char *s, const char *cmd, const char *option, double *out,
                                    dc_error *err)
{
    char *end = NULL;
    errno = 0;
    double v = s ? strtod(s, &end) : -1;
    if (!s || !*s || *end || errno || !isfinite(v) || v < 0)
        return dc_error_set(err, DC_ERR_INPUT, "%s: %s needs a number of seconds >= 0, got '%s'", cmd,
                            option, s ? s : "");
    *out = v;
    return DC_OK;
}

/* Default oneDNN to one thread (a worker per core is how sweeps scale) unless the user set
 * OMP_NUM_THREADS. Debian's oneDNN runs on OpenMP (libgomp), which reads the environment when the
 * library is loaded, before main, so setting the variable here would be too late: the count is
 * applied through omp_set_num_threads, looked up at run time because libgomp is oneDNN's
 * dependency, not ours (no OpenMP flags in our build). Returns the thread count in effect. */
static inline int cmd_default_threads(void)
{
    setenv("OMP_NUM_THREADS", "1", 0);
    int n = atoi(getenv("OMP_NUM_THREADS"));
    if (n < 1) n = 1;
    void *sym = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (sym) {
        void (*set_threads)(int);
        memcpy(&set_threads, &sym, sizeof set_threads); /* ISO C has no object-to-function cast */
        set_threads(n);
    }
    /* Report what the runtime will use, not what we asked for. */
    void *get_sym = dlsym(RTLD_DEFAULT, "omp_get_max_threads");
    if (get_sym) {
        int (*get_threads)(void);
        memcpy(&get_threads, &get_sym, sizeof get_threads);
        n = get_threads();
    }
    return n;
}

/* A JSON number, or null for NaN/Inf (JSON has neither). */
static inline void cmd_json_number(FILE *out, const char *key, double v, int comma)
{
    if (isfinite(v)) fprintf(out, "\"%s\": %.10g%s", key, v, comma ? ", " : "");
    else fprintf(out, "\"%s\": null%s", key, comma ? ", " : "");
}

#endif
