/* The energy + force loss of every potential family (docs/model.md, "Loss and its gradient") and
 * its seeds, in one place for SchNet's engines and DimeNet++'s, with the ghosts of exact isolated
 * atoms (docs/model.md, "Isolated atoms"). */
#ifndef DC_KIT_LOSS_H
#define DC_KIT_LOSS_H

#include <stdint.h>

#include "dcsweep/config/config.h"

/* One batch as the loss sees it. The last n_ghost molecules (and atoms) are ghosts: a lone atom
 * each, whose energies are subtracted, once per atom it stands for, from every other molecule's;
 * their labels are unused and the loss is over the other molecules and atoms. */
typedef struct dc_loss_batch {
    int n_mol, n_atoms;           /* ghosts included */
    int n_ghost;
    const int *mol;               /* [n_atoms] molecule of each atom, non-decreasing */
    const int *ghost_of;          /* [n_atoms] the ghost an atom stands for (its type), or NULL:
                                   * ghost 0 for every atom */
    const double *energy_target;  /* [n_mol] scaled */
    const double *force_target;   /* [n_atoms][3] scaled */
} dc_loss_batch;

/* The loss terms (energy_loss = mean_b |dE| or dE^2, force_loss = mean over 3 N components) for
 * predictions energy [n_mol] and forces [n_atoms][3], and the seeds w [n_mol] = dL/dE_b (a
 * ghost's: minus the seeds of the molecules, once per atom it stands for) and g [n_atoms][3] =
 * alpha dL/dF (0 on ghosts), sign(0) = 0 for l1. w, g, energy_loss and force_loss may be NULL. */
void dc_loss_seeds(dc_loss kind, double force_weight, const dc_loss_batch *b, const double *energy,
                   const double *forces, double *w, double *g, double *energy_loss, double *force_loss);

/* With ghosts: each of the first n_mol - n_ghost energies minus its atoms' ghost energies. */
void dc_loss_subtract_isolated(const dc_loss_batch *b, double *energy);

#endif
