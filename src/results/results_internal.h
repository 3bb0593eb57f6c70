/* Shared by src/results.c (layout, rows) and src/results_meta.c (attributes, identity, digests);
 * not a public interface. */
#ifndef DCSWEEP_RESULTS_INTERNAL_H
#define DCSWEEP_RESULTS_INTERNAL_H

#include <hdf5.h>

#include "dcsweep/results/results.h"

/* Null-padded fixed-length ASCII: h5py reads it as bytes, and nothing depends on a terminator. */
hid_t dc_results_string_type(size_t len);

/* dst[0..cap) = src, cut to cap - 1 bytes, zero-filled (so fixed-length fields compare bytewise). */
void dc_results_copy_field(char *dst, size_t cap, const char *src);

/* Library code never prints: HDF5's own error stack printing goes off, our messages say it all. */
void dc_results_hdf5_quiet(void);

hid_t dc_results_file(const dc_results *res);

/* File access properties: the MPI-IO driver over comm unless MPI_COMM_NULL. */
hid_t dc_results_file_access(MPI_Comm comm);

/* The root attributes and /rescaling of a new file. Collective in parallel (metadata); writer:
 * whether this process writes /rescaling's raw data. */
int dc_results_write_meta(hid_t file, const dc_results_meta *meta, int writer, dc_error *err);

/* Reads and checks format_version, n_runs, epochs, sweep_sha256 (DC_ERR_INPUT if absent/foreign). */
int dc_results_check_identity(hid_t file, const char *path, dc_results_info *info, dc_error *err);

#endif
