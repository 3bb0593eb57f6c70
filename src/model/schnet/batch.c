/* Batches are gathered from the split's arrays at every step: a copy of a few hundred atoms and a
 * few thousand edges is nothing next to the step it feeds, and it keeps any batch order possible. */
#include "dcsweep/model/batch.h"

#include <stdlib.h>
#include <string.h>

int dc_schnet_batch_buf_init(dc_batch_buf *buf, int max_mol, int max_atoms, int64_t max_edges, dc_error *err)
{
    int rc = DC_OK;
    memset(buf, 0, sizeof *buf);
    buf->max_mol = max_mol;
    buf->max_atoms = max_atoms;
    buf->max_edges = max_edges;
    DC_ALLOC(buf->types, max_atoms);
    DC_ALLOC(buf->mol, max_atoms);
    DC_ALLOC(buf->pos, 3 * (int64_t)max_atoms);
    DC_ALLOC(buf->src, max_edges);
    DC_ALLOC(buf->dst, max_edges);
    DC_ALLOC(buf->energy_target, max_mol);
    DC_ALLOC(buf->force_target, 3 * (int64_t)max_atoms);
    return DC_OK;
cleanup:
    dc_schnet_batch_buf_free(buf);
    return rc;
}

void dc_schnet_batch_buf_free(dc_batch_buf *buf)
{
    if (!buf) return;
    free(buf->types);
    free(buf->mol);
    free(buf->pos);
    free(buf->src);
    free(buf->dst);
    free(buf->energy_target);
    free(buf->force_target);
    memset(buf, 0, sizeof *buf);
}

int dc_schnet_batch_assemble(dc_batch *batch, dc_batch_buf *buf, const dc_dataset *ds,
                             const dc_neighbors *nb, const int *frames, int n, const dc_rescale *rs,
                             dc_error *err)
{
    int64_t n_atoms = 0, n_edges = 0;
    for (int b = 0; b < n; b++) {
        int f = frames[b];
        n_atoms += ds->frame_start[f + 1] - ds->frame_start[f];
        n_edges += nb->frame_edge_start[f + 1] - nb->frame_edge_start[f];
    }
    const int G = buf->n_ghost;
    if (n + G > buf->max_mol || n_atoms + G > buf->max_atoms || n_edges > buf->max_edges)
        return dc_error_set(err, DC_ERR_INTERNAL,
                            "batch of %d molecules, %lld atoms, %lld edges exceeds the limits "
                            "(%d, %d, %lld)", n + G, (long long)n_atoms + G, (long long)n_edges,
                            buf->max_mol, buf->max_atoms, (long long)buf->max_edges);
    int a = 0;
    int64_t e = 0;
    for (int b = 0; b < n; b++) {
        int f = frames[b];
        int64_t first = ds->frame_start[f], count = ds->frame_start[f + 1] - first;
        int offset = a; /* batch index of the frame's first atom */
        for (int64_t i = 0; i < count; i++, a++) {
            buf->types[a] = ds->types[first + i];
            buf->mol[a] = b;
            for (int k = 0; k < 3; k++) {
                buf->pos[3 * a + k] = ds->positions[3 * (first + i) + k];
                if (rs) buf->force_target[3 * a + k] = dc_rescale_force(rs, ds->forces[3 * (first + i) + k]);
            }
        }
        /* the neighbour list is sorted by dst within a frame, so the batch's edges are too */
        for (int64_t k = nb->frame_edge_start[f]; k < nb->frame_edge_start[f + 1]; k++, e++) {
            buf->src[e] = offset + (int)(nb->src[k] - first);
            buf->dst[e] = offset + (int)(nb->dst[k] - first);
        }
        if (rs) buf->energy_target[b] = dc_rescale_energy(rs, buf->energy_ref ? ds->energy[f] - buf->energy_ref[f]
                                                                              : ds->energy[f]);
    }
    for (int t = 0; t < G; t++, a++) {
        buf->types[a] = t;
        buf->mol[a] = n + t;
        for (int k = 0; k < 3; k++) buf->pos[3 * a + k] = buf->force_target[3 * a + k] = 0.0;
        buf->energy_target[n + t] = 0.0;
    }
    memset(batch, 0, sizeof *batch);
    batch->n_mol = n + G;
    batch->n_ghost = G;
    batch->n_atoms = a;
    batch->n_edges = e;
    batch->types = buf->types;
    batch->mol = buf->mol;
    batch->pos = buf->pos;
    batch->src = buf->src;
    batch->dst = buf->dst;
    batch->energy_target = rs ? buf->energy_target : NULL;
    batch->force_target = rs ? buf->force_target : NULL;
    return DC_OK;
}

static int cmp_desc_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x < y) - (x > y);
}

int dc_schnet_batch_limits(const dc_dataset *ds, const dc_neighbors *nb, int n, int *max_atoms,
                           int64_t *max_edges, dc_error *err)
{
    int rc = DC_OK;
    int64_t *count = NULL; /* [n_frames] */
    int nf = ds->n_frames;
    *max_atoms = 0;
    *max_edges = 0;
    if (n > nf) n = nf;
    if (n <= 0) return DC_OK;
    /* the largest atom count and the largest edge count may come from different frames, which
     * only makes the bound looser, never too small */
    DC_ALLOC(count, nf);
    int64_t sum = 0;
    for (int f = 0; f < nf; f++) count[f] = ds->frame_start[f + 1] - ds->frame_start[f];
    qsort(count, (size_t)nf, sizeof *count, cmp_desc_i64);
    for (int k = 0; k < n; k++) sum += count[k];
    *max_atoms = (int)sum;
    sum = 0;
    for (int f = 0; f < nf; f++) count[f] = nb->frame_edge_start[f + 1] - nb->frame_edge_start[f];
    qsort(count, (size_t)nf, sizeof *count, cmp_desc_i64);
    for (int k = 0; k < n; k++) sum += count[k];
    *max_edges = sum;
cleanup:
    free(count);
    return rc;
}
