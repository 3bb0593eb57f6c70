/* The one batch check of both SchNet engines (src/model/schnet/schnet_common.c): a valid batch
 * passes, and every broken rule (an edge without its reverse, a duplicate, a self edge, an edge
 * between molecules, edges out of order, molecules out of order, an index out of range, two atoms
 * at one place) is refused by the float engine and by the reference alike, with the same
 * message. The engine takes one filter per atom pair, so a one-way edge must never reach it. */
#include <stdint.h>

#include "check.h"
#include "dcsweep/model/schnet.h"

#define N_ATOMS 7
#define MAX_EDGES 64

typedef struct fixture {
    int types[N_ATOMS], mol[N_ATOMS], src[MAX_EDGES], dst[MAX_EDGES];
    double pos[3 * N_ATOMS], energy[2], forces[3 * N_ATOMS];
    dc_batch b;
} fixture;

static const dc_schnet_shape SHAPE = {.n_types = 3, .features = 6, .filters = 5,
                                      .interactions = 2, .gaussians = 7, .cutoff = 3.0};

/* Two molecules (atoms 0-3 and 4-6) on a line 1 A apart: every pair within a molecule closer
 * than 3 A except (0, 3), so atom 0 and 3 have fewer neighbours than the others. */
static void make(fixture *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; i < N_ATOMS; i++) {
        f->types[i] = i % 3;
        f->mol[i] = i < 4 ? 0 : 1;
        f->pos[3 * i] = (double)i;
        f->pos[3 * i + 1] = 0.1 * (double)(i % 2);
    }
    f->b = (dc_batch){.n_mol = 2, .n_atoms = N_ATOMS, .n_edges = check_brute_edges(
                          N_ATOMS, f->mol, f->pos, SHAPE.cutoff, f->src, f->dst),
                      .types = f->types, .mol = f->mol, .pos = f->pos, .src = f->src,
                      .dst = f->dst, .energy_target = f->energy, .force_target = f->forces};
}

/* Removes the edge j -> i. */
static void drop_edge(fixture *f, int j, int i)
{
    int64_t k = 0;
    for (int64_t e = 0; e < f->b.n_edges; e++)
        if (!(f->dst[e] == i && f->src[e] == j)) {
            f->dst[k] = f->dst[e];
            f->src[k++] = f->src[e];
        }
    f->b.n_edges = k;
}

/* Both engines on f; returns the engine's code and checks that the reference agrees. */
static int both(dc_schnet *eng, const float *pf, const double *pd, const fixture *f,
                const char *what, const char *expect)
{
    dc_error e1 = {0}, e2 = {0};
    double energy[2], forces[3 * N_ATOMS];
    const dc_activation act = {.extent = DC_EXTENT_FULL, .irelu_scale = 0.5};
    int rc1 = dc_schnet_predict(eng, &act, pf, &f->b, energy, forces, &e1);
    int rc2 = dc_schnet_ref_eval(&SHAPE, &act, pd, &f->b, NULL, energy, forces, NULL, NULL, &e2);
    CHECK(rc1 == rc2, "%s: engine %d, reference %d (%s | %s)", what, rc1, rc2, e1.message,
          e2.message);
    if (rc1 != DC_OK) {
        CHECK(strcmp(e1.message, e2.message) == 0, "%s: messages differ: '%s' vs '%s'", what,
              e1.message, e2.message);
        CHECK(expect && strstr(e1.message, expect), "%s: message '%s' lacks '%s'", what,
              e1.message, expect ? expect : "");
        printf("%-28s %s\n", what, e1.message);
    }
    return rc1;
}

int main(void)
{
    dc_error err = {0};
    dc_schnet_layout layout;
    CHECK(dc_schnet_layout_init(&layout, &SHAPE, &err) == DC_OK, "layout: %s", err.message);
    float *pf = calloc((size_t)layout.n_params, sizeof *pf);
    double *pd = calloc((size_t)layout.n_params, sizeof *pd);
    dc_schnet_init_params(&layout, 5, pf);
    for (int64_t k = 0; k < layout.n_params; k++) pd[k] = pf[k];
    dc_schnet *eng = NULL;
    CHECK(dc_schnet_create(&eng, &SHAPE, 2, N_ATOMS, MAX_EDGES, &err) == DC_OK, "create: %s",
          err.message);
    if (!eng) return check_finish();

    fixture f;
    make(&f);
    CHECK(f.b.n_edges == 2 * (6 - 1 + 3), "fixture has %lld edges", (long long)f.b.n_edges);
    CHECK(both(eng, pf, pd, &f, "valid", NULL) == DC_OK, "a valid batch is refused");

    /* One direction only: 2 -> 1 dropped (1 -> 2 kept), then 1 -> 2 dropped. */
    make(&f);
    drop_edge(&f, 2, 1);
    CHECK(both(eng, pf, pd, &f, "missing reverse (2 -> 1)", "no reverse") == DC_ERR_INPUT,
          "an edge without its reverse is accepted");
    make(&f);
    drop_edge(&f, 1, 2);
    CHECK(both(eng, pf, pd, &f, "missing reverse (1 -> 2)", "no reverse") == DC_ERR_INPUT,
          "an edge without its reverse is accepted");
    /* An edge twice (both copies with their reverse: counts still even). */
    make(&f);
    {
        int64_t n = f.b.n_edges, k = 0;
        int s2[MAX_EDGES], d2[MAX_EDGES];
        for (int64_t e = 0; e < n; e++) {
            s2[k] = f.src[e];
            d2[k++] = f.dst[e];
            if (f.dst[e] == 0 && f.src[e] == 1) { s2[k] = 1; d2[k++] = 0; }
            if (f.dst[e] == 1 && f.src[e] == 0) { s2[k] = 0; d2[k++] = 1; }
        }
        memcpy(f.src, s2, sizeof s2);
        memcpy(f.dst, d2, sizeof d2);
        f.b.n_edges = k;
    }
    CHECK(both(eng, pf, pd, &f, "duplicate edge", "twice") == DC_ERR_INPUT,
          "a duplicate edge is accepted");
    /* A self edge, an edge between molecules, an index out of range. */
    make(&f);
    f.src[0] = f.dst[0];
    CHECK(both(eng, pf, pd, &f, "self edge", "not two different atoms") == DC_ERR_INPUT,
          "a self edge is accepted");
    make(&f);
    f.src[0] = 5;
    CHECK(both(eng, pf, pd, &f, "edge between molecules", "one molecule") == DC_ERR_INPUT,
          "an edge between molecules is accepted");
    make(&f);
    f.src[3] = N_ATOMS;
    CHECK(both(eng, pf, pd, &f, "index out of range", "out of range") == DC_ERR_INPUT,
          "an atom index out of range is accepted");
    /* Edges not grouped by destination; molecules out of order. */
    make(&f);
    {
        int t = f.dst[0];
        f.dst[0] = f.dst[f.b.n_edges - 1];
        f.dst[f.b.n_edges - 1] = t;
        t = f.src[0];
        f.src[0] = f.src[f.b.n_edges - 1];
        f.src[f.b.n_edges - 1] = t;
    }
    CHECK(both(eng, pf, pd, &f, "edges out of order", "not sorted") == DC_ERR_INPUT,
          "edges out of order are accepted");
    make(&f);
    f.mol[6] = 0;
    CHECK(both(eng, pf, pd, &f, "molecules out of order", "out of order") == DC_ERR_INPUT,
          "molecules out of order are accepted");
    make(&f);
    f.types[2] = 3;
    CHECK(both(eng, pf, pd, &f, "type out of range", "type 3") == DC_ERR_INPUT,
          "a type out of range is accepted");
    /* Two atoms at one place (a valid, symmetric list). */
    make(&f);
    for (int k = 0; k < 3; k++) f.pos[3 * 1 + k] = f.pos[3 * 2 + k];
    CHECK(both(eng, pf, pd, &f, "coinciding atoms", "coincide") == DC_ERR_INPUT,
          "coinciding atoms are accepted");
    /* After all of that, the valid batch still gives the same bits as the first time. */
    make(&f);
    CHECK(both(eng, pf, pd, &f, "valid again", NULL) == DC_OK, "a valid batch is refused");

    dc_schnet_destroy(eng);
    free(pf);
    free(pd);
    return check_finish();
}
