/* The advection PINN's sweep keys (config/family.h; docs/pinn.md, docs/sweep-format.md): its
 * equation, initial-condition seed, collocation points, loss weights and MLP, and the checks
 * across them. */
#include <math.h>

#include "dcsweep/model/pinn.h"

/* The largest point count: a point costs a few hundred bytes of engine workspace per unit of
 * width, so this keeps a typo from asking for terabytes. */
#define MAX_POINTS 1e7

/* The metrics evaluate at the last DC_PINN_EVAL_NT = 20 output times, 0.01 apart (docs/pinn.md),
 * which must lie in [0, T]. */
#define MIN_T_END 0.19

/* The engine holds every point at once (per point and hidden layer 5 width floats, plus 4 width
 * floats of adjoints), so the counts that fit each bound can still ask for terabytes together with
 * the network: the workspace is bounded too, at 8 GiB (the paper's 7000 points at width 40, depth
 * 6 take 38 MB). */
#define MAX_WORKSPACE_BYTES (8.0 * 1024 * 1024 * 1024)

static const dc_family_key keys[] = {
    {"task.beta", DC_FKEY_DOUBLE, 0.1, -INFINITY, INFINITY, 0, NULL, 0}, /* advection speed of u_t + beta u_x = 0 */
    {"task.t_end", DC_FKEY_DOUBLE, 2.0, 0, INFINITY, 1, NULL, 0}, /* T: t in [0, T] */
    {"task.ic_seed", DC_FKEY_INT64, 0, 0, 9.3e18, 0, NULL, 0}, /* the initial condition drawn for every run */
    {"task.n_interior", DC_FKEY_INT, 1000, 0, MAX_POINTS, 0, NULL, 0}, /* interior collocation points N_r */
    /* the initial values are the labels that the rescaling statistics come from */
    {"task.n_initial", DC_FKEY_INT, 5000, 1, MAX_POINTS, 0, NULL, 0}, /* initial-condition points N_0 */
    {"task.n_boundary", DC_FKEY_INT, 1000, 0, MAX_POINTS, 0, NULL, 0}, /* periodic boundary point pairs N_b */
    {"task.w_residual", DC_FKEY_DOUBLE, 1.0, 0, INFINITY, 0, NULL, 0}, /* weight of the residual loss */
    {"task.w_initial", DC_FKEY_DOUBLE, 1.0, 0, INFINITY, 0, NULL, 0}, /* weight of the initial-condition loss */
    {"task.w_boundary", DC_FKEY_DOUBLE, 1.0, 0, INFINITY, 0, NULL, 0}, /* weight of the boundary loss */
    {"model.width", DC_FKEY_INT, 40, 1, 65536, 0, NULL, 0}, /* units per hidden layer */
    {"model.depth", DC_FKEY_INT, 6, 1, 32, 0, NULL, 0}, /* hidden layers */
};

/* The order of the hash's lines since the family was added: fixed (family.h). */
static const char *const dump[] = {
    "task.kind", "task.beta", "task.t_end", "task.ic_seed", "task.n_interior", "task.n_initial",
    "task.n_boundary", "task.w_residual", "task.w_initial", "task.w_boundary", "model.width",
    "model.depth", "train.epochs", "train.learning_rate", "train.weight_decay",
};

static int check(dc_config_ctx *c, const dc_sweep *s)
{
    const double t_end = dc_sweep_double(s, "task.t_end", NULL);
    if (t_end < MIN_T_END)
        return dc_config_key_fail(c, "task.t_end", "value %g must be >= %g (the metrics are taken at the "
                                  "last 20 times T - 0.19 .. T, 0.01 apart)", t_end, MIN_T_END);
    if (!(dc_sweep_double(s, "task.w_residual", NULL) + dc_sweep_double(s, "task.w_initial", NULL) +
              dc_sweep_double(s, "task.w_boundary", NULL) > 0))
        return dc_config_key_fail(c, "task.w_residual", "the loss weights are all 0 (nothing to train)");
    const int n_interior = (int)dc_sweep_int(s, "task.n_interior", NULL);
    const int n_initial = (int)dc_sweep_int(s, "task.n_initial", NULL);
    const int n_boundary = (int)dc_sweep_int(s, "task.n_boundary", NULL);
    const int width = (int)dc_sweep_int(s, "model.width", NULL), depth = (int)dc_sweep_int(s, "model.depth", NULL);
    const double points = (double)n_interior + n_initial + 2.0 * n_boundary;
    const double bytes = 4.0 * points * width * (5.0 * depth + 4.0);
    if (bytes <= MAX_WORKSPACE_BYTES) return DC_OK;
    /* the largest count is named: it is the likeliest typo */
    const char *key = "task.n_interior";
    int most = n_interior;
    if (n_initial > most) key = "task.n_initial", most = n_initial;
    if (n_boundary > most) key = "task.n_boundary";
    return dc_config_key_fail(c, key, "%d interior + %d initial + 2 x %d boundary points at width %d, depth %d "
                              "need %.1f GiB of engine workspace (at most 8 GiB): use fewer points or a "
                              "smaller network", n_interior, n_initial, n_boundary, width, depth,
                              bytes / (1024.0 * 1024 * 1024));
}

const dc_family dc_pinn_family = {
    .kind = "advection",
    .keys = keys,
    .n_keys = sizeof keys / sizeof keys[0],
    .dump = dump,
    .n_dump = sizeof dump / sizeof dump[0],
    /* a PINN epoch is one full-batch step: the paper's 15000 steps at 1e-3 */
    .default_epochs = 15000,
    .default_learning_rate = 1e-3,
    /* its points are its data: the loss is the only validation value */
    .monitors = {"loss"},
    .n_monitors = 1,
    .check = check,
};

void dc_pinn_task_from_sweep(dc_pinn_task *task, const dc_sweep *sweep)
{
    *task = (dc_pinn_task){
        .beta = dc_sweep_double(sweep, "task.beta", NULL),
        .t_end = dc_sweep_double(sweep, "task.t_end", NULL),
        .ic_seed = dc_sweep_int(sweep, "task.ic_seed", NULL),
        .n_interior = (int)dc_sweep_int(sweep, "task.n_interior", NULL),
        .n_initial = (int)dc_sweep_int(sweep, "task.n_initial", NULL),
        .n_boundary = (int)dc_sweep_int(sweep, "task.n_boundary", NULL),
        .w_residual = dc_sweep_double(sweep, "task.w_residual", NULL),
        .w_initial = dc_sweep_double(sweep, "task.w_initial", NULL),
        .w_boundary = dc_sweep_double(sweep, "task.w_boundary", NULL),
        .width = (int)dc_sweep_int(sweep, "model.width", NULL),
        .depth = (int)dc_sweep_int(sweep, "model.depth", NULL),
    };
}
