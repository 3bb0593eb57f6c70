/* `dcsweep run` on a communicator: what dc_cmd_run calls on MPI_COMM_WORLD after MPI_Init, and
 * what a test calls on MPI_COMM_SELF or a split communicator. Collective over comm. */
#ifndef DCSWEEP_CLI_RUN_H
#define DCSWEEP_CLI_RUN_H

#include <mpi.h>

/* argv[0] is "run"; returns the process exit status on every rank. */
int dc_cmd_run_on(int argc, char **argv, MPI_Comm comm);

#endif
