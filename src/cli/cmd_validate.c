/* `dcsweep validate`: load a sweep file and its datasets (SchNet) or draw its task (the advection
 * PINN), print what a run would see. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/cli/cli.h"
#include "dcsweep/config/grid.h"
#include "dcsweep/data/rescale.h"
#include "dcsweep/data/splits.h"
#include "dcsweep/model/pinn.h"

static const char validate_help[] =
    "usage: dcsweep validate SWEEP.cfg [--set KEY=VALUE ...]\n"
    "\n"
    "Checks a sweep file and loads its datasets (train, validation and test splits, element types),\n"
    "then prints a summary: frames and atoms per split, elements, energy ranges, the model and the\n"
    "number of runs. For an advection sweep (task.kind = \"advection\") it prints the task, the\n"
    "initial condition drawn from task.ic_seed, the collocation points, the labels' rescaling\n"
    "statistics and the network instead. Exits 0 when the sweep is ready to run, 2 on a bad sweep\n"
    "file or dataset.\n"
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

/* An advection sweep: the task, the drawn initial condition, the points, the labels' rescaling
 * statistics for the grid's methods (a degenerate one would fail those runs) and the network. */
static int validate_advection(const dc_sweep *sweep, const dc_grid *grid, dc_error *err)
{
    int rc = DC_OK;
    const dc_task_config *t = &sweep->task;
    double *xt = NULL, *x0 = NULL, *u0 = NULL;
    dc_pinn_ic ic;
    dc_pinn_layout layout;
    const dc_pinn_shape shape = {.width = sweep->model.width, .depth = sweep->model.depth};
    DC_TRY(dc_pinn_layout_init(&layout, &shape, err));
    const int64_t n = dc_pinn_n_points(t->n_interior, t->n_initial, t->n_boundary);
    DC_ALLOC(xt, 2 * n);
    DC_ALLOC(x0, t->n_initial);
    DC_ALLOC(u0, t->n_initial);
    dc_pinn_points(t->t_end, t->n_interior, t->n_initial, t->n_boundary, xt);
    dc_pinn_ic_draw(&ic, (uint64_t)t->ic_seed);
    for (int j = 0; j < t->n_initial; j++) x0[j] = xt[2 * ((int64_t)t->n_interior + j)];
    dc_pinn_ic_eval(&ic, x0, t->n_initial, u0, NULL);
    double lo = u0[0], hi = u0[0];
    for (int j = 1; j < t->n_initial; j++) lo = fmin(lo, u0[j]), hi = fmax(hi, u0[j]);

    printf("%-11s advection u_t + %g u_x = 0, x in [0, 1) periodic, t in [0, %g]\n", "task",
           t->beta, t->t_end);
    printf("%-11s ic_seed %lld: u0(x) = %s%s(", "initial", (long long)t->ic_seed,
           ic.sign < 0 ? "-" : "", ic.use_window ? "window(x) " : "");
    printf("%s", ic.use_abs ? "|" : "");
    for (int k = 0; k < DC_PINN_IC_MODES; k++)
        printf("%s%.4f sin(2 pi %d x + %.4f)", k ? " + " : "", ic.A[k], ic.m[k], ic.phi[k]);
    printf("%s)\n", ic.use_abs ? "|" : "");
    if (ic.use_window)
        printf("%-11s window(x) = 0.5 (tanh((x - %.4f)/0.01) - tanh((x - %.4f)/0.01))\n", "", ic.xL, ic.xR);
    printf("%-11s u0 at the initial points in %.6f .. %.6f\n", "", lo, hi);
    printf("%-11s %d interior, %d initial, %d boundary pairs: %lld points\n", "points", t->n_interior,
           t->n_initial, t->n_boundary, (long long)n);
    printf("%-11s weights residual %g, initial %g, boundary %g\n", "loss", t->w_residual, t->w_initial,
           t->w_boundary);
    printf("%-11s", "rescaling");
    for (int r = 0; r < sweep->grid.n_rescaling; r++) {
        dc_rescale rs;
        dc_error why = {0};
        dc_rescaling method = sweep->grid.rescaling[r];
        if (dc_rescale_fit(&rs, method, u0, t->n_initial, &why) == DC_OK)
            printf("%s %s (shift %.6g, scale %.6g)", r ? "," : "", dc_rescaling_name(method), rs.shift,
                   rs.scale);
        else
            printf("%s %s (degenerate: its runs would fail)", r ? "," : "", dc_rescaling_name(method));
    }
    printf("\n%-11s MLP (x, t) -> u, %d hidden layers of %d, %lld parameters\n", "model", shape.depth,
           shape.width, (long long)layout.n_params);
    printf("%-11s %d full-batch steps, lr %g\n", "train", sweep->train.epochs,
           sweep->train.learning_rate);
    printf("%-11s %d\n", "runs", grid->n_runs);
cleanup:
    free(xt);
    free(x0);
    free(u0);
    return rc;
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
    DC_TRY(dc_sweep_load(&sweep, opts.sweep_path, opts.overrides, opts.n_overrides, err));
    DC_TRY(dc_grid_expand(&grid, &sweep.grid, err));
    if (sweep.task.kind == DC_TASK_ADVECTION) {
        printf("%-11s %s (name %s)\n", "sweep", sweep.path, sweep.name);
        printf("%-11s %s\n", "sha256", sweep.sha256);
        DC_TRY(validate_advection(&sweep, &grid, err));
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
    const dc_model_config *m = &sweep.model;
    printf("%-11s features %d, filters %d, interactions %d, gaussians %d, cutoff %g %s\n", "model",
           m->features, m->filters, m->interactions, m->gaussians, m->cutoff, d->length_unit);
    printf("%-11s %d epochs, batch %d, lr %g, force weight %g, loss %s\n", "train",
           sweep.train.epochs, sweep.train.batch_size, sweep.train.learning_rate,
           sweep.train.force_weight, dc_loss_name(sweep.train.loss));
    print_batch_notes(&sweep, &splits);
    printf("%-11s %d\n", "runs", grid.n_runs);
    DC_TRY(warn(&splits, m->cutoff, err));
    printf("%-11s %s\n", "output", sweep.output);
    printf("ok\n");
cleanup:
    dc_splits_free(&splits);
    dc_grid_free(&grid);
    dc_sweep_free(&sweep);
    dc_cli_common_free(&opts);
    return rc == DC_OK ? 0 : dc_cli_report(err);
}
