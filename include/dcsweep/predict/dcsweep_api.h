/* The C API of libdcsweep.so: a trained model out of a results file, for other programs (the ASE
 * calculator python/dcsweep_ase.py calls it through ctypes). Stable, plain C types only; every
 * function reports a failure as a non-zero return (or NULL) and one line in `error`.
 *
 *   char e[256];
 *   dcsweep_model *m = dcsweep_model_load("results/quickstart.h5", 3, e, sizeof e);
 *   double energy, forces[9 * 3];
 *   if (!m || dcsweep_model_compute(m, 9, z, positions, &energy, forces, e, sizeof e)) puts(e);
 *   dcsweep_model_free(m);
 *
 * Units are the dataset's (eV and Angstrom for the shipped data): energy in the energy unit,
 * positions in the length unit, forces in energy/length. One molecule, no periodic images. */
#ifndef DCSWEEP_API_H
#define DCSWEEP_API_H

#include <stddef.h>

typedef struct dcsweep_model dcsweep_model;

/* Run `run` of a results file (it must be done and the file must keep models). */
dcsweep_model *dcsweep_model_load(const char *results_path, int run, char *error, size_t error_size);

/* Energy and forces [n_atoms][3] of one structure: atomic_numbers [n_atoms], positions
 * [n_atoms][3]. Returns 0 on success; an element the model was not trained on is refused (non-zero,
 * `error` names it). The calling thread's asynchronous signals are held until it returns (oneDNN
 * 2.6's kernels run with the stack pointer in the heap: a handler run meanwhile would corrupt it).
 * Threads the caller started before (another library's OpenMP workers, say) are not covered: a
 * program that handles signals should block them there, or compute from a thread that does. */
int dcsweep_model_compute(dcsweep_model *model, int n_atoms, const int *atomic_numbers,
                          const double *positions, double *energy, double *forces, char *error,
                          size_t error_size);

/* The shortest pair distance within the cutoff that the model saw in training (length unit); 0
 * when the results file does not record it (written by an older dcsweep). */
double dcsweep_model_train_min_distance(const dcsweep_model *model);

/* 1 when a structure (positions [n_atoms][3]) has a pair closer than any in training, with a
 * one-line warning in `warning` naming the atoms (0-based) and the distances; 0 otherwise. Call it
 * once per structure: dcsweep_model_compute still computes such a structure. */
int dcsweep_model_check_distances(const dcsweep_model *model, int n_atoms, const double *positions,
                                  char *warning, size_t warning_size);

/* The model's cutoff and its elements (atomic numbers; *n their count). */
double dcsweep_model_cutoff(const dcsweep_model *model);
const int *dcsweep_model_elements(const dcsweep_model *model, int *n);

void dcsweep_model_free(dcsweep_model *model);

#endif
