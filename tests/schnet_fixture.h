/* The SchNet trainer's results layout (metric columns and curves, as src/model/schnet and the
 * trainer describe them), for tests that write results files without training: the fake trainer,
 * the report fixture, the results tests. Header-only. */
#ifndef DCSWEEP_TESTS_SCHNET_FIXTURE_H
#define DCSWEEP_TESTS_SCHNET_FIXTURE_H

#include <stdio.h>

#include "dcsweep/config/run.h"

enum { FX_METRICS = 10, FX_CURVES = 8 };
/* metric columns: (val, test) x (energy_mae, energy_rmse, force_mae, force_rmse, efwt) */
enum { FX_ENERGY_MAE = 0, FX_ENERGY_RMSE = 1, FX_FORCE_MAE = 2, FX_FORCE_RMSE = 3, FX_EFWT = 4,
       FX_TEST = 5 };
enum { FX_TRAIN_ENERGY_LOSS = 0, FX_TRAIN_FORCE_LOSS = 1, FX_VAL_LOSS = 2, FX_VAL_ENERGY_MAE = 3,
       FX_VAL_FORCE_MAE = 4, FX_LR = 5, FX_MONITOR = 6, FX_SECONDS = 7 };

static const char *const fx_curves[FX_CURVES] = {"train_energy_loss", "train_force_loss", "val_loss",
                                                 "val_energy_mae", "val_force_mae", "lr", "monitor",
                                                 "epoch_seconds"};

static inline void fx_metrics(dc_metric_desc metrics[FX_METRICS])
{
    static const char *const split[2] = {"val", "test"};
    static const char *const name[5] = {"energy_mae", "energy_rmse", "force_mae", "force_rmse", "efwt"};
    static const char *const unit[5] = {"eV", "eV", "eV/Angstrom", "eV/Angstrom", ""};
    for (int k = 0; k < FX_METRICS; k++) {
        dc_metric_desc *d = &metrics[k];
        snprintf(d->name, sizeof d->name, "%s_%s", split[k / 5], name[k % 5]);
        snprintf(d->unit, sizeof d->unit, "%s", unit[k % 5]);
        d->fraction = d->higher_is_better = k % 5 == FX_EFWT;
        d->headline = k == FX_TEST + FX_ENERGY_MAE || k == FX_TEST + FX_FORCE_MAE;
    }
}

#endif
