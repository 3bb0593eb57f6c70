/* A kept model out of a results file (include/dcsweep/predict/predict.h), evaluated through its
 * family's potential (dc_model_ops.potential); what is common to every potential is here: the run's
 * activation, rescaling and weights, the elements it was trained on, its units. */
#include "dcsweep/predict/predict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/data/atomic_energies.h"
#include "dcsweep/model/model.h"
#include "dcsweep/results/results.h"

struct dc_predictor {
    const dc_potential_ops *potential;  /* the family's */
    void *model;                 /* its open model */
    int64_t n_params;
    float *params;               /* [n_params] the run's kept weights */
    dc_activation act;
    dc_rescale rs;
    dc_elements elements;        /* the model's type order */
    dc_elements trained;         /* those the training split had (all of elements when unrecorded) */
    double train_min_distance;   /* the shortest pair within the cutoff in training; NaN: unrecorded */
    dc_atomic_energies e0;       /* n = 0: none; else rs.shift is per atom (docs/model.md) */
    int isolated_exact;          /* isolated_atoms_exact: each atom's isolated energy subtracted */
    double isolated[DC_MAX_ELEMENTS]; /* [elements.n] then, each type's lone atom, scaled units */
    char energy_unit[32], length_unit[32];
};

void dc_predictor_free(dc_predictor *p)
{
    if (!p) return;
    if (p->model) p->potential->close(p->model);
    free(p->params);
    free(p);
}

/* The file's model through its family's potential, and the elements it knows. */
static int build_model(dc_predictor *p, dc_results *res, const char *path, dc_error *err)
{
    int rc = DC_OK, n_tensors = 0;
    const dc_model_spec *spec = dc_results_spec(res);
    const dc_tensor *tensors = dc_results_tensors(res, &n_tensors);
    if (spec->n_elements < 1 || spec->n_elements > DC_MAX_ELEMENTS)
        DC_FAIL(DC_ERR_INPUT, "%s: the kept model has %d elements", path, spec->n_elements);
    p->elements.n = spec->n_elements;
    for (int k = 0; k < spec->n_elements; k++) p->elements.atomic_number[k] = spec->elements[k];
    /* Files written before these were recorded: every element counts as trained, no distance. */
    p->trained = p->elements;
    if (spec->n_train_elements > 0) {
        p->trained.n = spec->n_train_elements;
        for (int k = 0; k < spec->n_train_elements; k++) p->trained.atomic_number[k] = spec->train_elements[k];
    }
    p->train_min_distance = NAN;
    for (int k = 0; k < spec->n; k++) {
        if (strcmp(spec->names[k], "train_min_distance") == 0) p->train_min_distance = spec->values[k];
        if (strcmp(spec->names[k], "isolated_atoms_exact") == 0) p->isolated_exact = spec->values[k] != 0.0;
        const char *prefix = "atomic_energy_", *sym = spec->names[k] + strlen(prefix);
        if (strncmp(spec->names[k], prefix, strlen(prefix)) == 0 && p->e0.n < DC_MAX_ELEMENTS) {
            int z = dc_element_from_symbol(sym, (int)strlen(sym));
            if (z == 0) DC_FAIL(DC_ERR_INPUT, "%s: /models has %s, of no element", path, spec->names[k]);
            p->e0.atomic_number[p->e0.n] = z;
            p->e0.e0[p->e0.n++] = spec->values[k];
        }
    }
    p->n_params = dc_results_n_params(res);
    rc = p->potential->open(&p->model, spec, tensors, n_tensors, p->n_params, err);
    if (rc != DC_OK) dc_error_prefix(err, "%s", path);
cleanup:
    return rc;
}

/* The run's activation and rescaling, from its row and /rescaling. */
static int run_settings(dc_predictor *p, dc_results *res, const dc_results_row *row, const char *path,
                        dc_error *err)
{
    int rc = DC_OK;
    dc_extent extent;
    dc_rescaling method;
    dc_rescale all[DC_N_RESCALINGS];
    if (dc_extent_parse(row->extent, &extent) != 0 || dc_rescaling_parse(row->rescaling, &method) != 0)
        DC_FAIL(DC_ERR_INPUT, "%s: run %d has an unknown extent or rescaling", path, row->run);
    p->act = (dc_activation){.extent = extent, .irelu_scale = extent == DC_EXTENT_NONE ? 0.0 : row->irelu_scale};
    DC_TRY(dc_results_read_rescaling(res, all, err));
    p->rs = all[method];
    if (!isfinite(p->rs.shift) || !isfinite(p->rs.scale) || p->rs.scale == 0)
        DC_FAIL(DC_ERR_INPUT, "%s: run %d's rescaling (%s) has no statistics", path, row->run, row->rescaling);
cleanup:
    return rc;
}

/* isolated_atoms_exact: the scaled energy of a lone atom of every type, as training subtracted
 * them (docs/model.md, "Isolated atoms"). */
static int isolated_energies(dc_predictor *p, dc_error *err)
{
    int rc = DC_OK;
    const int n = p->elements.n;
    int64_t start[DC_MAX_ELEMENTS + 1], line[DC_MAX_ELEMENTS];
    int types[DC_MAX_ELEMENTS];
    uint8_t z[DC_MAX_ELEMENTS];
    double pos[3 * DC_MAX_ELEMENTS] = {0}, forces[3 * DC_MAX_ELEMENTS];
    for (int t = 0; t <= n; t++) start[t] = t;
    for (int t = 0; t < n; t++) {
        line[t] = 1;
        types[t] = t;
        z[t] = (uint8_t)p->elements.atomic_number[t];
    }
    dc_dataset lone = {.path = "isolated atoms", .n_frames = n, .n_atoms_total = n, .frame_start = start,
                       .frame_line = line, .atomic_number = z, .types = types, .positions = pos};
    DC_TRY(p->potential->predict(p->model, &p->act, p->params, &lone, p->isolated, forces, err));
cleanup:
    return rc;
}

static void attr_copy(dc_results *res, const char *name, char *out, size_t size, const char *def)
{
    char *v = NULL;
    dc_error ignored = {0};
    snprintf(out, size, "%s", def);
    if (dc_results_read_attr_string(res, name, &v, &ignored) == DC_OK) snprintf(out, size, "%s", v);
    free(v);
}

int dc_predictor_load(dc_predictor **out, const char *path, int run, dc_error *err)
{
    int rc = DC_OK;
    dc_predictor *p = NULL;
    dc_results *res = NULL;
    char *kind = NULL;
    dc_results_row row;
    *out = NULL;
    DC_ALLOC(p, 1);
    DC_TRY(dc_results_open(&res, path, 0, err));
    /* a file written before model_kind was recorded is of the first family */
    if (dc_results_has_attr(res, "model_kind")) DC_TRY(dc_results_read_attr_string(res, "model_kind", &kind, err));
    const dc_model_ops *ops = dc_model_find(kind);
    if (!ops)
        DC_FAIL(DC_ERR_INPUT, "%s: its models are of model family \"%s\" (task.kind), which this dcsweep "
                "does not have", path, kind);
    if (!ops->potential)
        DC_FAIL(DC_ERR_INPUT, "%s: its models (task.kind \"%s\") predict no energies or forces: predict "
                "takes potentials only (structures in, energies and forces out)", path, ops->kind);
    p->potential = ops->potential;
    if (run < 0 || run >= dc_results_n_runs(res))
        DC_FAIL(DC_ERR_INPUT, "%s: no run %d (the file has runs 0..%d)", path, run, dc_results_n_runs(res) - 1);
    if (dc_results_n_params(res) <= 0)
        DC_FAIL(DC_ERR_INPUT, "%s: the file keeps no models (the sweep had output.keep_models = false)", path);
    DC_TRY(dc_results_read_rows(res, run, 1, &row, err));
    if (strcmp(row.status, "done") != 0)
        DC_FAIL(DC_ERR_INPUT, "%s: run %d is not done (status %s): it has no model", path, run, row.status);
    DC_TRY(build_model(p, res, path, err));
    DC_TRY(run_settings(p, res, &row, path, err));
    DC_ALLOC(p->params, p->n_params);
    DC_TRY(dc_results_read_params(res, run, p->params, err));
    if (p->isolated_exact) DC_TRY(isolated_energies(p, err));
    attr_copy(res, "energy_unit", p->energy_unit, sizeof p->energy_unit, "eV");
    attr_copy(res, "length_unit", p->length_unit, sizeof p->length_unit, "Angstrom");
    *out = p;
    p = NULL;
cleanup:
    free(kind);
    dc_results_close(res, NULL);
    dc_predictor_free(p);
    return rc;
}

const int *dc_predictor_elements(const dc_predictor *p, int *n)
{
    *n = p->elements.n;
    return p->elements.atomic_number;
}

double dc_predictor_cutoff(const dc_predictor *p) { return p->potential->cutoff(p->model); }
double dc_predictor_train_min_distance(const dc_predictor *p) { return p->train_min_distance; }

int dc_predictor_closest_pair(const dc_predictor *p, int n_atoms, const double *positions, int *i,
                              int *j, double *distance)
{
    if (!isfinite(p->train_min_distance)) return 0;
    double best = INFINITY;
    for (int a = 0; a < n_atoms; a++)
        for (int b = a + 1; b < n_atoms; b++) {
            const double *x = positions + 3 * a, *y = positions + 3 * b;
            double d = sqrt((x[0] - y[0]) * (x[0] - y[0]) + (x[1] - y[1]) * (x[1] - y[1]) +
                            (x[2] - y[2]) * (x[2] - y[2]));
            if (d < best) best = d, *i = a, *j = b;
        }
    *distance = best;
    return best < p->train_min_distance;
}
const char *dc_predictor_energy_unit(const dc_predictor *p) { return p->energy_unit; }
const char *dc_predictor_length_unit(const dc_predictor *p) { return p->length_unit; }

static void element_list(const dc_elements *elements, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (int k = 0; k < elements->n && len < size; k++) {
        const char *sym = dc_element_symbol(elements->atomic_number[k]);
        len += (size_t)snprintf(out + len, size - len, "%s%s", k ? ", " : "", sym ? sym : "?");
    }
}

/* The model's type of element z, -1 when its embedding was never trained (absent from the model,
 * or in it only because the validation or test split had it). */
static int trained_type(const dc_predictor *p, int z)
{
    int seen = 0;
    for (int k = 0; k < p->trained.n && !seen; k++) seen = p->trained.atomic_number[k] == z;
    for (int k = 0; k < p->elements.n && seen; k++)
        if (p->elements.atomic_number[k] == z) return k;
    return -1;
}

static int untrained_element(const dc_predictor *p, const char *where, int z, dc_error *err)
{
    char list[128];
    element_list(&p->trained, list, sizeof list);
    const char *sym = dc_element_symbol(z);
    return dc_error_set(err, DC_ERR_INPUT, "%s: element %s is not one the model was trained on (%s)", where,
                        sym ? sym : "?", list);
}

/* types [n_atoms_total]: each atom's index in the model's element order. */
static int map_types(const dc_predictor *p, const dc_dataset *ds, int *types, dc_error *err)
{
    for (int f = 0, a = 0; f < ds->n_frames; f++)
        for (; a < ds->frame_start[f + 1]; a++) {
            types[a] = trained_type(p, ds->atomic_number[a]);
            if (types[a] < 0) {
                char where[4200];
                snprintf(where, sizeof where, "%s:%lld: frame %d", ds->path,
                         (long long)(ds->frame_line[f] + 2 + a - ds->frame_start[f]), f + 1);
                return untrained_element(p, where, ds->atomic_number[a], err);
            }
        }
    return DC_OK;
}

int dc_predictor_dataset(dc_predictor *p, const dc_dataset *ds, double *energy, double *forces,
                         dc_error *err)
{
    int rc = DC_OK;
    int *types = NULL;
    dc_dataset view = *ds;
    DC_ALLOC(types, ds->n_atoms_total > 0 ? ds->n_atoms_total : 1);
    DC_TRY(map_types(p, ds, types, err));
    view.types = types;
    DC_TRY(p->potential->predict(p->model, &p->act, p->params, &view, energy, forces, err));
    if (p->isolated_exact)
        for (int f = 0; f < ds->n_frames; f++)
            for (int64_t a = ds->frame_start[f]; a < ds->frame_start[f + 1]; a++) energy[f] -= p->isolated[types[a]];
    if (p->e0.n == 0) {
        for (int f = 0; f < ds->n_frames; f++) energy[f] = dc_unscale_energy(&p->rs, energy[f]);
    } else { /* E = scale E' + atoms x per-atom shift + sum E0 */
        for (int f = 0; f < ds->n_frames; f++)
            energy[f] = energy[f] * p->rs.scale +
                        p->rs.shift * (double)(ds->frame_start[f + 1] - ds->frame_start[f]) +
                        dc_atomic_energies_frame(&p->e0, ds, f);
    }
    for (int64_t k = 0; k < 3 * ds->n_atoms_total; k++) forces[k] = dc_unscale_force(&p->rs, forces[k]);
cleanup:
    free(types);
    return rc;
}

int dc_predictor_compute(dc_predictor *p, int n_atoms, const int *atomic_numbers,
                         const double *positions, double *energy, double *forces, dc_error *err)
{
    int rc = DC_OK;
    if (n_atoms < 1) return dc_error_set(err, DC_ERR_INPUT, "a structure needs at least one atom");
    int64_t start[2] = {0, n_atoms}, line[1] = {1};
    uint8_t *z = NULL;
    DC_ALLOC(z, n_atoms);
    for (int a = 0; a < n_atoms; a++) {
        if (atomic_numbers[a] < 1 || atomic_numbers[a] > 118)
            DC_FAIL(DC_ERR_INPUT, "atom %d: atomic number %d", a, atomic_numbers[a]);
        z[a] = (uint8_t)atomic_numbers[a];
        if (trained_type(p, z[a]) < 0) {
            char where[32];
            snprintf(where, sizeof where, "atom %d", a);
            DC_TRY(untrained_element(p, where, z[a], err));
        }
    }
    dc_dataset one = {.path = "structure", .n_frames = 1, .n_atoms_total = n_atoms,
                      .frame_start = start, .frame_line = line, .atomic_number = z,
                      .positions = (double *)positions, .forces = NULL, .energy = NULL};
    DC_TRY(dc_predictor_dataset(p, &one, energy, forces, err));
cleanup:
    free(z);
    return rc;
}
