/* The energy reference of a potential's splits (include/dcsweep/data/energy_ref.h). */
#include "dcsweep/data/energy_ref.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dc_energy_ref_free(dc_energy_ref *r)
{
    for (int s = 0; s < DC_ENERGY_REF_SPLITS; s++) {
        free(r->frame_e0[s]);
        free(r->energy_ref[s]);
    }
    memset(r, 0, sizeof *r);
}

int dc_energy_ref_init(dc_energy_ref *r, const dc_dataset_config *cfg,
                       const dc_dataset *const split[DC_ENERGY_REF_SPLITS], const dc_elements *elements,
                       dc_error *err)
{
    int rc = DC_OK;
    memset(r, 0, sizeof *r);
    for (int s = 0; s < DC_ENERGY_REF_SPLITS; s++) r->split[s] = split[s];
    const dc_dataset *train = split[0];
    r->mean_atoms = train->n_frames > 0 ? (double)train->n_atoms_total / train->n_frames : 1.0;
    DC_TRY(dc_atomic_energies_resolve(&r->e0, cfg, train, elements, err));
    if (r->e0.n == 0) return DC_OK;
    r->isolated_exact = cfg->isolated_exact;
    for (int s = 0; s < DC_ENERGY_REF_SPLITS; s++) {
        const dc_dataset *ds = split[s];
        DC_ALLOC(r->frame_e0[s], ds->n_frames > 0 ? ds->n_frames : 1);
        DC_ALLOC(r->energy_ref[s], ds->n_frames > 0 ? ds->n_frames : 1);
        for (int f = 0; f < ds->n_frames; f++) r->frame_e0[s][f] = dc_atomic_energies_frame(&r->e0, ds, f);
    }
    return DC_OK;
cleanup:
    dc_energy_ref_free(r);
    return rc;
}

int dc_energy_ref_rescale(const dc_energy_ref *r, dc_rescaling method, dc_rescale *out, dc_error *err)
{
    int rc = DC_OK;
    const dc_dataset *ds = r->split[0];
    double *interaction = NULL;
    if (r->e0.n == 0) return dc_rescale_fit(out, method, ds->energy, ds->n_frames, err);
    DC_ALLOC(interaction, ds->n_frames > 0 ? ds->n_frames : 1);
    for (int f = 0; f < ds->n_frames; f++) interaction[f] = ds->energy[f] - r->frame_e0[0][f];
    DC_TRY(dc_rescale_fit(out, method, interaction, ds->n_frames, err));
    /* per atom, so that the energy stays a sum over atoms; exact isolated atoms: none, or it would
     * sit on a lone atom too */
    out->shift = r->isolated_exact ? 0.0 : out->shift / r->mean_atoms;
cleanup:
    free(interaction);
    return rc;
}

void dc_energy_ref_begin_run(dc_energy_ref *r, const dc_rescale *rs, dc_rescale *labels)
{
    *labels = *rs;
    if (r->e0.n == 0) return;
    labels->shift = 0.0;
    for (int s = 0; s < DC_ENERGY_REF_SPLITS; s++) {
        const dc_dataset *ds = r->split[s];
        for (int f = 0; f < ds->n_frames; f++)
            r->energy_ref[s][f] = r->frame_e0[s][f] + rs->shift * (double)(ds->frame_start[f + 1] - ds->frame_start[f]);
    }
}

static int spec_add(dc_model_spec *spec, const char *name, double value, dc_error *err)
{
    if (spec->n >= DC_SPEC_MAX)
        return dc_error_set(err, DC_ERR_INPUT, "dataset.atomic_energies: %s does not fit a kept model's "
                            "description (at most %d entries)", name, DC_SPEC_MAX);
    snprintf(spec->names[spec->n], sizeof spec->names[spec->n], "%s", name);
    spec->values[spec->n++] = value;
    return DC_OK;
}

int dc_energy_ref_describe(const dc_energy_ref *r, dc_model_spec *spec, dc_error *err)
{
    int rc = DC_OK;
    char name[DC_SPEC_NAME_MAX];
    for (int k = 0; k < r->e0.n; k++) {
        snprintf(name, sizeof name, "atomic_energy_%s", dc_element_symbol(r->e0.atomic_number[k]));
        DC_TRY(spec_add(spec, name, r->e0.e0[k], err));
    }
    if (r->e0.n > 0 && r->isolated_exact) DC_TRY(spec_add(spec, "isolated_atoms_exact", 1.0, err));
cleanup:
    return rc;
}
