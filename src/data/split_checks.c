/* What only the data can show wrong in a sweep (dc_splits_check, splits.h): a cutoff that gives the
 * model no pair to learn from or that every pair lies far within, and an element that training never
 * sees. Both used to become results: a cutoff of 0.1 Angstrom trained as "done" on no edges, 1e308
 * made every run "diverged" (final, never retried), an unseen element kept its initial embedding. */
#include <math.h>
#include <stdio.h>

#include "dcsweep/data/atomic_energies.h"
#include "dcsweep/data/splits.h"

/* The closest and the farthest two atoms of one frame of ds, over all its frames (the distance is
 * computed as the neighbour list computes it, so that "closest < cutoff" means "an edge"). A
 * dataset of lone atoms leaves *closest at INFINITY and *farthest at 0. */
static void pair_range(const dc_dataset *ds, double *closest, double *farthest)
{
    const double *r = ds->positions;
    for (int f = 0; f < ds->n_frames; f++)
        for (int64_t i = ds->frame_start[f]; i < ds->frame_start[f + 1]; i++)
            for (int64_t j = i + 1; j < ds->frame_start[f + 1]; j++) {
                double dx = r[3 * i] - r[3 * j], dy = r[3 * i + 1] - r[3 * j + 1];
                double dz = r[3 * i + 2] - r[3 * j + 2];
                double d = sqrt(dx * dx + dy * dy + dz * dz);
                if (d < *closest) *closest = d;
                if (d > *farthest) *farthest = d;
            }
}

static int check_cutoff(const dc_splits *splits, const dc_sweep *sweep, dc_error *err)
{
    int has_cutoff = 0;
    const double cutoff = dc_sweep_double(sweep, "model.cutoff", &has_cutoff);
    if (!has_cutoff) return DC_OK;  /* a family without one has no pairs to check it against */
    const char *unit = sweep->dataset.length_unit ? sweep->dataset.length_unit : "Angstrom";
    double closest = INFINITY, farthest = 0, ignored = INFINITY;
    pair_range(&splits->train, &closest, &farthest);
    if (!isfinite(closest))
        return dc_error_set(err, DC_ERR_INPUT, "%s: the training split (%s) has no frame of two or "
                            "more atoms: the model has no pair to learn from",
                            sweep->path ? sweep->path : "sweep", splits->train.path ? splits->train.path : "?");
    if (!(closest < cutoff))
        return dc_sweep_key_fail(sweep, "model.cutoff", err, "value %g leaves no two atoms of a "
                                 "training frame within it (the closest are %.4g %s apart): the "
                                 "model would see no neighbours", cutoff, closest, unit);
    pair_range(&splits->validation, &ignored, &farthest);
    pair_range(&splits->test, &ignored, &farthest);
    if (cutoff > DC_CUTOFF_MAX_FACTOR * farthest)
        return dc_sweep_key_fail(sweep, "model.cutoff", err, "value %g is more than %g times the "
                                 "largest distance between two atoms of a frame (%.4g %s): use at "
                                 "most %.4g", cutoff, DC_CUTOFF_MAX_FACTOR, farthest, unit,
                                 DC_CUTOFF_MAX_FACTOR * farthest);
    return DC_OK;
}

/* An element of the validation or test split that the training split lacks: its embedding keeps
 * its initial values, so what the model says of it is noise. */
static int check_elements(const dc_splits *splits, const dc_sweep *sweep, dc_error *err)
{
    int in_train[256] = {0};
    for (int64_t a = 0; a < splits->train.n_atoms_total; a++) in_train[splits->train.atomic_number[a]] = 1;
    const dc_dataset *sets[2] = {&splits->validation, &splits->test};
    const char *names[2] = {"validation", "test"};
    for (int s = 0; s < 2; s++)
        for (int64_t a = 0; a < sets[s]->n_atoms_total; a++) {
            int z = sets[s]->atomic_number[a];
            if (in_train[z]) continue;
            const char *symbol = dc_element_symbol(z);
            return dc_error_set(err, DC_ERR_INPUT, "%s: the %s split (%s) has element %s, which the "
                                "training split does not: its embedding would never be trained",
                                sweep->path ? sweep->path : "sweep", names[s],
                                sets[s]->path ? sets[s]->path : "?", symbol ? symbol : "?");
        }
    return DC_OK;
}

int dc_splits_check(const dc_splits *splits, const dc_sweep *sweep, dc_error *err)
{
    int rc = check_cutoff(splits, sweep, err);
    if (rc == DC_OK) rc = check_elements(splits, sweep, err);
    /* a file of isolated atoms that cannot give every element's E0 is found here, before any run */
    dc_atomic_energies e0;
    if (rc == DC_OK) rc = dc_atomic_energies_resolve(&e0, &sweep->dataset, &splits->train, &splits->elements, err);
    return rc;
}
