/* The task section of the sweep file (docs/sweep-format.md): which model family a sweep trains
 * (task.kind) and, for the advection PINN (docs/pinn.md), its equation, initial condition, points,
 * loss weights and network size. Each family has keys the other does not read; such a key in a
 * sweep of the other family is an error naming it, so that a setting never passes silently
 * unused (a dataset in an advection sweep, model.width in a SchNet sweep). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"

static const char *const kind_names[DC_N_TASK_KINDS] = {"schnet", "advection"};

const char *dc_task_kind_name(dc_task_kind k)
{
    return (unsigned)k < DC_N_TASK_KINDS ? kind_names[k] : "?";
}

int dc_task_kind_parse(const char *s, dc_task_kind *out)
{
    for (int i = 0; s && i < DC_N_TASK_KINDS; i++)
        if (strcmp(s, kind_names[i]) == 0) {
            *out = (dc_task_kind)i;
            return 0;
        }
    return -1;
}

/* The keys (or whole groups) only one family reads. */
static const struct {
    const char *key;
    dc_task_kind kind;
} owned[] = {
    {"dataset", DC_TASK_SCHNET},
    {"model.features", DC_TASK_SCHNET},
    {"model.filters", DC_TASK_SCHNET},
    {"model.interactions", DC_TASK_SCHNET},
    {"model.gaussians", DC_TASK_SCHNET},
    {"model.cutoff", DC_TASK_SCHNET},
    {"train.batch_size", DC_TASK_SCHNET},     /* a PINN step is the full batch */
    {"train.force_weight", DC_TASK_SCHNET},
    {"train.loss", DC_TASK_SCHNET},           /* the PINN's loss is mean squared by definition */
    {"train.eval_batch_size", DC_TASK_SCHNET},
    {"task.beta", DC_TASK_ADVECTION},
    {"task.t_end", DC_TASK_ADVECTION},
    {"task.ic_seed", DC_TASK_ADVECTION},
    {"task.n_interior", DC_TASK_ADVECTION},
    {"task.n_initial", DC_TASK_ADVECTION},
    {"task.n_boundary", DC_TASK_ADVECTION},
    {"task.w_residual", DC_TASK_ADVECTION},
    {"task.w_initial", DC_TASK_ADVECTION},
    {"task.w_boundary", DC_TASK_ADVECTION},
    {"model.width", DC_TASK_ADVECTION},
    {"model.depth", DC_TASK_ADVECTION},
};

/* The first key of another family present in the file, as an error. */
static int check_owned(dc_config_ctx *c, dc_task_kind kind)
{
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
        if (owned[i].kind == kind) continue;
        const config_setting_t *s = config_lookup(&c->cfg, owned[i].key);
        if (s)
            return dc_config_fail(c, owned[i].key, s,
                                  "only used with task.kind = \"%s\" (this sweep's task.kind is \"%s\")",
                                  kind_names[owned[i].kind], kind_names[kind]);
    }
    return DC_OK;
}

/* The largest point count: a point costs a few hundred bytes of engine workspace per unit of
 * width, so this keeps a typo from asking for terabytes. */
#define MAX_POINTS 10000000

/* The metrics evaluate at the last DC_PINN_EVAL_NT = 20 output times, 0.01 apart (docs/pinn.md),
 * which must lie in [0, T]. */
#define MIN_T_END 0.19

/* The engine holds every point at once (the point-based family's engine: per point and hidden layer
 * 5 width floats, plus 4 width floats of adjoints), so the counts that fit each bound can still ask
 * for terabytes together with the network: the workspace is bounded too, at 8 GiB (the paper's 7000
 * points at width 40, depth 6 take 38 MB). The largest count is named: it is the likeliest typo. */
#define MAX_WORKSPACE_BYTES (8.0 * 1024 * 1024 * 1024)

static int check_workspace(dc_config_ctx *c, const dc_task_config *t, const dc_model_config *m)
{
    const double points = (double)t->n_interior + t->n_initial + 2.0 * t->n_boundary;
    const double bytes = 4.0 * points * m->width * (5.0 * m->depth + 4.0);
    if (bytes <= MAX_WORKSPACE_BYTES) return DC_OK;
    const char *key = "task.n_interior";
    int most = t->n_interior;
    if (t->n_initial > most) key = "task.n_initial", most = t->n_initial;
    if (t->n_boundary > most) key = "task.n_boundary", most = t->n_boundary;
    return dc_config_fail(c, key, config_lookup(&c->cfg, key),
                          "%d interior + %d initial + 2 x %d boundary points at width %d, depth %d "
                          "need %.1f GiB of engine workspace (at most 8 GiB): use fewer points or a "
                          "smaller network", t->n_interior, t->n_initial, t->n_boundary, m->width,
                          m->depth, bytes / (1024.0 * 1024 * 1024));
}

static int read_advection(dc_config_ctx *c, dc_task_config *t, dc_model_config *m)
{
    int rc = DC_OK;
    DC_TRY(dc_config_read_double(c, "task.beta", 0.1, -INFINITY, 0, INFINITY, &t->beta));
    DC_TRY(dc_config_read_double(c, "task.t_end", 2.0, 0, 1, INFINITY, &t->t_end));
    if (t->t_end < MIN_T_END)
        DC_TRY(dc_config_fail(c, "task.t_end", config_lookup(&c->cfg, "task.t_end"),
                              "value %g must be >= %g (the metrics are taken at the last 20 times "
                              "T - 0.19 .. T, 0.01 apart)", t->t_end, MIN_T_END));
    DC_TRY(dc_config_read_int64(c, "task.ic_seed", 0, 0, INT64_MAX, &t->ic_seed));
    DC_TRY(dc_config_read_int(c, "task.n_interior", 1000, 0, MAX_POINTS, &t->n_interior));
    /* the initial values are the labels that the rescaling statistics come from */
    DC_TRY(dc_config_read_int(c, "task.n_initial", 5000, 1, MAX_POINTS, &t->n_initial));
    DC_TRY(dc_config_read_int(c, "task.n_boundary", 1000, 0, MAX_POINTS, &t->n_boundary));
    DC_TRY(dc_config_read_double(c, "task.w_residual", 1.0, 0, 0, INFINITY, &t->w_residual));
    DC_TRY(dc_config_read_double(c, "task.w_initial", 1.0, 0, 0, INFINITY, &t->w_initial));
    DC_TRY(dc_config_read_double(c, "task.w_boundary", 1.0, 0, 0, INFINITY, &t->w_boundary));
    if (!(t->w_residual + t->w_initial + t->w_boundary > 0))
        DC_TRY(dc_config_fail(c, "task.w_residual", config_lookup(&c->cfg, "task"),
                              "the loss weights are all 0 (nothing to train)"));
    DC_TRY(dc_config_read_int(c, "model.width", 40, 1, 65536, &m->width));
    DC_TRY(dc_config_read_int(c, "model.depth", 6, 1, 32, &m->depth));
    DC_TRY(check_workspace(c, t, m));
cleanup:
    return rc;
}

int dc_config_read_task(dc_config_ctx *c, dc_task_config *t, dc_model_config *m)
{
    int rc = DC_OK, v = 0;
    memset(t, 0, sizeof *t);
    DC_TRY(dc_config_read_choice(c, "task.kind", DC_TASK_SCHNET, kind_names, DC_N_TASK_KINDS, &v));
    t->kind = (dc_task_kind)v;
    DC_TRY(check_owned(c, t->kind));
    if (t->kind == DC_TASK_ADVECTION) DC_TRY(read_advection(c, t, m));
cleanup:
    return rc;
}
