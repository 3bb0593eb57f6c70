/* Error reporting shared by every module.
 *
 * Library code never prints and never exits: it fills a dc_error and returns its code, so the top
 * level (src/cli/) decides how to report and which exit status to use. Functions use one cleanup
 * label; the *_CHECK macros below jump to it with the failing call, file and line named. */
#ifndef DCSWEEP_ERROR_H
#define DCSWEEP_ERROR_H

#include <stddef.h>

enum {
    DC_OK = 0,
    DC_ERR_INPUT = 2,       /* bad user input: sweep file, dataset, options (exit status 2) */
    DC_ERR_IO = 3,          /* a file could not be read or written */
    DC_ERR_NOMEM = 4,       /* allocation failed */
    DC_ERR_DNNL = 5,        /* a oneDNN call failed */
    DC_ERR_MPI = 6,         /* an MPI call failed */
    DC_ERR_HDF5 = 7,        /* an HDF5 call failed */
    DC_ERR_NUMERIC = 8,     /* NaN/Inf or a degenerate statistic */
    DC_ERR_INTERRUPTED = 9, /* SIGINT/SIGTERM asked us to stop */
    DC_ERR_INTERNAL = 10,   /* a broken invariant: a bug */
    DC_ERR_HUNG = 11,       /* a rank stopped answering: only ending the whole job can help */
    DC_ERR_RUNS_FAILED = 12, /* a sweep ended with failed runs: recorded, --retry-failed trains them */
};

#define DC_ERROR_MAX 1024

typedef struct dc_error {
    int code;                   /* one of the DC_ERR_* values, DC_OK when clear */
    char message[DC_ERROR_MAX]; /* one line, no trailing newline */
} dc_error;

/* Sets err (if not NULL) and returns code, so callers can write `return dc_error_set(...)`. */
int dc_error_set(dc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an existing message (adds context on the way up). */
void dc_error_prefix(dc_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void dc_error_clear(dc_error *err);

/* The process exit status for an error code: 2 for bad input, 1 otherwise. */
int dc_error_exit_status(int code);

/* Allocation that reports through err. Returns NULL (and sets err) on failure; n == 0 is allowed. */
void *dc_calloc(size_t count, size_t size, dc_error *err);

/* The *_CHECK macros expect an `int rc`, a `dc_error *err` and a `cleanup:` label in scope. */
#define DC_TRY(expr)                                                                               \
    do {                                                                                           \
        rc = (expr);                                                                               \
        if (rc != DC_OK) goto cleanup;                                                             \
    } while (0)

#define DC_FAIL(code, ...)                                                                         \
    do {                                                                                           \
        rc = dc_error_set(err, (code), __VA_ARGS__);                                               \
        goto cleanup;                                                                              \
    } while (0)

#define DC_ALLOC(ptr, count)                                                                       \
    do {                                                                                           \
        (ptr) = dc_calloc((size_t)(count), sizeof *(ptr), err);                                    \
        if (!(ptr)) {                                                                              \
            rc = DC_ERR_NOMEM;                                                                     \
            goto cleanup;                                                                          \
        }                                                                                          \
    } while (0)

/* Needs <oneapi/dnnl/dnnl.h>. */
#define DNNL_CHECK(call)                                                                           \
    do {                                                                                           \
        dnnl_status_t dnnl_status_ = (call);                                                       \
        if (dnnl_status_ != dnnl_success) {                                                        \
            rc = dc_error_set(err, DC_ERR_DNNL, "%s:%d: %s failed: status %d", __FILE__,          \
                              __LINE__, #call, (int)dnnl_status_);                                 \
            goto cleanup;                                                                          \
        }                                                                                          \
    } while (0)

/* Needs <mpi.h>, and MPI_ERRORS_RETURN on the communicator (cli/cmd_run.c sets it), without which
 * MPI aborts before a failing call returns. */
#define MPI_CHECK(call)                                                                            \
    do {                                                                                           \
        int mpi_status_ = (call);                                                                  \
        if (mpi_status_ != MPI_SUCCESS) {                                                          \
            char mpi_text_[MPI_MAX_ERROR_STRING] = "";                                             \
            int mpi_len_ = 0;                                                                      \
            MPI_Error_string(mpi_status_, mpi_text_, &mpi_len_);                                   \
            rc = dc_error_set(err, DC_ERR_MPI, "%s:%d: %s failed: %s", __FILE__, __LINE__, #call,  \
                              mpi_text_);                                                          \
            goto cleanup;                                                                          \
        }                                                                                          \
    } while (0)

/* Needs <hdf5.h>. For calls returning herr_t or hid_t (negative means failure). */
#define H5_CHECK(call)                                                                             \
    do {                                                                                           \
        if ((long long)(call) < 0) {                                                               \
            rc = dc_error_set(err, DC_ERR_HDF5, "%s:%d: %s failed", __FILE__, __LINE__, #call);    \
            goto cleanup;                                                                          \
        }                                                                                          \
    } while (0)

#endif
