/* Merging results files of one sweep (shards, or partial files) into one results file.
 *
 * The inputs must come from the same sweep: equal format_version, sweep_sha256, n_runs, epochs,
 * and dataset digests (the hex digests of dataset_sha256; paths may differ), else DC_ERR_INPUT.
 * For each run the row and its curves are copied bitwise from the input where the run is not
 * pending; a run pending in every input is "missing" and stays pending (a later `dcsweep run` on
 * the merged file trains it). A run finished in several inputs is a "duplicate": accepted when its
 * results are bitwise equal in all of them (status, error, epochs, metrics, every curve but
 * epoch_seconds; the first input's row is kept), DC_ERR_INPUT otherwise.
 *
 * The output has the layout of an unsharded sweep (no `shard` attribute) with the first input's
 * metadata. It is written to a temporary file next to OUT and renamed onto it at the end, so OUT
 * is never seen half written; an existing OUT is refused (DC_ERR_INPUT) unless force. Serial. */
#ifndef DCSWEEP_MERGE_H
#define DCSWEEP_MERGE_H

#include "dcsweep/core/error.h"
#include "dcsweep/results/shard.h"

typedef struct dc_merge_input {
    const char *path;
    dc_shard shard;    /* as recorded in the file (count 0: not a shard) */
    int n_taken;       /* runs copied from this input */
} dc_merge_input;

typedef struct dc_merge_report {
    int n_runs, epochs;
    int count[4];        /* merged rows by dc_run_status */
    int n_missing;
    int *missing;        /* [n_missing] runs pending in every input */
    int n_duplicates;
    int *duplicates;     /* [n_duplicates] runs finished, identically, in several inputs */
    char sweep_name[128];
} dc_merge_report;

/* Merges inputs[0..n_inputs) into out (see above). inputs[k].path is read; the other fields are
 * filled. report is filled on success and must be freed with dc_merge_report_free either way. */
int dc_merge(const char *out, dc_merge_input *inputs, int n_inputs, int force,
             dc_merge_report *report, dc_error *err);

void dc_merge_report_free(dc_merge_report *report);

#endif
