/* SchNet's sweep keys (config/family.h; docs/model.md, docs/sweep-format.md): the network's size
 * and cutoff; it reads a dataset, batches, and the energy-force loss. */
#include <math.h>

#include "dcsweep/model/schnet.h"

static const dc_family_key keys[] = {
    {"model.features", DC_FKEY_INT, 64, 1, 1 << 20, 0, NULL, 0}, /* atom features F (even) */
    {"model.filters", DC_FKEY_INT, 64, 1, 1 << 20, 0, NULL, 0}, /* filter features nf */
    {"model.interactions", DC_FKEY_INT, 3, 1, DC_MAX_INTERACTIONS, 0, NULL, 0}, /* interaction blocks T */
    {"model.gaussians", DC_FKEY_INT, 25, 2, 1 << 20, 0, NULL, 0}, /* Gaussians G of the distance expansion */
    {"model.cutoff", DC_FKEY_DOUBLE, 5.0, 0, INFINITY, 1, NULL, 0}, /* cutoff radius (the dataset's length unit) */
};

static const char *const uses[] = {"dataset", "train.batch_size", "train.force_weight", "train.loss",
                                   "train.eval_batch_size"};

/* The order of the hash's lines since the first sweep: fixed (family.h). A SchNet sweep's dump has
 * no task.kind line, so that its hash is the one it had before there was a second family. */
static const char *const dump[] = {
    "dataset", "model.features", "model.filters", "model.interactions", "model.gaussians", "model.cutoff",
    "train.epochs", "train.batch_size", "train.learning_rate", "train.force_weight", "train.loss",
    "train.weight_decay", "train.eval_batch_size",
};

static int check(dc_config_ctx *c, const dc_sweep *s)
{
    const int64_t features = dc_sweep_int(s, "model.features", NULL);
    if (features % 2 != 0)
        return dc_config_key_fail(c, "model.features", "value %lld must be even (the output block maps F to F/2)",
                                  (long long)features);
    return DC_OK;
}

const dc_family dc_schnet_family = {
    .kind = "schnet",
    .keys = keys,
    .n_keys = sizeof keys / sizeof keys[0],
    .uses = uses,
    .n_uses = sizeof uses / sizeof uses[0],
    .dump = dump,
    .n_dump = sizeof dump / sizeof dump[0],
    .default_epochs = 30,
    .default_learning_rate = 5e-4,
    .monitors = {"loss", "energy_mae", "force_mae"},
    .n_monitors = 3,
    .check = check,
};

void dc_schnet_shape_from_sweep(dc_schnet_shape *shape, int n_types, const dc_sweep *sweep)
{
    *shape = (dc_schnet_shape){.n_types = n_types,
                               .features = (int)dc_sweep_int(sweep, "model.features", NULL),
                               .filters = (int)dc_sweep_int(sweep, "model.filters", NULL),
                               .interactions = (int)dc_sweep_int(sweep, "model.interactions", NULL),
                               .gaussians = (int)dc_sweep_int(sweep, "model.gaussians", NULL),
                               .cutoff = dc_sweep_double(sweep, "model.cutoff", NULL)};
}

int dc_schnet_describe(const dc_sweep *sweep, dc_describe what, FILE *out, dc_error *err)
{
    (void)err;
    if (what != DC_DESCRIBE_VALIDATE) return DC_OK;  /* the plan of a sweep on data needs no task */
    dc_schnet_shape m;
    dc_schnet_shape_from_sweep(&m, 0, sweep);
    const dc_train_config *t = &sweep->train;
    fprintf(out, "%-11s features %d, filters %d, interactions %d, gaussians %d, cutoff %g %s\n", "model",
            m.features, m.filters, m.interactions, m.gaussians, m.cutoff, sweep->dataset.length_unit);
    fprintf(out, "%-11s %d epochs, batch %d, lr %g, force weight %g, loss %s\n", "train", t->epochs,
            t->batch_size, t->learning_rate, t->force_weight, dc_loss_name(t->loss));
    return DC_OK;
}
