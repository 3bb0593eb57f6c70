/* SchNet behind the model interface (dcsweep/model/model.h): the sweep's three splits with their
 * neighbour lists, one float engine sized for the worst batch any split can produce, and the
 * metrics of docs/model.md. Everything here is prepared once per worker; a run only changes the
 * activation and the rescaling (begin_run). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/data/energy_ref.h"
#include "dcsweep/data/splits.h"
#include "dcsweep/model/batch.h"
#include "dcsweep/model/metrics.h"
#include "dcsweep/model/model.h"
#include "dcsweep/model/schnet.h"

enum { SPLIT_TRAIN = 0, SPLIT_VALIDATION = 1, SPLIT_TEST = 2, N_SPLITS = 3 };

typedef struct schnet_model {
    dc_model_info info;
    dc_train_config train;         /* batch sizes, loss, alpha */
    dc_splits splits;
    const dc_dataset *split[N_SPLITS];
    dc_neighbors nb[N_SPLITS];
    dc_schnet_shape shape;
    dc_schnet_layout layout;
    dc_schnet *engine;
    dc_batch_buf buf;
    int max_mol, max_atoms;
    int64_t max_edges;
    int *window;                   /* [max frames of any split] 0..n-1: evaluation windows */
    double *energy, *forces;       /* [max_mol], [max_atoms][3] predictions, scaled units */
    double *energy_u, *forces_u;   /* the same mapped back to the dataset's units */
    dc_activation act;             /* of the current run */
    dc_rescale rs;                 /* of the current run; with atomic energies its shift is per atom
                                    * (0 with exact isolated atoms: energy_ref.h) */
    dc_rescale rs_labels;          /* what the batches apply after eref.energy_ref: rs, or rs
                                    * without its shift when the shift is per atom */
    dc_energy_ref eref;            /* dataset.atomic_energies over the three splits */
    int n_ghost;                   /* dataset.isolated_atoms = "exact": the types, one ghost each
                                    * ending every batch (dc_batch.n_ghost), and no shift; else 0 */
    dc_loss_spec loss;
    char record[160];              /* info.record: the splits' force RMS (dc_metrics_record) */
} schnet_model;

static void schnet_model_destroy(void *impl)
{
    schnet_model *m = impl;
    if (!m) return;
    dc_schnet_destroy(m->engine);
    for (int s = 0; s < N_SPLITS; s++) {
        dc_neighbors_free(&m->nb[s]);
    }
    dc_energy_ref_free(&m->eref);
    dc_splits_free(&m->splits);
    dc_schnet_batch_buf_free(&m->buf);
    free(m->window);
    free(m->energy);
    free(m->forces);
    free(m->energy_u);
    free(m->forces_u);
    free(m);
}

/* One engine for every batch: sized for the worst training batch and the worst evaluation window
 * of any split. */
static int size_engine(schnet_model *m, int *max_frames, dc_error *err)
{
    int rc = DC_OK;
    *max_frames = 0;
    for (int s = 0; s < N_SPLITS; s++) {
        const dc_dataset *ds = m->split[s];
        DC_TRY(dc_neighbors_build(&m->nb[s], ds, m->shape.cutoff, err));
        /* a batch larger than its split is the whole split (train_epoch, evaluate): sized so */
        int bs = s == SPLIT_TRAIN ? m->train.batch_size : m->train.eval_batch_size;
        if (bs > ds->n_frames) bs = ds->n_frames;
        if (bs > m->max_mol) m->max_mol = bs;
        int atoms = 0;
        int64_t edges = 0;
        DC_TRY(dc_schnet_batch_limits(ds, &m->nb[s], bs, &atoms, &edges, err));
        if (atoms > m->max_atoms) m->max_atoms = atoms;
        if (edges > m->max_edges) m->max_edges = edges;
        if (ds->n_frames > *max_frames) *max_frames = ds->n_frames;
    }
    /* dc_splits_check refuses such a cutoff first: a run on no edges is no result */
    if (m->nb[SPLIT_TRAIN].n_edges == 0)
        DC_FAIL(DC_ERR_INPUT, "model.cutoff %g leaves no edges in the training split", m->shape.cutoff);
    if (m->max_atoms < 1) m->max_atoms = 1;
    if (m->max_edges < 1) m->max_edges = 1;
cleanup:
    return rc;
}

/* What a kept model has seen, for `predict` and the calculator to refuse or flag the rest: the
 * elements of the training split and its shortest pair distance within the cutoff
 * (train_min_distance; absent when no pair is within it). */
static void describe_training_data(dc_model_spec *spec, const dc_dataset *train, const dc_neighbors *nb)
{
    spec->n_train_elements = 0;
    for (int k = 0; k < spec->n_elements; k++) {
        int seen = 0;
        for (int64_t a = 0; a < train->n_atoms_total && !seen; a++) seen = train->atomic_number[a] == spec->elements[k];
        if (seen) spec->train_elements[spec->n_train_elements++] = spec->elements[k];
    }
    double shortest = INFINITY;
    for (int64_t e = 0; e < nb->n_edges; e++) {
        const double *i = train->positions + 3 * nb->dst[e], *j = train->positions + 3 * nb->src[e];
        double d = sqrt((i[0] - j[0]) * (i[0] - j[0]) + (i[1] - j[1]) * (i[1] - j[1]) + (i[2] - j[2]) * (i[2] - j[2]));
        if (d < shortest) shortest = d;
    }
    if (isfinite(shortest) && spec->n < DC_SPEC_MAX) {
        snprintf(spec->names[spec->n], sizeof spec->names[spec->n], "%s", "train_min_distance");
        spec->values[spec->n++] = shortest;
    }
}

/* dataset.atomic_energies; with isolated_atoms = "exact", one ghost per type ends every batch. */
static int setup_atomic_energies(schnet_model *m, const dc_dataset_config *cfg, dc_error *err)
{
    int rc = DC_OK;
    DC_TRY(dc_energy_ref_init(&m->eref, cfg, m->split, &m->splits.elements, err));
    if (m->eref.e0.n > 0 && m->eref.isolated_exact) m->n_ghost = m->splits.elements.n;
cleanup:
    return rc;
}

static int schnet_model_create(void **out, const dc_sweep *sweep, dc_error *err)
{
    int rc = DC_OK;
    schnet_model *m = NULL;
    *out = NULL;
    DC_ALLOC(m, 1);
    m->train = sweep->train;
    if (m->train.batch_size < 1 || m->train.eval_batch_size < 1)
        DC_FAIL(DC_ERR_INPUT, "train: batch_size %d and eval_batch_size %d must be >= 1",
                m->train.batch_size, m->train.eval_batch_size);
    m->loss = (dc_loss_spec){.kind = m->train.loss, .force_weight = m->train.force_weight};
    DC_TRY(dc_splits_load(&m->splits, sweep, err));
    DC_TRY(dc_splits_check(&m->splits, sweep, err));
    m->split[SPLIT_TRAIN] = &m->splits.train;
    m->split[SPLIT_VALIDATION] = &m->splits.validation;
    m->split[SPLIT_TEST] = &m->splits.test;
    if (m->split[SPLIT_TRAIN]->n_frames < 1) DC_FAIL(DC_ERR_INPUT, "the training split has no frames");
    dc_schnet_shape_from_sweep(&m->shape, m->splits.elements.n, sweep);
    DC_TRY(dc_schnet_layout_init(&m->layout, &m->shape, err));
    DC_TRY(setup_atomic_energies(m, &sweep->dataset, err));
    int max_frames = 0;
    DC_TRY(size_engine(m, &max_frames, err));
    m->max_mol += m->n_ghost;
    m->max_atoms += m->n_ghost;
    DC_TRY(dc_schnet_create(&m->engine, &m->shape, m->max_mol, m->max_atoms, m->max_edges, err));
    DC_TRY(dc_schnet_batch_buf_init(&m->buf, m->max_mol, m->max_atoms, m->max_edges, err));
    m->buf.n_ghost = m->n_ghost;
    DC_ALLOC(m->window, max_frames);
    for (int f = 0; f < max_frames; f++) m->window[f] = f;
    DC_ALLOC(m->energy, m->max_mol);
    DC_ALLOC(m->forces, 3 * (int64_t)m->max_atoms);
    DC_ALLOC(m->energy_u, m->max_mol);
    DC_ALLOC(m->forces_u, 3 * (int64_t)m->max_atoms);

    dc_model_info *info = &m->info;
    info->kind = "schnet";
    info->numerics_version = DC_SCHNET_NUMERICS_VERSION;
    info->n_params = m->layout.n_params;
    info->n_tensors = m->layout.n_tensors;
    info->tensors = m->layout.tensors;
    info->n_train_items = m->split[SPLIT_TRAIN]->n_frames;
    info->n_terms = 2;
    info->terms[0] = "energy";
    info->terms[1] = "force";
    info->n_values = 3;
    info->values[0] = "loss";
    info->values[1] = "energy_mae";
    info->values[2] = "force_mae";
    dc_metrics_describe(info->metrics, &info->n_metrics, &sweep->dataset);
    dc_model_spec *spec = &info->spec;
    const char *names[5] = {"features", "filters", "interactions", "gaussians", "cutoff"};
    const double values[5] = {m->shape.features, m->shape.filters, m->shape.interactions,
                              m->shape.gaussians, m->shape.cutoff};
    for (int k = 0; k < 5; k++) {
        snprintf(spec->names[k], sizeof spec->names[k], "%s", names[k]);
        spec->values[k] = values[k];
    }
    spec->n = 5;
    spec->n_elements = m->splits.elements.n;
    for (int k = 0; k < spec->n_elements; k++) spec->elements[k] = m->splits.elements.atomic_number[k];
    describe_training_data(spec, m->split[SPLIT_TRAIN], &m->nb[SPLIT_TRAIN]);
    DC_TRY(dc_energy_ref_describe(&m->eref, spec, err));
    DC_TRY(dc_metrics_record(m->record, sizeof m->record, m->split[SPLIT_VALIDATION], m->split[SPLIT_TEST], err));
    info->record = m->record;
    info->count_names[0] = "atoms";
    info->count_names[1] = "edges";
    *out = m;
    return DC_OK;
cleanup:
    schnet_model_destroy(m);
    return rc;
}

static const dc_model_info *schnet_model_info(const void *impl)
{
    return &((const schnet_model *)impl)->info;
}

/* The rescaling of the training energies, or of E - sum E0 with a per-atom shift (energy_ref.h). */
static int schnet_model_rescale(const void *impl, dc_rescaling method, dc_rescale *out, dc_error *err)
{
    return dc_energy_ref_rescale(&((const schnet_model *)impl)->eref, method, out, err);
}

static int schnet_model_begin_run(void *impl, const dc_run *run, dc_error *err)
{
    int rc = DC_OK;
    schnet_model *m = impl;
    m->act = (dc_activation){.extent = run->extent,
                             .irelu_scale = run->extent == DC_EXTENT_NONE ? 0.0 : run->irelu_scale};
    DC_TRY(schnet_model_rescale(m, run->rescaling, &m->rs, err));
    dc_energy_ref_begin_run(&m->eref, &m->rs, &m->rs_labels);
cleanup:
    return rc;
}

static void schnet_model_init_params(const void *impl, uint64_t seed, float *params)
{
    dc_schnet_init_params(&((const schnet_model *)impl)->layout, seed, params);
}

static int schnet_model_loss_grad(void *impl, const float *params, const int *items, int n_items,
                                  float *grad, double *terms, double *total, dc_error *err)
{
    int rc = DC_OK;
    schnet_model *m = impl;
    dc_batch batch;
    dc_loss_value lv;
    m->buf.energy_ref = m->eref.energy_ref[SPLIT_TRAIN];
    DC_TRY(dc_schnet_batch_assemble(&batch, &m->buf, m->split[SPLIT_TRAIN], &m->nb[SPLIT_TRAIN],
                                    items, n_items, &m->rs_labels, err));
    DC_TRY(dc_schnet_loss_grad(m->engine, &m->act, params, &batch, &m->loss, NULL, NULL, grad, &lv,
                               err));
    terms[0] = lv.energy_loss;
    terms[1] = lv.force_loss;
    *total = lv.total;
cleanup:
    return rc;
}

/* A split with these parameters, in windows of eval_batch_size consecutive frames: its metrics
 * in the dataset's units and its loss in scaled units (the training objective over the split). */
static int evaluate(schnet_model *m, int split, const float *params, dc_split_metrics *metrics,
                    double *loss, dc_error *err)
{
    int rc = DC_OK;
    const dc_dataset *ds = m->split[split];
    const int window = m->train.eval_batch_size;
    dc_metrics_acc acc;
    dc_metrics_reset(&acc);
    double sum_e = 0.0, sum_f = 0.0;
    int64_t n_mol = 0, n_comp = 0;
    for (int start = 0; start < ds->n_frames; start += window) {
        int n = ds->n_frames - start < window ? ds->n_frames - start : window;
        dc_batch batch;
        dc_loss_value lv;
        m->buf.energy_ref = m->eref.energy_ref[split];
        DC_TRY(dc_schnet_batch_assemble(&batch, &m->buf, ds, &m->nb[split], m->window + start, n,
                                        &m->rs_labels, err));
        DC_TRY(dc_schnet_predict(m->engine, &m->act, params, &batch, m->energy, m->forces, err));
        dc_schnet_loss_seeds(&m->loss, &batch, m->energy, m->forces, NULL, NULL, &lv);
        dc_schnet_subtract_isolated(&batch, m->energy);
        const int atoms = batch.n_atoms - batch.n_ghost;
        sum_e += lv.energy_loss * n;
        sum_f += lv.force_loss * 3.0 * atoms;
        n_mol += n;
        n_comp += 3 * (int64_t)atoms;
        for (int b = 0; b < n; b++)
            m->energy_u[b] = dc_unscale_energy(&m->rs_labels, m->energy[b]) +
                             (m->eref.energy_ref[split] ? m->eref.energy_ref[split][start + b] : 0.0);
        for (int64_t k = 0; k < 3 * (int64_t)atoms; k++)
            m->forces_u[k] = dc_unscale_force(&m->rs, m->forces[k]);
        /* a window is consecutive frames, so its true labels are contiguous in the dataset */
        int64_t first_atom = ds->frame_start[start];
        dc_metrics_add(&acc, n, atoms, batch.mol, m->energy_u, ds->energy + start,
                              m->forces_u, ds->forces + 3 * first_atom);
    }
    dc_metrics_finish(&acc, metrics);
    if (loss)
        *loss = n_mol > 0 ? sum_e / (double)n_mol +
                                m->loss.force_weight * (n_comp > 0 ? sum_f / (double)n_comp : 0.0)
                          : NAN;
cleanup:
    return rc;
}

static int evaluate_split(void *impl, int split, const float *params, dc_split_metrics *metrics, double *loss,
                          dc_error *err)
{
    return evaluate(impl, split == 0 ? SPLIT_VALIDATION : SPLIT_TEST, params, metrics, loss, err);
}

static int schnet_model_validate(void *impl, const float *params, double *values, dc_error *err)
{
    return dc_metrics_validate(evaluate_split, impl, params, values, err);
}

static int schnet_model_metrics(void *impl, const float *params, double *metrics, dc_error *err)
{
    return dc_metrics_final(evaluate_split, impl, params, metrics, err);
}

static double schnet_model_step_flops(const void *impl, const int *items, int n_items,
                                      int64_t counts[2])
{
    const schnet_model *m = impl;
    const dc_dataset *ds = m->split[SPLIT_TRAIN];
    const dc_neighbors *nb = &m->nb[SPLIT_TRAIN];
    int64_t atoms = 0, edges = 0;
    for (int b = 0; b < n_items; b++) {
        int f = items[b];
        atoms += ds->frame_start[f + 1] - ds->frame_start[f];
        edges += nb->frame_edge_start[f + 1] - nb->frame_edge_start[f];
    }
    counts[0] = atoms;
    counts[1] = edges;
    return dc_schnet_step_flops(&m->shape, n_items, (int)atoms, edges);
}

const dc_model_ops dc_schnet_model_ops = {
    .kind = "schnet",
    .family = &dc_schnet_family,
    .summary = "SchNet on molecules: extended XYZ in, energies and forces out (docs/model.md)",
    .metrics_help = "{val,test}_{energy_mae,energy_rmse,force_mae,force_rmse,efwt}",
    .report_metric = "test_force_mae",
    .describe = dc_schnet_describe,
    .potential = &dc_schnet_potential_ops,
    .create = schnet_model_create,
    .destroy = schnet_model_destroy,
    .info = schnet_model_info,
    .rescale = schnet_model_rescale,
    .begin_run = schnet_model_begin_run,
    .init_params = schnet_model_init_params,
    .loss_grad = schnet_model_loss_grad,
    .validate = schnet_model_validate,
    .metrics = schnet_model_metrics,
    .step_flops = schnet_model_step_flops,
};
