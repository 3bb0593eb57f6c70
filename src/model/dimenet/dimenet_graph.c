/* DimeNet++'s graph (dimenet.h): edges and triplets per molecule, in the golden file's order.
 * Molecules are small (tens of atoms), so the pairs are found by brute force; the graph is built
 * once per batch and reused by every evaluation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/model/dimenet.h"

void dc_dimenet_graph_init(dc_dimenet_graph *g) { memset(g, 0, sizeof *g); }

void dc_dimenet_graph_free(dc_dimenet_graph *g)
{
    free(g->edge_i);
    free(g->edge_j);
    free(g->idx_kj);
    free(g->idx_ji);
    free(g->mol);
    free(g->edge_off);
    free(g->trip_off);
    dc_dimenet_graph_init(g);
}

/* Grows *p [*cap] of elem-byte elements to hold need (a doubling); DC_ERR_NOMEM. */
static int reserve(void **p, int64_t *cap, int64_t need, size_t elem, dc_error *err)
{
    if (need <= *cap) return DC_OK;
    int64_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    void *grown = realloc(*p, (size_t)n * elem);
    if (!grown) return dc_error_set(err, DC_ERR_NOMEM, "DimeNet++ graph: out of memory");
    *p = grown;
    *cap = n;
    return DC_OK;
}

/* Two arrays sharing one capacity. */
static int reserve2(int **a, int **b, int64_t *cap, int64_t need, dc_error *err)
{
    int64_t ca = *cap, cb = *cap;
    int rc = reserve((void **)a, &ca, need, sizeof **a, err);
    if (rc == DC_OK) rc = reserve((void **)b, &cb, need, sizeof **b, err);
    if (rc == DC_OK) *cap = ca;
    return rc;
}

int dc_dimenet_graph_build(dc_dimenet_graph *g, int n_mol, const int *atom_off, const double *pos,
                           double cutoff, int frame_base, dc_error *err)
{
    int rc = DC_OK;
    int64_t *first = NULL; /* [atoms of the molecule + 1] each atom's first incoming edge */
    if (n_mol < 0 || !(cutoff > 0.0) || !isfinite(cutoff) || (n_mol > 0 && atom_off[0] != 0))
        DC_FAIL(DC_ERR_INPUT, "DimeNet++ graph: bad batch (%d molecules, cutoff %g)", n_mol,
                cutoff);
    const int N = n_mol > 0 ? atom_off[n_mol] : 0;
    for (int b = 0; b < n_mol; b++)
        if (atom_off[b + 1] < atom_off[b])
            DC_FAIL(DC_ERR_INPUT, "DimeNet++ graph: frame %d has a negative atom count",
                    frame_base + b);
    DC_TRY(reserve((void **)&g->mol, &g->cap_atoms, N + 1, sizeof *g->mol, err));
    {
        int64_t c1 = g->cap_mol, c2 = g->cap_mol;
        DC_TRY(reserve((void **)&g->edge_off, &c1, n_mol + 1, sizeof *g->edge_off, err));
        DC_TRY(reserve((void **)&g->trip_off, &c2, n_mol + 1, sizeof *g->trip_off, err));
        g->cap_mol = c1;
    }
    g->n_mol = n_mol;
    g->n_atoms = N;
    g->n_edges = g->n_triplets = 0;
    const double c2 = cutoff * cutoff;
    for (int b = 0; b < n_mol; b++) {
        const int a0 = atom_off[b], n = atom_off[b + 1] - a0;
        g->edge_off[b] = g->n_edges;
        g->trip_off[b] = g->n_triplets;
        free(first);
        first = NULL;
        DC_ALLOC(first, n + 1);
        for (int i = 0; i < n; i++) {
            g->mol[a0 + i] = b;
            for (int x = 0; x < 3; x++)
                if (!isfinite(pos[3 * (int64_t)(a0 + i) + x]))
                    DC_FAIL(DC_ERR_INPUT, "frame %d: atom %d has a non-finite position",
                            frame_base + b, i);
        }
        /* edges (j -> i) sorted by i, then j */
        for (int i = 0; i < n; i++) {
            first[i] = g->n_edges;
            for (int j = 0; j < n; j++) {
                if (i == j) continue;
                const double *ri = pos + 3 * (int64_t)(a0 + i), *rj = pos + 3 * (int64_t)(a0 + j);
                const double dx = ri[0] - rj[0], dy = ri[1] - rj[1], dz = ri[2] - rj[2];
                const double d2 = dx * dx + dy * dy + dz * dz;
                if (d2 == 0.0)
                    DC_FAIL(DC_ERR_INPUT,
                            "frame %d: atoms %d and %d coincide (DimeNet++'s envelope is singular "
                            "at distance 0)",
                            frame_base + b, j < i ? j : i, j < i ? i : j);
                if (!(d2 < c2)) continue;
                DC_TRY(reserve2(&g->edge_i, &g->edge_j, &g->cap_edges, g->n_edges + 1, err));
                g->edge_i[g->n_edges] = a0 + i;
                g->edge_j[g->n_edges] = a0 + j;
                g->n_edges++;
            }
        }
        first[n] = g->n_edges;
        /* triplets (k -> j -> i), k != i, sorted by ji, then k: the edges into j are contiguous
         * (sorted by target) and ordered by their source k */
        for (int64_t ji = g->edge_off[b]; ji < g->n_edges; ji++) {
            const int i = g->edge_i[ji], j = g->edge_j[ji] - a0;
            for (int64_t kj = first[j]; kj < first[j + 1]; kj++) {
                if (g->edge_j[kj] == i) continue;
                DC_TRY(reserve2(&g->idx_kj, &g->idx_ji, &g->cap_triplets, g->n_triplets + 1, err));
                g->idx_kj[g->n_triplets] = (int)kj;
                g->idx_ji[g->n_triplets] = (int)ji;
                g->n_triplets++;
            }
        }
    }
    g->edge_off[n_mol] = g->n_edges;
    g->trip_off[n_mol] = g->n_triplets;
    /* never-NULL arrays, so that a batch without edges or triplets still builds a schedule */
    DC_TRY(reserve2(&g->edge_i, &g->edge_j, &g->cap_edges, 1, err));
    DC_TRY(reserve2(&g->idx_kj, &g->idx_ji, &g->cap_triplets, 1, err));
cleanup:
    free(first);
    return rc;
}
