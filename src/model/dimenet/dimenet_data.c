/* DimeNet++'s data: each split's graph (edges and triplets of every frame), built once for the
 * sweep, and batches cut out of it (dimenet_data.h). */
#include "dimenet_data.h"

#include <stdlib.h>
#include <string.h>

void dc_dimenet_split_free(dc_dimenet_split *s)
{
    dc_dimenet_graph_free(&s->graph);
    free(s->z);
    memset(s, 0, sizeof *s);
}

/* Coincident atoms, named by the file's lines (the graph's own check knows only the frame's place in
 * the split). */
static int check_coincident(const dc_dataset *ds, dc_error *err)
{
    for (int f = 0; f < ds->n_frames; f++)
        for (int64_t a = ds->frame_start[f]; a < ds->frame_start[f + 1]; a++)
            for (int64_t b = a + 1; b < ds->frame_start[f + 1]; b++) {
                const double *p = ds->positions + 3 * a, *q = ds->positions + 3 * b;
                if (p[0] == q[0] && p[1] == q[1] && p[2] == q[2])
                    return dc_error_set(err, DC_ERR_INPUT, "%s:%lld: the atoms on lines %lld and %lld coincide "
                                        "(DimeNet++'s envelope is singular at distance 0)", ds->path,
                                        (long long)ds->frame_line[f], (long long)(ds->frame_line[f] + 2 + a - ds->frame_start[f]),
                                        (long long)(ds->frame_line[f] + 2 + b - ds->frame_start[f]));
            }
    return DC_OK;
}

int dc_dimenet_split_build(dc_dimenet_split *s, const dc_dataset *ds, double cutoff, dc_error *err)
{
    int rc = DC_OK;
    int *atom_off = NULL;
    memset(s, 0, sizeof *s);
    dc_dimenet_graph_init(&s->graph);
    s->ds = ds;
    DC_TRY(check_coincident(ds, err));
    if (ds->n_atoms_total > (1 << 30)) DC_FAIL(DC_ERR_INPUT, "%s: too many atoms for one split", ds->path);
    DC_ALLOC(atom_off, ds->n_frames + 1);
    for (int f = 0; f <= ds->n_frames; f++) atom_off[f] = (int)ds->frame_start[f];
    DC_ALLOC(s->z, ds->n_atoms_total > 0 ? ds->n_atoms_total : 1);
    for (int64_t a = 0; a < ds->n_atoms_total; a++) s->z[a] = ds->atomic_number[a];
    rc = dc_dimenet_graph_build(&s->graph, ds->n_frames, atom_off, ds->positions, cutoff, 1, err);
    if (rc != DC_OK) dc_error_prefix(err, "%s", ds->path);
cleanup:
    free(atom_off);
    if (rc != DC_OK) dc_dimenet_split_free(s);
    return rc;
}

static int cmp_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x < y) - (x > y);
}

/* The sum of the n largest of count [n_frames] (sorted in place). */
static int64_t top_sum(int64_t *count, int n_frames, int n)
{
    int64_t sum = 0;
    qsort(count, (size_t)n_frames, sizeof *count, cmp_desc);
    for (int f = 0; f < n && f < n_frames; f++) sum += count[f];
    return sum;
}

int dc_dimenet_split_limits(const dc_dimenet_split *s, int n, dc_dimenet_limits *lim, dc_error *err)
{
    int rc = DC_OK;
    const dc_dataset *ds = s->ds;
    const dc_dimenet_graph *g = &s->graph;
    int64_t *count = NULL;
    DC_ALLOC(count, ds->n_frames > 0 ? ds->n_frames : 1);
    lim->mol = n < ds->n_frames ? n : ds->n_frames;
    for (int f = 0; f < ds->n_frames; f++) count[f] = ds->frame_start[f + 1] - ds->frame_start[f];
    lim->atoms = (int)top_sum(count, ds->n_frames, n);
    for (int f = 0; f < ds->n_frames; f++) count[f] = g->edge_off[f + 1] - g->edge_off[f];
    lim->edges = top_sum(count, ds->n_frames, n);
    for (int f = 0; f < ds->n_frames; f++) count[f] = g->trip_off[f + 1] - g->trip_off[f];
    lim->triplets = top_sum(count, ds->n_frames, n);
cleanup:
    free(count);
    return rc;
}

void dc_dimenet_limits_max(dc_dimenet_limits *acc, const dc_dimenet_limits *b)
{
    if (b->mol > acc->mol) acc->mol = b->mol;
    if (b->atoms > acc->atoms) acc->atoms = b->atoms;
    if (b->edges > acc->edges) acc->edges = b->edges;
    if (b->triplets > acc->triplets) acc->triplets = b->triplets;
}

void dc_dimenet_batch_buf_free(dc_dimenet_batch_buf *buf)
{
    dc_dimenet_graph_free(&buf->graph);
    free(buf->z);
    free(buf->pos);
    free(buf->energy_target);
    free(buf->force_target);
    memset(buf, 0, sizeof *buf);
}

int dc_dimenet_batch_buf_init(dc_dimenet_batch_buf *buf, const dc_dimenet_limits *lim, dc_error *err)
{
    int rc = DC_OK;
    memset(buf, 0, sizeof *buf);
    dc_dimenet_graph *g = &buf->graph;
    dc_dimenet_graph_init(g);
    buf->lim = *lim;
    const int64_t mol = lim->mol > 0 ? lim->mol : 1, atoms = lim->atoms > 0 ? lim->atoms : 1;
    const int64_t edges = lim->edges > 0 ? lim->edges : 1, trip = lim->triplets > 0 ? lim->triplets : 1;
    DC_ALLOC(g->mol, atoms);
    DC_ALLOC(g->edge_off, mol + 1);
    DC_ALLOC(g->trip_off, mol + 1);
    DC_ALLOC(g->edge_i, edges);
    DC_ALLOC(g->edge_j, edges);
    DC_ALLOC(g->idx_kj, trip);
    DC_ALLOC(g->idx_ji, trip);
    g->cap_atoms = atoms, g->cap_mol = mol + 1, g->cap_edges = edges, g->cap_triplets = trip;
    DC_ALLOC(buf->z, atoms);
    DC_ALLOC(buf->pos, 3 * atoms);
    DC_ALLOC(buf->energy_target, mol);
    DC_ALLOC(buf->force_target, 3 * atoms);
cleanup:
    if (rc != DC_OK) dc_dimenet_batch_buf_free(buf);
    return rc;
}

/* Frame f's atoms, edges and triplets appended to the batch graph (indices shifted to it). */
static void append_frame(dc_dimenet_batch_buf *buf, const dc_dimenet_split *s, int f)
{
    dc_dimenet_graph *g = &buf->graph;
    const dc_dimenet_graph *sg = &s->graph;
    const int b = g->n_mol, a0 = g->n_atoms;
    const int64_t first_atom = s->ds->frame_start[f], n_atoms = s->ds->frame_start[f + 1] - first_atom;
    const int64_t e0 = g->n_edges, se0 = sg->edge_off[f];
    g->edge_off[b] = g->n_edges;
    g->trip_off[b] = g->n_triplets;
    for (int64_t i = 0; i < n_atoms; i++) {
        g->mol[a0 + i] = b;
        buf->z[a0 + i] = s->z[first_atom + i];
        memcpy(buf->pos + 3 * (a0 + i), s->ds->positions + 3 * (first_atom + i), 3 * sizeof *buf->pos);
    }
    for (int64_t e = se0; e < sg->edge_off[f + 1]; e++, g->n_edges++) {
        g->edge_i[g->n_edges] = (int)(sg->edge_i[e] - first_atom + a0);
        g->edge_j[g->n_edges] = (int)(sg->edge_j[e] - first_atom + a0);
    }
    for (int64_t t = sg->trip_off[f]; t < sg->trip_off[f + 1]; t++, g->n_triplets++) {
        g->idx_kj[g->n_triplets] = (int)(sg->idx_kj[t] - se0 + e0);
        g->idx_ji[g->n_triplets] = (int)(sg->idx_ji[t] - se0 + e0);
    }
    g->n_mol = b + 1;
    g->n_atoms = a0 + (int)n_atoms;
    g->edge_off[b + 1] = g->n_edges;
    g->trip_off[b + 1] = g->n_triplets;
}

/* The ghost molecule: one atom at the origin, no edge, labels 0 (unused by the loss). */
static void append_ghost(dc_dimenet_batch_buf *buf)
{
    dc_dimenet_graph *g = &buf->graph;
    const int b = g->n_mol, a = g->n_atoms;
    g->edge_off[b] = g->edge_off[b + 1] = g->n_edges;
    g->trip_off[b] = g->trip_off[b + 1] = g->n_triplets;
    g->mol[a] = b;
    buf->z[a] = buf->ghost_z;
    for (int k = 0; k < 3; k++) buf->pos[3 * a + k] = buf->force_target[3 * a + k] = 0.0;
    buf->energy_target[b] = 0.0;
    g->n_mol = b + 1;
    g->n_atoms = a + 1;
}

int dc_dimenet_batch_assemble(dc_dimenet_batch *batch, dc_dimenet_batch_buf *buf, const dc_dimenet_split *s,
                              const int *frames, int n, const dc_rescale *rs, dc_error *err)
{
    const dc_dataset *ds = s->ds;
    dc_dimenet_limits need = {.mol = n + (buf->ghost_z > 0), .atoms = buf->ghost_z > 0};
    for (int b = 0; b < n; b++) {
        const int f = frames[b];
        need.atoms += (int)(ds->frame_start[f + 1] - ds->frame_start[f]);
        need.edges += s->graph.edge_off[f + 1] - s->graph.edge_off[f];
        need.triplets += s->graph.trip_off[f + 1] - s->graph.trip_off[f];
    }
    if (need.mol > buf->lim.mol || need.atoms > buf->lim.atoms || need.edges > buf->lim.edges ||
        need.triplets > buf->lim.triplets)
        return dc_error_set(err, DC_ERR_INTERNAL, "DimeNet++ batch of %d molecules, %d atoms, %lld edges, %lld "
                            "triplets exceeds its buffers", need.mol, need.atoms, (long long)need.edges,
                            (long long)need.triplets);
    dc_dimenet_graph *g = &buf->graph;
    g->n_mol = g->n_atoms = 0;
    g->n_edges = g->n_triplets = 0;
    g->edge_off[0] = g->trip_off[0] = 0;
    for (int b = 0; b < n; b++) {
        const int f = frames[b];
        const int a0 = g->n_atoms;
        append_frame(buf, s, f);
        if (!rs) continue;
        buf->energy_target[b] = dc_rescale_energy(rs, buf->energy_ref ? ds->energy[f] - buf->energy_ref[f] : ds->energy[f]);
        const double *F = ds->forces + 3 * ds->frame_start[f];
        for (int64_t k = 0; k < 3 * (int64_t)(g->n_atoms - a0); k++)
            buf->force_target[3 * (int64_t)a0 + k] = dc_rescale_force(rs, F[k]);
    }
    if (buf->ghost_z > 0) append_ghost(buf);
    *batch = (dc_dimenet_batch){.graph = g, .z = buf->z, .pos = buf->pos,
                                .energy_target = rs ? buf->energy_target : NULL,
                                .force_target = rs ? buf->force_target : NULL, .n_ghost = buf->ghost_z > 0};
    return DC_OK;
}
