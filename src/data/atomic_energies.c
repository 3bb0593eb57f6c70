/* Per-element reference energies (include/dcsweep/data/atomic_energies.h). */
#include "dcsweep/data/atomic_energies.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double dc_atomic_energies_of(const dc_atomic_energies *ae, int z)
{
    for (int k = 0; k < ae->n; k++)
        if (ae->atomic_number[k] == z) return ae->e0[k];
    return NAN;
}

double dc_atomic_energies_frame(const dc_atomic_energies *ae, const dc_dataset *ds, int f)
{
    double sum = 0.0;
    if (ae->n == 0) return 0.0;
    for (int64_t a = ds->frame_start[f]; a < ds->frame_start[f + 1]; a++)
        sum += dc_atomic_energies_of(ae, ds->atomic_number[a]);
    return sum;
}

/* Eigenvalues lam [k] and eigenvectors (columns of v [k][k]) of the symmetric s [k][k] (destroyed),
 * by cyclic Jacobi rotations: k is at most DC_MAX_ELEMENTS, so simplicity beats speed. */
static void jacobi_eigen(double *s, int k, double *lam, double *v)
{
    for (int i = 0; i < k * k; i++) v[i] = i % (k + 1) == 0;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0.0;
        for (int p = 0; p < k; p++)
            for (int q = p + 1; q < k; q++) off += s[p * k + q] * s[p * k + q];
        if (off == 0.0) break;
        for (int p = 0; p < k; p++)
            for (int q = p + 1; q < k; q++) {
                if (s[p * k + q] == 0.0) continue;
                double theta = (s[q * k + q] - s[p * k + p]) / (2.0 * s[p * k + q]);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), sn = t * c;
                for (int r = 0; r < k; r++) { /* columns p, q */
                    double a = s[r * k + p], b = s[r * k + q];
                    s[r * k + p] = c * a - sn * b;
                    s[r * k + q] = sn * a + c * b;
                }
                for (int r = 0; r < k; r++) { /* rows p, q */
                    double a = s[p * k + r], b = s[q * k + r];
                    s[p * k + r] = c * a - sn * b;
                    s[q * k + r] = sn * a + c * b;
                }
                for (int r = 0; r < k; r++) {
                    double a = v[r * k + p], b = v[r * k + q];
                    v[r * k + p] = c * a - sn * b;
                    v[r * k + q] = sn * a + c * b;
                }
            }
    }
    for (int i = 0; i < k; i++) lam[i] = s[i * k + i];
}

/* "average": x = pinv(A) y for the counts A [n_frames][k] and energies y, through the normal
 * equations' eigen-decomposition (A^T A = V diag(s^2) V^T); singular values s below 1e-6 s_max
 * are dropped, which gives the minimum-norm solution as numpy.linalg.lstsq does. Counts are small
 * integers, so A^T A is exact. */
static int fit_average(dc_atomic_energies *ae, const dc_dataset *train, dc_error *err)
{
    int rc = DC_OK;
    const int k = ae->n;
    double ata[DC_MAX_ELEMENTS * DC_MAX_ELEMENTS] = {0}, aty[DC_MAX_ELEMENTS] = {0};
    double lam[DC_MAX_ELEMENTS], v[DC_MAX_ELEMENTS * DC_MAX_ELEMENTS];
    double count[DC_MAX_ELEMENTS];
    if (train->n_frames < 1) DC_FAIL(DC_ERR_INPUT, "dataset.atomic_energies = \"average\": no training frames");
    for (int f = 0; f < train->n_frames; f++) {
        memset(count, 0, sizeof count);
        for (int64_t a = train->frame_start[f]; a < train->frame_start[f + 1]; a++)
            for (int e = 0; e < k; e++) count[e] += train->atomic_number[a] == ae->atomic_number[e];
        for (int p = 0; p < k; p++) {
            aty[p] += count[p] * train->energy[f];
            for (int q = 0; q < k; q++) ata[p * k + q] += count[p] * count[q];
        }
    }
    jacobi_eigen(ata, k, lam, v);
    double lam_max = 0.0;
    for (int i = 0; i < k; i++) lam_max = fmax(lam_max, lam[i]);
    /* the normal equations resolve singular values to about sqrt(eps) s_max only */
    for (int e = 0; e < k; e++) ae->e0[e] = 0.0;
    for (int i = 0; i < k; i++) {
        if (!(lam[i] > 1e-12 * lam_max)) continue; /* s below 1e-6 s_max */
        double proj = 0.0;
        for (int p = 0; p < k; p++) proj += v[p * k + i] * aty[p];
        for (int e = 0; e < k; e++) ae->e0[e] += v[e * k + i] * proj / lam[i];
    }
    for (int e = 0; e < k; e++)
        if (!isfinite(ae->e0[e]))
            DC_FAIL(DC_ERR_NUMERIC, "dataset.atomic_energies = \"average\": the fit of %s is not finite",
                    dc_element_symbol(ae->atomic_number[e]));
cleanup:
    return rc;
}

/* A file of isolated atoms: one atom per frame, one frame per element, each with its energy. */
static int read_file(dc_atomic_energies *ae, const dc_dataset_config *cfg, dc_error *err)
{
    int rc = DC_OK;
    dc_dataset iso = {0};
    double e0[119];
    int64_t line[119] = {0};
    for (int z = 0; z < 119; z++) e0[z] = NAN;
    const dc_xyz_options opts = {.energy_key = cfg->energy_key, .forces_key = cfg->forces_key,
                                 .labels_optional = 1};
    rc = dc_dataset_read_xyz(&iso, cfg->e0_file, &opts, err);
    if (rc != DC_OK) {
        dc_error_prefix(err, "dataset.atomic_energies");
        goto cleanup;
    }
    for (int f = 0; f < iso.n_frames; f++) {
        const int64_t at = iso.frame_start[f];
        if (iso.frame_start[f + 1] - at != 1)
            DC_FAIL(DC_ERR_INPUT, "%s:%lld: dataset.atomic_energies: frame %d has %lld atoms (a file of "
                    "isolated atoms has one per frame)", cfg->e0_file, (long long)iso.frame_line[f], f + 1,
                    (long long)(iso.frame_start[f + 1] - at));
        const int z = iso.atomic_number[at];
        if (!isfinite(iso.energy[f]))
            DC_FAIL(DC_ERR_INPUT, "%s:%lld: dataset.atomic_energies: the isolated %s atom has no finite "
                    "energy under the key '%s'", cfg->e0_file, (long long)iso.frame_line[f],
                    dc_element_symbol(z), cfg->energy_key ? cfg->energy_key : "energy");
        if (line[z])
            DC_FAIL(DC_ERR_INPUT, "%s:%lld: dataset.atomic_energies: a second isolated %s atom (the first "
                    "is at line %lld)", cfg->e0_file, (long long)iso.frame_line[f], dc_element_symbol(z),
                    (long long)line[z]);
        e0[z] = iso.energy[f];
        line[z] = iso.frame_line[f];
    }
    for (int e = 0; e < ae->n; e++) {
        ae->e0[e] = e0[ae->atomic_number[e]];
        if (!isfinite(ae->e0[e]))
            DC_FAIL(DC_ERR_INPUT, "%s: dataset.atomic_energies: no isolated %s atom, and the data has %s",
                    cfg->e0_file, dc_element_symbol(ae->atomic_number[e]),
                    dc_element_symbol(ae->atomic_number[e]));
    }
cleanup:
    dc_dataset_free(&iso);
    return rc;
}

int dc_atomic_energies_resolve(dc_atomic_energies *ae, const dc_dataset_config *cfg,
                               const dc_dataset *train, const dc_elements *elements, dc_error *err)
{
    memset(ae, 0, sizeof *ae);
    if (cfg->e0_source == DC_E0_NONE) return DC_OK;
    ae->n = elements->n;
    for (int e = 0; e < elements->n; e++) ae->atomic_number[e] = elements->atomic_number[e];
    int rc = cfg->e0_source == DC_E0_AVERAGE ? fit_average(ae, train, err) : read_file(ae, cfg, err);
    if (rc != DC_OK) ae->n = 0;
    return rc;
}
