/* Extended-XYZ reading: real frames (rMD17 ethanol) in the layouts ASE writes, and the damaged
 * files users actually produce, each checked for its exact one-line message. */
#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "dcsweep/data/dataset.h"

static char dir[4096];

static const char *data_path(const char *name)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

/* Reading `name` must fail with `code` and exactly "<path>:<rest>". */
static void expect_error(const char *name, const dc_xyz_options *opts, int code, const char *rest)
{
    dc_dataset ds = {0};
    dc_error err = {0};
    const char *path = data_path(name);
    int rc = dc_dataset_read_xyz(&ds, path, opts, &err);
    char want[8192 + 512];
    snprintf(want, sizeof want, "%s%s", path, rest);
    CHECK(rc == code, "%s: rc %d, expected %d (%s)", name, rc, code, err.message);
    CHECK(strcmp(err.message, want) == 0, "%s:\n  got  %s\n  want %s", name, err.message, want);
    CHECK(ds.n_frames == 0 && ds.positions == NULL, "%s: a failed read leaves an empty dataset", name);
    dc_dataset_free(&ds);
}

/* The first frame of rMD17 ethanol train.xyz, as in tests/data/xyz/normal.xyz. */
static void check_frame1(const dc_dataset *ds, const char *name)
{
    static const uint8_t z[9] = {6, 6, 8, 1, 1, 1, 1, 1, 1};
    CHECK(ds->frame_start[0] == 0 && ds->frame_start[1] == 9, "%s: frame 1 has 9 atoms", name);
    for (int i = 0; i < 9; i++) CHECK(ds->atomic_number[i] == z[i], "%s: Z[%d] = %d", name, i, ds->atomic_number[i]);
    CHECK(ds->energy[0] == -4209.4657843064815, "%s: energy %.17g", name, ds->energy[0]);
    CHECK(ds->positions[0] == 0.40162460 && ds->positions[26] == 1.56093158, "%s: positions", name);
    CHECK(ds->forces[0] == -4.15950961 && ds->forces[26] == -2.30077348, "%s: forces", name);
    CHECK(ds->frame_line[0] == 1, "%s: frame 1 on line 1", name);
}

static int same_values(const dc_dataset *a, const dc_dataset *b)
{
    if (a->n_frames != b->n_frames || a->n_atoms_total != b->n_atoms_total) return 0;
    for (int f = 0; f <= a->n_frames; f++)
        if (a->frame_start[f] != b->frame_start[f]) return 0;
    for (int f = 0; f < a->n_frames; f++)
        if (a->energy[f] != b->energy[f]) return 0;
    for (int64_t i = 0; i < a->n_atoms_total; i++) {
        if (a->atomic_number[i] != b->atomic_number[i]) return 0;
        for (int k = 0; k < 3; k++)
            if (a->positions[3 * i + k] != b->positions[3 * i + k] || a->forces[3 * i + k] != b->forces[3 * i + k])
                return 0;
    }
    return 1;
}

/* Every byte prefix of a valid file reads or fails cleanly with one DC_ERR_INPUT line naming the
 * file: a cut-off copy is the commonest damaged dataset. Returns the number of prefixes that read. */
static int truncation_sweep(const char *name)
{
    FILE *f = fopen(data_path(name), "rb");
    static char text[8192];
    size_t len = f ? fread(text, 1, sizeof text, f) : 0;
    if (f) fclose(f);
    CHECK(len > 0 && len < sizeof text, "%s readable", name);
    char tmp[] = "/tmp/test_xyz_XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0, "mkstemp");
    if (fd < 0) return 0;
    close(fd);
    int ok = 0, bad = 0;
    for (size_t cut = 0; cut <= len; cut++) {
        FILE *o = fopen(tmp, "wb");
        fwrite(text, 1, cut, o);
        fclose(o);
        dc_dataset ds = {0};
        dc_error err = {0};
        int rc = dc_dataset_read_xyz(&ds, tmp, NULL, &err);
        if (rc == DC_OK) ok++;
        else if (rc != DC_ERR_INPUT || strncmp(err.message, tmp, strlen(tmp)) != 0 || strchr(err.message, '\n'))
            bad++;
        dc_dataset_free(&ds);
    }
    unlink(tmp);
    CHECK(bad == 0, "%s: %d prefixes failed without a clean input error", name, bad);
    return ok;
}

int main(void)
{
    const char *src = getenv("DC_SOURCE_DIR");
    snprintf(dir, sizeof dir, "%s/tests/data/xyz", src ? src : ".");
    dc_error err = {0};

    dc_dataset normal = {0};
    int rc = dc_dataset_read_xyz(&normal, data_path("normal.xyz"), NULL, &err);
    CHECK(rc == DC_OK, "normal.xyz: %s", err.message);
    if (rc != DC_OK) return check_finish();
    CHECK(normal.n_frames == 2 && normal.n_atoms_total == 18, "normal: %d frames %lld atoms",
          normal.n_frames, (long long)normal.n_atoms_total);
    check_frame1(&normal, "normal");
    CHECK(normal.energy[1] == -4209.4320204025025, "normal: energy[1] %.17g", normal.energy[1]);
    CHECK(normal.frame_line[1] == 12, "normal: frame 2 on line %lld", (long long)normal.frame_line[1]);
    CHECK(strcmp(normal.path, data_path("normal.xyz")) == 0, "path kept");

    /* Columns in another order, extra columns (Z, a 2-wide one), a blank line between frames. */
    dc_dataset other = {0};
    rc = dc_dataset_read_xyz(&other, data_path("reordered.xyz"), NULL, &err);
    CHECK(rc == DC_OK, "reordered.xyz: %s", err.message);
    CHECK(rc == DC_OK && same_values(&normal, &other), "reordered.xyz gives the numbers of normal.xyz");
    CHECK(rc == DC_OK && other.frame_line[1] == 13, "reordered: frame 2 after a blank line is on line 13");
    dc_dataset_free(&other);

    /* CRLF line ends and trailing blanks. */
    rc = dc_dataset_read_xyz(&other, data_path("crlf.xyz"), NULL, &err);
    CHECK(rc == DC_OK, "crlf.xyz: %s", err.message);
    CHECK(rc == DC_OK && same_values(&normal, &other), "crlf.xyz gives the numbers of normal.xyz");
    dc_dataset_free(&other);

    /* Quoted values with spaces, {braced} values, a bare flag, and ASE's REF_energy key. */
    dc_xyz_options ref = {.energy_key = "REF_energy"};
    rc = dc_dataset_read_xyz(&other, data_path("quoted.xyz"), &ref, &err);
    CHECK(rc == DC_OK, "quoted.xyz: %s", err.message);
    if (rc == DC_OK) check_frame1(&other, "quoted");
    dc_dataset_free(&other);
    /* a label missing under the key asked for: the hint names the file's energy/force-like keys */
    expect_error("quoted.xyz", NULL, DC_ERR_INPUT, ":2: frame 1: no energy (key \"energy\") on the comment line; "
                 "the file has energy key REF_energy: the sweep's dataset.energy_key and dataset.forces_key "
                 "name the labels (docs/sweep-format.md)");
    dc_xyz_options fk = {.forces_key = "REF_forces"};
    expect_error("normal.xyz", &fk, DC_ERR_INPUT,
                 ":2: frame 1: Properties has no \"REF_forces\" column (missing forces); the file has forces "
                 "column forces: the sweep's dataset.energy_key and dataset.forces_key name the labels "
                 "(docs/sweep-format.md)");

    expect_error("truncated.xyz", NULL, DC_ERR_INPUT, ":12: frame 2: expected 9 atom lines, file ends after 4");
    expect_error("nan_energy.xyz", NULL, DC_ERR_INPUT,
                 ":2: frame 1: non-finite value \"nan\" in energy (key \"energy\")");
    expect_error("nan_force.xyz", NULL, DC_ERR_INPUT, ":14: frame 2: non-finite value \"nan\" in column forces");
    expect_error("no_forces.xyz", NULL, DC_ERR_INPUT,
                 ":2: frame 1: Properties has no \"forces\" column (missing forces)");
    expect_error("unknown_element.xyz", NULL, DC_ERR_INPUT, ":3: frame 1: unknown element \"Xx\"");
    expect_error("bad_count.xyz", NULL, DC_ERR_INPUT,
                 ":12: frame 2: bad atom count \"9x\" (expected a positive integer on the frame's first line)");
    expect_error("pbc.xyz", NULL, DC_ERR_INPUT,
                 ":2: frame 1: periodic boundary conditions (pbc=\"T T T\") are not supported: "
                 "the model has no periodic images");
    expect_error("few_columns.xyz", NULL, DC_ERR_INPUT, ":6: frame 1: expected 7 columns, found 6");
    expect_error("many_columns.xyz", NULL, DC_ERR_INPUT, ":7: frame 1: expected 7 columns, found 8");
    expect_error("malformed.xyz", NULL, DC_ERR_INPUT, ":6: frame 1: malformed number \"1.388.69085\" in column pos");
    expect_error("empty.xyz", NULL, DC_ERR_INPUT, ": empty file (no frames)");
    /* The second round of messages (docs/reliability.md): blame the line that is wrong. */
    expect_error("count_too_large.xyz", NULL, DC_ERR_INPUT,
                 ":6: frame 2: the atom count 4 is too large: line 11, after 3 atoms, holds the next frame's count");
    expect_error("count_too_small.xyz", NULL, DC_ERR_INPUT,
                 ":1: frame 1: the atom count is too small: line 5 after the frame's atoms is an atom line, "
                 "not the next frame's count");
    expect_error("duplicate_energy.xyz", NULL, DC_ERR_INPUT,
                 ":2: frame 1: the energy key \"energy\" appears twice on the comment line");
    expect_error("coincident.xyz", NULL, DC_ERR_INPUT,
                 ":5: frame 1: atoms 1 and 3 (lines 3 and 5) are 0 Angstrom apart: two atoms at one position");
    {   /* a UTF-8 byte-order mark before the first count is skipped */
        dc_dataset ds = {0};
        dc_error err = {0};
        CHECK(dc_dataset_read_xyz(&ds, data_path("bom.xyz"), NULL, &err) == DC_OK && ds.n_frames == 1 &&
                  ds.n_atoms_total == 3, "bom.xyz: %s", err.message);
        dc_dataset_free(&ds);
    }
    expect_error("does_not_exist.xyz", NULL, DC_ERR_INPUT, ": cannot open: No such file or directory");

    /* Prefixes that read: cut inside the last number of frame 1 or 2 (still a number), or after it. */
    int ok = truncation_sweep("normal.xyz");
    CHECK(ok > 0 && ok < 40, "normal.xyz: %d readable prefixes", ok);

    /* Splits and types: a subset copies frames in the order given; types follow sorted Z. */
    dc_dataset sub = {0};
    int idx[3] = {1, 0, 1};
    rc = dc_dataset_subset(&sub, &normal, idx, 3, &err);
    CHECK(rc == DC_OK && sub.n_frames == 3 && sub.n_atoms_total == 27, "subset: %s", err.message);
    if (rc == DC_OK) {
        CHECK(sub.energy[0] == normal.energy[1] && sub.energy[1] == normal.energy[0], "subset energies");
        CHECK(sub.positions[27] == normal.positions[0] && sub.frame_start[2] == 18, "subset atoms");
        CHECK(sub.frame_line[0] == 12, "subset keeps source lines");
    }
    CHECK(dc_dataset_subset(&other, &normal, (int[]){2}, 1, &err) == DC_ERR_INTERNAL, "subset index out of range");
    dc_elements el;
    dc_dataset *sets[2] = {&normal, &sub};
    rc = dc_dataset_assign_types(sets, 2, &el, &err);
    CHECK(rc == DC_OK && el.n == 3 && el.atomic_number[0] == 1 && el.atomic_number[1] == 6 &&
              el.atomic_number[2] == 8, "elements H, C, O");
    CHECK(normal.types[0] == 1 && normal.types[2] == 2 && normal.types[3] == 0 && sub.types[9 + 2] == 2,
          "types index the sorted element list");
    dc_dataset_free(&sub);

    /* The element table. */
    CHECK(dc_element_from_symbol("C", 1) == 6 && dc_element_from_symbol("Cl", 2) == 17, "symbols");
    CHECK(dc_element_from_symbol("Og", 2) == 118 && dc_element_from_symbol("Xx", 2) == 0, "symbols");
    CHECK(dc_element_from_symbol("CO", 2) == 0 && dc_element_from_symbol("c", 1) == 0, "symbols are case-exact");
    CHECK(strcmp(dc_element_symbol(8), "O") == 0 && dc_element_symbol(0) == NULL && dc_element_symbol(119) == NULL,
          "dc_element_symbol");
    for (int z = 1; z <= 118; z++) {
        const char *s = dc_element_symbol(z);
        if (!s || dc_element_from_symbol(s, (int)strlen(s)) != z) CHECK(0, "symbol round trip of Z %d", z);
    }

    dc_dataset_free(&normal);
    CHECK(normal.positions == NULL && normal.n_frames == 0, "free clears");
    return check_finish();
}
