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

/* Where an in-flight run stood at its last checkpoint, for `dcsweep status`. */
typedef struct dc_checkpoint_summary {
    char sweep_sha256[80];  /* the sweep it belongs to (compare with the results file's) */
    int run;
    int epoch, n_epochs;    /* epochs completed, of train.epochs */
    double lr;              /* the plateau schedule's learning rate */
    double best_value;      /* the best monitored value so far, NaN before any */
    int best_epoch;         /* 0: none yet */
    double monitor;         /* the last evaluated monitored value (curve monitor_curve), NaN: none */
    int monitor_epoch;      /* its epoch, 0: none */
    double saved;           /* unix seconds of the checkpoint file's last write */
} dc_checkpoint_summary;

/* Reads a checkpoint's scalars and its monitor curve (index monitor_curve of the results file's
 * curves, -1: none) without loading or checking the weights: a look, never a resume. DC_ERR_IO
 * when there is no file, DC_ERR_INPUT when it is not a readable checkpoint. */
int dc_checkpoint_peek(const char *path, int monitor_curve, dc_checkpoint_summary *out, dc_error *err);

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
