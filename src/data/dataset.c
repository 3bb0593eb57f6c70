/* Datasets after reading: element table, splits, element types, neighbour lists. The reader itself
 * is src/xyz.c. */
#include "dcsweep/data/dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Index = atomic number; the full table so no real molecule is rejected for its elements. */
static const char *const element_symbols[] = {
    "",   "H",  "He", "Li", "Be", "B",  "C",  "N",  "O",  "F",  "Ne", "Na", "Mg", "Al", "Si",
    "P",  "S",  "Cl", "Ar", "K",  "Ca", "Sc", "Ti", "V",  "Cr", "Mn", "Fe", "Co", "Ni", "Cu",
    "Zn", "Ga", "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y",  "Zr", "Nb", "Mo", "Tc", "Ru",
    "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I",  "Xe", "Cs", "Ba", "La", "Ce", "Pr",
    "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W",
    "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac",
    "Th", "Pa", "U",  "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf",
    "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og",
};
#define N_ELEMENTS ((int)(sizeof element_symbols / sizeof element_symbols[0]) - 1)

const char *dc_element_symbol(int atomic_number)
{
    if (atomic_number < 1 || atomic_number > N_ELEMENTS) return NULL;
    return element_symbols[atomic_number];
}

int dc_element_from_symbol(const char *symbol, int len)
{
    /* Exact case, as ASE writes them: "CO" is not cobalt by accident. */
    if (!symbol || len < 1 || len > 2) return 0;
    for (int z = 1; z <= N_ELEMENTS; z++) {
        const char *s = element_symbols[z];
        if ((int)strlen(s) == len && memcmp(s, symbol, (size_t)len) == 0) return z;
    }
    return 0;
}

void dc_dataset_free(dc_dataset *ds)
{
    if (!ds) return;
    free(ds->path);
    free(ds->frame_start);
    free(ds->frame_line);
    free(ds->atomic_number);
    free(ds->types);
    free(ds->positions);
    free(ds->forces);
    free(ds->energy);
    memset(ds, 0, sizeof *ds);
}

int dc_dataset_subset(dc_dataset *dst, const dc_dataset *src, const int *idx, int n, dc_error *err)
{
    int rc = DC_OK;
    dc_dataset out = {0};
    if (n < 0) DC_FAIL(DC_ERR_INTERNAL, "%s:%d: subset of %d frames", __FILE__, __LINE__, n);
    int64_t atoms = 0;
    for (int k = 0; k < n; k++) {
        if (idx[k] < 0 || idx[k] >= src->n_frames)
            DC_FAIL(DC_ERR_INTERNAL, "%s:%d: subset index %d out of range [0, %d)", __FILE__,
                    __LINE__, idx[k], src->n_frames);
        atoms += src->frame_start[idx[k] + 1] - src->frame_start[idx[k]];
    }
    const char *path = src->path ? src->path : "";
    DC_ALLOC(out.path, strlen(path) + 1);
    memcpy(out.path, path, strlen(path) + 1);
    out.n_frames = n;
    out.n_atoms_total = atoms;
    DC_ALLOC(out.frame_start, n + 1);
    DC_ALLOC(out.frame_line, n);
    DC_ALLOC(out.energy, n);
    DC_ALLOC(out.atomic_number, atoms);
    DC_ALLOC(out.types, atoms);
    DC_ALLOC(out.positions, 3 * atoms);
    DC_ALLOC(out.forces, 3 * atoms);
    int64_t a = 0;
    for (int k = 0; k < n; k++) {
        int f = idx[k];
        int64_t s = src->frame_start[f], m = src->frame_start[f + 1] - s;
        out.frame_start[k] = a;
        out.frame_line[k] = src->frame_line ? src->frame_line[f] : 0;
        out.energy[k] = src->energy[f];
        memcpy(out.atomic_number + a, src->atomic_number + s, (size_t)m * sizeof *out.atomic_number);
        if (src->types) memcpy(out.types + a, src->types + s, (size_t)m * sizeof *out.types);
        memcpy(out.positions + 3 * a, src->positions + 3 * s, (size_t)(3 * m) * sizeof(double));
        memcpy(out.forces + 3 * a, src->forces + 3 * s, (size_t)(3 * m) * sizeof(double));
        a += m;
    }
    out.frame_start[n] = a;
    *dst = out;
    return DC_OK;
cleanup:
    dc_dataset_free(&out);
    return rc;
}

int dc_dataset_assign_types(dc_dataset *const *sets, int n_sets, dc_elements *elements, dc_error *err)
{
    int rc = DC_OK;
    /* present[z] marks every atomic number seen in any set; then index = rank of z. */
    unsigned char present[256] = {0};
    int type_of[256];
    for (int s = 0; s < n_sets; s++) {
        const dc_dataset *ds = sets[s];
        if (!ds) continue;
        for (int64_t i = 0; i < ds->n_atoms_total; i++) present[ds->atomic_number[i]] = 1;
    }
    dc_elements el = {0};
    for (int z = 1; z < 256; z++) {
        type_of[z] = -1;
        if (!present[z]) continue;
        if (el.n == DC_MAX_ELEMENTS) {
            DC_FAIL(DC_ERR_INPUT, "the datasets hold more than %d elements (at most %d supported)",
                    DC_MAX_ELEMENTS, DC_MAX_ELEMENTS);
        }
        type_of[z] = el.n;
        el.atomic_number[el.n++] = z;
    }
    if (present[0]) DC_FAIL(DC_ERR_INTERNAL, "%s:%d: atomic number 0 in a dataset", __FILE__, __LINE__);
    for (int s = 0; s < n_sets; s++) {
        dc_dataset *ds = sets[s];
        if (!ds) continue;
        if (!ds->types) DC_ALLOC(ds->types, ds->n_atoms_total);
        for (int64_t i = 0; i < ds->n_atoms_total; i++) ds->types[i] = type_of[ds->atomic_number[i]];
    }
    *elements = el;
cleanup:
    return rc;
}

/* Appends frame f's edges (or only counts them when src is NULL); returns the count. */
static int64_t frame_edges(const dc_dataset *ds, int f, double cutoff, int64_t *src, int64_t *dst)
{
    int64_t begin = ds->frame_start[f], end = ds->frame_start[f + 1], n = 0;
    const double *r = ds->positions;
    for (int64_t i = begin; i < end; i++) {
        for (int64_t j = begin; j < end; j++) {
            if (i == j) continue;
            double dx = r[3 * i] - r[3 * j], dy = r[3 * i + 1] - r[3 * j + 1];
            double dz = r[3 * i + 2] - r[3 * j + 2];
            /* sqrt, not d^2 < c^2: the same comparison as the model's d (strict at the boundary). */
            if (sqrt(dx * dx + dy * dy + dz * dz) < cutoff) {
                if (src) {
                    src[n] = j;
                    dst[n] = i;
                }
                n++;
            }
        }
    }
    return n;
}

int dc_neighbors_build(dc_neighbors *nb, const dc_dataset *ds, double cutoff, dc_error *err)
{
    int rc = DC_OK;
    dc_neighbors out = {0};
    if (!(cutoff > 0) || !isfinite(cutoff))
        DC_FAIL(DC_ERR_INPUT, "neighbour list: cutoff must be a positive finite distance, got %g",
                cutoff);
    out.cutoff = cutoff;
    DC_ALLOC(out.frame_edge_start, ds->n_frames + 1);
    /* Two passes (count, then fill): exact allocation, no regrowth. */
    for (int f = 0; f < ds->n_frames; f++) {
        out.frame_edge_start[f] = out.n_edges;
        out.n_edges += frame_edges(ds, f, cutoff, NULL, NULL);
    }
    out.frame_edge_start[ds->n_frames] = out.n_edges;
    DC_ALLOC(out.src, out.n_edges);
    DC_ALLOC(out.dst, out.n_edges);
    for (int f = 0; f < ds->n_frames; f++) {
        int64_t e = out.frame_edge_start[f];
        frame_edges(ds, f, cutoff, out.src + e, out.dst + e);
    }
    *nb = out;
    return DC_OK;
cleanup:
    dc_neighbors_free(&out);
    return rc;
}

void dc_neighbors_free(dc_neighbors *nb)
{
    if (!nb) return;
    free(nb->frame_edge_start);
    free(nb->src);
    free(nb->dst);
    memset(nb, 0, sizeof *nb);
}
