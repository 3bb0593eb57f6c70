/* `dcsweep validate`: load a sweep file and its datasets (a family that reads one), print what a run
 * would see; the family describes its task, model and training (dc_model_ops.describe). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/cli/cli.h"
#include "dcsweep/config/grid.h"
#include "dcsweep/data/atomic_energies.h"
#include "dcsweep/data/rescale.h"
#include "dcsweep/data/splits.h"
#include "dcsweep/model/model.h"

static const char validate_help[] =
    "usage: dcsweep validate SWEEP.cfg [--set KEY=VALUE ...]\n"
    "\n"
    "Checks a sweep file and loads its datasets (train, validation and test splits, element types),\n"
    "then prints a summary: frames and atoms per split, elements, energy ranges, the model and the\n"
    "number of runs. A sweep of a family without a dataset shows its task instead (for a PDE: the\n"
    "initial condition drawn from task.ic_seed, the collocation points, the labels' rescaling\n"
    "statistics and the network). Exits 0 when the sweep is ready to run, 2 on a bad sweep file or\n"
    "dataset.\n"
    "\n"
    "options:\n"
    "  --set KEY=VALUE  override a key of the sweep file (repeatable, applied in order)\n"
    "  --help           print this text\n"
    "\n"
    "example:\n"
    "  dcsweep validate sweeps/quickstart.cfg --set dataset.split.train=500\n";

static void print_split(const char *name, const dc_dataset *ds, const char *unit)
{
    double lo = ds->energy[0], hi = ds->energy[0];
    int64_t min_atoms = ds->n_atoms_total, max_atoms = 0;
    for (int f = 0; f < ds->n_frames; f++) {
        if (ds->energy[f] < lo) lo = ds->energy[f];
        if (ds->energy[f] > hi) hi = ds->energy[f];
        int64_t n = ds->frame_start[f + 1] - ds->frame_start[f];
        if (n < min_atoms) min_atoms = n;
        if (n > max_atoms) max_atoms = n;
    }
    char atoms[64];
    if (min_atoms == max_atoms)
        snprintf(atoms, sizeof atoms, "%lld atoms each", (long long)min_atoms);
    else
        snprintf(atoms, sizeof atoms, "%lld-%lld atoms", (long long)min_atoms, (long long)max_atoms);
    printf("%-11s %d frames, %s (%lld in all), energy %.6f .. %.6f %s\n", name, ds->n_frames, atoms,
           (long long)ds->n_atoms_total, lo, hi, unit);
}

/* Warnings: what training would not fail on but a user should know. Atoms with no neighbour within
 * the cutoff get no force from the model (their force labels cannot be learnt). (An element absent
 * from the training split is an error: dc_splits_check.) */
static int warn(const dc_splits *splits, double cutoff, dc_error *err)
{
    int rc = DC_OK;
    const dc_dataset *sets[3] = {&splits->train, &splits->validation, &splits->test};
    const char *names[3] = {"train", "validation", "test"};
    dc_neighbors nb = {0};
    char *has_edge = NULL;
    for (int s = 0; s < 3; s++) {
        const dc_dataset *ds = sets[s];
        DC_TRY(dc_neighbors_build(&nb, ds, cutoff, err));
        DC_ALLOC(has_edge, ds->n_atoms_total);
        for (int64_t k = 0; k < nb.n_edges; k++) has_edge[nb.dst[k]] = 1;
        int64_t alone = 0, first = -1;
        for (int64_t a = 0; a < ds->n_atoms_total; a++)
            if (!has_edge[a] && alone++ == 0) first = a;
        if (alone > 0) {
            int f = 0;
            while (ds->frame_start[f + 1] <= first) f++;
            printf("warning: %s: %lld atoms of the %s split have no neighbour within the cutoff (%g), "
                   "the first on line %lld: the model gives them no force\n", ds->path, (long long)alone,
                   names[s], cutoff, (long long)(ds->frame_line[f] + 2 + first - ds->frame_start[f]));
        }
        free(has_edge);
        has_edge = NULL;
        dc_neighbors_free(&nb);
    }
cleanup:
    free(has_edge);
    dc_neighbors_free(&nb);
    return rc;
}

/* A batch larger than its split is the whole split (the same numbers as a batch of exactly the
 * split, memory for the split only): noted when the sweep sets it, not refused, since the defaults
 * (20 and 100) exceed the small splits of many sweep files, which must keep their numbers. */
static void print_batch_notes(const dc_sweep *sweep, const dc_splits *splits)
{
    const dc_train_config *t = &sweep->train;
    int given[2] = {0, 0};
    for (int k = 0; k < DC_N_DATA_KEYS; k++) {
        const dc_key_origin *o = &sweep->data_keys[k];
        if (o->key && strcmp(o->key, "train.batch_size") == 0) given[0] = o->given;
        if (o->key && strcmp(o->key, "train.eval_batch_size") == 0) given[1] = o->given;
    }
    int most = splits->validation.n_frames > splits->test.n_frames ? splits->validation.n_frames
                                                                   : splits->test.n_frames;
    if (splits->train.n_frames > most) most = splits->train.n_frames;
    if (given[0] && t->batch_size > splits->train.n_frames)
        printf("note: train.batch_size %d is larger than the training split (%d frames): a batch is "
               "the whole split\n", t->batch_size, splits->train.n_frames);
    if (given[1] && t->eval_batch_size > most)
        printf("note: train.eval_batch_size %d is larger than every split (at most %d frames): a "
               "split is evaluated in one batch\n", t->eval_batch_size, most);
}

/* dataset.atomic_energies: where the E0s come from, each element's, and what an isolated atom gets. */
static int print_atomic_energies(const dc_dataset_config *d, const dc_splits *splits, dc_error *err)
{
    dc_atomic_energies e0;
    if (d->e0_source == DC_E0_NONE) return DC_OK;
    int rc = dc_atomic_energies_resolve(&e0, d, &splits->train, &splits->elements, err);
    if (rc != DC_OK) return rc;
    printf("%-11s %s:", "E0", d->e0_source == DC_E0_AVERAGE ? "average (least squares on the training split)"
                                                             : d->e0_file);
    for (int k = 0; k < e0.n; k++) printf(" %s %.6f", dc_element_symbol(e0.atomic_number[k]), e0.e0[k]);
    printf(" %s; isolated atoms %s\n", d->energy_unit,
           d->isolated_exact ? "exact (at E0)" : "shifted (E0 + per-atom shift + the network's output)");
    if (d->isolated_exact && d->e0_source == DC_E0_AVERAGE)
        printf("note: dataset.isolated_atoms \"exact\" with \"average\" E0s puts a lone atom at a least-squares "
               "E0, not at an isolated atom's energy (one formula fixes only its sum): give a file of isolated "
               "atoms for that\n");
    return DC_OK;
}

int dc_cmd_validate(int argc, char **argv)
{
    int rc = DC_OK;
    dc_error e = {0}, *err = &e;
    dc_cli_common opts;
    dc_sweep sweep = {0};
    dc_grid grid = {0};
    dc_splits splits = {0};
    DC_TRY(dc_cli_parse_common(&opts, argc, argv, NULL, 0, err));
    if (opts.help) {
        fputs(validate_help, stdout);
        goto cleanup;
    }
    if (opts.format) DC_FAIL(DC_ERR_INPUT, "validate: --format is not an option of validate");
    DC_TRY(dc_cli_load_sweep(&sweep, &opts, err));
    DC_TRY(dc_grid_expand(&grid, &sweep.grid, err));
    const dc_model_ops *ops = dc_model_find(sweep.family->kind);
    if (!ops) DC_FAIL(DC_ERR_INTERNAL, "task.kind %s: no model family", sweep.family->kind);
    if (!dc_sweep_uses(&sweep, "dataset")) {
        printf("%-11s %s (name %s)\n", "sweep", sweep.path, sweep.name);
        printf("%-11s %s\n", "sha256", sweep.sha256);
        DC_TRY(ops->describe(&sweep, DC_DESCRIBE_VALIDATE, stdout, err));
        printf("%-11s %d\n", "runs", grid.n_runs);
        printf("%-11s %s\n", "output", sweep.output);
        printf("ok\n");
        goto cleanup;
    }
    DC_TRY(dc_splits_load(&splits, &sweep, err));
    DC_TRY(dc_splits_check(&splits, &sweep, err));

    const dc_dataset_config *d = &sweep.dataset;
    printf("%-11s %s (name %s)\n", "sweep", sweep.path, sweep.name);
    printf("%-11s %s\n", "sha256", sweep.sha256);
    if (d->file)
        printf("%-11s %s, split by seed %lld%s%s\n", "dataset", d->file, (long long)d->split_seed,
               d->split_test > 0 ? "" : ", test from ", d->split_test > 0 ? "" : d->test);
    else
        printf("%-11s three files\n", "dataset");
    print_split("train", &splits.train, d->energy_unit);
    print_split("validation", &splits.validation, d->energy_unit);
    print_split("test", &splits.test, d->energy_unit);
    printf("%-11s", "elements");
    for (int i = 0; i < splits.elements.n; i++) {
        const char *symbol = dc_element_symbol(splits.elements.atomic_number[i]);
        printf(" %s", symbol ? symbol : "?");
    }
    printf("\n");
    DC_TRY(print_atomic_energies(d, &splits, err));
    DC_TRY(ops->describe(&sweep, DC_DESCRIBE_VALIDATE, stdout, err));
    print_batch_notes(&sweep, &splits);
    printf("%-11s %d\n", "runs", grid.n_runs);
    int has_cutoff = 0;
    const double cutoff = dc_sweep_double(&sweep, "model.cutoff", &has_cutoff);
    if (has_cutoff) DC_TRY(warn(&splits, cutoff, err));
    printf("%-11s %s\n", "output", sweep.output);
    printf("ok\n");
cleanup:
    dc_splits_free(&splits);
    dc_grid_free(&grid);
    dc_sweep_free(&sweep);
    dc_cli_common_free(&opts);
    return rc == DC_OK ? 0 : dc_cli_report(err);
}
