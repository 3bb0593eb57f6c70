/* Per-element reference energies E0 (dataset.atomic_energies; docs/model.md, "Per-element reference
 * energies"): what an atom of each element weighs on its own, so that a model learns only the
 * interaction energy E - sum_a E0(Z_a), which transfers across molecule sizes. */
#ifndef DCSWEEP_ATOMIC_ENERGIES_H
#define DCSWEEP_ATOMIC_ENERGIES_H

#include "dcsweep/config/config.h"
#include "dcsweep/core/error.h"
#include "dcsweep/data/dataset.h"

typedef struct dc_atomic_energies {
    int n;                               /* elements with an E0; 0: none (the option is off) */
    int atomic_number[DC_MAX_ELEMENTS];  /* ascending */
    double e0[DC_MAX_ELEMENTS];          /* energy unit of the dataset */
} dc_atomic_energies;

/* The E0 of every element of `elements`, as cfg->e0_source says: none (n = 0); "average", the
 * minimum-norm least-squares fit of the training energies on each frame's element counts (numpy's
 * lstsq, singular values below 1e-6 of the largest dropped: one molecule's frames fix only the
 * sum over its formula); or cfg->e0_file, frames of one atom each (extended XYZ, the energy under
 * cfg->energy_key). Errors name the file and line, or the element without an E0. */
int dc_atomic_energies_resolve(dc_atomic_energies *ae, const dc_dataset_config *cfg,
                               const dc_dataset *train, const dc_elements *elements, dc_error *err);

/* E0 of element z; NaN when ae has none for it. */
double dc_atomic_energies_of(const dc_atomic_energies *ae, int z);

/* sum over frame f's atoms of their E0 (0 when ae->n == 0). */
double dc_atomic_energies_frame(const dc_atomic_energies *ae, const dc_dataset *ds, int f);

#endif
