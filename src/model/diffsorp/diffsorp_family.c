/* The diffusion-sorption PINN's sweep keys (config/family.h; ../shared/spec/DIFFSORP.md "Sweep keys",
 * docs/diffsorp.md): T, the initial value, how the network sees t, the points, the data term and
 * the loss weights, and the MLP; D and R's constants are fixed. */
#include <math.h>

#include "dcsweep/model/diffsorp.h"

#define MAX_POINTS 1e7
/* the metrics use the last 20 frames, one per second */
#define MIN_T_END 19
#define MAX_T_END 100000

/* The engine holds every point's four jet streams (value, x-tangent, its second order, t-tangent)
 * per hidden layer, and their adjoints: bounded like the advection PINN's, at 8 GiB. */
#define MAX_WORKSPACE_BYTES (8.0 * 1024 * 1024 * 1024)

static const char *const t_inputs[] = {"scaled", "raw"};

static const dc_family_key keys[] = {
    {"task.t_end", DC_FKEY_INT, 500, MIN_T_END, MAX_T_END, 0, NULL, 0},     /* T, frames every 1 s */
    {"task.u_init", DC_FKEY_DOUBLE, 0.0, 0, 1, 0, NULL, 0},                /* u(x, 0) */
    {"task.t_input", DC_FKEY_CHOICE, 0, 0, 0, 0, t_inputs, 2},             /* t / T or t */
    {"task.n_interior", DC_FKEY_INT, 1000, 0, MAX_POINTS, 0, NULL, 0},     /* N_r */
    {"task.n_initial", DC_FKEY_INT, 5000, 1, MAX_POINTS, 0, NULL, 0},      /* N_0 */
    {"task.n_boundary", DC_FKEY_INT, 500, 0, MAX_POINTS, 0, NULL, 0},      /* N_b per end */
    {"task.data_points", DC_FKEY_INT, 0, 0, 1024.0 * (MAX_T_END + 1), 0, NULL, 0}, /* N_d */
    {"task.w_residual", DC_FKEY_DOUBLE, 1.0, 0, INFINITY, 0, NULL, 0},
    {"task.w_initial", DC_FKEY_DOUBLE, 1.0, 0, INFINITY, 0, NULL, 0},
    {"task.w_boundary", DC_FKEY_DOUBLE, 1.0, 0, INFINITY, 0, NULL, 0},     /* both ends */
    {"task.w_data", DC_FKEY_DOUBLE, 1.0, 0, INFINITY, 0, NULL, 0},
    {"model.width", DC_FKEY_INT, 40, 1, 65536, 0, NULL, 0},
    {"model.depth", DC_FKEY_INT, 6, 1, 32, 0, NULL, 0},
};

/* The order of the hash's lines since the family was added: fixed (family.h). */
static const char *const dump[] = {
    "task.kind", "task.t_end", "task.u_init", "task.t_input", "task.n_interior", "task.n_initial",
    "task.n_boundary", "task.data_points", "task.w_residual", "task.w_initial", "task.w_boundary",
    "task.w_data", "model.width", "model.depth", "train.epochs", "train.learning_rate",
    "train.weight_decay",
};

static int check(dc_config_ctx *c, const dc_sweep *s)
{
    dc_diffsorp_task t;
    dc_diffsorp_task_from_sweep(&t, s);
    /* the metrics' frames are T - 19 .. T: at T = 19 the first is t = 0, where u = u_init has no
     * norm to be relative to when it is 0 */
    if (t.t_end < MIN_T_END + 1 && t.u_init == 0.0)
        return dc_config_key_fail(c, "task.t_end", "value %d puts the first of the metrics' 20 frames at t = 0, "
                                  "where u = u_init = 0 (no norm to measure against): use t_end >= 20",
                                  t.t_end);
    const double grid = 1024.0 * (t.t_end + 1);
    if (t.data_points > grid)
        return dc_config_key_fail(c, "task.data_points", "value %lld is more than the %.0f points of the "
                                  "reference grid (1024 cells x %d frames)", (long long)t.data_points, grid,
                                  t.t_end + 1);
    if (!(t.w_residual + t.w_initial + t.w_boundary + (t.data_points > 0 ? t.w_data : 0.0) > 0))
        return dc_config_key_fail(c, "task.w_residual", "the loss weights are all 0 (nothing to train)");
    const double points = (double)t.n_interior + t.n_initial + 2.0 * t.n_boundary + (double)t.data_points;
    const double bytes = 4.0 * points * t.width * (10.0 * t.depth + 8.0);
    if (bytes > MAX_WORKSPACE_BYTES)
        return dc_config_key_fail(c, t.data_points > t.n_interior ? "task.data_points" : "task.n_interior",
                                  "%.0f points at width %d, depth %d need %.1f GiB of engine workspace (at "
                                  "most 8 GiB): use fewer points or a smaller network", points, t.width,
                                  t.depth, bytes / (1024.0 * 1024 * 1024));
    return DC_OK;
}

const dc_family dc_diffsorp_family = {
    .kind = "diffsorp",
    .keys = keys,
    .n_keys = sizeof keys / sizeof keys[0],
    .dump = dump,
    .n_dump = sizeof dump / sizeof dump[0],
    /* the paper's protocol: 15000 full-batch steps at 1e-3 */
    .default_epochs = 15000,
    .default_learning_rate = 1e-3,
    .monitors = {"loss"},
    .n_monitors = 1,
    .check = check,
};

void dc_diffsorp_task_from_sweep(dc_diffsorp_task *task, const dc_sweep *sweep)
{
    *task = (dc_diffsorp_task){
        .t_end = (int)dc_sweep_int(sweep, "task.t_end", NULL),
        .u_init = dc_sweep_double(sweep, "task.u_init", NULL),
        .t_raw = dc_sweep_int(sweep, "task.t_input", NULL) == 1,
        .n_interior = (int)dc_sweep_int(sweep, "task.n_interior", NULL),
        .n_initial = (int)dc_sweep_int(sweep, "task.n_initial", NULL),
        .n_boundary = (int)dc_sweep_int(sweep, "task.n_boundary", NULL),
        .data_points = dc_sweep_int(sweep, "task.data_points", NULL),
        .w_residual = dc_sweep_double(sweep, "task.w_residual", NULL),
        .w_initial = dc_sweep_double(sweep, "task.w_initial", NULL),
        .w_boundary = dc_sweep_double(sweep, "task.w_boundary", NULL),
        .w_data = dc_sweep_double(sweep, "task.w_data", NULL),
        .width = (int)dc_sweep_int(sweep, "model.width", NULL),
        .depth = (int)dc_sweep_int(sweep, "model.depth", NULL),
    };
}
