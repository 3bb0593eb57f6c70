/* Error metrics in double, whatever precision the predictions were computed in: sums over a few
 * thousand molecules of float-sized errors lose nothing that matters in double. */
#include "dcsweep/model/metrics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void dc_metrics_reset(dc_metrics_acc *acc) { memset(acc, 0, sizeof *acc); }

void dc_metrics_add(dc_metrics_acc *acc, int n_mol, int n_atoms, const int *mol,
                           const double *pred_energy, const double *true_energy,
                           const double *pred_forces, const double *true_forces)
{
    int a = 0; /* atoms are grouped by molecule (mol non-decreasing) */
    for (int b = 0; b < n_mol; b++) {
        double de = fabs(pred_energy[b] - true_energy[b]);
        acc->sum_abs_e += de;
        acc->sum_sq_e += de * de;
        int within = de <= DC_EFWT_ENERGY; /* false for a NaN error too */
        for (; a < n_atoms && mol[a] == b; a++) {
            for (int k = 0; k < 3; k++) {
                double df = fabs(pred_forces[3 * a + k] - true_forces[3 * a + k]);
                acc->sum_abs_f += df;
                acc->sum_sq_f += df * df;
                within = within && df <= DC_EFWT_FORCE;
            }
            acc->n_components += 3;
        }
        if (within) acc->n_within++;
    }
    acc->n_mol += n_mol;
}

void dc_metrics_finish(const dc_metrics_acc *acc, dc_split_metrics *out)
{
    if (acc->n_mol == 0) {
        out->energy_mae = out->energy_rmse = out->force_mae = out->force_rmse = out->efwt = NAN;
        return;
    }
    double nm = (double)acc->n_mol;
    out->energy_mae = acc->sum_abs_e / nm;
    out->energy_rmse = sqrt(acc->sum_sq_e / nm);
    out->efwt = (double)acc->n_within / nm;
    if (acc->n_components == 0) {
        out->force_mae = out->force_rmse = NAN;
    } else {
        double nc = (double)acc->n_components;
        out->force_mae = acc->sum_abs_f / nc;
        out->force_rmse = sqrt(acc->sum_sq_f / nc);
    }
}

void dc_metrics_describe(dc_metric_desc *metrics, int *n_metrics, const dc_dataset_config *ds)
{
    static const char *const split_name[2] = {"val", "test"};
    static const char *const metric_name[DC_SPLIT_METRICS] = {"energy_mae", "energy_rmse", "force_mae",
                                                              "force_rmse", "efwt"};
    const char *eu = ds->energy_unit ? ds->energy_unit : "eV";
    const char *lu = ds->length_unit ? ds->length_unit : "Angstrom";
    *n_metrics = 2 * DC_SPLIT_METRICS;
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < DC_SPLIT_METRICS; k++) {
            dc_metric_desc *d = &metrics[s * DC_SPLIT_METRICS + k];
            memset(d, 0, sizeof *d);
            snprintf(d->name, sizeof d->name, "%s_%s", split_name[s], metric_name[k]);
            if (k < 2) snprintf(d->unit, sizeof d->unit, "%s", eu);
            else if (k < 4) snprintf(d->unit, sizeof d->unit, "%s/%s", eu, lu);
            d->fraction = d->higher_is_better = k == 4;
            d->headline = s == 1 && (k == 0 || k == 2);
            if (s == 1 && k == 2) d->headline = DC_HEADLINE_DEFAULT;
        }
}

int dc_metrics_validate(dc_split_eval eval, void *model, const float *params, double *values, dc_error *err)
{
    int rc = DC_OK;
    dc_split_metrics val;
    DC_TRY(eval(model, 0, params, &val, &values[0], err));
    values[1] = val.energy_mae;
    values[2] = val.force_mae;
cleanup:
    return rc;
}

static void put_split(double *out, const dc_split_metrics *s)
{
    out[0] = s->energy_mae;
    out[1] = s->energy_rmse;
    out[2] = s->force_mae;
    out[3] = s->force_rmse;
    out[4] = s->efwt;
}

int dc_metrics_final(dc_split_eval eval, void *model, const float *params, double *metrics, dc_error *err)
{
    int rc = DC_OK;
    dc_split_metrics val, test;
    DC_TRY(eval(model, 0, params, &val, NULL, err));
    DC_TRY(eval(model, 1, params, &test, NULL, err));
    put_split(metrics, &val);
    put_split(metrics + DC_SPLIT_METRICS, &test);
cleanup:
    return rc;
}

/* The RMS of a split's force components, as "%.17g" or "null" when it has none. */
static void force_rms(char *out, size_t cap, const dc_dataset *ds)
{
    double sum = 0.0;
    const int64_t n = 3 * ds->n_atoms_total;
    for (int64_t k = 0; k < n && ds->forces; k++) sum += ds->forces[k] * ds->forces[k];
    const double rms = n > 0 && ds->forces ? sqrt(sum / (double)n) : NAN;
    if (isfinite(rms)) snprintf(out, cap, "%.17g", rms);
    else snprintf(out, cap, "null");
}

int dc_metrics_record(char *record, size_t cap, const dc_dataset *validation, const dc_dataset *test,
                      dc_error *err)
{
    char v[32], t[32];
    force_rms(v, sizeof v, validation);
    force_rms(t, sizeof t, test);
    int n = snprintf(record, cap, "{\"task\": \"potential\", \"force_rms_validation\": %s, \"force_rms_test\": %s}", v, t);
    if (n < 0 || (size_t)n >= cap) return dc_error_set(err, DC_ERR_INTERNAL, "a potential's record needs %d bytes", n);
    return DC_OK;
}
