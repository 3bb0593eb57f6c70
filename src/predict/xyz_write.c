/* Extended XYZ out (include/dcsweep/predict/predict.h): the layout ASE's extxyz reader turns into a
 * single-point calculator with the predicted energy and forces, the input's labels alongside. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcsweep/predict/predict.h"
#include "dcsweep/results/results.h"

int dc_frame_has_energy(const dc_dataset *ds, int f) { return ds->energy && isfinite(ds->energy[f]); }

int dc_frame_has_forces(const dc_dataset *ds, int f)
{
    if (!ds->forces) return 0;
    for (int64_t k = 3 * ds->frame_start[f]; k < 3 * ds->frame_start[f + 1]; k++)
        if (!isfinite(ds->forces[k])) return 0;
    return 1;
}

static int write_frames(FILE *out, const dc_dataset *ds, const double *energy, const double *forces)
{
    for (int f = 0; f < ds->n_frames; f++) {
        int ref = dc_frame_has_forces(ds, f);
        int64_t a0 = ds->frame_start[f], a1 = ds->frame_start[f + 1];
        fprintf(out, "%lld\nProperties=species:S:1:pos:R:3:forces:R:3%s energy=%.12g", (long long)(a1 - a0),
                ref ? ":ref_forces:R:3" : "", energy[f]);
        if (dc_frame_has_energy(ds, f)) fprintf(out, " ref_energy=%.12g", ds->energy[f]);
        fputs(" pbc=\"F F F\"\n", out);
        for (int64_t a = a0; a < a1; a++) {
            const char *sym = dc_element_symbol(ds->atomic_number[a]);
            fprintf(out, "%-2s %17.10f %17.10f %17.10f %17.10f %17.10f %17.10f", sym ? sym : "X",
                    ds->positions[3 * a], ds->positions[3 * a + 1], ds->positions[3 * a + 2],
                    forces[3 * a], forces[3 * a + 1], forces[3 * a + 2]);
            if (ref)
                fprintf(out, " %17.10f %17.10f %17.10f", ds->forces[3 * a], ds->forces[3 * a + 1],
                        ds->forces[3 * a + 2]);
            fputc('\n', out);
        }
    }
    return ferror(out) ? -1 : 0;
}

/* Written whole under a temporary name next to path (same file system), synced, then renamed onto
 * it: path holds either its old content or the complete new one, never part of it (a full disk,
 * a kill), and a failure removes the temporary file. An output that cannot be written is a runtime
 * failure (DC_ERR_IO), as for `run` and `merge`. */
int dc_predict_write_xyz(const char *path, const dc_dataset *ds, const double *energy,
                         const double *forces, dc_error *err)
{
    int rc = DC_OK, fd = -1;
    FILE *out = NULL;
    char tmp[4200];
    if (!path || !*path) return dc_error_set(err, DC_ERR_INPUT, "-o needs a file path, got an empty one");
    for (int attempt = 0; fd < 0; attempt++) {
        if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld-%d", path, (long)getpid(), attempt) >= (int)sizeof tmp)
            return dc_error_set(err, DC_ERR_INPUT, "%s: path too long", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && (errno != EEXIST || attempt > 100))
            return dc_error_set(err, DC_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    }
    if (!(out = fdopen(fd, "w"))) {
        rc = dc_error_set(err, DC_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        close(fd);
        goto cleanup;
    }
    errno = 0;
    if (write_frames(out, ds, energy, forces) != 0 || fflush(out) != 0 || fsync(fileno(out)) != 0)
        rc = dc_error_set(err, DC_ERR_IO, "%s: write failed: %s", path, strerror(errno ? errno : EIO));
    if (fclose(out) != 0 && rc == DC_OK)
        rc = dc_error_set(err, DC_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    if (rc == DC_OK && rename(tmp, path) != 0)
        rc = dc_error_set(err, DC_ERR_IO, "%s: cannot replace it: %s", path, strerror(errno));
cleanup:
    if (rc != DC_OK) unlink(tmp);
    return rc;
}

int dc_predict_output_check(const char *path, const char *results, char *dest, size_t cap, dc_error *err)
{
    struct stat st, rs;
    if (!path || !*path) return dc_error_set(err, DC_ERR_INPUT, "-o needs a file path, got an empty one");
    if (snprintf(dest, cap, "%s", path) >= (int)cap) return dc_error_set(err, DC_ERR_INPUT, "%s: path too long", path);
    if (lstat(path, &st) != 0) return DC_OK;  /* a new file: whether its folder takes it shows when it is written */
    if (S_ISLNK(st.st_mode)) {
        char *target = realpath(path, NULL);
        if (!target && errno == ENOENT)
            return dc_error_set(err, DC_ERR_INPUT, "%s: a symbolic link to nothing that exists: -o writes the "
                                "file a link names", path);
        if (!target)
            return dc_error_set(err, DC_ERR_INPUT, "%s: a symbolic link that cannot be followed: %s", path,
                                strerror(errno));
        int long_path = snprintf(dest, cap, "%s", target) >= (int)cap;
        free(target);
        if (long_path) return dc_error_set(err, DC_ERR_INPUT, "%s: path too long", path);
        if (stat(dest, &st) != 0) return dc_error_set(err, DC_ERR_INPUT, "%s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return dc_error_set(err, DC_ERR_INPUT, "%s is %s, not a file: -o writes a new file or replaces an XYZ file",
                            path, S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket");
    if (results && stat(results, &rs) == 0 && rs.st_dev == st.st_dev && rs.st_ino == st.st_ino)
        return dc_error_set(err, DC_ERR_INPUT, "%s is the results file itself: -o would replace the sweep with "
                            "the predictions", path);
    if (dc_results_is_hdf5(dest))
        return dc_error_set(err, DC_ERR_INPUT, "%s is an HDF5 file (a results file?), not an XYZ: -o does not "
                            "replace it", path);
    return DC_OK;
}
