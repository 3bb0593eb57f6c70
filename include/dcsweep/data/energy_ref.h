/* A potential's energy reference over a sweep's three splits (dataset.atomic_energies; docs/model.md,
 * "Per-element reference energies"): each frame's sum of E0, the rescaling fitted on the training
 * split's interaction energies with its shift made per atom (none with dataset.isolated_atoms =
 * "exact": "Isolated atoms" there), and each frame's reference for the current run. Shared by every potential family, so that SchNet and DimeNet++ learn the same
 * quantity. Without atomic energies (e0.n == 0) it is the rescaling of the totals, as before. */
#ifndef DCSWEEP_ENERGY_REF_H
#define DCSWEEP_ENERGY_REF_H

#include "dcsweep/config/run.h"
#include "dcsweep/data/atomic_energies.h"
#include "dcsweep/data/rescale.h"

#define DC_ENERGY_REF_SPLITS 3  /* train, validation, test */

typedef struct dc_energy_ref {
    dc_atomic_energies e0;            /* n = 0: none (dataset.atomic_energies absent) */
    int isolated_exact;               /* dataset.isolated_atoms = "exact": no shift at all */
    double mean_atoms;                /* atoms per training frame, the per-atom shift's divisor */
    const dc_dataset *split[DC_ENERGY_REF_SPLITS];
    double *frame_e0[DC_ENERGY_REF_SPLITS];   /* [frames of the split] sum of E0; NULL without E0s */
    double *energy_ref[DC_ENERGY_REF_SPLITS]; /* [frames of the split] frame_e0 + atoms x the run's
                                               * per-atom shift; NULL without E0s */
} dc_energy_ref;

/* E0s resolved on split[0] (the training split) for `elements`, and every frame's sum. */
int dc_energy_ref_init(dc_energy_ref *r, const dc_dataset_config *cfg,
                       const dc_dataset *const split[DC_ENERGY_REF_SPLITS], const dc_elements *elements,
                       dc_error *err);
void dc_energy_ref_free(dc_energy_ref *r);

/* The rescaling of the training energies, or with E0s of E - sum E0 with its shift per atom (none
 * when isolated_exact). */
int dc_energy_ref_rescale(const dc_energy_ref *r, dc_rescaling method, dc_rescale *out, dc_error *err);

/* A run's rescaling rs: fills energy_ref and sets *labels to what batches apply after subtracting
 * it (rs itself without E0s, rs without its shift with them). */
void dc_energy_ref_begin_run(dc_energy_ref *r, const dc_rescale *rs, dc_rescale *labels);

/* The E0s into a kept model's spec (atomic_energy_<symbol>), and isolated_atoms_exact when set. */
int dc_energy_ref_describe(const dc_energy_ref *r, dc_model_spec *spec, dc_error *err);

#endif
