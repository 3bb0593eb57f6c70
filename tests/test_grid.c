/* Grid expansion: counts, the documented seed-major order, extent none once per (rescaling, seed),
 * no duplicate runs in the shipped sweeps/full.cfg. */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "dcsweep/config/grid.h"
#include "dcsweep/model/model.h"

static int same_run(const dc_run *a, const dc_run *b)
{
    int same_scale = (isnan(a->irelu_scale) && isnan(b->irelu_scale)) || a->irelu_scale == b->irelu_scale;
    return same_scale && a->extent == b->extent && a->rescaling == b->rescaling && a->seed == b->seed;
}

static void check_unique(const dc_grid *g, const char *what)
{
    int dups = 0;
    for (int i = 0; i < g->n_runs; i++)
        for (int j = 0; j < i; j++) dups += same_run(&g->runs[i], &g->runs[j]);
    CHECK(dups == 0, "%s: %d duplicate runs", what, dups);
    for (int i = 0; i < g->n_runs; i++) {
        CHECK(g->runs[i].index == i, "%s: run %d has index %d", what, i, g->runs[i].index);
        int none = g->runs[i].extent == DC_EXTENT_NONE;
        CHECK(none == isnan(g->runs[i].irelu_scale), "%s: run %d: NaN scale iff extent none", what, i);
    }
}

static void test_order(void)
{
    double scales[2] = {0.5, 1.0};
    dc_extent extents[3] = {DC_EXTENT_NONE, DC_EXTENT_FULL, DC_EXTENT_OUTPUT};
    dc_rescaling rescalings[2] = {DC_RESCALE_POWER10, DC_RESCALE_STANDARD};
    int64_t seeds[2] = {0, 7};
    dc_grid_config cfg = {scales, 2, extents, 3, rescalings, 2, seeds, 2};
    dc_grid g;
    dc_error err = {0};
    int rc = dc_grid_expand(&g, &cfg, &err);
    CHECK(rc == DC_OK, "%s", err.message);
    /* (1 none + 2 full + 2 output) x 2 rescalings x 2 seeds */
    CHECK(g.n_runs == 20, "n_runs %d", g.n_runs);
    if (g.n_runs != 20) goto done;
    dc_run want[20];
    int k = 0;
    for (int s = 0; s < 2; s++)
        for (int r = 0; r < 2; r++) {
            want[k++] = (dc_run){0, NAN, DC_EXTENT_NONE, rescalings[r], seeds[s]};
            for (int e = 1; e < 3; e++)
                for (int c = 0; c < 2; c++)
                    want[k++] = (dc_run){0, scales[c], extents[e], rescalings[r], seeds[s]};
        }
    for (int i = 0; i < 20; i++) {
        dc_run w = want[i];
        CHECK(same_run(&g.runs[i], &w), "run %d: (%g, %s, %s, %lld), want (%g, %s, %s, %lld)", i,
              g.runs[i].irelu_scale, dc_extent_name(g.runs[i].extent),
              dc_rescaling_name(g.runs[i].rescaling), (long long)g.runs[i].seed, w.irelu_scale,
              dc_extent_name(w.extent), dc_rescaling_name(w.rescaling), (long long)w.seed);
    }
    /* Seed-major: the first half is seed 0, a complete replicate. */
    for (int i = 0; i < 10; i++) CHECK(g.runs[i].seed == 0 && g.runs[i + 10].seed == 7, "seed-major at %d", i);
    check_unique(&g, "order grid");
done:
    dc_grid_free(&g);
    CHECK(g.runs == NULL && g.n_runs == 0, "free zeroes");

    /* Only extent none: the scales collapse to one run per (rescaling, seed). */
    dc_extent only_none[1] = {DC_EXTENT_NONE};
    dc_grid_config none_cfg = {scales, 2, only_none, 1, rescalings, 2, seeds, 2};
    rc = dc_grid_expand(&g, &none_cfg, &err);
    CHECK(rc == DC_OK && g.n_runs == 4, "none only: %d runs", g.n_runs);
    dc_grid_free(&g);

    /* An empty factor is an input error, not an empty grid. */
    dc_grid_config empty = {scales, 2, extents, 3, rescalings, 2, seeds, 0};
    rc = dc_grid_expand(&g, &empty, &err);
    CHECK(rc == DC_ERR_INPUT, "empty seeds: rc %d", rc);
    CHECK(strcmp(err.message, "grid: no runs (every factor needs at least one value)") == 0, "%s",
          err.message);
    dc_grid_free(&g);
}

/* The shipped full factorial, with the data paths pointed at the test fixtures so that only the
 * grid matters here (tests/sweeps_plan.sh plans the shipped files as they are). */
static void test_full_cfg(void)
{
    const char *src = getenv("DC_SOURCE_DIR");
    char path[4200], file[4300], test[4300];
    snprintf(path, sizeof path, "%s/sweeps/full.cfg", src ? src : ".");
    snprintf(file, sizeof file, "dataset.file=%s/tests/data/sweeps/water12.xyz", src ? src : ".");
    snprintf(test, sizeof test, "dataset.test=%s/tests/data/sweeps/water4.xyz", src ? src : ".");
    dc_override ov[2] = {{file}, {test}};
    dc_sweep s;
    dc_grid g = {0};
    dc_error err = {0};
    int rc = dc_sweep_load(&s, path, ov, 2, dc_model_families(), &err);
    CHECK(rc == DC_OK, "full.cfg: %s", err.message);
    if (rc == DC_OK) rc = dc_grid_expand(&g, &s.grid, &err);
    CHECK(rc == DC_OK, "expand: %s", err.message);
    if (rc == DC_OK) {
        const dc_grid_config *c = &s.grid;
        CHECK(c->n_irelu_scale == 5 && c->n_extent == 3 && c->n_rescaling == 5 && c->n_seeds == 3,
              "full.cfg factors");
        CHECK(g.n_runs == 165, "full.cfg: %d runs, want (5 x 2 + 1) x 5 x 3 = 165", g.n_runs);
        check_unique(&g, "full.cfg");
        /* extent none exactly once per (rescaling, seed) */
        for (int r = 0; r < c->n_rescaling; r++)
            for (int k = 0; k < c->n_seeds; k++) {
                int n = 0;
                for (int i = 0; i < g.n_runs; i++)
                    n += g.runs[i].extent == DC_EXTENT_NONE && g.runs[i].rescaling == c->rescaling[r] &&
                         g.runs[i].seed == c->seeds[k];
                CHECK(n == 1, "extent none %d times for rescaling %s seed %lld", n,
                      dc_rescaling_name(c->rescaling[r]), (long long)c->seeds[k]);
            }
    }
    dc_grid_free(&g);
    dc_sweep_free(&s);
}

int main(void)
{
    test_order();
    test_full_cfg();
    return check_finish();
}
