/* Mid-run checkpoints: the complete state of one in-flight run (dc_run_state) in a small HDF5 file
 * beside the results file, <output>.ckpt/run-<k>.h5, so that a killed or preempted sweep loses at
 * most the epochs since the last one (docs/results-format.md, "Checkpoints").
 *
 * A checkpoint is written to a temporary name in the same folder, synced and renamed into place
 * (then the folder is synced), so the file under the final name is always a whole checkpoint or
 * the previous one. It records the sweep's identity (sweep_sha256 and the engine's numerics
 * version) and a SHA-256 of its contents: a checkpoint of another sweep, of another engine, or a
 * damaged one is refused on load (DC_ERR_INPUT, with the reason), never half used. Serial. */
#ifndef DCSWEEP_RESULTS_CHECKPOINT_H
#define DCSWEEP_RESULTS_CHECKPOINT_H

#include <stddef.h>

#include "dcsweep/config/run.h"
#include "dcsweep/core/error.h"

/* What a checkpoint must match to be used. */
typedef struct dc_checkpoint_id {
    const char *sweep_sha256;
    int numerics_version;
} dc_checkpoint_id;

/* <output>.ckpt/run-<run>.h5 */
int dc_checkpoint_path(const char *output, int run, char *out, size_t size, dc_error *err);

/* Saves st atomically at path (creating its folder). A full disk is DC_ERR_IO "PATH: cannot write
 * the checkpoint: <errno text> ...", detected before any byte is written, with nothing left behind. */
int dc_checkpoint_save(const char *path, const dc_checkpoint_id *id, const dc_run_state *st,
                       dc_error *err);

/* Loads path into st (arrays allocated here: free with dc_checkpoint_state_free). DC_ERR_IO when
 * there is no file, DC_ERR_INPUT when it is not a whole checkpoint of this sweep and run. */
int dc_checkpoint_load(const char *path, const dc_checkpoint_id *id, int run, dc_run_state *st,
                       dc_error *err);
void dc_checkpoint_state_free(dc_run_state *st);

/* Renames a refused checkpoint to <path>.refused-<unix time> (kept for a human to look at);
 * moved gets the new name. */
int dc_checkpoint_set_aside(const char *path, char *moved, size_t size, dc_error *err);

/* Deletes the temporary files that a process killed while writing a checkpoint left in
 * <output>.ckpt/ (call with the results file's lock held: then every one is a dead writer's). */
void dc_checkpoint_clean(const char *output);

/* Deletes <output>.ckpt/ when it is empty (at the end of a sweep, the results file's lock held). */
void dc_checkpoint_remove_folder(const char *output);

/* Deletes a checkpoint once its run's row is final (a missing file is fine). */
int dc_checkpoint_remove(const char *path, dc_error *err);

#endif
