/* The sweep file: defaults, every key, --set overrides (bare words, lists, new groups), path
 * resolution, and which changes move the hash (values) and which do not (comments, layout, name,
 * output, where the file lives). Error messages of malformed files are in config_errors.sh. */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "dcsweep/config/config.h"
#include "dcsweep/core/sha256.h"
#include "dcsweep/model/model.h"
#include "dcsweep/model/pinn.h"

/* A family key's value (the sweep keeps them in its family's table). */
static int I(const dc_sweep *s, const char *key) { return (int)dc_sweep_int(s, key, NULL); }
static double D(const dc_sweep *s, const char *key) { return dc_sweep_double(s, key, NULL); }

static char dir[4096];   /* tests/data/sweeps, absolute */

static int load(dc_sweep *s, const char *path, const char *const *sets, int n_sets, dc_error *err)
{
    dc_override ov[16];
    for (int i = 0; i < n_sets; i++) ov[i].assignment = sets[i];
    dc_error_clear(err);
    return dc_sweep_load(s, path, ov, n_sets, dc_model_families(), err);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

static void test_defaults(void)
{
    dc_sweep s;
    dc_error err;
    char path[4200], want[4300];
    snprintf(path, sizeof path, "%s/minimal.cfg", dir);
    int rc = load(&s, path, NULL, 0, &err);
    CHECK(rc == DC_OK, "minimal.cfg: %s", err.message);
    if (rc != DC_OK) goto done;
    CHECK(strcmp(s.name, "minimal") == 0, "name %s", s.name);
    CHECK(strcmp(s.output, "results/minimal.h5") == 0, "output %s", s.output);
    snprintf(want, sizeof want, "%s/water12.xyz", dir);
    CHECK(strcmp(s.dataset.train, want) == 0, "train %s", s.dataset.train);
    snprintf(want, sizeof want, "%s/water4.xyz", dir);
    CHECK(strcmp(s.dataset.test, want) == 0, "test %s", s.dataset.test);
    CHECK(s.dataset.file == NULL, "no file");
    CHECK(strcmp(s.dataset.energy_key, "energy") == 0 && strcmp(s.dataset.forces_key, "forces") == 0,
          "keys %s %s", s.dataset.energy_key, s.dataset.forces_key);
    CHECK(strcmp(s.dataset.length_unit, "Angstrom") == 0 && strcmp(s.dataset.energy_unit, "eV") == 0,
          "units");
    CHECK(I(&s, "model.features") == 64 && I(&s, "model.filters") == 64 && I(&s, "model.interactions") == 3 &&
              I(&s, "model.gaussians") == 25,
          "model %d %d %d %d", I(&s, "model.features"), I(&s, "model.filters"), I(&s, "model.interactions"),
          I(&s, "model.gaussians"));
    CHECK_CLOSE(D(&s, "model.cutoff"), 5.0, 0);
    CHECK(s.train.epochs == 30 && s.train.batch_size == 20 && s.train.eval_batch_size == 100,
          "train ints");
    CHECK_CLOSE(s.train.learning_rate, 5e-4, 0);
    CHECK_CLOSE(s.train.force_weight, 30.0, 0);
    CHECK_CLOSE(s.train.lr_decay, 1.0, 0);
    CHECK_CLOSE(s.train.weight_decay, 0.0, 0);
    CHECK(s.train.loss == DC_LOSS_L1 && s.train.lr_decay_every == 0, "loss/decay");
    CHECK(s.grid.n_irelu_scale == 1 && s.grid.irelu_scale[0] == 0.5, "scale");
    CHECK(s.grid.n_extent == 1 && s.grid.extent[0] == DC_EXTENT_FULL, "extent");
    CHECK(s.grid.n_rescaling == 1 && s.grid.rescaling[0] == DC_RESCALE_POWER10, "rescaling");
    CHECK(s.grid.n_seeds == 1 && s.grid.seeds[0] == 0, "seeds");
    CHECK(strstr(s.text, "Only what is required") != NULL, "text kept");
    char hex[65];
    dc_sha256_hex(hex, s.effective, strlen(s.effective));
    CHECK(strcmp(hex, s.sha256) == 0, "sha256 is the hash of effective");
    CHECK(strstr(s.effective, "dataset.layout = \"files\";\n") != NULL, "layout in effective");
    CHECK(strstr(s.effective, "water") == NULL && strstr(s.effective, "minimal") == NULL,
          "no paths or name in the hash:\n%s", s.effective);
done:
    dc_sweep_free(&s);
}

static void test_every_key(void)
{
    dc_sweep s;
    dc_error err;
    char path[4200], want[4300];
    snprintf(path, sizeof path, "%s/every_key.cfg", dir);
    int rc = load(&s, path, NULL, 0, &err);
    CHECK(rc == DC_OK, "every_key.cfg: %s", err.message);
    if (rc != DC_OK) goto done;
    const dc_dataset_config *d = &s.dataset;
    CHECK(strcmp(s.name, "every") == 0, "name %s", s.name);
    snprintf(want, sizeof want, "%s/out/every.h5", dir);
    CHECK(strcmp(s.output, want) == 0, "output %s", s.output);
    snprintf(want, sizeof want, "%s/water12.xyz", dir);
    CHECK(d->file && strcmp(d->file, want) == 0, "file %s", d->file);
    CHECK(!d->train && !d->validation && !d->test, "no three-file paths");
    CHECK(d->split_counts == 1 && d->split_train == 6 && d->split_validation == 3 && d->split_test == 2,
          "split %d %g %g %g", d->split_counts, d->split_train, d->split_validation, d->split_test);
    CHECK(d->split_seed == 17, "split_seed %lld", (long long)d->split_seed);
    CHECK(strcmp(d->length_unit, "Bohr") == 0 && strcmp(d->energy_unit, "Hartree") == 0, "units");
    CHECK(I(&s, "model.features") == 32 && I(&s, "model.filters") == 16 && I(&s, "model.interactions") == 2 &&
              I(&s, "model.gaussians") == 12,
          "model");
    CHECK_CLOSE(D(&s, "model.cutoff"), 4.0, 0);
    const dc_train_config *t = &s.train;
    CHECK(t->epochs == 7 && t->batch_size == 4 && t->eval_batch_size == 8 && t->lr_decay_every == 3,
          "train ints");
    CHECK(t->loss == DC_LOSS_MSE, "loss");
    CHECK_CLOSE(t->learning_rate, 1e-3, 0);
    CHECK_CLOSE(t->force_weight, 10.0, 0);
    CHECK_CLOSE(t->lr_decay, 0.5, 0);
    CHECK_CLOSE(t->weight_decay, 1e-5, 0);
    const dc_grid_config *g = &s.grid;
    CHECK(g->n_irelu_scale == 3 && g->irelu_scale[0] == 0.25 && g->irelu_scale[2] == 1.0, "scales");
    CHECK(g->n_extent == 3 && g->extent[0] == DC_EXTENT_OUTPUT && g->extent[1] == DC_EXTENT_NONE &&
              g->extent[2] == DC_EXTENT_FULL,
          "extents in file order");
    CHECK(g->n_rescaling == 2 && g->rescaling[0] == DC_RESCALE_STANDARD &&
              g->rescaling[1] == DC_RESCALE_ROBUST,
          "rescalings");
    CHECK(g->n_seeds == 2 && g->seeds[0] == 3 && g->seeds[1] == 1, "seeds");
    CHECK(strstr(s.effective, "model.cutoff = 4;\n") != NULL, "effective:\n%s", s.effective);
    CHECK(strstr(s.effective, "grid.extent = [\"output\", \"none\", \"full\"];\n") != NULL,
          "effective extents");
done:
    dc_sweep_free(&s);
}

static void test_overrides(void)
{
    dc_sweep s;
    dc_error err;
    char path[4200];
    snprintf(path, sizeof path, "%s/minimal.cfg", dir);
    const char *sets[] = {
        "train.loss=mse",                /* bare word where a string is expected */
        "grid.extent=[full, none]",      /* bare words in a list */
        "grid.rescaling=robust",         /* a single value is a list of one */
        "grid.seeds=[0, 1]",
        "grid.irelu_scale=[1, 0.25]",    /* ints and floats mixed */
        "model.cutoff=4.5",              /* creates the model group */
        "model.features = 16",
        "train.epochs=2",
        "train.epochs=3",                /* the last one wins */
        "name=renamed",
        "dataset.validation=tests/data/sweeps/water12.xyz", /* relative to the cwd, not the file */
        "dataset.energy_key=\"E tot\"",  /* a quoted string keeps its spaces */
    };
    int rc = load(&s, path, sets, (int)(sizeof sets / sizeof sets[0]), &err);
    CHECK(rc == DC_OK, "overrides: %s", err.message);
    if (rc != DC_OK) goto done;
    CHECK(s.train.loss == DC_LOSS_MSE, "loss");
    CHECK(s.grid.n_extent == 2 && s.grid.extent[0] == DC_EXTENT_FULL &&
              s.grid.extent[1] == DC_EXTENT_NONE,
          "extent");
    CHECK(s.grid.n_rescaling == 1 && s.grid.rescaling[0] == DC_RESCALE_ROBUST, "rescaling");
    CHECK(s.grid.n_seeds == 2 && s.grid.seeds[1] == 1, "seeds");
    CHECK(s.grid.n_irelu_scale == 2 && s.grid.irelu_scale[0] == 1.0 && s.grid.irelu_scale[1] == 0.25,
          "scales");
    CHECK_CLOSE(D(&s, "model.cutoff"), 4.5, 0);
    CHECK(I(&s, "model.features") == 16 && I(&s, "model.filters") == 64, "features %d", I(&s, "model.features"));
    CHECK(s.train.epochs == 3, "epochs %d", s.train.epochs);
    CHECK(strcmp(s.name, "renamed") == 0 && strcmp(s.output, "results/renamed.h5") == 0, "name");
    CHECK(strcmp(s.dataset.validation, "tests/data/sweeps/water12.xyz") == 0, "validation %s",
          s.dataset.validation);
    CHECK(strcmp(s.dataset.energy_key, "E tot") == 0, "energy_key %s", s.dataset.energy_key);
done:
    dc_sweep_free(&s);

    /* An in-process error: the code and the one line. */
    const char *bad[] = {"train.epochs=two"};
    rc = load(&s, path, bad, 1, &err);
    CHECK(rc == DC_ERR_INPUT && err.code == DC_ERR_INPUT, "rc %d", rc);
    CHECK(strcmp(err.message, "--set train.epochs: expected an integer, got \"two\"") == 0, "%s",
          err.message);
    dc_sweep_free(&s);
}

static void test_relative_paths(void)
{
    /* From the source root (the cwd), a relative sweep path gives cwd-relative data paths. */
    dc_sweep s;
    dc_error err;
    int rc = load(&s, "tests/data/sweeps/../sweeps/every_key.cfg", NULL, 0, &err);
    CHECK(rc == DC_OK, "%s", err.message);
    if (rc == DC_OK) {
        CHECK(strcmp(s.dataset.file, "tests/data/sweeps/water12.xyz") == 0, "file %s", s.dataset.file);
        CHECK(strcmp(s.output, "tests/data/sweeps/out/every.h5") == 0, "output %s", s.output);
        CHECK(strcmp(s.path, "tests/data/sweeps/../sweeps/every_key.cfg") == 0, "path as given");
    }
    dc_sweep_free(&s);
}

/* sha256 of path loaded with sets, or "" on error. */
static void hash_of(char out[65], const char *path, const char *const *sets, int n_sets)
{
    dc_sweep s;
    dc_error err;
    out[0] = '\0';
    if (load(&s, path, sets, n_sets, &err) == DC_OK)
        memcpy(out, s.sha256, 65);
    else
        fprintf(stderr, "hash_of %s: %s\n", path, err.message);
    dc_sweep_free(&s);
}

static void test_hash(void)
{
    char path[4200], tmp[] = "/tmp/dc_test_config_XXXXXX";
    snprintf(path, sizeof path, "%s/every_key.cfg", dir);
    char base[65], h[65];
    hash_of(base, path, NULL, 0);
    CHECK(strlen(base) == 64, "hash of every_key.cfg");

    /* The same values in another layout, with other comments, from another directory (so the
     * data paths differ): same hash. */
    CHECK(mkdtemp(tmp) != NULL, "mkdtemp");
    char copy[4300], data[4300], set_file[4400];
    snprintf(copy, sizeof copy, "%s/moved.cfg", tmp);
    snprintf(data, sizeof data, "%s/water12.xyz", dir);
    write_file(copy,
               "// rewritten: other comments, order, spacing and number spelling\n"
               "grid = { seeds = [3, 1]; rescaling = [\"standard\", \"robust\"];\n"
               "  extent = [\"output\", \"none\", \"full\"]; irelu_scale = [2.5e-1, 0.50, 1.]; };\n"
               "train = { eval_batch_size = 8; weight_decay = 0.00001; lr_decay_every = 3;\n"
               "  lr_decay = 0.5; loss = \"mse\"; force_weight = 10; learning_rate = 0.001;\n"
               "  batch_size = 4; epochs = 7; };\n"
               "model = { cutoff = 4.0; gaussians = 12; interactions = 2; filters = 16; features = 32; };\n"
               "dataset = { energy_unit = \"Hartree\"; length_unit = \"Bohr\";\n"
               "  split_seed = 17; split = { test = 2; validation = 3; train = 6; };\n"
               "  file = \"elsewhere.xyz\"; };\n"
               "name = \"another name\"; output = \"x.h5\";\n");
    snprintf(set_file, sizeof set_file, "dataset.file=%s", data);
    const char *move[] = {set_file};
    hash_of(h, copy, move, 1);
    CHECK(strcmp(h, base) == 0, "layout/comments/name/output/paths changed the hash: %s vs %s", h, base);

    /* --set of a value equal to the file's: same hash; a different value: another hash. */
    const char *same[] = {"train.epochs=7", "model.cutoff=4.0", "output=o.h5", "name=n"};
    hash_of(h, path, same, 4);
    CHECK(strcmp(h, base) == 0, "--set of the same values changed the hash");
    const char *changes[][1] = {{"train.epochs=8"},          {"model.cutoff=4.5"},
                                {"grid.seeds=[1, 3]"},       {"dataset.split_seed=18"},
                                {"train.loss=l1"},           {"dataset.energy_unit=eV"},
                                {"dataset.split.test=3"},    {"grid.irelu_scale=[0.25, 0.5]"}};
    for (int i = 0; i < (int)(sizeof changes / sizeof changes[0]); i++) {
        hash_of(h, path, changes[i], 1);
        CHECK(strlen(h) == 64 && strcmp(h, base) != 0, "--set %s did not change the hash", changes[i][0]);
    }
    remove(copy);
    rmdir(tmp);
}

static void test_names(void)
{
    dc_extent e;
    dc_rescaling r;
    dc_loss l;
    for (int i = 0; i < DC_N_EXTENTS; i++)
        CHECK(dc_extent_parse(dc_extent_name((dc_extent)i), &e) == 0 && (int)e == i, "extent %d", i);
    for (int i = 0; i < DC_N_RESCALINGS; i++)
        CHECK(dc_rescaling_parse(dc_rescaling_name((dc_rescaling)i), &r) == 0 && (int)r == i,
              "rescaling %d", i);
    CHECK(dc_loss_parse("mse", &l) == 0 && l == DC_LOSS_MSE, "mse");
    CHECK(dc_extent_parse("Full", &e) == -1 && dc_rescaling_parse("", &r) == -1 &&
              dc_loss_parse("l2", &l) == -1,
          "unknown names");
    CHECK(strcmp(dc_rescaling_name(DC_RESCALE_POWER10), "power10") == 0, "power10");
}
/* The advection PINN's keys (docs/pinn.md): defaults, every key, what the hash covers. */
static void test_advection(void)
{
    dc_sweep s;
    dc_error err;
    char path[4200];
    snprintf(path, sizeof path, "%s/minimal_advection.cfg", dir);
    int rc = load(&s, path, NULL, 0, &err);
    CHECK(rc == DC_OK, "minimal_advection.cfg: %s", err.message);
    if (rc == DC_OK) {
        dc_pinn_task task;
        dc_pinn_task_from_sweep(&task, &s);
        const dc_pinn_task *t = &task;
        CHECK(strcmp(s.family->kind, "advection") == 0, "kind %s", s.family->kind);
        CHECK_CLOSE(t->beta, 0.1, 0);
        CHECK_CLOSE(t->t_end, 2.0, 0);
        CHECK(t->ic_seed == 0 && t->n_interior == 1000 && t->n_initial == 5000 && t->n_boundary == 1000,
              "points %d %d %d", t->n_interior, t->n_initial, t->n_boundary);
        CHECK(t->w_residual == 1.0 && t->w_initial == 1.0 && t->w_boundary == 1.0, "weights");
        CHECK(I(&s, "model.width") == 40 && I(&s, "model.depth") == 6, "MLP %dx%d", I(&s, "model.width"), I(&s, "model.depth"));
        CHECK(s.train.epochs == 15000, "the paper's 15000 steps: %d", s.train.epochs);
        CHECK_CLOSE(s.train.learning_rate, 1e-3, 0);
        CHECK(s.dataset.train == NULL && s.dataset.file == NULL, "no dataset");
        CHECK(strstr(s.effective, "task.kind = \"advection\";\n") != NULL &&
                  strstr(s.effective, "model.width = 40;\nmodel.depth = 6;\n") != NULL,
              "task in effective:\n%s", s.effective);
        CHECK(strstr(s.effective, "dataset.") == NULL && strstr(s.effective, "features") == NULL &&
                  strstr(s.effective, "batch_size") == NULL && strstr(s.effective, "train.loss") == NULL,
              "no SchNet keys in effective:\n%s", s.effective);
    }
    dc_sweep_free(&s);

    snprintf(path, sizeof path, "%s/every_key_advection.cfg", dir);
    rc = load(&s, path, NULL, 0, &err);
    CHECK(rc == DC_OK, "every_key_advection.cfg: %s", err.message);
    if (rc == DC_OK) {
        dc_pinn_task task;
        dc_pinn_task_from_sweep(&task, &s);
        const dc_pinn_task *t = &task;
        CHECK_CLOSE(t->beta, 0.4, 0);
        CHECK_CLOSE(t->t_end, 1.5, 0);
        CHECK(t->ic_seed == 7 && t->n_interior == 300 && t->n_initial == 200 && t->n_boundary == 50,
              "points");
        CHECK(t->w_residual == 2.0 && t->w_initial == 0.5 && t->w_boundary == 3.0, "weights");
        CHECK(I(&s, "model.width") == 16 && I(&s, "model.depth") == 3, "MLP");
        CHECK(s.train.epochs == 120 && s.train.eval_every == 10 && s.train.select == DC_SELECT_BEST,
              "train");
        CHECK_CLOSE(s.train.learning_rate, 2e-3, 0);
        CHECK(strstr(s.effective, "task.w_boundary = 3;\n") != NULL, "effective:\n%s", s.effective);
    }
    char first[65] = "";
    if (rc == DC_OK) memcpy(first, s.sha256, 65);
    dc_sweep_free(&s);
    /* every task value is in the hash; a SchNet sweep's text has no task line at all */
    const char *moves[] = {"task.beta=0.41", "task.t_end=1.6", "task.ic_seed=8", "task.n_interior=301",
                           "task.n_initial=201", "task.n_boundary=51", "task.w_residual=2.5",
                           "task.w_initial=0.25", "task.w_boundary=2", "model.width=17",
                           "model.depth=4"};
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
        rc = load(&s, path, &moves[i], 1, &err);
        CHECK(rc == DC_OK && strcmp(s.sha256, first) != 0, "--set %s moves the hash (%s)", moves[i],
              err.message);
        dc_sweep_free(&s);
    }
    snprintf(path, sizeof path, "%s/minimal.cfg", dir);
    rc = load(&s, path, NULL, 0, &err);
    CHECK(rc == DC_OK && strcmp(s.family->kind, "schnet") == 0 && strstr(s.effective, "task.") == NULL,
          "schnet by default, no task line: %s", err.message);
    dc_sweep_free(&s);
    const char *schnet[] = {"task.kind=schnet"};
    rc = load(&s, path, schnet, 1, &err);
    CHECK(rc == DC_OK && strcmp(s.family->kind, "schnet") == 0, "task.kind=schnet: %s", err.message);
    dc_sweep_free(&s);
}

/* The registry's two lists agree: each family's sweep keys are its model's, in the same order
 * (the first is the default task.kind). */
static void test_registry(void)
{
    const dc_family *const *families = dc_model_families();
    int n = 0;
    for (; families[n]; n++) {
        const dc_model_ops *ops = dc_model_find(families[n]->kind);
        CHECK(ops && ops->family == families[n] && strcmp(ops->kind, families[n]->kind) == 0,
              "family %s: its model's keys are not its own", families[n]->kind);
        CHECK(ops && ops->describe && ops->create, "family %s: no describe or create", families[n]->kind);
    }
    CHECK(n >= 2 && dc_model_find(NULL) && dc_model_find(NULL)->family == families[0],
          "%d families; the default is not the first", n);
}

int main(void)
{
    const char *src = getenv("DC_SOURCE_DIR");
    if (!src) {
        fprintf(stderr, "DC_SOURCE_DIR is not set\n");
        return 1;
    }
    snprintf(dir, sizeof dir, "%s/tests/data/sweeps", src);
    if (chdir(src) != 0) {
        fprintf(stderr, "cannot chdir to %s\n", src);
        return 1;
    }
    test_defaults();
    test_every_key();
    test_overrides();
    test_relative_paths();
    test_hash();
    test_names();
    test_advection();
    test_registry();
    return check_finish();
}
