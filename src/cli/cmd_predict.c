/* `dcsweep predict RESULTS.h5 --run N IN.xyz [-o OUT.xyz]`: a kept model's energies and forces on
 * new structures (include/dcsweep/predict/predict.h), and its errors where they have labels. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_util.h"
#include "dcsweep/cli/cli.h"
#include "dcsweep/core/json_out.h"
#include "dcsweep/predict/predict.h"

static const char predict_help[] =
    "usage: dcsweep predict RESULTS.h5 --run N IN.xyz [-o OUT.xyz] [--format table|json]\n"
    "                       [--energy-key KEY] [--forces-key KEY]\n"
    "\n"
    "Evaluates the model that run N of a sweep kept (its selected weights, see train.select) on\n"
    "every frame of IN.xyz (extended XYZ; labels are optional). Where IN has labels, the errors\n"
    "are printed with the metrics of the results file's /runs columns, in the dataset's units:\n"
    "energy errors over the frames with an energy (a dissociation curve often has no forces),\n"
    "force errors over those with forces, EFwT over those with both. A structure with an element\n"
    "the model was not trained on is refused (exit 2); a structure with a pair of atoms closer\n"
    "than any in the training data is predicted with a warning on stderr (an extrapolation).\n"
    "\n"
    "options:\n"
    "  --run N             the run whose kept model to use, 0..runs-1 as `dcsweep plan` numbers them\n"
    "  -o, --output OUT    also write the predictions as extended XYZ that ASE reads (energy= and a\n"
    "                      forces column; IN's own labels, where it has them, as ref_energy= and\n"
    "                      ref_forces); written whole or not at all (a temporary file renamed\n"
    "                      onto OUT)\n"
    "  --format table|json how to print the errors: table (default) or one JSON object {run,\n"
    "                      frames, labelled (frames with both labels), energy_labelled,\n"
    "                      forces_labelled, energy_mae, energy_rmse, force_mae, force_rmse, efwt}\n"
    "  --energy-key KEY    the comment-line key of IN's reference energy (default energy; ASE's\n"
    "                      own files often have REF_energy)\n"
    "  --forces-key KEY    the Properties column of IN's reference forces (default forces; ASE:\n"
    "                      REF_forces)\n"
    "  --help              print this text\n"
    "\n"
    "exit status: 0 predicted, 1 runtime failure (e.g. -o on a full disk; OUT is left as it was),\n"
    "2 bad input (a missing or foreign results file, an unknown run, a run not done, a malformed\n"
    "IN, an untrained element; an OUT that is a directory, a device, a FIFO, the results file or\n"
    "any HDF5 file: -o replaces a file whole, so it never replaces those)\n"
    "\n"
    "examples:\n"
    "  dcsweep report results/quickstart.h5          # find the best configuration, then a run of it\n"
    "  dcsweep predict results/quickstart.h5 --run 3 data/ethanol-xtb/test.xyz -o pred.xyz\n";

typedef struct predict_args {
    const char *results, *input, *output, *format, *energy_key, *forces_key;
    int run, help;
} predict_args;

static int parse_args(predict_args *a, int argc, char **argv, dc_error *err)
{
    memset(a, 0, sizeof *a);
    a->run = -1;
    const char *run = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], **slot = NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            a->help = 1;
            continue;
        }
        if (strcmp(arg, "--run") == 0) slot = &run;
        else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) slot = &a->output;
        else if (strcmp(arg, "--format") == 0) slot = &a->format;
        else if (strcmp(arg, "--energy-key") == 0) slot = &a->energy_key;
        else if (strcmp(arg, "--forces-key") == 0) slot = &a->forces_key;
        if (slot) {
            if (i + 1 >= argc) return dc_error_set(err, DC_ERR_INPUT, "predict: %s needs a value", arg);
            *slot = argv[++i];
        } else if (arg[0] == '-' && arg[1]) {
            return dc_error_set(err, DC_ERR_INPUT, "predict: unknown option '%s' (see dcsweep predict --help)", arg);
        } else if (!a->results) {
            a->results = arg;
        } else if (!a->input) {
            a->input = arg;
        } else {
            return dc_error_set(err, DC_ERR_INPUT, "predict: unexpected argument '%s'", arg);
        }
    }
    if (a->help) return DC_OK;
    if (!a->results || !a->input)
        return dc_error_set(err, DC_ERR_INPUT, "predict: usage: dcsweep predict RESULTS.h5 --run N IN.xyz (see --help)");
    if (!run)
        return dc_error_set(err, DC_ERR_INPUT, "predict: --run N is required (dcsweep report finds the best "
                            "configuration; the results file's /runs lists its runs)");
    if (cmd_parse_count(run, "predict", "--run", 0, &a->run, err) != DC_OK) return err->code;
    if (a->format && strcmp(a->format, "table") && strcmp(a->format, "json"))
        return dc_error_set(err, DC_ERR_INPUT, "predict: --format must be table or json, got '%s'", a->format);
    return DC_OK;
}

/* How many frames of IN have which reference labels. */
typedef struct label_counts {
    int64_t both;         /* an energy and all forces: EFwT */
    int64_t energy;       /* an energy (with or without forces): the energy errors */
    int64_t forces;       /* all forces (with or without an energy): the force errors */
} label_counts;

/* The errors in the dataset's units, each over the frames that have its labels: energies over
 * those with an energy (a dissociation curve often has no forces), forces over those with
 * forces, EFwT over those with both. */
static int errors(const dc_dataset *ds, const double *energy, const double *forces, dc_split_metrics *m,
                  label_counts *n)
{
    dc_metrics_acc acc_energy, acc_forces, acc_both;
    dc_metrics_reset(&acc_energy);
    dc_metrics_reset(&acc_forces);
    dc_metrics_reset(&acc_both);
    memset(n, 0, sizeof *n);
    int *mol = NULL;
    int64_t most = 0;
    for (int f = 0; f < ds->n_frames; f++)
        if (ds->frame_start[f + 1] - ds->frame_start[f] > most) most = ds->frame_start[f + 1] - ds->frame_start[f];
    if (!(mol = calloc((size_t)(most > 0 ? most : 1), sizeof *mol))) return -1;  /* one molecule: all 0 */
    for (int f = 0; f < ds->n_frames; f++) {
        int64_t a0 = ds->frame_start[f];
        int na = (int)(ds->frame_start[f + 1] - a0), has_e = dc_frame_has_energy(ds, f),
            has_f = dc_frame_has_forces(ds, f);
        if (has_e) dc_metrics_add(&acc_energy, 1, 0, mol, energy + f, ds->energy + f, NULL, NULL);
        if (has_f)  /* the energy term is the prediction against itself: only the force sums are read */
            dc_metrics_add(&acc_forces, 1, na, mol, energy + f, energy + f, forces + 3 * a0, ds->forces + 3 * a0);
        if (has_e && has_f)
            dc_metrics_add(&acc_both, 1, na, mol, energy + f, ds->energy + f, forces + 3 * a0, ds->forces + 3 * a0);
        n->energy += has_e;
        n->forces += has_f;
        n->both += has_e && has_f;
    }
    free(mol);
    dc_split_metrics e, fm;
    dc_metrics_finish(&acc_both, m);
    dc_metrics_finish(&acc_energy, &e);
    dc_metrics_finish(&acc_forces, &fm);
    m->energy_mae = e.energy_mae;
    m->energy_rmse = e.energy_rmse;
    m->force_mae = fm.force_mae;
    m->force_rmse = fm.force_rmse;
    return 0;
}

/* When IN lacks a label under the key asked for but has an energy/force-like one (ASE's
 * REF_energy/REF_forces): which options would read it ("" when none). Only the labels that no
 * frame has are looked for. */
static void label_hint(const predict_args *a, int want_energy, int want_forces, char *out, size_t size)
{
    char *line = NULL, energy[64] = "", forces[64] = "";
    size_t cap = 0;
    ssize_t len = 0;
    out[0] = '\0';
    FILE *in = fopen(a->input, "r");
    if (!in) return;
    for (int k = 0; k < 2 && (len = getline(&line, &cap, in)) >= 0; k++) {}  /* frame 1's comment line */
    fclose(in);
    dc_xyz_options keys = {.energy_key = a->energy_key, .forces_key = a->forces_key};
    if (len > 0) dc_xyz_label_candidates(line, (size_t)len, &keys, energy, sizeof energy, forces, sizeof forces);
    free(line);
    if (!want_energy) energy[0] = '\0';
    if (!want_forces) forces[0] = '\0';
    if (energy[0] || forces[0])
        snprintf(out, size, "the file has %s%s%s%s%s: %s%s%s%s%s read %s as the labels",
                 energy[0] ? "energy key " : "", energy, energy[0] && forces[0] ? " and " : "",
                 forces[0] ? "forces column " : "", forces, energy[0] ? "--energy-key " : "", energy,
                 energy[0] && forces[0] ? " " : "", forces[0] ? "--forces-key " : "", forces,
                 energy[0] && forces[0] ? "them" : "it");
}

/* One warning per structure with a pair closer than any in training, the first few of them, then
 * how many and how close the closest is (a test set often has many a hair's breadth short). */
static void warn_close_pairs(const predict_args *a, const dc_predictor *p, const dc_dataset *ds)
{
    enum { SHOWN = 3 };
    int n_close = 0;
    double closest = INFINITY;
    for (int f = 0; f < ds->n_frames; f++) {
        int i = 0, j = 0;
        double d = 0.0;
        int64_t a0 = ds->frame_start[f];
        if (!dc_predictor_closest_pair(p, (int)(ds->frame_start[f + 1] - a0), ds->positions + 3 * a0, &i, &j, &d))
            continue;
        closest = fmin(closest, d);
        if (n_close++ < SHOWN)
            fprintf(stderr, "dcsweep: warning: %s:%lld: frame %d: the atoms on lines %lld and %lld are %.4g %s "
                    "apart, closer than any pair in run %d's training data (%.4g): the prediction is an "
                    "extrapolation\n", a->input, (long long)ds->frame_line[f], f + 1,
                    (long long)(ds->frame_line[f] + 2 + i), (long long)(ds->frame_line[f] + 2 + j), d,
                    dc_predictor_length_unit(p), a->run, dc_predictor_train_min_distance(p));
    }
    if (n_close > SHOWN)
        fprintf(stderr, "dcsweep: warning: %s: %d frames in all have a pair closer than in training, the "
                "closest %.4g %s (training's: %.4g)\n", a->input, n_close, closest, dc_predictor_length_unit(p),
                dc_predictor_train_min_distance(p));
}

static void print_metrics(const predict_args *a, const dc_predictor *p, const label_counts *n, int n_frames,
                          const dc_split_metrics *m)
{
    char hint[400] = "";
    if (n->energy == 0 || n->forces == 0) label_hint(a, n->energy == 0, n->forces == 0, hint, sizeof hint);
    const char *eu = dc_predictor_energy_unit(p), *lu = dc_predictor_length_unit(p);
    if (a->format && strcmp(a->format, "json") == 0) {
        printf("{\"run\": %d, \"frames\": %d, \"labelled\": %lld, \"energy_labelled\": %lld, "
               "\"forces_labelled\": %lld, ", a->run, n_frames, (long long)n->both, (long long)n->energy,
               (long long)n->forces);
        cmd_json_number(stdout, "energy_mae", m->energy_mae, 1);
        cmd_json_number(stdout, "energy_rmse", m->energy_rmse, 1);
        cmd_json_number(stdout, "force_mae", m->force_mae, 1);
        cmd_json_number(stdout, "force_rmse", m->force_rmse, 1);
        cmd_json_number(stdout, "efwt", m->efwt, 0);
        printf("}\n");
        if (hint[0]) fprintf(stderr, "dcsweep: predict: a label no frame has: %s\n", hint);
        return;
    }
    printf("run %d on %s: %d frames, %lld with labels", a->run, a->input, n_frames, (long long)n->both);
    if (n->energy > n->both) printf(", %lld with an energy only", (long long)(n->energy - n->both));
    if (n->forces > n->both) printf(", %lld with forces only", (long long)(n->forces - n->both));
    printf("\n");
    if (hint[0]) printf("(%s)\n", hint);
    if (n->energy > 0)
        printf("%-12s %12.6g %s\n%-12s %12.6g %s\n", "energy_mae", m->energy_mae, eu, "energy_rmse",
               m->energy_rmse, eu);
    if (n->forces > 0)
        printf("%-12s %12.6g %s/%s\n%-12s %12.6g %s/%s\n", "force_mae", m->force_mae, eu, lu, "force_rmse",
               m->force_rmse, eu, lu);
    if (n->both > 0) printf("%-12s %12.4f\n", "efwt", m->efwt);
}

int dc_cmd_predict(int argc, char **argv)
{
    int rc = DC_OK;
    dc_error e = {0}, *err = &e;
    predict_args a;
    dc_predictor *p = NULL;
    dc_dataset ds = {0};
    double *energy = NULL, *forces = NULL;
    char dest[PATH_MAX];
    DC_TRY(parse_args(&a, argc, argv, err));
    if (a.help) {
        fputs(predict_help, stdout);
        goto cleanup;
    }
    cmd_default_threads();
    if (a.output) DC_TRY(dc_predict_output_check(a.output, a.results, dest, sizeof dest, err));
    DC_TRY(dc_predictor_load(&p, a.results, a.run, err));
    dc_xyz_options opts = {.energy_key = a.energy_key, .forces_key = a.forces_key, .labels_optional = 1};
    DC_TRY(dc_dataset_read_xyz(&ds, a.input, &opts, err));
    DC_ALLOC(energy, ds.n_frames);
    DC_ALLOC(forces, 3 * ds.n_atoms_total);
    DC_TRY(dc_predictor_dataset(p, &ds, energy, forces, err));
    warn_close_pairs(&a, p, &ds);
    if (a.output) DC_TRY(dc_predict_write_xyz(dest, &ds, energy, forces, err));
    dc_split_metrics m;
    label_counts counts;
    if (errors(&ds, energy, forces, &m, &counts) != 0) DC_FAIL(DC_ERR_NOMEM, "predict: out of memory");
    print_metrics(&a, p, &counts, ds.n_frames, &m);
    if (fflush(stdout) != 0) DC_FAIL(DC_ERR_IO, "predict: cannot write the output");
cleanup:
    free(energy);
    free(forces);
    dc_dataset_free(&ds);
    dc_predictor_free(p);
    return rc == DC_OK ? 0 : dc_cli_report(err);
}
