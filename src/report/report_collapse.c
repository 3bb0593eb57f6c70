/* The collapse rules of a report (include/dcsweep/report/report.h, DC_COLLAPSE_METRIC): a
 * potential's from its results file, and the one-line text every format prints. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/report/report.h"
#include "dcsweep/results/results.h"

const dc_collapse_rule *dc_report_force_rule(dc_results *res, dc_collapse_rule *rule)
{
    char *record = NULL;
    const char *key = "\"force_rms_test\":";
    const dc_collapse_rule *out = NULL;
    if (dc_results_read_attr_string(res, "model_record", &record, NULL) == DC_OK && record) {
        const char *at = strstr(record, key);
        char *end = NULL;
        const double v = at ? strtod(at + strlen(key), &end) : NAN;
        if (at && end != at + strlen(key) && isfinite(v) && v > 0) {
            snprintf(rule->metric, sizeof rule->metric, "%s", DC_COLLAPSE_FORCE_METRIC);
            rule->reference = v;
            out = rule;
        }
    }
    free(record);
    return out;
}

void dc_report_collapse_text(const dc_report *r, char *rule, size_t rule_cap, char *meaning, size_t meaning_cap)
{
    snprintf(rule, rule_cap, "%s", "");
    snprintf(meaning, meaning_cap, "%s", "");
    if (r->collapse_metric < 0) return;
    const char *name = r->metrics[r->collapse_metric].name;
    if (strcmp(name, DC_COLLAPSE_FORCE_METRIC) != 0) {
        snprintf(rule, rule_cap, "|%s - 1| < %g", name, DC_COLLAPSE_TOLERANCE);
        snprintf(meaning, meaning_cap, "%s", "a derivative no better than a constant predictor's");
    } else {
        snprintf(rule, rule_cap, "|%s / %.6g - 1| < %g", name, r->collapse_reference, DC_COLLAPSE_TOLERANCE);
        snprintf(meaning, meaning_cap, "forces no better than zero (%.6g %s: the test forces' RMS)",
                 r->collapse_reference, r->metrics[r->collapse_metric].unit);
    }
}
