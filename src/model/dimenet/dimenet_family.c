/* DimeNet++'s sweep keys (config/family.h; docs/dimenet.md): every hyperparameter of
 * ../shared/spec/DIMENET.md by PyG's name, defaults those of PyG (cutoff, envelope, skips,
 * output layers) and of the DimeNet++ paper's configuration (the sizes PyG requires); it reads a
 * dataset, batches and the energy-force loss, as SchNet does. */
#include <math.h>

#include "dcsweep/model/dimenet.h"

static const dc_family_key keys[] = {
    {"model.hidden", DC_FKEY_INT, 128, 1, 1 << 16, 0, NULL, 0},         /* hidden_channels */
    {"model.out_emb", DC_FKEY_INT, 256, 1, 1 << 16, 0, NULL, 0},        /* out_emb_channels */
    {"model.int_emb", DC_FKEY_INT, 64, 1, 1 << 16, 0, NULL, 0},         /* int_emb_size */
    {"model.basis_emb", DC_FKEY_INT, 8, 1, 1 << 16, 0, NULL, 0},        /* basis_emb_size */
    {"model.num_spherical", DC_FKEY_INT, 7, 2, 16, 0, NULL, 0},
    {"model.num_radial", DC_FKEY_INT, 6, 1, 64, 0, NULL, 0},
    {"model.cutoff", DC_FKEY_DOUBLE, 5.0, 0, INFINITY, 1, NULL, 0},     /* the dataset's length unit */
    {"model.envelope_exponent", DC_FKEY_INT, 5, 1, 64, 0, NULL, 0},
    {"model.blocks", DC_FKEY_INT, 4, 1, 16, 0, NULL, 0},                /* num_blocks */
    {"model.before_skip", DC_FKEY_INT, 1, 0, 16, 0, NULL, 0},           /* num_before_skip */
    {"model.after_skip", DC_FKEY_INT, 2, 0, 16, 0, NULL, 0},            /* num_after_skip */
    {"model.output_layers", DC_FKEY_INT, 3, 0, 16, 0, NULL, 0},         /* num_output_layers */
};

static const char *const uses[] = {"dataset", "train.batch_size", "train.force_weight", "train.loss",
                                   "train.eval_batch_size"};

/* The order of the hash's lines: fixed once the first DimeNet++ sweep exists (family.h). */
static const char *const dump[] = {
    "task.kind", "dataset", "model.hidden", "model.out_emb", "model.int_emb", "model.basis_emb",
    "model.num_spherical", "model.num_radial", "model.cutoff", "model.envelope_exponent", "model.blocks",
    "model.before_skip", "model.after_skip", "model.output_layers", "train.epochs", "train.batch_size",
    "train.learning_rate", "train.force_weight", "train.loss", "train.weight_decay", "train.eval_batch_size",
};

void dc_dimenet_shape_from_sweep(dc_dimenet_shape *shape, const dc_sweep *sweep)
{
    *shape = (dc_dimenet_shape){
        .hidden = (int)dc_sweep_int(sweep, "model.hidden", NULL),
        .out_emb = (int)dc_sweep_int(sweep, "model.out_emb", NULL),
        .int_emb = (int)dc_sweep_int(sweep, "model.int_emb", NULL),
        .basis_emb = (int)dc_sweep_int(sweep, "model.basis_emb", NULL),
        .num_spherical = (int)dc_sweep_int(sweep, "model.num_spherical", NULL),
        .num_radial = (int)dc_sweep_int(sweep, "model.num_radial", NULL),
        .cutoff = dc_sweep_double(sweep, "model.cutoff", NULL),
        .envelope_exponent = (int)dc_sweep_int(sweep, "model.envelope_exponent", NULL),
        .num_blocks = (int)dc_sweep_int(sweep, "model.blocks", NULL),
        .num_before_skip = (int)dc_sweep_int(sweep, "model.before_skip", NULL),
        .num_after_skip = (int)dc_sweep_int(sweep, "model.after_skip", NULL),
        .num_output_layers = (int)dc_sweep_int(sweep, "model.output_layers", NULL)};
}

/* The layout must fit a results file's tensor table. */
static int check(dc_config_ctx *c, const dc_sweep *s)
{
    dc_dimenet_shape shape;
    dc_dimenet_layout layout;
    dc_error err = {0};
    dc_dimenet_shape_from_sweep(&shape, s);
    if (dc_dimenet_layout_init(&layout, &shape, &err) != DC_OK)
        return dc_config_key_fail(c, "model", "%s", err.message);
    int n = layout.n_tensors;
    dc_dimenet_layout_free(&layout);
    if (n > DC_MAX_TENSORS)
        return dc_config_key_fail(c, "model.blocks", "the network has %d tensors, more than a results file keeps "
                                  "(%d): fewer blocks or skip layers", n, DC_MAX_TENSORS);
    return DC_OK;
}

const dc_family dc_dimenet_family = {
    .kind = "dimenet++",
    .keys = keys,
    .n_keys = sizeof keys / sizeof keys[0],
    .uses = uses,
    .n_uses = sizeof uses / sizeof uses[0],
    .dump = dump,
    .n_dump = sizeof dump / sizeof dump[0],
    .default_epochs = 30,
    .default_learning_rate = 1e-3,
    .monitors = {"loss", "energy_mae", "force_mae"},
    .n_monitors = 3,
    .check = check,
};

int dc_dimenet_describe(const dc_sweep *sweep, dc_describe what, FILE *out, dc_error *err)
{
    (void)err;
    if (what != DC_DESCRIBE_VALIDATE) return DC_OK;
    dc_dimenet_shape m;
    dc_dimenet_shape_from_sweep(&m, sweep);
    const dc_train_config *t = &sweep->train;
    fprintf(out, "%-11s DimeNet++: hidden %d, out_emb %d, int_emb %d, basis_emb %d, %d spherical x %d radial, "
            "cutoff %g %s, envelope %d, %d blocks (%d before / %d after skip), %d output layers\n", "model",
            m.hidden, m.out_emb, m.int_emb, m.basis_emb, m.num_spherical, m.num_radial, m.cutoff,
            sweep->dataset.length_unit, m.envelope_exponent, m.num_blocks, m.num_before_skip, m.num_after_skip,
            m.num_output_layers);
    fprintf(out, "%-11s %d epochs, batch %d, lr %g, force weight %g, loss %s\n", "train", t->epochs,
            t->batch_size, t->learning_rate, t->force_weight, dc_loss_name(t->loss));
    return DC_OK;
}
