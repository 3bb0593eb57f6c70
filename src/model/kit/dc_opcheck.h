/* The per-op checker (in the spirit of dav1d's checkasm): every op kind has a fixture, a tiny
 * schedule around one op of that kind at random inputs, and every rule of the op is checked on it:
 *   jvp:  plane k of the output (k = 1..K) against a central difference of plane k-1 along the
 *         jet's own curve x(eps) = sum_i eps^i / i! x_i;
 *   vjp:  the dot-product test <vjp(ybar), dx> = <ybar, J dx> for each adjoint half: dx in plane 0
 *         (the primal half), in each tangent plane 1..K, and in the parameters, with J dx a central
 *         difference of the whole jet map;
 *   jmax: the primal adjoints do not depend on how many higher adjoints the caller asks for (what
 *         the energy driver relies on).
 * tests/test_kit_ops.c runs it over every kind and every variant, at K = 1 and 2. */
#ifndef DC_KIT_OPCHECK_H
#define DC_KIT_OPCHECK_H

#include <stdint.h>

#include "dc_op.h"

typedef struct dc_opcheck_result {
    int checks, passed;
    double worst;       /* the largest relative error seen */
    char failure[256];  /* the first failed check */
} dc_opcheck_result;

/* Builds into s (initialised with dc_sched_init) variant v of kind's fixture and returns how many
 * variants the kind has; 0 when the kind has no fixture (the test fails on that). */
int dc_opcheck_fixture(dc_sched *s, dc_op_kind kind, int v);

/* Runs every check on an allocated schedule: its inputs are the non-parameter buffers no op
 * writes, its output is the last op's; res accumulates. DC_ERR_NOMEM only. */
int dc_opcheck_run(dc_sched *s, uint64_t seed, dc_opcheck_result *res, dc_error *err);

#endif
