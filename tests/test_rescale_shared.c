/* Label rescaling against the golden (shift, scale) of rMD17 ethanol train.xyz, degenerate inputs,
 * and reading every rMD17 file (two molecule sizes in one file). Needs ../shared. */
#include <hdf5.h>

#include "check.h"
#include "dcsweep/data/dataset.h"
#include "dcsweep/data/rescale.h"

static int read_golden(const char *file, const char *method, double out[2])
{
    char name[128];
    snprintf(name, sizeof name, "/rescaling/%s", method);
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return -1;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    herr_t st = -1;
    if (d >= 0) {
        hid_t sp = H5Dget_space(d);
        if (sp >= 0 && H5Sget_simple_extent_npoints(sp) == 2)
            st = H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
        if (sp >= 0) H5Sclose(sp);
        H5Dclose(d);
    }
    H5Fclose(f);
    return st < 0 ? -1 : 0;
}

static void expect_numeric_error(dc_rescaling m, const double *e, int n, const char *want)
{
    dc_rescale rs;
    dc_error err = {0};
    int rc = dc_rescale_fit(&rs, m, e, n, &err);
    CHECK(rc == DC_ERR_NUMERIC, "method %d: rc %d (%s)", (int)m, rc, err.message);
    CHECK(strcmp(err.message, want) == 0, "got \"%s\", want \"%s\"", err.message, want);
}

int main(void)
{
    const char *shared = check_shared_dir();
    if (!shared) return check_skip("no shared directory (DC_SHARED_DIR/spec/MODEL.md)");
    char path[4096], golden[4096];
    snprintf(path, sizeof path, "%s/data/rmd17-ethanol/train.xyz", shared);
    snprintf(golden, sizeof golden, "%s/golden/schnet_golden.h5", shared);
    dc_error err = {0};

    dc_dataset train = {0};
    int rc = dc_dataset_read_xyz(&train, path, NULL, &err);
    CHECK(rc == DC_OK && train.n_frames == 1000 && train.n_atoms_total == 9000, "train.xyz: %s", err.message);
    if (rc != DC_OK) return check_finish();

    static const struct { dc_rescaling m; const char *name; } methods[] = {
        {DC_RESCALE_NONE, "none"},         {DC_RESCALE_POWER10, "power10"}, {DC_RESCALE_MINMAX, "minmax"},
        {DC_RESCALE_STANDARD, "standard"}, {DC_RESCALE_ROBUST, "robust"},
    };
    for (int k = 0; k < 5; k++) {
        double want[2];
        CHECK(read_golden(golden, methods[k].name, want) == 0, "golden /rescaling/%s", methods[k].name);
        dc_rescale rs = {0};
        rc = dc_rescale_fit(&rs, methods[k].m, train.energy, train.n_frames, &err);
        CHECK(rc == DC_OK && rs.method == methods[k].m, "%s: %s", methods[k].name, err.message);
        CHECK(fabs(rs.shift - want[0]) <= 1e-12 * fabs(want[0]), "%s shift %.17g, golden %.17g",
              methods[k].name, rs.shift, want[0]);
        CHECK(fabs(rs.scale - want[1]) <= 1e-12 * fabs(want[1]), "%s scale %.17g, golden %.17g",
              methods[k].name, rs.scale, want[1]);
        /* The maps are inverse of each other. */
        double e = train.energy[17];
        CHECK_CLOSE(dc_unscale_energy(&rs, dc_rescale_energy(&rs, e)), e, 1e-14);
    }

    /* Degenerate training sets are errors, not NaN. */
    double same[4] = {-4209.5, -4209.5, -4209.5, -4209.5}, zeros[3] = {0, 0, 0};
    expect_numeric_error(DC_RESCALE_MINMAX, same, 4, "rescaling minmax: the training energies are all equal (scale 0)");
    expect_numeric_error(DC_RESCALE_STANDARD, same, 4,
                         "rescaling standard: the training energies are all equal (standard deviation 0)");
    expect_numeric_error(DC_RESCALE_ROBUST, same, 4,
                         "rescaling robust: the interquartile range of the training energies is 0 (scale 0)");
    expect_numeric_error(DC_RESCALE_POWER10, zeros, 3, "rescaling power10: the training energies are all 0 (scale 0)");
    double bad[2] = {1.0, NAN};
    expect_numeric_error(DC_RESCALE_STANDARD, bad, 2, "rescaling standard: training energy 1 is not finite (nan)");
    dc_rescale rs;
    CHECK(dc_rescale_fit(&rs, DC_RESCALE_STANDARD, same, 0, &err) == DC_ERR_INPUT, "empty input");
    /* numpy's linear percentile on a small even set: median 2.5, q75 - q25 = 3.25 - 1.75. */
    double four[4] = {4, 1, 3, 2};
    CHECK(dc_rescale_fit(&rs, DC_RESCALE_ROBUST, four, 4, &err) == DC_OK && rs.shift == 2.5 && rs.scale == 1.5,
          "robust of 1..4: %g %g", rs.shift, rs.scale);
    CHECK(dc_rescale_fit(&rs, DC_RESCALE_POWER10, four, 4, &err) == DC_OK && rs.scale == 10.0, "power10 of 4: %g",
          rs.scale);

    /* Every rMD17 file reads; the ethanol+methanol files hold two molecule sizes. */
    static const char *files[] = {"test_MD.xyz", "train_eth_meth.xyz", "test_eth_meth.xyz"};
    static const int frames[] = {1000, 1300, 1145};
    dc_dataset sets[3] = {{0}};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/data/rmd17-ethanol/%s", shared, files[k]);
        rc = dc_dataset_read_xyz(&sets[k], path, NULL, &err);
        CHECK(rc == DC_OK && sets[k].n_frames == frames[k], "%s: %d frames (%s)", files[k], sets[k].n_frames,
              err.message);
    }
    int sizes[16] = {0};
    for (int f = 0; f < sets[1].n_frames; f++) {
        int64_t n = sets[1].frame_start[f + 1] - sets[1].frame_start[f];
        if (n < 16) sizes[n]++;
    }
    CHECK(sizes[6] == 300 && sizes[9] == 1000, "train_eth_meth: %d methanol, %d ethanol", sizes[6], sizes[9]);
    CHECK(sets[1].n_atoms_total == 300 * 6 + 1000 * 9, "train_eth_meth atoms");
    dc_dataset *all[4] = {&train, &sets[0], &sets[1], &sets[2]};
    dc_elements el;
    rc = dc_dataset_assign_types(all, 4, &el, &err);
    CHECK(rc == DC_OK && el.n == 3 && el.atomic_number[0] == 1 && el.atomic_number[1] == 6 &&
              el.atomic_number[2] == 8, "elements H, C, O (%s)", err.message);
    /* Ethanol frame order in train.xyz is C C O H...: types 1 1 2 0. */
    CHECK(train.types[0] == 1 && train.types[2] == 2 && train.types[3] == 0, "train types");

    /* A test file without forces is refused with the line named. */
    dc_dataset nf = {0};
    snprintf(path, sizeof path, "%s/data/rmd17-ethanol/test_H_removal.xyz", shared);
    rc = dc_dataset_read_xyz(&nf, path, NULL, &err);
    CHECK(rc == DC_ERR_INPUT && strstr(err.message, "test_H_removal.xyz:2: frame 1: Properties has no \"forces\""),
          "test_H_removal: %s", err.message);

    for (int k = 0; k < 3; k++) dc_dataset_free(&sets[k]);
    dc_dataset_free(&train);
    return check_finish();
}
