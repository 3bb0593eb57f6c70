/* A thin main over dc_cli_run, so tests can drive the engine in-process (as IOR does). */
#include <mpi.h>
#include <stdio.h>

#include "dcsweep/cli/cli.h"

int main(int argc, char **argv)
{
    int use_mpi = dc_cli_needs_mpi(argc, argv);
    if (use_mpi) {
        int provided = 0;
        if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
            fprintf(stderr, "dcsweep: MPI_Init_thread failed\n");
            return 1;
        }
    }
    int status = dc_cli_run(argc, argv, use_mpi ? MPI_COMM_WORLD : MPI_COMM_NULL);
    if (use_mpi) MPI_Finalize();
    return status;
}
