/* A trained model out of a results file: one done run's kept weights (/models), its activation
 * and rescaling, evaluated on new structures with the float engine the run trained on, so that
 * `dcsweep predict`, the ASE calculator (python/dcsweep_ase.py over dcsweep_api.h) and users'
 * own code give a run's energies and forces in the dataset's units. Potentials only
 * (dc_model_ops.potential: a PDE's model has no structures). Serial. */
#ifndef DCSWEEP_PREDICT_PREDICT_H
#define DCSWEEP_PREDICT_PREDICT_H

#include <stdint.h>

#include "dcsweep/core/error.h"
#include "dcsweep/data/dataset.h"
#include "dcsweep/model/metrics.h"

typedef struct dc_predictor dc_predictor;

/* Loads run `run` of a results file. DC_ERR_INPUT with a one-line reason for a run that is not
 * done, a file without kept models, a model family without a potential, or a layout that does
 * not match what this dcsweep's family builds. */
int dc_predictor_load(dc_predictor **p, const char *results, int run, dc_error *err);
void dc_predictor_free(dc_predictor *p);

/* The model's elements (atomic numbers, in type order), cutoff (Angstrom) and units. */
const int *dc_predictor_elements(const dc_predictor *p, int *n);
double dc_predictor_cutoff(const dc_predictor *p);
const char *dc_predictor_energy_unit(const dc_predictor *p);
const char *dc_predictor_length_unit(const dc_predictor *p);

/* The shortest pair distance within the cutoff in the training split (the length unit); NaN
 * when the file does not record it (written by a dcsweep before it did). */
double dc_predictor_train_min_distance(const dc_predictor *p);

/* 1 when a structure has a pair closer than any in training (its closest pair: atoms *i < *j,
 * *distance apart): the prediction is an extrapolation; 0 otherwise or when unrecorded. */
int dc_predictor_closest_pair(const dc_predictor *p, int n_atoms, const double *positions, int *i,
                              int *j, double *distance);

/* Energy and forces [n_atoms][3] of one structure (one molecule, no periodic images):
 * atomic_numbers [n_atoms], positions [n_atoms][3] in the model's length unit. An element the
 * model was not trained on (absent from the model, or from its training split: an embedding
 * never trained) is DC_ERR_INPUT naming it and the elements the model was trained on. */
int dc_predictor_compute(dc_predictor *p, int n_atoms, const int *atomic_numbers,
                         const double *positions, double *energy, double *forces, dc_error *err);

/* Every frame of ds: energy [n_frames], forces [n_atoms_total][3]; untrained elements are refused
 * as by dc_predictor_compute. */
int dc_predictor_dataset(dc_predictor *p, const dc_dataset *ds, double *energy, double *forces,
                         dc_error *err);

/* ds with the predictions as its labels, written as extended XYZ that ASE reads (energy= on the
 * comment line, a forces column); ds's own labels, where it has them, are kept as ref_energy= and
 * a ref_forces column. Atomic: written to a temporary file next to path, synced and renamed onto
 * it; on failure (DC_ERR_IO: a full disk, a folder that does not exist) path is untouched and the
 * temporary file removed. */
int dc_predict_write_xyz(const char *path, const dc_dataset *ds, const double *energy,
                         const double *forces, dc_error *err);

/* Whether frame f of ds has a reference energy, and all its reference forces (a structure file
 * may have neither, a dissociation curve energies only). */
int dc_frame_has_energy(const dc_dataset *ds, int f);
int dc_frame_has_forces(const dc_dataset *ds, int f);

/* Where -o path may be written, checked before any prediction: the file it names, through a
 * symbolic link (as a shell's > does), into dest[cap]. Refused (DC_ERR_INPUT) when it names
 * something that is not a regular file (a directory, device, FIFO, socket, a dangling link), the
 * results file itself, or any HDF5 file: the rename would replace it whole. */
int dc_predict_output_check(const char *path, const char *results, char *dest, size_t cap, dc_error *err);

#endif
