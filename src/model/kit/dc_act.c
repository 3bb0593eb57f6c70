/* The activation table in double (dc_act.h). The derivatives of the sigmoid family are written in
 * s = sigmoid(x): s' = s(1-s), s'' = s'(1-2s), s''' = s'(1-6s+6s^2); tanh's in t = tanh(x):
 * t' = 1-t^2, t'' = -2t t', t''' = t'(6t^2-2). */
#include "dc_act.h"

#include <math.h>

static const double LN2 = 0.69314718055994530942;

const char *dc_act_name(dc_act_kind kind)
{
    static const char *const names[DC_N_ACT_KINDS] = {"ssp", "tanh", "silu", "irelu"};
    return (unsigned)kind < DC_N_ACT_KINDS ? names[kind] : "?";
}

/* Without overflow for large |x|. */
static double sigmoid(double x)
{
    if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
    const double ex = exp(x);
    return ex / (1.0 + ex);
}

/* s, s', s'', s''' of the sigmoid */
static void sigmoid_jet(double x, double *s)
{
    s[0] = sigmoid(x);
    s[1] = s[0] * (1.0 - s[0]);
    s[2] = s[1] * (1.0 - 2.0 * s[0]);
    s[3] = s[1] * (1.0 - 6.0 * s[0] + 6.0 * s[0] * s[0]);
}

void dc_act_eval(dc_act a, double x, int order, double *d)
{
    double all[DC_ACT_MAX_ORDER + 1], s[4];
    switch (a.kind) {
    case DC_ACT_SSP:
        sigmoid_jet(x, s);
        /* ln(1 + e^x) without overflow nor loss of digits for very negative x */
        all[0] = fmax(x, 0.0) + log1p(exp(-fabs(x))) - LN2;
        all[1] = s[0], all[2] = s[1], all[3] = s[2];
        break;
    case DC_ACT_TANH: {
        const double t = tanh(x), t1 = 1.0 - t * t;
        all[0] = t, all[1] = t1, all[2] = -2.0 * t * t1, all[3] = t1 * (6.0 * t * t - 2.0);
        break;
    }
    case DC_ACT_SILU:
        sigmoid_jet(x, s);
        all[0] = x * s[0];
        all[1] = s[0] + x * s[1];
        all[2] = 2.0 * s[1] + x * s[2];
        all[3] = 3.0 * s[2] + x * s[3];
        break;
    case DC_ACT_IRELU:
    default: {
        const int on = x > 0.0;
        all[0] = on ? a.c * x * x : 0.0;
        all[1] = on ? 2.0 * a.c * x : 0.0;
        all[2] = on ? 2.0 * a.c : 0.0;
        all[3] = 0.0;
        break;
    }
    }
    for (int k = 0; k <= order && k <= DC_ACT_MAX_ORDER; k++) d[k] = all[k];
}
