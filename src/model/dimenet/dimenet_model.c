/* DimeNet++ behind the model interface (dcsweep/model/model.h): the sweep's three splits with their
 * graphs (built once), one engine sized for the worst batch any split can produce, and the
 * potential metrics of docs/model.md, as SchNet's. A run changes the activation and the
 * rescaling only (begin_run). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/data/energy_ref.h"
#include "dcsweep/data/splits.h"
#include "dcsweep/model/metrics.h"
#include "dcsweep/model/model.h"
#include "dc_loss.h"
#include "dimenet_data.h"

enum { SPLIT_TRAIN = 0, SPLIT_VALIDATION = 1, SPLIT_TEST = 2, N_SPLITS = 3 };

typedef struct dimenet_model {
    dc_model_info info;
    dc_train_config train;           /* batch sizes, loss, alpha */
    dc_splits splits;
    dc_dimenet_split split[N_SPLITS];
    dc_dimenet_layout layout;
    dc_tensor *tensors;              /* [layout.n_tensors] the layout as the results file names it */
    dc_dimenet *engine;
    dc_dimenet_batch_buf buf;
    int *window;                     /* [max frames of any split] 0..n-1: evaluation windows */
    double *energy, *forces;         /* [lim.mol], [lim.atoms][3] predictions, scaled units */
    double *energy_u, *forces_u;     /* the same in the dataset's units */
    double *params_d;                /* [n_params] for the initialisation in double */
    dc_activation act;
    dc_rescale rs;                   /* of the current run; with atomic energies its shift is per atom
                                      * (0 with exact isolated atoms: energy_ref.h) */
    dc_rescale rs_labels;            /* what batches apply after eref.energy_ref (energy_ref.h) */
    dc_energy_ref eref;              /* dataset.atomic_energies over the three splits */
    dc_dimenet_loss loss;
    char record[160];                /* info.record: the splits' force RMS (dc_metrics_record) */
} dimenet_model;

static void model_destroy(void *impl)
{
    dimenet_model *m = impl;
    if (!m) return;
    dc_dimenet_destroy(m->engine);
    for (int s = 0; s < N_SPLITS; s++) dc_dimenet_split_free(&m->split[s]);
    dc_energy_ref_free(&m->eref);
    dc_splits_free(&m->splits);
    dc_dimenet_batch_buf_free(&m->buf);
    dc_dimenet_layout_free(&m->layout);
    free(m->tensors);
    free(m->window);
    free(m->energy);
    free(m->forces);
    free(m->energy_u);
    free(m->forces_u);
    free(m->params_d);
    free(m);
}

/* The results file's view of the layout: PyG's state_dict names, vectors as (n, 1). */
static int describe_tensors(dimenet_model *m, dc_error *err)
{
    int rc = DC_OK;
    DC_ALLOC(m->tensors, m->layout.n_tensors);
    for (int t = 0; t < m->layout.n_tensors; t++) {
        const dc_dimenet_tensor *src = &m->layout.tensors[t];
        dc_tensor *d = &m->tensors[t];
        if (strlen(src->name) >= sizeof d->name)
            DC_FAIL(DC_ERR_INTERNAL, "tensor name %s is longer than a results file keeps", src->name);
        snprintf(d->name, sizeof d->name, "%s", src->name);
        d->offset = src->offset;
        d->rows = src->dims[0];
        d->cols = src->ndim == 2 ? src->dims[1] : 1;
        d->is_bias = strstr(src->name, "bias") != NULL;
    }
cleanup:
    return rc;
}

/* What a kept model has seen: the training elements and the shortest training pair inside the
 * cutoff, for predict and the calculator to refuse or flag the rest (as SchNet's). */
static void describe_training_data(dc_model_spec *spec, const dc_dimenet_split *train)
{
    const dc_dataset *ds = train->ds;
    spec->n_train_elements = 0;
    for (int k = 0; k < spec->n_elements; k++) {
        int seen = 0;
        for (int64_t a = 0; a < ds->n_atoms_total && !seen; a++) seen = ds->atomic_number[a] == spec->elements[k];
        if (seen) spec->train_elements[spec->n_train_elements++] = spec->elements[k];
    }
    double shortest = INFINITY;
    for (int64_t e = 0; e < train->graph.n_edges; e++) {
        const double *i = ds->positions + 3 * (int64_t)train->graph.edge_i[e];
        const double *j = ds->positions + 3 * (int64_t)train->graph.edge_j[e];
        double d = sqrt((i[0] - j[0]) * (i[0] - j[0]) + (i[1] - j[1]) * (i[1] - j[1]) + (i[2] - j[2]) * (i[2] - j[2]));
        if (d < shortest) shortest = d;
    }
    if (isfinite(shortest) && spec->n < DC_SPEC_MAX) {
        snprintf(spec->names[spec->n], sizeof spec->names[spec->n], "%s", "train_min_distance");
        spec->values[spec->n++] = shortest;
    }
}

/* The spec a potential rebuilds the network from (dimenet_potential.c reads the same names). */
static void describe_spec(dc_model_spec *spec, const dc_dimenet_shape *sh, const dc_elements *elements)
{
    const char *names[12] = {"hidden", "out_emb", "int_emb", "basis_emb", "num_spherical", "num_radial", "cutoff",
                             "envelope_exponent", "blocks", "before_skip", "after_skip", "output_layers"};
    const double values[12] = {sh->hidden, sh->out_emb, sh->int_emb, sh->basis_emb, sh->num_spherical,
                               sh->num_radial, sh->cutoff, sh->envelope_exponent, sh->num_blocks,
                               sh->num_before_skip, sh->num_after_skip, sh->num_output_layers};
    for (int k = 0; k < 12; k++) {
        snprintf(spec->names[k], sizeof spec->names[k], "%s", names[k]);
        spec->values[k] = values[k];
    }
    spec->n = 12;
    spec->n_elements = elements->n;
    for (int k = 0; k < elements->n; k++) spec->elements[k] = elements->atomic_number[k];
}

/* The graphs of the three splits and one engine and buffer for their worst batch. */
static int build_data(dimenet_model *m, dc_error *err)
{
    int rc = DC_OK;
    const dc_dataset *sets[N_SPLITS] = {&m->splits.train, &m->splits.validation, &m->splits.test};
    dc_dimenet_limits lim = {0};
    int max_frames = 1;
    for (int s = 0; s < N_SPLITS; s++) {
        DC_TRY(dc_dimenet_split_build(&m->split[s], sets[s], m->layout.shape.cutoff, err));
        int bs = s == SPLIT_TRAIN ? m->train.batch_size : m->train.eval_batch_size;
        dc_dimenet_limits l;
        DC_TRY(dc_dimenet_split_limits(&m->split[s], bs, &l, err));
        dc_dimenet_limits_max(&lim, &l);
        if (sets[s]->n_frames > max_frames) max_frames = sets[s]->n_frames;
    }
    if (m->split[SPLIT_TRAIN].graph.n_edges == 0)
        DC_FAIL(DC_ERR_INPUT, "model.cutoff %g leaves no edges in the training split", m->layout.shape.cutoff);
    /* exact isolated atoms: one ghost ends every batch (any element gives the same lone atom) */
    const int ghost = m->eref.e0.n > 0 && m->eref.isolated_exact;
    lim.mol += ghost;
    lim.atoms += ghost;
    DC_TRY(dc_dimenet_create(&m->engine, &m->layout, lim.mol, lim.atoms, lim.edges, lim.triplets, err));
    DC_TRY(dc_dimenet_batch_buf_init(&m->buf, &lim, err));
    m->buf.ghost_z = ghost ? m->splits.elements.atomic_number[0] : 0;
    DC_ALLOC(m->window, max_frames);
    for (int f = 0; f < max_frames; f++) m->window[f] = f;
    DC_ALLOC(m->energy, lim.mol > 0 ? lim.mol : 1);
    DC_ALLOC(m->energy_u, lim.mol > 0 ? lim.mol : 1);
    DC_ALLOC(m->forces, 3 * (int64_t)(lim.atoms > 0 ? lim.atoms : 1));
    DC_ALLOC(m->forces_u, 3 * (int64_t)(lim.atoms > 0 ? lim.atoms : 1));
cleanup:
    return rc;
}

static int model_create(void **out, const dc_sweep *sweep, dc_error *err)
{
    int rc = DC_OK;
    dimenet_model *m = NULL;
    *out = NULL;
    DC_ALLOC(m, 1);
    m->train = sweep->train;
    if (m->train.batch_size < 1 || m->train.eval_batch_size < 1)
        DC_FAIL(DC_ERR_INPUT, "train: batch_size %d and eval_batch_size %d must be >= 1", m->train.batch_size,
                m->train.eval_batch_size);
    m->loss = (dc_dimenet_loss){.kind = m->train.loss, .force_weight = m->train.force_weight};
    DC_TRY(dc_splits_load(&m->splits, sweep, err));
    DC_TRY(dc_splits_check(&m->splits, sweep, err));
    if (m->splits.train.n_frames < 1) DC_FAIL(DC_ERR_INPUT, "the training split has no frames");
    dc_dimenet_shape shape;
    dc_dimenet_shape_from_sweep(&shape, sweep);
    DC_TRY(dc_dimenet_layout_init(&m->layout, &shape, err));
    if (m->layout.n_tensors > DC_MAX_TENSORS)
        DC_FAIL(DC_ERR_INPUT, "DimeNet++ with %d tensors: a results file keeps at most %d", m->layout.n_tensors,
                DC_MAX_TENSORS);
    DC_TRY(describe_tensors(m, err));
    const dc_dataset *sets[N_SPLITS] = {&m->splits.train, &m->splits.validation, &m->splits.test};
    DC_TRY(dc_energy_ref_init(&m->eref, &sweep->dataset, sets, &m->splits.elements, err));
    DC_TRY(build_data(m, err));
    DC_ALLOC(m->params_d, m->layout.n_params);

    dc_model_info *info = &m->info;
    info->kind = dc_dimenet_family.kind;
    info->numerics_version = DC_DIMENET_NUMERICS_VERSION;
    info->n_params = m->layout.n_params;
    info->n_tensors = m->layout.n_tensors;
    info->tensors = m->tensors;
    info->n_train_items = m->splits.train.n_frames;
    info->n_terms = 2;
    info->terms[0] = "energy";
    info->terms[1] = "force";
    info->n_values = 3;
    info->values[0] = "loss";
    info->values[1] = "energy_mae";
    info->values[2] = "force_mae";
    dc_metrics_describe(info->metrics, &info->n_metrics, &sweep->dataset);
    describe_spec(&info->spec, &shape, &m->splits.elements);
    describe_training_data(&info->spec, &m->split[SPLIT_TRAIN]);
    DC_TRY(dc_energy_ref_describe(&m->eref, &info->spec, err));
    DC_TRY(dc_metrics_record(m->record, sizeof m->record, &m->splits.validation, &m->splits.test, err));
    info->record = m->record;
    info->count_names[0] = "atoms";
    info->count_names[1] = "triplets";
    *out = m;
    return DC_OK;
cleanup:
    model_destroy(m);
    return rc;
}

static const dc_model_info *model_info(const void *impl) { return &((const dimenet_model *)impl)->info; }

/* The rescaling of the training energies, or of E - sum E0 with a per-atom shift (energy_ref.h). */
static int model_rescale(const void *impl, dc_rescaling method, dc_rescale *out, dc_error *err)
{
    return dc_energy_ref_rescale(&((const dimenet_model *)impl)->eref, method, out, err);
}

static int model_begin_run(void *impl, const dc_run *run, dc_error *err)
{
    int rc = DC_OK;
    dimenet_model *m = impl;
    m->act = (dc_activation){.extent = run->extent,
                             .irelu_scale = run->extent == DC_EXTENT_NONE ? 0.0 : run->irelu_scale};
    DC_TRY(model_rescale(m, run->rescaling, &m->rs, err));
    dc_energy_ref_begin_run(&m->eref, &m->rs, &m->rs_labels);
cleanup:
    return rc;
}

/* PyG's initialisation, drawn in double (dimenet_layout.c) and rounded to the engine's floats. */
static void model_init_params(const void *impl, uint64_t seed, float *params)
{
    const dimenet_model *m = impl;
    dc_error ignored = {0};
    if (dc_dimenet_init_params(&m->layout, seed, m->params_d, &ignored) != DC_OK) {
        for (int64_t k = 0; k < m->layout.n_params; k++) params[k] = NAN; /* the run then diverges, named */
        return;
    }
    for (int64_t k = 0; k < m->layout.n_params; k++) params[k] = (float)m->params_d[k];
}

static int model_loss_grad(void *impl, const float *params, const int *items, int n_items, float *grad,
                           double *terms, double *total, dc_error *err)
{
    int rc = DC_OK;
    dimenet_model *m = impl;
    dc_dimenet_batch batch;
    dc_dimenet_loss_value lv;
    m->buf.energy_ref = m->eref.energy_ref[SPLIT_TRAIN];
    DC_TRY(dc_dimenet_batch_assemble(&batch, &m->buf, &m->split[SPLIT_TRAIN], items, n_items, &m->rs_labels, err));
    DC_TRY(dc_dimenet_loss_grad(m->engine, &m->act, params, &batch, &m->loss, NULL, NULL, grad, &lv, err));
    terms[0] = lv.energy_loss;
    terms[1] = lv.force_loss;
    *total = lv.total;
cleanup:
    return rc;
}

/* A split in windows of eval_batch_size consecutive frames: its metrics in the dataset's units
 * and its loss in scaled units. */
static int evaluate(dimenet_model *m, int split, const float *params, dc_split_metrics *metrics, double *loss,
                    dc_error *err)
{
    int rc = DC_OK;
    const dc_dimenet_split *sp = &m->split[split];
    const dc_dataset *ds = sp->ds;
    const int window = m->train.eval_batch_size;
    const int l1 = m->loss.kind == DC_LOSS_L1;
    dc_metrics_acc acc;
    dc_metrics_reset(&acc);
    double sum_e = 0.0, sum_f = 0.0;
    int64_t n_mol = 0, n_comp = 0;
    for (int start = 0; start < ds->n_frames; start += window) {
        const int n = ds->n_frames - start < window ? ds->n_frames - start : window;
        dc_dimenet_batch batch;
        m->buf.energy_ref = m->eref.energy_ref[split];
        DC_TRY(dc_dimenet_batch_assemble(&batch, &m->buf, sp, m->window + start, n, &m->rs_labels, err));
        DC_TRY(dc_dimenet_predict(m->engine, &m->act, params, &batch, m->energy, m->forces, err));
        const dc_loss_batch lb = {.n_mol = batch.graph->n_mol, .n_atoms = batch.graph->n_atoms,
                                  .n_ghost = batch.n_ghost, .mol = batch.graph->mol};
        dc_loss_subtract_isolated(&lb, m->energy);
        const int n_atoms = batch.graph->n_atoms - batch.n_ghost;
        for (int b = 0; b < n; b++) {
            const double d = m->energy[b] - batch.energy_target[b];
            sum_e += l1 ? fabs(d) : d * d;
            m->energy_u[b] = dc_unscale_energy(&m->rs_labels, m->energy[b]) +
                             (m->eref.energy_ref[split] ? m->eref.energy_ref[split][start + b] : 0.0);
        }
        for (int64_t k = 0; k < 3 * (int64_t)n_atoms; k++) {
            const double d = m->forces[k] - batch.force_target[k];
            sum_f += l1 ? fabs(d) : d * d;
            m->forces_u[k] = dc_unscale_force(&m->rs, m->forces[k]);
        }
        n_mol += n;
        n_comp += 3 * (int64_t)n_atoms;
        /* a window is consecutive frames, so its true labels are contiguous in the dataset */
        dc_metrics_add(&acc, n, n_atoms, batch.graph->mol, m->energy_u, ds->energy + start, m->forces_u,
                       ds->forces + 3 * ds->frame_start[start]);
    }
    dc_metrics_finish(&acc, metrics);
    if (loss)
        *loss = n_mol > 0 ? sum_e / (double)n_mol + m->loss.force_weight * (n_comp > 0 ? sum_f / (double)n_comp : 0.0)
                          : NAN;
cleanup:
    return rc;
}

static int evaluate_split(void *impl, int split, const float *params, dc_split_metrics *metrics, double *loss,
                          dc_error *err)
{
    return evaluate(impl, split == 0 ? SPLIT_VALIDATION : SPLIT_TEST, params, metrics, loss, err);
}

static int model_validate(void *impl, const float *params, double *values, dc_error *err)
{
    return dc_metrics_validate(evaluate_split, impl, params, values, err);
}

static int model_metrics(void *impl, const float *params, double *metrics, dc_error *err)
{
    return dc_metrics_final(evaluate_split, impl, params, metrics, err);
}

static double model_step_flops(const void *impl, const int *items, int n_items, int64_t counts[2])
{
    const dimenet_model *m = impl;
    const dc_dimenet_split *sp = &m->split[SPLIT_TRAIN];
    int64_t atoms = 0, edges = 0, triplets = 0;
    for (int b = 0; b < n_items; b++) {
        const int f = items[b];
        atoms += sp->ds->frame_start[f + 1] - sp->ds->frame_start[f];
        edges += sp->graph.edge_off[f + 1] - sp->graph.edge_off[f];
        triplets += sp->graph.trip_off[f + 1] - sp->graph.trip_off[f];
    }
    counts[0] = atoms;
    counts[1] = triplets;
    return dc_dimenet_step_flops(&m->layout.shape, n_items, (int)atoms, edges, triplets);
}

const dc_model_ops dc_dimenet_model_ops = {
    .kind = "dimenet++",
    .family = &dc_dimenet_family,
    .summary = "DimeNet++ (PyG's) on molecules: extended XYZ in, energies and forces out (docs/dimenet.md)",
    .metrics_help = "{val,test}_{energy_mae,energy_rmse,force_mae,force_rmse,efwt}",
    .report_metric = "test_force_mae",
    .describe = dc_dimenet_describe,
    .potential = &dc_dimenet_potential_ops,
    .create = model_create,
    .destroy = model_destroy,
    .info = model_info,
    .rescale = model_rescale,
    .begin_run = model_begin_run,
    .init_params = model_init_params,
    .loss_grad = model_loss_grad,
    .validate = model_validate,
    .metrics = model_metrics,
    .step_flops = model_step_flops,
};
