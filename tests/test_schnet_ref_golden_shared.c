/* The double reference against PyTorch float64 autograd (double backprop) on the golden file:
 * energies, forces, both losses and every parameter gradient, for every activation case. Both are
 * double precision, so anything above rounding noise is a bug in the maths, not in precision. */
#include "check.h"
#include "dcsweep/model/schnet.h"
#include "golden.h"

static const double TOL = 1e-9;

int main(void)
{
    golden gd;
    int opened = golden_open_shared(&gd);
    if (opened) return opened == CHECK_SKIP_EXIT ? opened : check_finish();
    char msg[512];
    double *energy = calloc((size_t)gd.n_mol, sizeof *energy);
    double *forces = calloc(3 * (size_t)gd.n_atoms, sizeof *forces);
    double *grad = calloc((size_t)gd.layout.n_params, sizeof *grad);
    for (int k = 0; k < gd.n_cases; k++) {
        golden_case gc;
        if (golden_load_case(&gd, k, &gc, msg, sizeof msg)) {
            CHECK(0, "%s", msg);
            continue;
        }
        dc_error err = {0};
        double worst = 0.0;
        const char *worst_what = "";
        /* Prediction alone (no loss) must give the same energies and forces. */
        int rc = dc_schnet_ref_eval(&gd.shape, &gc.act, gd.params, &gd.batch, NULL, energy, forces,
                                    NULL, NULL, &err);
        CHECK(rc == DC_OK, "%s: predict: %s", gc.name, err.message);
        double ee = golden_rel_err(energy, gc.energy, gd.n_mol);
        double fe = golden_rel_err(forces, gc.forces, 3 * (int64_t)gd.n_atoms);
        CHECK(ee <= TOL, "%s: energy rel err %.3g", gc.name, ee);
        CHECK(fe <= TOL, "%s: forces rel err %.3g", gc.name, fe);
        if (ee > worst) { worst = ee; worst_what = "energy"; }
        if (fe > worst) { worst = fe; worst_what = "forces"; }
        for (int l = 0; l < 2; l++) {
            dc_loss_spec spec = {.kind = (dc_loss)l, .force_weight = gd.force_weight};
            dc_loss_value lv;
            rc = dc_schnet_ref_eval(&gd.shape, &gc.act, gd.params, &gd.batch, &spec, energy, forces,
                                    grad, &lv, &err);
            CHECK(rc == DC_OK, "%s: %s: %s", gc.name, l ? "mse" : "l1", err.message);
            double le = fabs(lv.total - gc.loss[l]) / fabs(gc.loss[l]);
            CHECK(le <= TOL, "%s: %s loss %.17g, golden %.17g", gc.name, l ? "mse" : "l1", lv.total,
                  gc.loss[l]);
            CHECK(fabs(lv.energy_loss + gd.force_weight * lv.force_loss - lv.total) <=
                      1e-14 * lv.total, "%s: loss terms do not add up", gc.name);
            int wt = 0;
            double ge = golden_tensor_err(&gd, grad, gc.grad[l], &wt);
            CHECK(ge <= TOL, "%s: %s grad of %s: rel err %.3g", gc.name, l ? "mse" : "l1",
                  gd.layout.tensors[wt].name, ge);
            if (le > worst) { worst = le; worst_what = l ? "mse loss" : "l1 loss"; }
            if (ge > worst) { worst = ge; worst_what = gd.layout.tensors[wt].name; }
        }
        printf("%-22s worst rel err %.3g (%s)\n", gc.name, worst, worst_what);
        golden_case_free(&gc);
    }
    free(energy);
    free(forces);
    free(grad);
    golden_free(&gd);
    return check_finish();
}
