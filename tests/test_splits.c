/* The three splits of a sweep: sizes from counts and fractions, the seeded permutation (disjoint,
 * reproducible, in file order, seed-dependent), the separate-test-file layout, element types. */
#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "dcsweep/data/splits.h"
#include "dcsweep/model/model.h"

static int load_sweep(dc_sweep *s, const char *path, const char *const *sets, int n, dc_error *err)
{
    dc_override ov[8];
    for (int i = 0; i < n; i++) ov[i].assignment = sets[i];
    return dc_sweep_load(s, path, ov, n, dc_model_families(), err);
}

static void test_sizes(void)
{
    dc_sweep s;
    dc_error err = {0};
    int sizes[3];
    const char *fractions[] = {"dataset.split.train=0.29", "dataset.split.validation=0.5",
                               "dataset.split.test=0.21"};
    int rc = load_sweep(&s, "every_key.cfg", fractions, 3, &err);
    CHECK(rc == DC_OK, "%s", err.message);
    CHECK(s.dataset.split_counts == 0, "fractions");
    rc = dc_split_sizes(sizes, &s, 100, &err);
    /* 0.29 * 100 is 28.999999999999996 in binary: still 29 frames. */
    CHECK(rc == DC_OK && sizes[0] == 29 && sizes[1] == 50 && sizes[2] == 21, "sizes %d %d %d",
          sizes[0], sizes[1], sizes[2]);
    rc = dc_split_sizes(sizes, &s, 3, &err);
    CHECK(rc == DC_ERR_INPUT, "empty split: rc %d", rc);
    CHECK(strcmp(err.message, "every_key.cfg: dataset.split.train: 0.29 of the 3 frames of water12.xyz "
                              "is an empty split") == 0, "%s", err.message);
    dc_sweep_free(&s);

    rc = load_sweep(&s, "every_key.cfg", NULL, 0, &err);
    CHECK(rc == DC_OK, "%s", err.message);
    rc = dc_split_sizes(sizes, &s, 11, &err);
    CHECK(rc == DC_OK && sizes[0] == 6 && sizes[1] == 3 && sizes[2] == 2, "counts");
    rc = dc_split_sizes(sizes, &s, 10, &err);
    CHECK(rc == DC_ERR_INPUT && strcmp(err.message, "every_key.cfg: dataset.split: 6 + 3 + 2 = 11 "
                                                    "frames, but water12.xyz has 10") == 0,
          "%s", err.message);
    dc_sweep_free(&s);
}

static void test_split_layout(void)
{
    dc_sweep s;
    dc_splits a, b, c;
    dc_error err = {0};
    int rc = load_sweep(&s, "every_key.cfg", NULL, 0, &err);
    CHECK(rc == DC_OK, "%s", err.message);
    rc = dc_splits_load(&a, &s, &err);
    CHECK(rc == DC_OK, "%s", err.message);
    rc = dc_splits_load(&b, &s, &err);
    CHECK(rc == DC_OK, "%s", err.message);
    CHECK(a.train.n_frames == 6 && a.validation.n_frames == 3 && a.test.n_frames == 2, "frames");
    /* Frames are identified by their line in water12.xyz (5 lines per frame). */
    int seen[12] = {0};
    dc_dataset *sets[3] = {&a.train, &a.validation, &a.test};
    for (int k = 0; k < 3; k++)
        for (int f = 0; f < sets[k]->n_frames; f++) {
            int frame = (int)(sets[k]->frame_line[f] - 1) / 5;
            CHECK(frame >= 0 && frame < 12, "frame %d", frame);
            if (frame >= 0 && frame < 12) seen[frame]++;
            if (f > 0) CHECK(sets[k]->frame_line[f] > sets[k]->frame_line[f - 1], "file order");
        }
    int used = 0;
    for (int i = 0; i < 12; i++) {
        CHECK(seen[i] <= 1, "frame %d in %d splits", i, seen[i]);
        used += seen[i];
    }
    CHECK(used == 11, "%d frames used", used);
    for (int f = 0; f < 6; f++)
        CHECK(a.train.frame_line[f] == b.train.frame_line[f], "same seed, same split");
    CHECK(a.elements.n == 2 && a.elements.atomic_number[0] == 1 && a.elements.atomic_number[1] == 8,
          "elements H O");
    CHECK(a.train.types[0] == 1 && a.train.types[1] == 0, "types O=1 H=0: %d %d", a.train.types[0],
          a.train.types[1]);
    dc_splits_free(&b);
    dc_sweep_free(&s);

    /* Another seed, another split. */
    const char *seed[] = {"dataset.split_seed=18"};
    rc = load_sweep(&s, "every_key.cfg", seed, 1, &err);
    rc = rc ? rc : dc_splits_load(&c, &s, &err);
    CHECK(rc == DC_OK, "%s", err.message);
    int differ = 0;
    for (int f = 0; rc == DC_OK && f < 6; f++) differ |= a.train.frame_line[f] != c.train.frame_line[f];
    CHECK(differ, "split_seed 17 and 18 gave the same train split");
    dc_splits_free(&c);
    dc_splits_free(&a);
    dc_sweep_free(&s);
}

static void test_other_layouts(void)
{
    dc_sweep s;
    dc_splits sp;
    dc_error err = {0};
    /* Train/validation from the file, test from its own file (absolute paths). */
    int rc;
    FILE *f = fopen("/tmp/dc_test_splits.cfg", "w");
    CHECK(f != NULL, "tmp file");
    if (!f) return;
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd");
    fprintf(f, "dataset = { file = \"%s/water12.xyz\"; split = { train = 0.5; validation = 0.25; };\n"
               "  test = \"%s/water4.xyz\"; };\n", cwd, cwd);
    fclose(f);
    rc = load_sweep(&s, "/tmp/dc_test_splits.cfg", NULL, 0, &err);
    rc = rc ? rc : dc_splits_load(&sp, &s, &err);
    CHECK(rc == DC_OK, "%s", err.message);
    if (rc == DC_OK)
        CHECK(sp.train.n_frames == 6 && sp.validation.n_frames == 3 && sp.test.n_frames == 4,
              "split+test: %d %d %d", sp.train.n_frames, sp.validation.n_frames, sp.test.n_frames);
    dc_splits_free(&sp);
    dc_sweep_free(&s);
    remove("/tmp/dc_test_splits.cfg");

    /* Three files. */
    rc = load_sweep(&s, "minimal.cfg", NULL, 0, &err);
    rc = rc ? rc : dc_splits_load(&sp, &s, &err);
    CHECK(rc == DC_OK, "%s", err.message);
    if (rc == DC_OK)
        CHECK(sp.train.n_frames == 12 && sp.validation.n_frames == 4 && sp.test.n_frames == 4 &&
                  sp.elements.n == 2,
              "three files");
    dc_splits_free(&sp);
    dc_sweep_free(&s);
}

int main(void)
{
    const char *src = getenv("DC_SOURCE_DIR");
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/tests/data/sweeps", src ? src : ".");
    if (chdir(dir) != 0) {
        fprintf(stderr, "cannot chdir to %s\n", dir);
        return 1;
    }
    test_sizes();
    test_split_layout();
    test_other_layouts();
    return check_finish();
}
