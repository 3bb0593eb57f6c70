/* The per-op checker (src/model/kit/dc_opcheck.h) over EVERY op kind of dc_op_table, every variant
 * of its fixture, at jet orders K = 1 and 2: jvp against central differences, the dot-product test
 * of each adjoint half (primal, tangent planes, parameters), and the jmax independence. A kind
 * without a fixture fails the test, as does a fixture whose schedule does not end in its kind.
 * Prints the counts: kinds checked, checks run and passed. */
#include "check.h"
#include "dc_opcheck.h"

int main(void)
{
    int kinds_checked = 0, checks = 0, passed = 0;
    for (int kind = 0; kind < DC_N_OP_KINDS; kind++) {
        const char *name = dc_op_table[kind].name;
        CHECK(name && dc_op_table[kind].eval && dc_op_table[kind].vjp, "kind %d has no rules", kind);
        dc_opcheck_result res = {0};
        int variants = 1, ran = 0;
        for (int K = 1; K <= DC_JET_MAX; K++)
            for (int v = 0; v < variants; v++) {
                dc_sched s;
                dc_error err = {0};
                dc_sched_init(&s, K);
                variants = dc_opcheck_fixture(&s, (dc_op_kind)kind, v);
                if (variants == 0) {
                    dc_sched_free(&s);
                    break;
                }
                int rc = dc_sched_alloc(&s, &err);
                CHECK(rc == DC_OK, "%s v%d: %s", name, v, err.message);
                if (rc == DC_OK) {
                    CHECK(s.n_ops >= 1 && (int)s.ops[s.n_ops - 1].kind == kind,
                          "%s: the fixture does not end in its kind", name);
                    rc = dc_opcheck_run(&s, 1000 + 17 * (uint64_t)kind + (uint64_t)v, &res, &err);
                    CHECK(rc == DC_OK, "%s: %s", name, err.message);
                    ran++;
                }
                dc_sched_free(&s);
            }
        CHECK(variants > 0 && ran > 0, "op kind %s is registered but has no fixture: not checked",
              name);
        CHECK(res.checks > 0 && res.passed == res.checks,
              "%s: %d of %d checks passed; first failure: %s", name, res.passed, res.checks, res.failure);
        printf("%-12s variants %d  checks %3d  passed %3d  worst rel err %.2g\n", name, variants,
               res.checks, res.passed, res.worst);
        kinds_checked += res.checks > 0;
        checks += res.checks;
        passed += res.passed;
    }
    printf("op kinds registered %d, checked %d; checks %d, passed %d\n", DC_N_OP_KINDS,
           kinds_checked, checks, passed);
    CHECK(kinds_checked == DC_N_OP_KINDS, "%d of %d op kinds checked", kinds_checked, DC_N_OP_KINDS);
    return check_finish();
}
