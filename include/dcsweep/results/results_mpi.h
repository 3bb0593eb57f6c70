/* The results file created and opened collectively over MPI, for `dcsweep run`: the MPI-IO driver,
 * so that every rank writes its own rows into one file (independent I/O). Only the sweep includes
 * this; everything else uses the serial results.h. */
#ifndef DCSWEEP_RESULTS_RESULTS_MPI_H
#define DCSWEEP_RESULTS_RESULTS_MPI_H

#include <mpi.h>

#include "dcsweep/results/results.h"

/* As dc_results_create, collective over comm: rows [meta->n_runs] must be identical on every
 * rank; the first rank of comm writes them and checks the disk space, and every rank learns its
 * verdict before any creates the file. */
int dc_results_create_mpi(dc_results **res, const char *path, const dc_results_meta *meta,
                          const dc_results_row *rows, MPI_Comm comm, dc_error *err);

/* A new file's size in bytes, an upper estimate (what creating it reserves on disk): it sizes
 * the deadline of the collective create (dcsweep/sweep/setup.h). */
double dc_results_file_bytes(const dc_results_meta *meta);

/* As dc_results_open, collective over comm. dc_results_close is collective then too. */
int dc_results_open_mpi(dc_results **res, const char *path, int writable, MPI_Comm comm,
                        dc_error *err);

#endif
