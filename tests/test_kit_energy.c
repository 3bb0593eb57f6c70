/* The kit's energy driver (dc_energy_forces, dc_energy_grad in src/model/kit/dc_op.h) on a small
 * energy model of its own, not SchNet: pair distances -> Gaussian basis -> dense -> SiLU, times a
 * cosine cutoff, summed onto atoms, plus a per-type embedding -> tanh -> dense -> molecule sums.
 *   (a) forces against central differences of the energy in every coordinate;
 *   (b) the gradient of S = sum_b w_b E_b - D_g E against differences of S in every parameter
 *       (D_g E = -g . F from the force pass, at frozen w and g);
 *   (c) the reuse of the force adjoints: the same gradient from a full reverse over both planes
 *       seeded with (w, -1), which computes the tangent adjoints instead of reusing them;
 *   (d) the check for free: sum_b E'_b = -g . F. */
#include "check.h"
#include "dc_op.h"

#define NA 5
#define NE 8
#define NB 2
#define G 4
#define C 3

static const int TYPES[NA] = {0, 1, 1, 0, 1}, MOL[NA] = {0, 0, 0, 1, 1};
static const int DST[NE] = {0, 0, 1, 1, 2, 2, 3, 4}, SRC[NE] = {1, 2, 0, 2, 0, 1, 4, 3};
static const double MU[G] = {0.5, 1.2, 1.9, 2.6};

typedef struct model {
    dc_sched s;
    int pos, energy;
} model;

/* Parameters: W1 [C][G] at 0, b1 [C] at 12, emb [2][C] at 15, W2 [1][C] at 21, b2 [1] at 24. */
#define NP 25

static void build(model *m)
{
    dc_sched *s = &m->s;
    dc_sched_init(s, 1);
    m->pos = dc_sched_input(s, "pos", NA, 3);
    int ri = dc_sched_gather(s, "ri", m->pos, DST, NE);
    int rj = dc_sched_gather(s, "rj", m->pos, SRC, NE);
    int v = dc_sched_add(s, "v", ri, 1.0, rj, -1.0);
    int d = dc_sched_sqrt(s, "d", dc_sched_row_sum(s, "d2", dc_sched_mul(s, "vv", v, v)));
    int rbf = dc_sched_gauss_rbf(s, "rbf", d, MU, G, 0.9);
    int fc = dc_sched_cos_cutoff(s, "fc", d, 4.0);
    int a = dc_sched_dense(s, "a", rbf, dc_sched_param(s, "W1", 0, C, G),
                           dc_sched_param(s, "b1", 12, C, 1));
    int f = dc_sched_mul(s, "f", dc_sched_act(s, "silu", a, (dc_act){.kind = DC_ACT_SILU}), fc);
    int atom = dc_sched_scatter_add(s, "atom", f, DST, NA);
    int emb = dc_sched_embed(s, "emb", dc_sched_param(s, "emb", 15, 2, C), TYPES, NA);
    int h = dc_sched_add(s, "h", atom, 1.0, emb, 1.0);
    int t = dc_sched_act(s, "tanh", h, (dc_act){.kind = DC_ACT_TANH});
    int e = dc_sched_dense(s, "e", t, dc_sched_param(s, "W2", 21, 1, C),
                           dc_sched_param(s, "b2", 24, 1, 1));
    m->energy = dc_sched_scatter_add(s, "E", e, MOL, NB);
}

static double energy_sum(model *m, const double *p, const double *pos)
{
    double E[NB];
    dc_energy_forces(&m->s, m->pos, m->energy, p, pos, E, NULL);
    return E[0] + E[1];
}

/* S at p: sum_b w_b E_b + g . F */
static double S_of(model *m, const double *p, const double *pos, const double *w, const double *g)
{
    double E[NB], F[3 * NA], S = 0.0;
    dc_energy_forces(&m->s, m->pos, m->energy, p, pos, E, F);
    for (int b = 0; b < NB; b++) S += w[b] * E[b];
    for (int q = 0; q < 3 * NA; q++) S += g[q] * F[q];
    return S;
}

int main(void)
{
    model m;
    dc_error err = {0};
    build(&m);
    CHECK(dc_sched_alloc(&m.s, &err) == DC_OK, "alloc: %s", err.message);
    CHECK(m.s.n_params == NP, "n_params %lld", (long long)m.s.n_params);
    double p[NP], pos[3 * NA], w[NB] = {0.7, -1.3}, g[3 * NA], E[NB], F[3 * NA];
    unsigned x = 12345;
    for (int k = 0; k < NP; k++) p[k] = ((x = x * 1103515245u + 12345u) >> 8) / 16777216.0 - 0.5;
    for (int q = 0; q < 3 * NA; q++) {
        pos[q] = 2.0 * (((x = x * 1103515245u + 12345u) >> 8) / 16777216.0);
        g[q] = ((x = x * 1103515245u + 12345u) >> 8) / 16777216.0 - 0.5;
    }
    const double h = 1e-5;

    /* (a) */
    dc_energy_forces(&m.s, m.pos, m.energy, p, pos, E, F);
    double worst = 0.0;
    for (int q = 0; q < 3 * NA; q++) {
        double r[3 * NA];
        memcpy(r, pos, sizeof r);
        r[q] = pos[q] + h;
        const double ep = energy_sum(&m, p, r);
        r[q] = pos[q] - h;
        const double em = energy_sum(&m, p, r);
        const double fd = -(ep - em) / (2 * h);
        worst = fmax(worst, fabs(F[q] - fd) / fmax(1.0, fabs(fd)));
    }
    CHECK(worst <= 1e-8, "(a) forces vs differences: %.3g", worst);
    printf("(a) forces vs differences of E: worst %.2g\n", worst);

    /* (b) */
    double grad[NP], full[NP];
    dc_energy_forces(&m.s, m.pos, m.energy, p, pos, E, F);
    dc_energy_grad(&m.s, m.pos, m.energy, p, w, g, grad);
    /* (d) while the tangent plane is there */
    double et = 0.0, gf = 0.0;
    for (int b = 0; b < NB; b++) et += m.s.bufs[m.energy].val[1][b];
    for (int q = 0; q < 3 * NA; q++) gf += g[q] * F[q];
    CHECK(fabs(et + gf) <= 1e-12 * fmax(1.0, fabs(gf)), "(d) sum E' %.17g, -g.F %.17g", et, -gf);
    worst = 0.0;
    for (int k = 0; k < NP; k++) {
        double q[NP];
        memcpy(q, p, sizeof q);
        q[k] = p[k] + h;
        const double sp = S_of(&m, q, pos, w, g);
        q[k] = p[k] - h;
        const double sm = S_of(&m, q, pos, w, g);
        const double fd = (sp - sm) / (2 * h);
        worst = fmax(worst, fabs(grad[k] - fd) / fmax(1.0, fabs(fd)));
    }
    CHECK(worst <= 1e-8, "(b) grad of S vs differences: %.3g", worst);
    printf("(b) grad of S vs differences: worst %.2g\n", worst);

    /* (c) */
    dc_sched_bind(&m.s, p, NULL);
    memcpy(m.s.bufs[m.pos].val[0], pos, sizeof pos);
    memcpy(m.s.bufs[m.pos].val[1], g, sizeof g);
    dc_sched_forward(&m.s, 0);
    dc_sched_forward(&m.s, 1);
    dc_sched_zero_adj(&m.s, 1);
    for (int b = 0; b < NB; b++) {
        m.s.bufs[m.energy].adj[0][b] = w[b];
        m.s.bufs[m.energy].adj[1][b] = -1.0;
    }
    memset(full, 0, sizeof full);
    dc_sched_bind(&m.s, p, full);
    dc_sched_reverse(&m.s, 1, 1);
    worst = 0.0;
    for (int k = 0; k < NP; k++)
        worst = fmax(worst, fabs(grad[k] - full[k]) / fmax(1.0, fabs(full[k])));
    CHECK(worst <= 1e-13, "(c) reused vs computed tangent adjoints: %.3g", worst);
    printf("(c) reused vs computed tangent adjoints: worst %.2g; (d) sum E' + g.F = %.2g\n", worst,
           et + gf);
    dc_sched_free(&m.s);
    return check_finish();
}
