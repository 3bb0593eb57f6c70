/* `dcsweep report` for scripts: CSV (one tidy table with a `section` column) and JSON.
 *
 * Values are the raw numbers at full precision (the shortest decimal that reads back as the same
 * double), fractions (EFwT) as fractions, missing values empty (CSV) or null (JSON). Every metric
 * of the file is in both, with the file's names and units. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/core/json_out.h"
#include "cmd_report.h"
#include "dcsweep/config/config.h"

static const char *unit_of(const dc_report *r, int m)
{
    return r->metrics[m].fraction ? "fraction" : r->metrics[m].unit;
}

/* Which way is better, spelled out in every section that carries a metric. */
static const char *direction_of(const dc_report *r, int m)
{
    return r->metrics[m].higher_is_better ? "higher" : "lower";
}

/* ---- CSV ---- */

/* The first 21 columns are the report's since its first version; the later ones are appended so
 * that scripts reading columns by position keep working. */
static const char csv_header[] =
    "section,metric,unit,irelu_scale,extent,rescaling,factor,level,n_configs,n_runs,n_done,"
    "n_diverged,n_failed,n_pending,n,mean,sd,t,ci_low,ci_high,excludes_zero,"
    "direction,n_collapsed,k,n_worse,p_t,p_holm,p_sign_flip,status,"
    "term,df,ss,share,f,p,estimate,se,reference,p_best\n";

/* The factorial and bootstrap columns (the last ten); NULL: all empty. */
typedef struct csv_extra {
    const char *term;       /* "c", "c:extent", "seed", "three_way", "residual" */
    int df;                 /* -1: empty */
    double ss, share, f, p, estimate, se;
    const char *reference;  /* a contrast's reference levels */
    double p_best;
} csv_extra;

/* A CSV field for a number: empty when missing. */
static void csv_num(FILE *out, double v)
{
    char buf[40];
    dc_json_double(buf, sizeof buf, v);
    fprintf(out, ",%s", buf);
}

/* Our names and units never hold commas or quotes, but a unit comes from the file: quote it. */
static void csv_text(FILE *out, const char *s)
{
    fputs(",\"", out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void csv_key(FILE *out, const dc_report_key *k)
{
    csv_num(out, k->irelu_scale);
    fprintf(out, ",%s,%s", dc_extent_name(k->extent), dc_rescaling_name(k->rescaling));
}

/* section, metric, unit of metric m (the three first columns). */
static void csv_lead(FILE *out, const char *section, const dc_report *r, int m)
{
    fprintf(out, "%s,%s", section, r->metrics[m].name);
    csv_text(out, unit_of(r, m));
}

/* One configuration's counts, mean and sd of metric m (n: the runs the mean covers), up to and
 * including excludes_zero. */
static void csv_config_cells(FILE *out, const dc_report_config *c, int m)
{
    csv_key(out, &c->key);
    fprintf(out, ",,,,%d,%d,%d,%d,%d,%d", c->n_runs, c->n_done, c->n_diverged, c->n_failed,
            c->n_pending, c->n_value[m]);
    csv_num(out, c->mean[m]);
    csv_num(out, c->sd[m]);
    fputs(",,,,", out);
}

/* The appended columns; NULL and -1 leave a cell empty. */
static void csv_tail_extra(FILE *out, const char *direction, int n_collapsed, int k, int n_worse,
                           double p_t, double p_holm, double p_sign_flip, const char *status,
                           const csv_extra *x)
{
    fprintf(out, ",%s,", direction ? direction : "");
    if (n_collapsed >= 0) fprintf(out, "%d", n_collapsed);
    fputc(',', out);
    if (k >= 0) fprintf(out, "%d", k);
    fputc(',', out);
    if (n_worse >= 0) fprintf(out, "%d", n_worse);
    csv_num(out, p_t);
    csv_num(out, p_holm);
    csv_num(out, p_sign_flip);
    fprintf(out, ",%s", status ? status : "");
    if (!x) {
        fputs(",,,,,,,,,,\n", out);
        return;
    }
    fprintf(out, ",%s,", x->term ? x->term : "");
    if (x->df >= 0) fprintf(out, "%d", x->df);
    csv_num(out, x->ss);
    csv_num(out, x->share);
    csv_num(out, x->f);
    csv_num(out, x->p);
    csv_num(out, x->estimate);
    csv_num(out, x->se);
    fprintf(out, ",%s", x->reference ? x->reference : "");
    csv_num(out, x->p_best);
    fputc('\n', out);
}

static void csv_tail(FILE *out, const char *direction, int n_collapsed, int k, int n_worse, double p_t,
                     double p_holm, double p_sign_flip, const char *status)
{
    csv_tail_extra(out, direction, n_collapsed, k, n_worse, p_t, p_holm, p_sign_flip, status, NULL);
}

static void csv_term(char *buf, size_t cap, dc_term_kind kind, dc_factor a, dc_factor b);

/* "c=1,extent=full": a contrast's levels of its factors (a, and b for an interaction). */
static void csv_levels(char *buf, size_t cap, const dc_report_contrast *c, const dc_report_key *k)
{
    size_t len = 0;
    dc_factor f[2] = {c->a, c->b};
    for (int i = 0; i < (c->kind == DC_TERM_TWO_WAY ? 2 : 1) && len < cap; i++) {
        const char *sep = i ? ";" : "";
        if (f[i] == DC_FACTOR_IRELU_SCALE)
            len += (size_t)snprintf(buf + len, cap - len, "%sc=%.17g", sep, k->irelu_scale);
        else if (f[i] == DC_FACTOR_EXTENT)
            len += (size_t)snprintf(buf + len, cap - len, "%sextent=%s", sep, dc_extent_name(k->extent));
        else
            len += (size_t)snprintf(buf + len, cap - len, "%srescaling=%s", sep, dc_rescaling_name(k->rescaling));
    }
}

/* The factorial ANOVA and contrasts and P(best): their own sections. */
static void csv_factorial(FILE *out, const dc_report *r)
{
    const dc_report_factorial *fa = &r->factorial;
    const char *dir = direction_of(r, r->metric);
    for (int a = 0; a < fa->n_anova && fa->available; a++) {
        const dc_report_anova_row *row = &fa->anova[a];
        char term[64];
        csv_term(term, sizeof term, row->kind, row->a, row->b);
        csv_lead(out, "anova", r, r->metric);
        fprintf(out, ",,,,,,,,,,,,%d,,,,,,", fa->n_seeds);
        csv_extra x = {term, row->df, row->ss, row->share, row->f, row->p, NAN, NAN, NULL, NAN};
        csv_tail_extra(out, dir, -1, -1, -1, NAN, NAN, NAN, NULL, &x);
    }
    for (int i = 0; i < fa->n_contrasts && fa->available; i++) {
        const dc_report_contrast *c = &fa->contrasts[i];
        char term[64], level[128], ref[128];
        csv_term(term, sizeof term, c->kind, c->a, c->b);
        csv_levels(level, sizeof level, c, &c->level);
        csv_levels(ref, sizeof ref, c, &c->reference);
        csv_lead(out, "contrasts", r, r->metric);
        fprintf(out, ",,,,,%s,,,,,,,%d", level, fa->n_seeds);
        csv_num(out, c->estimate);
        fputc(',', out);
        csv_num(out, fa->t);
        csv_num(out, c->ci_low);
        csv_num(out, c->ci_high);
        fputc(',', out);
        csv_extra x = {term, fa->df_resid, NAN, NAN, NAN, c->p, c->estimate, c->se, ref, NAN};
        csv_tail_extra(out, dir, -1, -1, -1, NAN, NAN, NAN, NULL, &x);
    }
    for (int i = 0; i < r->n_configs && r->bootstrap.p_best; i++) {
        if (!isfinite(r->bootstrap.p_best[i])) continue;
        csv_lead(out, "p_best", r, r->metric);
        csv_key(out, &r->configs[i].key);
        fprintf(out, ",,,,,,,,,%d,,,,,,", r->bootstrap.n_seeds);
        csv_extra x = {NULL, -1, NAN, NAN, NAN, NAN, NAN, NAN, NULL, r->bootstrap.p_best[i]};
        csv_tail_extra(out, dir, -1, -1, -1, NAN, NAN, NAN, NULL, &x);
    }
}

/* A rate of diverged or collapsed runs: n = finished runs, k of them, mean = k / n. */
static void csv_rate(FILE *out, const char *what, const dc_report_config *c, const dc_report_rate *rate,
                     int known)
{
    fprintf(out, "rates,%s,\"fraction\"", what);
    csv_key(out, &c->key);
    fprintf(out, ",,,,%d,%d,%d,%d,%d,%d", c->n_runs, c->n_done, c->n_diverged, c->n_failed,
            c->n_pending, rate->n);
    csv_num(out, rate->rate);
    fputs(",,", out);
    csv_num(out, rate->ci_low);
    csv_num(out, rate->ci_high);
    fputc(',', out);
    csv_tail(out, "lower", c->n_collapsed, known ? rate->k : -1, -1, NAN, NAN, NAN, known ? NULL : "no_rule");
}

void dc_report_print_csv(FILE *out, const dc_report *r, const report_source *src)
{
    (void)src;
    fputs(csv_header, out);
    for (int i = 0; i < r->n_configs; i++) {
        const dc_report_config *c = &r->configs[i];
        for (int m = 0; m < r->n_metrics; m++) {
            csv_lead(out, "configurations", r, m);
            csv_config_cells(out, c, m);
            csv_tail(out, direction_of(r, m), c->n_collapsed, -1, -1, NAN, NAN, NAN, NULL);
        }
    }
    for (int i = 0; i < r->n_configs; i++) {
        const dc_report_config *c = &r->configs[i];
        csv_rate(out, "diverged", c, &c->diverged, 1);
        csv_rate(out, "collapsed", c, &c->collapsed, r->collapse_metric >= 0);
    }
    for (int i = 0; i < r->n_effects; i++) {
        const dc_report_effect *e = &r->effects[i];
        csv_lead(out, "main_effects", r, r->metric);
        fprintf(out, ",,,,%s,", dc_factor_name(e->factor));
        if (e->factor == DC_FACTOR_IRELU_SCALE) {
            char buf[40];
            dc_json_double(buf, sizeof buf, e->level.irelu_scale);
            fputs(buf, out);
        } else {
            fputs(e->factor == DC_FACTOR_EXTENT ? dc_extent_name(e->level.extent)
                                                : dc_rescaling_name(e->level.rescaling), out);
        }
        fprintf(out, ",%d,,,,,,", e->n_configs);
        csv_num(out, e->mean);
        fputs(",,,,,", out);
        csv_tail(out, direction_of(r, r->metric), -1, -1, -1, NAN, NAN, NAN, NULL);
    }
    if (r->baseline >= 0) {
        csv_lead(out, "baseline", r, r->metric);
        csv_key(out, &r->configs[r->baseline].key);
        fputs(",,,,,,,,,,,,,,,", out);
        csv_tail(out, direction_of(r, r->metric), -1, -1, -1, NAN, NAN, NAN, NULL);
    }
    for (int i = 0; i < r->n_paired; i++) {
        const dc_report_paired *p = &r->paired[i];
        csv_lead(out, "paired", r, r->metric);
        csv_key(out, &r->configs[p->config].key);
        fprintf(out, ",,,,,,,,,%d", p->stats.n);
        csv_num(out, p->stats.mean);
        csv_num(out, p->stats.sd);
        csv_num(out, p->stats.t);
        csv_num(out, p->stats.ci_low);
        csv_num(out, p->stats.ci_high);
        fprintf(out, ",%s", p->stats.n < 2 ? "" : p->stats.excludes_zero ? "true" : "false");
        csv_tail(out, direction_of(r, r->metric), -1, p->n_better, p->n_worse, p->p_t, p->p_holm,
                 p->p_sign_flip, NULL);
    }
    csv_factorial(out, r);
    /* One row per metric: the best configuration, or why there is none (n_configs: the tied). */
    for (int m = 0; m < r->n_metrics; m++) {
        int b = r->best[m];
        const char *status = dc_best_status_name(r->best_status[m]);
        csv_lead(out, "best", r, m);
        if (b >= 0) {
            csv_config_cells(out, &r->configs[b], m);
            csv_tail(out, direction_of(r, m), r->configs[b].n_collapsed, -1, -1, NAN, NAN, NAN, status);
            continue;
        }
        fputs(",,,,,,", out);
        if (r->best_status[m] == DC_BEST_TIE) fprintf(out, "%d", r->best_n_tied[m]);
        fputs(",,,,,,,,,,,,", out);
        csv_tail(out, direction_of(r, m), -1, -1, -1, NAN, NAN, NAN, status);
    }
}

/* ---- JSON ---- */


static void json_num(FILE *out, double v)
{
    char buf[40];
    dc_json_double(buf, sizeof buf, v);
    fputs(buf[0] ? buf : "null", out);
}

static void json_key(FILE *out, const dc_report_key *k)
{
    fputs("\"irelu_scale\": ", out);
    json_num(out, k->irelu_scale);
    fprintf(out, ", \"extent\": \"%s\", \"rescaling\": \"%s\"", dc_extent_name(k->extent),
            dc_rescaling_name(k->rescaling));
}

static void json_metric_map(FILE *out, const dc_report *r, const double *v)
{
    fputc('{', out);
    for (int m = 0; m < r->n_metrics; m++) {
        fprintf(out, "%s\"%s\": ", m ? ", " : "", r->metrics[m].name);
        json_num(out, v[m]);
    }
    fputc('}', out);
}

static void json_counts(FILE *out, const dc_report_config *c)
{
    fprintf(out, "\"n_runs\": %d, \"n_done\": %d, \"n_diverged\": %d, \"n_failed\": %d, \"n_pending\": %d, "
                 "\"n_collapsed\": %d",
            c->n_runs, c->n_done, c->n_diverged, c->n_failed, c->n_pending, c->n_collapsed);
}

static void json_rate(FILE *out, const char *key, const dc_report_rate *rate)
{
    fprintf(out, ", \"%s\": {\"k\": %d, \"n\": %d, \"rate\": ", key, rate->k, rate->n);
    json_num(out, rate->rate);
    fputs(", \"ci_low\": ", out);
    json_num(out, rate->ci_low);
    fputs(", \"ci_high\": ", out);
    json_num(out, rate->ci_high);
    fputc('}', out);
}

/* `key` (with its separator and colon) followed by value as a JSON string. */
static void json_field(FILE *out, const char *key, const char *value)
{
    fputs(key, out);
    dc_json_string(out, value);
}

/* "irelu_scale", "irelu_scale:extent", "seed", "three_way", "residual": an ANOVA term's name. */
static void term_name(char *buf, size_t cap, dc_term_kind kind, dc_factor a, dc_factor b)
{
    switch (kind) {
    case DC_TERM_SEED: snprintf(buf, cap, "seed"); break;
    case DC_TERM_MAIN: snprintf(buf, cap, "%s", dc_factor_name(a)); break;
    case DC_TERM_TWO_WAY: snprintf(buf, cap, "%s:%s", dc_factor_name(a), dc_factor_name(b)); break;
    case DC_TERM_THREE_WAY: snprintf(buf, cap, "three_way"); break;
    default: snprintf(buf, cap, "residual"); break;
    }
}

/* A factor's level in a key, as a JSON value. */
static void json_level(FILE *out, dc_factor f, const dc_report_key *k)
{
    if (f == DC_FACTOR_IRELU_SCALE) json_num(out, k->irelu_scale);
    else if (f == DC_FACTOR_EXTENT) fprintf(out, "\"%s\"", dc_extent_name(k->extent));
    else fprintf(out, "\"%s\"", dc_rescaling_name(k->rescaling));
}

static void json_factorial(FILE *out, const dc_report *r)
{
    const dc_report_factorial *fa = &r->factorial;
    fprintf(out, ",\n \"factorial\": {\"metric\": \"%s\", \"direction\": \"%s\", \"available\": %s, ",
            r->metrics[r->metric].name, direction_of(r, r->metric), fa->available ? "true" : "false");
    json_field(out, "\"why\": ", fa->why);
    fputs(", \"design\": \"configurations whose extent uses c (output, full), c x extent x rescaling, "
          "seeds as blocks (the seeds done in all of them); extent none has no c and is left out "
          "(the paired section compares it)\"", out);
    fprintf(out, ", \"factors\": [");
    for (int i = 0; i < fa->n_factors; i++)
        fprintf(out, "%s\"%s\"", i ? ", " : "", dc_factor_name(fa->factors[i]));
    fprintf(out, "], \"n_cells\": %d, \"n_seeds\": %d, \"n_seeds_total\": %d, \"df_resid\": %d, "
                 "\"ms_resid\": ", fa->n_cells, fa->n_seeds, fa->n_seeds_total, fa->df_resid);
    json_num(out, fa->available ? fa->ms_resid : NAN);
    fputs(", \"t\": ", out);
    json_num(out, fa->available ? fa->t : NAN);
    fputs(", \"grand_mean\": ", out);
    json_num(out, fa->available ? fa->grand_mean : NAN);
    fputs(", \"seed_share\": ", out);
    json_num(out, fa->available ? fa->anova[0].share : NAN);
    fputs(",\n  \"anova\": [", out);
    for (int a = 0; a < fa->n_anova; a++) {
        const dc_report_anova_row *row = &fa->anova[a];
        char name[64];
        term_name(name, sizeof name, row->kind, row->a, row->b);
        fprintf(out, "%s\n   {\"term\": \"%s\", \"df\": %d, \"ss\": ", a ? "," : "", name, row->df);
        json_num(out, row->ss);
        fputs(", \"share\": ", out);
        json_num(out, row->share);
        fputs(", \"f\": ", out);
        json_num(out, row->f);
        fputs(", \"p\": ", out);
        json_num(out, row->p);
        fputc('}', out);
    }
    fputs("],\n  \"contrasts\": [", out);
    for (int i = 0; i < fa->n_contrasts; i++) {
        const dc_report_contrast *c = &fa->contrasts[i];
        char name[64];
        term_name(name, sizeof name, c->kind, c->a, c->b);
        fprintf(out, "%s\n   {\"term\": \"%s\", \"level\": {\"%s\": ", i ? "," : "", name, dc_factor_name(c->a));
        json_level(out, c->a, &c->level);
        if (c->kind == DC_TERM_TWO_WAY) {
            fprintf(out, ", \"%s\": ", dc_factor_name(c->b));
            json_level(out, c->b, &c->level);
        }
        fprintf(out, "}, \"reference\": {\"%s\": ", dc_factor_name(c->a));
        json_level(out, c->a, &c->reference);
        if (c->kind == DC_TERM_TWO_WAY) {
            fprintf(out, ", \"%s\": ", dc_factor_name(c->b));
            json_level(out, c->b, &c->reference);
        }
        fputs("}, \"estimate\": ", out);
        json_num(out, c->estimate);
        fputs(", \"se\": ", out);
        json_num(out, c->se);
        fputs(", \"ci_low\": ", out);
        json_num(out, c->ci_low);
        fputs(", \"ci_high\": ", out);
        json_num(out, c->ci_high);
        fputs(", \"p\": ", out);
        json_num(out, c->p);
        fputc('}', out);
    }
    fputs("]}", out);
    fprintf(out, ",\n \"bootstrap\": {\"metric\": \"%s\", \"resamples\": %d, \"seed\": %u, \"n_seeds\": %d, "
                 "\"n_candidates\": %d}",
            r->metrics[r->metric].name, DC_BOOTSTRAP_RESAMPLES, (unsigned)DC_BOOTSTRAP_SEED,
            r->bootstrap.n_seeds, r->bootstrap.n_candidates);
}

void dc_report_print_json(FILE *out, const dc_report *r, const report_source *src)
{
    json_field(out, "{\"file\": ", src->path);
    json_field(out, ", \"sweep_name\": ", r->sweep_name);
    json_field(out, ", \"model_kind\": ", r->model_kind);
    fprintf(out, ", \"epochs\": %d, \"metric\": \"%s\", \"metric_unit\": ", r->epochs,
            r->metrics[r->metric].name);
    dc_json_string(out, unit_of(r, r->metric));
    /* every metric's unit; a file in a dataset's units also keeps them under their old keys */
    fputs(", \"units\": {", out);
    if (r->energy_unit[0]) {
        json_field(out, "\"energy\": ", r->energy_unit);
        json_field(out, ", \"length\": ", r->length_unit);
        json_field(out, ", \"force\": ", r->force_unit);
        fputs(", \"efwt\": \"fraction\"", out);
    }
    for (int m = 0; m < r->n_metrics; m++) {
        fprintf(out, "%s\"%s\": ", m || r->energy_unit[0] ? ", " : "", r->metrics[m].name);
        dc_json_string(out, unit_of(r, m));
    }
    fputs("}, \"metrics\": [", out);
    for (int m = 0; m < r->n_metrics; m++) {
        const dc_metric_desc *d = &r->metrics[m];
        fprintf(out, "%s{\"name\": \"%s\", \"unit\": ", m ? ", " : "", d->name);
        dc_json_string(out, d->unit);
        fprintf(out, ", \"higher_is_better\": %s, \"direction\": \"%s\", \"fraction\": %s, \"headline\": %s}",
                d->higher_is_better ? "true" : "false", direction_of(r, m), d->fraction ? "true" : "false",
                d->headline ? "true" : "false");
    }
    fprintf(out, "], \"runs\": {\"total\": %d, \"done\": %d, \"diverged\": %d, "
                 "\"failed\": %d, \"pending\": %d, \"collapsed\": %d}",
            r->n_runs, r->n_done, r->n_diverged, r->n_failed, r->n_pending, r->n_collapsed);
    /* the rule a collapsed run meets, or null when the file's metrics cannot show one */
    fputs(",\n \"collapse\": ", out);
    if (r->collapse_metric >= 0) {
        char rule[256], meaning[256], text[520];
        dc_report_collapse_text(r, rule, sizeof rule, meaning, sizeof meaning);
        snprintf(text, sizeof text, "%s: %s", rule, meaning);
        fprintf(out, "{\"metric\": \"%s\", \"reference\": %.17g, \"center\": 1, \"tolerance\": %g, "
                     "\"rule\": ", r->metrics[r->collapse_metric].name, r->collapse_reference,
                DC_COLLAPSE_TOLERANCE);
        dc_json_string(out, text);
        fputc('}', out);
    } else
        fputs("null", out);

    fputs(",\n \"baseline\": ", out);
    if (r->baseline >= 0) {
        fputc('{', out);
        json_key(out, &r->configs[r->baseline].key);
        json_field(out, ", \"spec\": ", src->baseline_spec ? src->baseline_spec : "");
        fputc('}', out);
    } else {
        fputs("null", out);
    }

    fputs(",\n \"configurations\": [", out);
    for (int i = 0; i < r->n_configs; i++) {
        const dc_report_config *c = &r->configs[i];
        fprintf(out, "%s\n  {", i ? "," : "");
        json_key(out, &c->key);
        fputs(", ", out);
        json_counts(out, c);
        fputs(", \"mean\": ", out);
        json_metric_map(out, r, c->mean);
        fputs(", \"sd\": ", out);
        json_metric_map(out, r, c->sd);
        fputs(", \"n_value\": {", out);
        for (int m = 0; m < r->n_metrics; m++)
            fprintf(out, "%s\"%s\": %d", m ? ", " : "", r->metrics[m].name, c->n_value[m]);
        fputc('}', out);
        json_rate(out, "diverged_rate", &c->diverged);
        json_rate(out, "collapsed_rate", &c->collapsed);
        fputs(", \"p_best\": ", out);
        json_num(out, r->bootstrap.p_best ? r->bootstrap.p_best[i] : NAN);
        fputc('}', out);
    }

    fputs("],\n \"main_effects\": [", out);
    for (int i = 0; i < r->n_effects; i++) {
        const dc_report_effect *e = &r->effects[i];
        fprintf(out, "%s\n  {\"factor\": \"%s\", \"level\": ", i ? "," : "", dc_factor_name(e->factor));
        if (e->factor == DC_FACTOR_IRELU_SCALE) json_num(out, e->level.irelu_scale);
        else if (e->factor == DC_FACTOR_EXTENT) fprintf(out, "\"%s\"", dc_extent_name(e->level.extent));
        else fprintf(out, "\"%s\"", dc_rescaling_name(e->level.rescaling));
        fprintf(out, ", \"metric\": \"%s\", \"direction\": \"%s\", \"n_configs\": %d, \"n_configs_total\": %d, "
                     "\"mean\": ",
                r->metrics[r->metric].name, direction_of(r, r->metric), e->n_configs, e->n_configs_total);
        json_num(out, e->mean);
        fputc('}', out);
    }

    fputs("],\n \"paired\": [", out);
    for (int i = 0; i < r->n_paired; i++) {
        const dc_report_paired *p = &r->paired[i];
        fprintf(out, "%s\n  {", i ? "," : "");
        json_key(out, &r->configs[p->config].key);
        fprintf(out, ", \"metric\": \"%s\", \"direction\": \"%s\", \"n\": %d, \"n_better\": %d, \"n_worse\": %d, "
                     "\"mean\": ",
                r->metrics[r->metric].name, direction_of(r, r->metric), p->stats.n, p->n_better, p->n_worse);
        json_num(out, p->stats.mean);
        fputs(", \"sd\": ", out);
        json_num(out, p->stats.sd);
        fputs(", \"t\": ", out);
        json_num(out, p->stats.t);
        fputs(", \"ci_low\": ", out);
        json_num(out, p->stats.ci_low);
        fputs(", \"ci_high\": ", out);
        json_num(out, p->stats.ci_high);
        fprintf(out, ", \"excludes_zero\": %s, \"p_t\": ",
                p->stats.n < 2 ? "null" : p->stats.excludes_zero ? "true" : "false");
        json_num(out, p->p_t);
        fputs(", \"p_holm\": ", out);
        json_num(out, p->p_holm);
        fputs(", \"p_sign_flip\": ", out);
        json_num(out, p->p_sign_flip);
        fputc('}', out);
    }

    fputs("]", out);
    json_factorial(out, r);
    fputs(",\n \"best\": [", out);
    for (int m = 0; m < r->n_metrics; m++) {
        fprintf(out, "%s\n  {\"metric\": \"%s\", \"higher_is_better\": %s, \"direction\": \"%s\", "
                     "\"status\": \"%s\", \"n_tied\": %d, \"n_candidates\": %d, \"n_degenerate\": %d, ",
                m ? "," : "", r->metrics[m].name, r->metrics[m].higher_is_better ? "true" : "false",
                direction_of(r, m), dc_best_status_name(r->best_status[m]), r->best_n_tied[m],
                r->best_n_candidates[m], r->best_n_degenerate[m]);
        int b = r->best[m];
        if (b < 0) {
            /* a tie keeps its shared mean */
            fputs("\"irelu_scale\": null, \"extent\": null, \"rescaling\": null, \"n_done\": 0, \"mean\": ", out);
            json_num(out, r->best_mean[m]);
            fputs(", \"sd\": null}", out);
            continue;
        }
        const dc_report_config *c = &r->configs[b];
        json_key(out, &c->key);
        fprintf(out, ", \"n_done\": %d, \"mean\": ", c->n_done);
        json_num(out, c->mean[m]);
        fputs(", \"sd\": ", out);
        json_num(out, c->sd[m]);
        fputc('}', out);
    }
    fputs("]}\n", out);
}

static void csv_term(char *buf, size_t cap, dc_term_kind kind, dc_factor a, dc_factor b)
{
    term_name(buf, cap, kind, a, b);
}
