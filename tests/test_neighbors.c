/* Neighbour lists: the edge set of a real ethanol frame against brute force, symmetry, ordering,
 * frame grouping, and the strict cutoff at exactly representable distances. */
#include <stdint.h>

#include "check.h"
#include "dcsweep/data/dataset.h"

/* Two frames of tests/data/xyz/normal.xyz (rMD17 ethanol) plus a hand-made 4-atom frame where
 * distances are exact: atoms on a line at x = 0, 1, 2, 3.5. */
static void check_edges(const dc_dataset *ds, double cutoff)
{
    dc_neighbors nb = {0};
    dc_error err = {0};
    int rc = dc_neighbors_build(&nb, ds, cutoff, &err);
    CHECK(rc == DC_OK, "build: %s", err.message);
    if (rc != DC_OK) return;
    CHECK(nb.frame_edge_start[0] == 0 && nb.frame_edge_start[ds->n_frames] == nb.n_edges, "edge ranges");
    for (int f = 0; f < ds->n_frames; f++) {
        int64_t a0 = ds->frame_start[f], a1 = ds->frame_start[f + 1];
        int64_t brute = 0;
        for (int64_t i = a0; i < a1; i++)
            for (int64_t j = a0; j < a1; j++) {
                if (i == j) continue;
                const double *ri = ds->positions + 3 * i, *rj = ds->positions + 3 * j;
                double d = sqrt((ri[0] - rj[0]) * (ri[0] - rj[0]) + (ri[1] - rj[1]) * (ri[1] - rj[1]) +
                                (ri[2] - rj[2]) * (ri[2] - rj[2]));
                brute += d < cutoff;
            }
        int64_t e0 = nb.frame_edge_start[f], e1 = nb.frame_edge_start[f + 1];
        CHECK(e1 - e0 == brute, "frame %d cutoff %g: %lld edges, brute force %lld", f, cutoff,
              (long long)(e1 - e0), (long long)brute);
        for (int64_t e = e0; e < e1; e++) {
            int64_t i = nb.dst[e], j = nb.src[e];
            if (i < a0 || i >= a1 || j < a0 || j >= a1 || i == j) {
                CHECK(0, "edge %lld (%lld <- %lld) outside frame %d or a self loop", (long long)e, (long long)i,
                      (long long)j, f);
                continue;
            }
            if (e > e0 && !(nb.dst[e - 1] < i || (nb.dst[e - 1] == i && nb.src[e - 1] < j)))
                CHECK(0, "edges not sorted by dst then src at %lld", (long long)e);
            /* Symmetric: j <- i is there too. */
            int found = 0;
            for (int64_t g = e0; g < e1; g++) found |= nb.dst[g] == j && nb.src[g] == i;
            if (!found) CHECK(0, "edge %lld <- %lld has no reverse", (long long)i, (long long)j);
        }
    }
    dc_neighbors_free(&nb);
    CHECK(nb.src == NULL && nb.n_edges == 0, "free clears");
}

int main(void)
{
    const char *src = getenv("DC_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/xyz/normal.xyz", src ? src : ".");
    dc_dataset ds = {0};
    dc_error err = {0};
    int rc = dc_dataset_read_xyz(&ds, path, NULL, &err);
    CHECK(rc == DC_OK, "%s", err.message);
    if (rc != DC_OK) return check_finish();
    /* 1.2 A keeps only bonds of H to its heavy atom and the C-C/C-O bonds are cut; 5 A keeps all. */
    for (double c = 0.5; c <= 5.0; c += 0.35) check_edges(&ds, c);

    dc_neighbors nb = {0};
    CHECK(dc_neighbors_build(&nb, &ds, 5.0, &err) == DC_OK && nb.n_edges == 2 * 9 * 8, "all pairs within 5 A");
    dc_neighbors_free(&nb);
    /* Ethanol bonds: C-H ~1.09, O-H ~0.97, C-C ~1.52, C-O ~1.43. Under 1.2 A: 6 X-H bonds, 12 edges. */
    CHECK(dc_neighbors_build(&nb, &ds, 1.2, &err) == DC_OK && nb.frame_edge_start[1] == 12,
          "ethanol frame 1 has 12 X-H edges below 1.2 A, got %lld", (long long)nb.frame_edge_start[1]);
    dc_neighbors_free(&nb);

    /* Exact distances 1, 1, 1.5, 2, 2.5, 3.5 on a line: cutoff 1.5 keeps d = 1 pairs only (strict). */
    double pos[12] = {0, 0, 0, 1, 0, 0, 2, 0, 0, 3.5, 0, 0};
    uint8_t z[4] = {1, 1, 1, 1};
    int64_t fs[2] = {0, 4};
    dc_dataset line = {.n_frames = 1, .n_atoms_total = 4, .frame_start = fs, .atomic_number = z, .positions = pos};
    CHECK(dc_neighbors_build(&nb, &line, 1.5, &err) == DC_OK && nb.n_edges == 4, "cutoff 1.5: %lld edges",
          (long long)nb.n_edges);
    static const int64_t want_dst[4] = {0, 1, 1, 2}, want_src[4] = {1, 0, 2, 1};
    for (int e = 0; e < 4 && e < nb.n_edges; e++)
        CHECK(nb.dst[e] == want_dst[e] && nb.src[e] == want_src[e], "edge %d: %lld <- %lld", e,
              (long long)nb.dst[e], (long long)nb.src[e]);
    dc_neighbors_free(&nb);
    CHECK(dc_neighbors_build(&nb, &line, 1.5000001, &err) == DC_OK && nb.n_edges == 6, "cutoff just above 1.5");
    dc_neighbors_free(&nb);
    CHECK(dc_neighbors_build(&nb, &line, 0.0, &err) == DC_ERR_INPUT, "cutoff 0 is refused");
    CHECK(dc_neighbors_build(&nb, &line, NAN, &err) == DC_ERR_INPUT, "NaN cutoff is refused");

    dc_dataset_free(&ds);
    return check_finish();
}
