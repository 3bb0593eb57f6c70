/* The float engine's geometry in double (dimenet_engine_impl.h): positions -> distances, cos theta,
 * rbf and sbf as a kit schedule with the reference's ops (dimenet_ref.c), so the bases, their
 * position derivatives (forces, tangents) and the frequency's gradient come from the kit's checked
 * rules. DIMENET.md asks for the spherical basis in double: its closed-form Bessel functions lose
 * digits in float at small arguments. The frequency is a parameter view at offset 0 of freq [R]. */
#include <stdlib.h>
#include <string.h>

#include "dimenet_engine_impl.h"

int dn_geom_build(dn_geom *g, const dc_dimenet_shape *sh, const dc_dimenet_graph *gr,
                  dc_error *err)
{
    int rc = DC_OK;
    double *zN = NULL; /* [2][S R] the Bessel zeros and normalisers */
    const int S = sh->num_spherical, R = sh->num_radial, p = sh->envelope_exponent + 1;
    const int64_t E = gr->n_edges, T = gr->n_triplets, N = gr->n_atoms;
    dc_sched *s = &g->s;
    memset(g, 0, sizeof *g);
    DC_ALLOC(zN, 2 * (int64_t)S * R);
    DC_ALLOC(g->freq, 2 * (int64_t)R);
    dc_dimenet_bessel_constants(S, R, zN, zN + S * R);
    dc_sched_init(s, 1);
    g->pos = dc_sched_input(s, "pos", N, 3);
    const int ri = dc_sched_gather(s, "r_i", g->pos, gr->edge_i, E);
    const int rj = dc_sched_gather(s, "r_j", g->pos, gr->edge_j, E);
    const int vec = dc_sched_add(s, "vec", ri, 1.0, rj, -1.0);
    const int d =
        dc_sched_sqrt(s, "dist", dc_sched_row_sum(s, "d2", dc_sched_mul(s, "vec2", vec, vec)));
    const int inv = dc_sched_recip(s, "1/d", d);
    const int u = dc_sched_gather(s, "u", vec, gr->idx_ji, T);
    const int w = dc_sched_gather(s, "w", vec, gr->idx_kj, T);
    int c = dc_sched_row_sum(s, "u.w", dc_sched_mul(s, "u*w", u, w));
    c = dc_sched_mul(s, "cos_ji", c, dc_sched_gather(s, "1/d_ji", inv, gr->idx_ji, T));
    c = dc_sched_mul(s, "cos", c, dc_sched_gather(s, "1/d_kj", inv, gr->idx_kj, T));
    const int freq = dc_sched_param(s, "rbf.freq", 0, R, 1);
    g->rbf_op = s->n_ops;
    g->rbf = dc_sched_dimenet_rbf(s, "rbf", d, freq, sh->cutoff, p);
    const int rad = dc_sched_sph_radial(s, "sbf_rad", d, zN, zN + S * R, S, R, sh->cutoff, p);
    g->sbf = dc_sched_mul(s, "sbf", dc_sched_gather(s, "sbf_rad_kj", rad, gr->idx_kj, T),
                          dc_sched_sph_angular(s, "sbf_ang", c, S, R));
    DC_TRY(dc_sched_alloc(s, err));
cleanup:
    free(zN);
    return rc;
}

void dn_geom_free(dn_geom *g)
{
    dc_sched_free(&g->s);
    free(g->freq);
    memset(g, 0, sizeof *g);
}
