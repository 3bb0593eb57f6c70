/* The float engine's geometry in double (dimenet_engine_impl.h; DIMENET.md "Bases"): distances,
 * cos theta, the radial basis rbf [E][R] with the trained frequency and the spherical basis
 * sbf [T][S R], their first derivatives in the positions (forces, tangents) and the frequency's
 * gradient, all rounded to float once. DIMENET.md asks for sbf in double: its Bessel functions
 * lose digits in float at small arguments. Every array lives in the engine's arena (no allocation
 * per call); every loop runs in a fixed order.
 *
 * With x = d / c and the envelope u (u = 1/x + a x^(p-1) + b x^p + cc x^(p+1) for x < 1):
 *   rbf_n = u sin(f_n x):      d/dd = (u' sin + u f_n cos) / c,   d/df_n = u x cos,
 *                              d2/(df_n dd) = (u' x cos + u cos - u x f_n sin) / c;
 *   rad_ln = u N_ln j_l(z_ln x):   d/dd = (u' N j_l + u N z j_l') / c,
 *                                  j_l' = j_{l-1} - (l+1)/y j_l (j_0' = -j_1);
 *   ang_l = K_l P_l(cos theta),    cos theta = u.w / (|u| |w|) with u = vec_ji, w = vec_kj:
 *   d cos / du = w / (|u| |w|) - cos u / |u|^2 (and symmetrically in w). */
#include <math.h>
#include <string.h>

#include "dimenet_engine_impl.h"

static const double PI = 3.14159265358979323846;

void dc_dimenet_geom_carve(dn_geom *g, dc_arena *ar, const dc_dimenet_shape *sh,
                           int64_t max_edges, int64_t max_trip)
{
    const int64_t S = sh->num_spherical, R = sh->num_radial, E = max_edges, T = max_trip;
    DC_TAKE(ar, g->z, S * R); DC_TAKE(ar, g->N, S * R); DC_TAKE(ar, g->K, S);
    DC_TAKE(ar, g->vec, 3 * E); DC_TAKE(ar, g->d, E); DC_TAKE(ar, g->dt, E);
    DC_TAKE(ar, g->drbf, E * R); DC_TAKE(ar, g->rbf_f, E * R); DC_TAKE(ar, g->rbf_fd, E * R);
    DC_TAKE(ar, g->rad, E * S * R); DC_TAKE(ar, g->drad, E * S * R);
    DC_TAKE(ar, g->dcos, 6 * T); DC_TAKE(ar, g->ang, T * S); DC_TAKE(ar, g->dang, T * S);
    DC_TAKE(ar, g->dbar, E); DC_TAKE(ar, g->vbar, 3 * E); DC_TAKE(ar, g->vt, 3 * E);
}

void dc_dimenet_geom_constants(dn_geom *g, const dc_dimenet_shape *sh)
{
    g->S = sh->num_spherical;
    g->R = sh->num_radial;
    g->p = sh->envelope_exponent + 1;
    g->cutoff = sh->cutoff;
    if (!g->z) return; /* counting */
    dc_dimenet_bessel_constants(g->S, g->R, g->z, g->N);
    for (int l = 0; l < g->S; l++) g->K[l] = sqrt((2 * l + 1) / (4.0 * PI));
}

/* u(x), u'(x) (in x) for x < 1, else 0. */
static void envelope(int p, double x, double *u, double *du)
{
    if (!(x < 1.0)) {
        *u = *du = 0.0;
        return;
    }
    const double a = -(p + 1.0) * (p + 2.0) / 2.0, b = p * (p + 2.0), cc = -p * (p + 1.0) / 2.0;
    double xp2 = 1.0; /* x^(p-2) */
    for (int k = 0; k < p - 2; k++) xp2 *= x;
    const double xp1 = xp2 * x, xp = xp1 * x;
    *u = 1.0 / x + a * xp1 + b * xp + cc * xp * x;
    *du = -1.0 / (x * x) + a * (p - 1) * xp2 + b * p * xp1 + cc * (p + 1) * xp;
}

/* j_0..j_{S-1} and their derivatives at y > 0 (upward recurrence). */
static void sph_bessel(int S, double y, double *j, double *dj)
{
    const double s = sin(y), c = cos(y), inv = 1.0 / y;
    j[0] = s * inv;
    if (S > 1) j[1] = s * inv * inv - c * inv;
    for (int l = 1; l + 1 < S; l++) j[l + 1] = (2 * l + 1) * inv * j[l] - j[l - 1];
    const double j_S = S > 1 ? (2 * S - 1) * inv * j[S - 1] - j[S - 2] : s * inv * inv - c * inv;
    dj[0] = -(S > 1 ? j[1] : j_S);
    for (int l = 1; l < S; l++) dj[l] = j[l - 1] - (l + 1) * inv * j[l];
}

/* K_l P_l(x) and its derivative, l < S. */
static void legendre(int S, const double *K, double x, double *P, double *dP)
{
    double p0 = 1.0, p1 = x, d0 = 0.0, d1 = 1.0;
    for (int l = 0; l < S; l++) {
        double pl, dl;
        if (l == 0) pl = 1.0, dl = 0.0;
        else if (l == 1) pl = x, dl = 1.0;
        else {
            const int q = l - 1; /* (q+1) P_{q+1} = (2q+1) x P_q - q P_{q-1} */
            pl = ((2 * q + 1) * x * p1 - q * p0) / (q + 1);
            dl = ((2 * q + 1) * (p1 + x * d1) - q * d0) / (q + 1);
            p0 = p1, p1 = pl, d0 = d1, d1 = dl;
        }
        P[l] = K[l] * pl;
        dP[l] = K[l] * dl;
    }
}

void dc_dimenet_geom_forward(dn_geom *g, const dc_dimenet_graph *gr, const double *pos,
                             const float *freq, float *rbf, float *sbf)
{
    const int S = g->S, R = g->R, SR = S * R;
    const double c = g->cutoff;
    double jl[32], djl[32];
    for (int64_t e = 0; e < gr->n_edges; e++) {
        const double *ri = pos + 3 * (int64_t)gr->edge_i[e], *rj = pos + 3 * (int64_t)gr->edge_j[e];
        double *v = g->vec + 3 * e;
        for (int k = 0; k < 3; k++) v[k] = ri[k] - rj[k];
        const double d = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]), x = d / c;
        g->d[e] = d;
        double u, du;
        envelope(g->p, x, &u, &du);
        for (int n = 0; n < R; n++) {
            const double f = (double)freq[n], sn = sin(f * x), cs = cos(f * x);
            rbf[e * R + n] = (float)(u * sn);
            g->drbf[e * R + n] = (du * sn + u * f * cs) / c;
            g->rbf_f[e * R + n] = u * x * cs;
            g->rbf_fd[e * R + n] = (du * x * cs + u * cs - u * x * f * sn) / c;
        }
        for (int n = 0; n < R; n++) {
            /* column l R + n: the zeros differ per (l, n), so one Bessel sweep per n, all l */
            for (int l = 0; l < S; l++) {
                const double zz = g->z[l * R + n], y = zz * x;
                sph_bessel(l + 1, y, jl, djl);
                const double Nn = g->N[l * R + n];
                g->rad[e * SR + l * R + n] = u * Nn * jl[l];
                g->drad[e * SR + l * R + n] = (du * Nn * jl[l] + u * Nn * zz * djl[l]) / c;
            }
        }
    }
    for (int64_t t = 0; t < gr->n_triplets; t++) {
        const int64_t ji = gr->idx_ji[t], kj = gr->idx_kj[t];
        const double *uu = g->vec + 3 * ji, *w = g->vec + 3 * kj;
        const double du = g->d[ji], dw = g->d[kj];
        const double inv = 1.0 / (du * dw);
        const double cs = (uu[0] * w[0] + uu[1] * w[1] + uu[2] * w[2]) * inv;
        double *dc = g->dcos + 6 * t;
        for (int k = 0; k < 3; k++) {
            dc[k] = w[k] * inv - cs * uu[k] / (du * du);
            dc[3 + k] = uu[k] * inv - cs * w[k] / (dw * dw);
        }
        legendre(S, g->K, cs, g->ang + t * S, g->dang + t * S);
        const double *rad = g->rad + kj * SR, *ang = g->ang + t * S;
        for (int l = 0; l < S; l++)
            for (int n = 0; n < R; n++) sbf[t * SR + l * R + n] = (float)(rad[l * R + n] * ang[l]);
    }
}

void dc_dimenet_geom_forces(dn_geom *g, const dc_dimenet_graph *gr, const float *rbf_a,
                            const float *sbf_a, double *forces)
{
    const int S = g->S, R = g->R, SR = S * R;
    const int64_t E = gr->n_edges;
    for (int64_t e = 0; e < E; e++) {
        double s = 0.0;
        for (int n = 0; n < R; n++) s += (double)rbf_a[e * R + n] * g->drbf[e * R + n];
        g->dbar[e] = s;
    }
    memset(g->vbar, 0, 3 * (size_t)E * sizeof *g->vbar);
    for (int64_t t = 0; t < gr->n_triplets; t++) {
        const int64_t ji = gr->idx_ji[t], kj = gr->idx_kj[t];
        const double *rad = g->rad + kj * SR, *drad = g->drad + kj * SR;
        const double *ang = g->ang + t * S, *dang = g->dang + t * S;
        const float *a = sbf_a + t * SR;
        double dsum = 0.0, cbar = 0.0;
        for (int l = 0; l < S; l++)
            for (int n = 0; n < R; n++) {
                const double an = (double)a[l * R + n];
                dsum += an * ang[l] * drad[l * R + n];
                cbar += an * rad[l * R + n] * dang[l];
            }
        g->dbar[kj] += dsum;
        const double *dc = g->dcos + 6 * t;
        for (int k = 0; k < 3; k++) {
            g->vbar[3 * ji + k] += cbar * dc[k];
            g->vbar[3 * kj + k] += cbar * dc[3 + k];
        }
    }
    memset(forces, 0, 3 * (size_t)gr->n_atoms * sizeof *forces);
    for (int64_t e = 0; e < E; e++) {
        const double s = g->dbar[e] / g->d[e];
        double *fi = forces + 3 * (int64_t)gr->edge_i[e], *fj = forces + 3 * (int64_t)gr->edge_j[e];
        for (int k = 0; k < 3; k++) {
            const double vb = g->vbar[3 * e + k] + s * g->vec[3 * e + k];
            fi[k] += vb;
            fj[k] -= vb;
        }
    }
}

void dc_dimenet_geom_tangent(dn_geom *g, const dc_dimenet_graph *gr, const double *seed,
                             float *rbf_t, float *sbf_t)
{
    const int S = g->S, R = g->R, SR = S * R;
    for (int64_t e = 0; e < gr->n_edges; e++) {
        const double *gi = seed + 3 * (int64_t)gr->edge_i[e];
        const double *gj = seed + 3 * (int64_t)gr->edge_j[e];
        double *vt = g->vt + 3 * e;
        const double *v = g->vec + 3 * e;
        for (int k = 0; k < 3; k++) vt[k] = gi[k] - gj[k];
        g->dt[e] = (v[0] * vt[0] + v[1] * vt[1] + v[2] * vt[2]) / g->d[e];
        for (int n = 0; n < R; n++) rbf_t[e * R + n] = (float)(g->drbf[e * R + n] * g->dt[e]);
    }
    for (int64_t t = 0; t < gr->n_triplets; t++) {
        const int64_t ji = gr->idx_ji[t], kj = gr->idx_kj[t];
        const double *dc = g->dcos + 6 * t, *vu = g->vt + 3 * ji, *vw = g->vt + 3 * kj;
        double ct = 0.0;
        for (int k = 0; k < 3; k++) ct += dc[k] * vu[k] + dc[3 + k] * vw[k];
        const double *rad = g->rad + kj * SR, *drad = g->drad + kj * SR;
        const double *ang = g->ang + t * S, *dang = g->dang + t * S, ddt = g->dt[kj];
        for (int l = 0; l < S; l++)
            for (int n = 0; n < R; n++)
                sbf_t[t * SR + l * R + n] =
                    (float)(drad[l * R + n] * ddt * ang[l] + rad[l * R + n] * dang[l] * ct);
    }
}

void dc_dimenet_geom_freq_grad(const dn_geom *g, const dc_dimenet_graph *gr, const float *a0,
                               const float *a1, float *grad)
{
    const int R = g->R;
    double acc[64] = {0};
    for (int64_t e = 0; e < gr->n_edges; e++)
        for (int n = 0; n < R; n++)
            acc[n] += (double)a0[e * R + n] * g->rbf_f[e * R + n] +
                      (double)a1[e * R + n] * g->rbf_fd[e * R + n] * g->dt[e];
    for (int n = 0; n < R; n++) grad[n] = (float)acc[n];
}
