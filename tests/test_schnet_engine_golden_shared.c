/* The float oneDNN engine against PyTorch float64 autograd on the golden file: energies, forces,
 * both losses and every parameter gradient for every activation case, each within 1e-4 relative to
 * the tensor's largest magnitude (docs/model.md: what float32 arithmetic allows). */
#include "check.h"
#include "dcsweep/model/schnet.h"
#include "golden.h"

static const double TOL = 1e-4;

int main(void)
{
    golden gd;
    int opened = golden_open_shared(&gd);
    if (opened) return opened == CHECK_SKIP_EXIT ? opened : check_finish();
    char msg[512];
    dc_error err = {0};
    dc_schnet *eng = NULL;
    int rc = dc_schnet_create(&eng, &gd.shape, gd.n_mol, gd.n_atoms, gd.n_edges, &err);
    CHECK(rc == DC_OK, "create: %s", err.message);
    if (rc != DC_OK) return check_finish();
    const int64_t np = gd.layout.n_params;
    double *energy = calloc((size_t)gd.n_mol, sizeof *energy);
    double *forces = calloc(3 * (size_t)gd.n_atoms, sizeof *forces);
    float *grad = calloc((size_t)np, sizeof *grad);
    double *grad_d = calloc((size_t)np, sizeof *grad_d);
    for (int k = 0; k < gd.n_cases; k++) {
        golden_case gc;
        if (golden_load_case(&gd, k, &gc, msg, sizeof msg)) {
            CHECK(0, "%s", msg);
            continue;
        }
        rc = dc_schnet_predict(eng, &gc.act, gd.params_f, &gd.batch, energy, forces, &err);
        CHECK(rc == DC_OK, "%s: predict: %s", gc.name, err.message);
        double ee = golden_rel_err(energy, gc.energy, gd.n_mol);
        double fe = golden_rel_err(forces, gc.forces, 3 * (int64_t)gd.n_atoms);
        CHECK(ee <= TOL, "%s: energy rel err %.3g", gc.name, ee);
        CHECK(fe <= TOL, "%s: forces rel err %.3g", gc.name, fe);
        printf("%-22s energy %.3g forces %.3g", gc.name, ee, fe);
        for (int l = 0; l < 2; l++) {
            const char *ln = l == DC_LOSS_MSE ? "mse" : "l1";
            dc_loss_spec spec = {.kind = (dc_loss)l, .force_weight = gd.force_weight};
            dc_loss_value lv;
            rc = dc_schnet_loss_grad(eng, &gc.act, gd.params_f, &gd.batch, &spec, energy, forces,
                                     grad, &lv, &err);
            CHECK(rc == DC_OK, "%s: %s: %s", gc.name, ln, err.message);
            double le = fabs(lv.total - gc.loss[l]) / fabs(gc.loss[l]);
            CHECK(le <= TOL, "%s: %s loss %.10g, golden %.10g", gc.name, ln, lv.total, gc.loss[l]);
            for (int64_t p = 0; p < np; p++) grad_d[p] = grad[p];
            int wt = 0;
            double ge = golden_tensor_err(&gd, grad_d, gc.grad[l], &wt);
            CHECK(ge <= TOL, "%s: %s grad of %s: rel err %.3g", gc.name, ln,
                  gd.layout.tensors[wt].name, ge);
            printf("  %s loss %.3g grad %.3g (%s)", ln, le, ge, gd.layout.tensors[wt].name);
        }
        printf("\n");
        golden_case_free(&gc);
    }
    dc_schnet_destroy(eng);
    free(energy);
    free(forces);
    free(grad);
    free(grad_d);
    golden_free(&gd);
    return check_finish();
}
