/* The results file over MPI-IO (include/dcsweep/results/results_mpi.h). */
#include "dcsweep/results/results_mpi.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "results_internal.h"

static hid_t mpi_file_access(MPI_Comm comm)
{
    hid_t fapl = dc_results_file_access();
    if (fapl >= 0 && H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

/* DC_TEST_SLOW_CREATE_MS, for tests only (tests/run_setup.sh): a create that takes that much
 * longer on rank 0 while the others wait in a collective, as a slow file system's NaN fill of a
 * large file does; the file exists (PATH.creating) meanwhile. */
static void slow_create_for_tests(int rank, MPI_Comm comm)
{
    const char *ms = getenv("DC_TEST_SLOW_CREATE_MS");
    if (!ms || atol(ms) <= 0) return;
    if (rank == 0) {
        long left = atol(ms);
        struct timespec t = {left / 1000, (left % 1000) * 1000000L};
        while (nanosleep(&t, &t) != 0) continue;  /* a signal does not end it: Slurm's would not */
    }
    MPI_Barrier(comm);
}

int dc_results_create_mpi(dc_results **out, const char *path, const dc_results_meta *meta,
                          const dc_results_row *rows, MPI_Comm comm, dc_error *err)
{
    int rc = DC_OK, rank = 0, size = 1;
    hid_t fapl = -1;
    *out = NULL;
    MPI_CHECK(MPI_Comm_rank(comm, &rank));
    MPI_CHECK(MPI_Comm_size(comm, &size));
    /* Every rank learns rank 0's verdict (and message) before H5Fcreate, which is collective. */
    dc_error space_err = {0};
    int space_rc = rank == 0 ? dc_results_reserve_space(path, meta, &space_err) : DC_OK;
    MPI_CHECK(MPI_Bcast(&space_rc, 1, MPI_INT, 0, comm));
    if (space_rc != DC_OK) {
        MPI_CHECK(MPI_Bcast(space_err.message, DC_ERROR_MAX, MPI_CHAR, 0, comm));
        DC_FAIL(space_rc, "%s", space_err.message);
    }
    H5_CHECK(fapl = mpi_file_access(comm));
    DC_TRY(dc_results_create_with(out, path, meta, rows, fapl, rank == 0, size == 1, err));
    slow_create_for_tests(rank, comm);
cleanup:
    if (fapl >= 0) H5Pclose(fapl);
    return rc;
}

int dc_results_open_mpi(dc_results **out, const char *path, int writable, MPI_Comm comm,
                        dc_error *err)
{
    int rc = DC_OK, size = 1;
    hid_t fapl = -1;
    *out = NULL;
    MPI_CHECK(MPI_Comm_size(comm, &size));
    H5_CHECK(fapl = mpi_file_access(comm));
    DC_TRY(dc_results_open_with(out, path, writable, fapl, size == 1, err));
cleanup:
    if (fapl >= 0) H5Pclose(fapl);
    return rc;
}
