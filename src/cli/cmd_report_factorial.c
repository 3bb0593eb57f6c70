/* `dcsweep report`'s factorial effects (seeds as blocks) and P(best), as text or markdown tables.
 *
 * Estimates are in the metric's display unit (fractions in percent, as the other tables show
 * them) with three significant digits: contrasts of a sweep span decades, so fixed decimals would
 * hide the small ones. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_report.h"
#include "cmd_report_table.h"
#include "dcsweep/config/config.h"

static double scale_of(const dc_report *r) { return r->metrics[r->metric].fraction ? 100.0 : 1.0; }

static const char *unit_of(const dc_report *r)
{
    return r->metrics[r->metric].fraction ? "%" : r->metrics[r->metric].unit;
}

/* "c", "extent", "rescaling": the names the other tables use. */
static const char *short_name(dc_factor f) { return f == DC_FACTOR_IRELU_SCALE ? "c" : dc_factor_name(f); }

static void term_cell(char *buf, dc_term_kind kind, dc_factor a, dc_factor b)
{
    switch (kind) {
    case DC_TERM_SEED: snprintf(buf, CELL, "seed (blocks)"); break;
    case DC_TERM_MAIN: snprintf(buf, CELL, "%s", short_name(a)); break;
    case DC_TERM_TWO_WAY: snprintf(buf, CELL, "%s x %s", short_name(a), short_name(b)); break;
    case DC_TERM_THREE_WAY: snprintf(buf, CELL, "three-way"); break;
    default: snprintf(buf, CELL, "residual"); break;
    }
}

/* "c=1" / "extent=full" / "rescaling=standard": a factor's level in a key. */
static int level_text(char *buf, size_t cap, dc_factor f, const dc_report_key *k)
{
    if (f == DC_FACTOR_IRELU_SCALE) return snprintf(buf, cap, "c=%g", k->irelu_scale);
    if (f == DC_FACTOR_EXTENT) return snprintf(buf, cap, "%s", dc_extent_name(k->extent));
    return snprintf(buf, cap, "%s", dc_rescaling_name(k->rescaling));
}

static void contrast_cells(char (*row)[CELL], const dc_report_contrast *c)
{
    char a[CELL], b[CELL];
    level_text(a, sizeof a, c->a, &c->level);
    level_text(b, sizeof b, c->a, &c->reference);
    if (c->kind == DC_TERM_MAIN) {
        snprintf(row[1], CELL, "%.30s - %.30s", a, b);
        return;
    }
    char x[CELL], y[CELL];
    level_text(x, sizeof x, c->b, &c->level);
    level_text(y, sizeof y, c->b, &c->reference);
    /* how much a's effect changes from b's reference level to b's level */
    snprintf(row[1], CELL, "(%.11s - %.11s) at %.12s vs %.12s", a, b, x, y);
}

static int print_anova(FILE *out, const dc_report *r, int markdown, dc_error *err)
{
    int rc = DC_OK;
    const dc_report_factorial *fa = &r->factorial;
    dc_rtable t;
    char title[200], note[LINE];
    snprintf(title, sizeof title, "Factorial ANOVA on %s, seeds as blocks", r->metrics[r->metric].name);
    DC_TRY(dc_rtable_init(&t, title, 6, fa->n_anova, err));
    snprintf(note, sizeof note, "the %d configurations with c (extents output and full) over the %d of "
             "%d seeds done in all of them;", fa->n_cells, fa->n_seeds, fa->n_seeds_total);
    dc_rtable_note(&t, note);
    dc_rtable_note(&t, "extent none has no c and is left out (the paired section compares it)");
    double seed = fa->anova[0].share, resid = fa->anova[fa->n_anova - 1].share;
    snprintf(note, sizeof note, "seed noise: %.1f%% of the variance between seeds, %.1f%% within (residual)",
             100 * seed, 100 * resid);
    dc_rtable_note(&t, note);
    const char *h[] = {"term", "df", "sum of squares", "share", "F", "p"};
    dc_rtable_set_cells(dc_rtable_row(&t), 6, h);
    for (int c = 1; c < 6; c++) t.right[c] = 1;
    double k2 = scale_of(r) * scale_of(r);
    for (int a = 0; a < fa->n_anova; a++) {
        const dc_report_anova_row *row = &fa->anova[a];
        char (*cells)[CELL] = dc_rtable_row(&t);
        term_cell(cells[0], row->kind, row->a, row->b);
        snprintf(cells[1], CELL, "%d", row->df);
        snprintf(cells[2], CELL, "%.3g", row->ss * k2);
        snprintf(cells[3], CELL, "%.1f%%", 100 * row->share);
        if (isfinite(row->f)) snprintf(cells[4], CELL, "%.3g", row->f);
        else snprintf(cells[4], CELL, "-");
        dc_rtable_format_p(cells[5], row->p);
    }
    dc_rtable_print(out, &t, markdown);
cleanup:
    dc_rtable_free(&t);
    return rc;
}

static int print_contrasts(FILE *out, const dc_report *r, int markdown, dc_error *err)
{
    int rc = DC_OK;
    const dc_report_factorial *fa = &r->factorial;
    const int m = r->metric;
    dc_rtable t;
    char title[200], note[LINE];
    snprintf(title, sizeof title, "Factorial contrasts on %s with 95%% CIs (t, %d df)", r->metrics[m].name,
             fa->df_resid);
    DC_TRY(dc_rtable_init(&t, title, 5, fa->n_contrasts, err));
    snprintf(note, sizeof note, "%s%s%s%s; main effect: level - reference level, over the other factors",
             *unit_of(r) ? "in " : "", unit_of(r), *unit_of(r) ? ", " : "",
             r->metrics[m].higher_is_better ? "↑ higher is better" : "↓ lower is better");
    dc_rtable_note(&t, note);
    dc_rtable_note(&t, "interaction (a - a0) at b vs b0: how much a's effect changes from b0 to b");
    const char *h[] = {"term", "contrast", "estimate", "95% CI", "p"};
    dc_rtable_set_cells(dc_rtable_row(&t), 5, h);
    t.right[2] = t.right[3] = t.right[4] = 1;
    double k = scale_of(r);
    for (int i = 0; i < fa->n_contrasts; i++) {
        const dc_report_contrast *c = &fa->contrasts[i];
        char (*cells)[CELL] = dc_rtable_row(&t);
        term_cell(cells[0], c->kind, c->a, c->b);
        contrast_cells(cells, c);
        snprintf(cells[2], CELL, "%+.3g", c->estimate * k);
        snprintf(cells[3], CELL, "[%+.3g, %+.3g]", c->ci_low * k, c->ci_high * k);
        dc_rtable_format_p(cells[4], c->p);
    }
    dc_rtable_print(out, &t, markdown);
cleanup:
    dc_rtable_free(&t);
    return rc;
}

int dc_report_print_factorial(FILE *out, const dc_report *r, int markdown, dc_error *err)
{
    if (!r->factorial.available) {
        fprintf(out, "%sFactorial effects left out: %s.\n\n", markdown ? "### " : "", r->factorial.why);
        return DC_OK;
    }
    int rc = print_anova(out, r, markdown, err);
    return rc == DC_OK ? print_contrasts(out, r, markdown, err) : rc;
}

int dc_report_print_p_best(FILE *out, const dc_report *r, int markdown, dc_error *err)
{
    int rc = DC_OK;
    const dc_report_bootstrap *bs = &r->bootstrap;
    const int m = r->metric;
    dc_rtable t;
    int *printed = NULL;
    memset(&t, 0, sizeof t);
    if (bs->n_candidates < 2 || bs->n_seeds < 2) {
        fprintf(out, "%sP(best) left out: %s.\n\n", markdown ? "### " : "",
                bs->n_candidates < 2 ? "fewer than 2 candidate configurations"
                                     : "fewer than 2 seeds done in every candidate configuration");
        return DC_OK;
    }
    char title[200], note[LINE];
    snprintf(title, sizeof title, "P(best) on %s by a paired bootstrap over seeds", r->metrics[m].name);
    DC_TRY(dc_rtable_init(&t, title, 5, bs->n_candidates, err));
    snprintf(note, sizeof note, "the %d candidates of \"best\" over the %d seeds done in all of them; %d "
             "resamples (seed %u)", bs->n_candidates, bs->n_seeds, DC_BOOTSTRAP_RESAMPLES,
             (unsigned)DC_BOOTSTRAP_SEED);
    dc_rtable_note(&t, note);
    const char *h[] = {"c", "extent", "rescaling", "P(best)", "mean"};
    dc_rtable_set_cells(dc_rtable_row(&t), 5, h);
    t.right[0] = t.right[3] = t.right[4] = 1;
    /* most probable first: the order a reader wants */
    DC_ALLOC(printed, r->n_configs);
    for (int row = 0; row < bs->n_candidates; row++) {
        int top = -1;
        for (int c = 0; c < r->n_configs; c++)
            if (isfinite(bs->p_best[c]) && !printed[c] && (top < 0 || bs->p_best[c] > bs->p_best[top])) top = c;
        if (top < 0) break;
        printed[top] = 1;
        char (*cells)[CELL] = dc_rtable_row(&t);
        const dc_report_key *key = &r->configs[top].key;
        dc_report_key_format_scale(key, cells[0], CELL);
        snprintf(cells[1], CELL, "%s", dc_extent_name(key->extent));
        snprintf(cells[2], CELL, "%s", dc_rescaling_name(key->rescaling));
        snprintf(cells[3], CELL, "%.3f", bs->p_best[top]);
        snprintf(cells[4], CELL, "%.4g", r->configs[top].mean[m] * scale_of(r));
    }
    dc_rtable_print(out, &t, markdown);
cleanup:
    dc_rtable_free(&t);
    free(printed);
    return rc;
}
