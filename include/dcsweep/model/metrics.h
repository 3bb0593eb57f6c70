/* A potential's metrics of one split (docs/model.md; the model kit's, for every family with energies
 * and forces), accumulated batch by batch in double precision: energy MAE/RMSE
 * over molecules, force MAE/RMSE over components, EFwT (|dE| <= 0.02 and max |dF| component <=
 * 0.03 per molecule). Inputs are in the dataset's units (predictions already mapped back). */
#ifndef DCSWEEP_METRICS_H
#define DCSWEEP_METRICS_H

#include <stdint.h>

#include "dcsweep/config/config.h"
#include "dcsweep/config/run.h"
#include "dcsweep/core/error.h"
#include "dcsweep/data/dataset.h"

/* The five metrics of one split, in the dataset's units. */
typedef struct dc_split_metrics {
    double energy_mae, energy_rmse;  /* per molecule, energy unit */
    double force_mae, force_rmse;    /* per component, energy/length unit */
    double efwt;                     /* fraction in [0, 1] */
} dc_split_metrics;

#define DC_EFWT_ENERGY 0.02  /* eV */
#define DC_EFWT_FORCE 0.03   /* eV/Angstrom, per component */

typedef struct dc_metrics_acc {
    int64_t n_mol;           /* molecules seen */
    int64_t n_components;    /* force components seen (3 per atom) */
    int64_t n_within;        /* molecules within both EFwT thresholds */
    double sum_abs_e, sum_sq_e;
    double sum_abs_f, sum_sq_f;
} dc_metrics_acc;

void dc_metrics_reset(dc_metrics_acc *acc);

/* One batch: n_mol molecules, n_atoms atoms with molecule index mol[n_atoms] (local, 0..n_mol-1);
 * energies [n_mol] and forces [n_atoms][3], predicted and true. */
void dc_metrics_add(dc_metrics_acc *acc, int n_mol, int n_atoms, const int *mol,
                           const double *pred_energy, const double *true_energy,
                           const double *pred_forces, const double *true_forces);

/* The split's metrics; NaN for an empty split. */
void dc_metrics_finish(const dc_metrics_acc *acc, dc_split_metrics *out);

/* The /runs columns of a potential: val_* then test_*, each energy MAE/RMSE, force MAE/RMSE, EFwT
 * (DC_SPLIT_METRICS per split), units from the dataset; the test force MAE is the headline the
 * report defaults to (the paper's question is about forces). */
#define DC_SPLIT_METRICS 5
void dc_metrics_describe(dc_metric_desc *metrics, int *n_metrics, const dc_dataset_config *ds);

/* A potential's evaluation of split 0 (validation) or 1 (test): its metrics, and (loss not NULL)
 * its loss in scaled units. */
typedef int (*dc_split_eval)(void *model, int split, const float *params, dc_split_metrics *metrics,
                             double *loss, dc_error *err);
/* dc_model_ops.validate of a potential: values = {validation loss, energy MAE, force MAE}. */
int dc_metrics_validate(dc_split_eval eval, void *model, const float *params, double *values, dc_error *err);
/* A potential's model_record (dc_model_info.record): the RMS of the reference force components of
 * the validation and test splits, {"task": "potential", "force_rms_validation": v,
 * "force_rms_test": t} (null for a split without forces, or a non-finite RMS), the force RMSE of a zero-force (constant-energy) predictor,
 * which the report's collapse rule compares a run's with. */
int dc_metrics_record(char *record, size_t cap, const dc_dataset *validation, const dc_dataset *test,
                      dc_error *err);
/* dc_model_ops.metrics of a potential: the columns of dc_metrics_describe. */
int dc_metrics_final(dc_split_eval eval, void *model, const float *params, double *metrics, dc_error *err);

#endif
