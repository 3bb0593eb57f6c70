/* Progress output of `dcsweep run` (include/dcsweep/sweep/progress.h). */
#include "dcsweep/sweep/progress.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#define BAR_WIDTH 30

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void dc_format_duration(char *out, size_t size, double s)
{
    if (!isfinite(s) || s < 0) {
        snprintf(out, size, "?");
    } else if (s < 60) {
        snprintf(out, size, "%.1fs", s);
    } else if (s < 3600) {
        long t = lround(s);
        snprintf(out, size, "%ldm%02lds", t / 60, t % 60);
    } else {
        long t = lround(s / 60);
        snprintf(out, size, "%ldh%02ldm", t / 60, t % 60);
    }
}

void dc_progress_init(dc_progress *p, FILE *out, int tty, int n_runs, int n_todo, int n_before,
                      const dc_metric_desc *metrics, int n_metrics)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->tty = tty;
    p->n_runs = n_runs;
    p->n_todo = n_todo;
    p->n_before = n_before;
    p->t0 = monotonic_seconds();
    for (int k = 0; k < n_metrics && p->n_headline < DC_PROGRESS_HEADLINES; k++)
        if (metrics[k].headline) {
            p->headline[p->n_headline] = k;
            p->headline_desc[p->n_headline++] = &metrics[k];
        }
}

/* "test_force_mae 0.0123 eV/Angstrom, test_energy_mae 0.004 eV" */
static void headline(const dc_progress *p, const dc_results_row *row, int first_only, char *out,
                     size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (int h = 0; h < p->n_headline && len < size; h++) {
        const dc_metric_desc *d = p->headline_desc[h];
        len += (size_t)snprintf(out + len, size - len, "%s%s %.4g%s%s", h ? ", " : "", d->name,
                                row->metric[p->headline[h]], d->unit[0] ? " " : "", d->unit);
        if (first_only) break;
    }
}

double dc_progress_elapsed(const dc_progress *p) { return monotonic_seconds() - p->t0; }

/* The time left, from this session's throughput (which already reflects every worker). */
static void eta(const dc_progress *p, char *out, size_t size)
{
    int left = p->n_todo - p->finished;
    if (p->finished == 0) {
        snprintf(out, size, "?");
        return;
    }
    dc_format_duration(out, size, dc_progress_elapsed(p) / p->finished * left);
}

static void end_bar(dc_progress *p)
{
    if (p->bar_shown) fputc('\n', p->out);
    p->bar_shown = 0;
}

void dc_progress_note(dc_progress *p, const char *fmt, ...)
{
    if (!p->out) return;
    end_bar(p);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(p->out, fmt, ap);
    va_end(ap);
    fputc('\n', p->out);
    fflush(p->out);
}

static void describe(const dc_results_row *row, char *out, size_t size)
{
    if (isnan(row->irelu_scale))
        snprintf(out, size, "extent %s, rescaling %s, seed %lld", row->extent, row->rescaling,
                 (long long)row->seed);
    else
        snprintf(out, size, "c=%g, extent %s, rescaling %s, seed %lld", row->irelu_scale, row->extent,
                 row->rescaling, (long long)row->seed);
}

void dc_progress_run(dc_progress *p, const dc_results_row *row)
{
    int status = dc_results_status_parse(row->status);
    p->finished++;
    if (status >= 0) p->count[status]++;
    if (!p->out) return;
    char factors[160], took[32], left[32], outcome[400], metrics[200];
    describe(row, factors, sizeof factors);
    dc_format_duration(took, sizeof took, row->wall_seconds);
    eta(p, left, sizeof left);
    int total_done = p->n_before + p->finished;
    headline(p, row, 0, metrics, sizeof metrics);
    if (status == DC_RUN_DONE)
        snprintf(outcome, sizeof outcome, "done (%s after %d epochs, best %d)%s%s", row->stop_reason,
                 row->epochs_completed, row->best_epoch, metrics[0] ? ": " : "", metrics);
    else if (status == DC_RUN_DIVERGED)
        snprintf(outcome, sizeof outcome, "diverged at epoch %d: %s", row->diverged_epoch, row->error);
    else
        snprintf(outcome, sizeof outcome, "%s: %s", row->status, row->error);

    if (!p->tty || status != DC_RUN_DONE) {
        /* Failures are printed as lines on a terminal too, so the bar does not overwrite them. */
        end_bar(p);
        fprintf(p->out, "[%*d/%d] run %d (%s) %s; %s on rank %d; ETA %s\n",
                (int)snprintf(NULL, 0, "%d", p->n_runs), total_done, p->n_runs, row->run, factors,
                outcome, took, row->rank, left);
    }
    if (p->tty) {
        int filled = p->n_runs ? (int)((long)BAR_WIDTH * total_done / p->n_runs) : BAR_WIDTH;
        char bar[BAR_WIDTH + 1];
        for (int i = 0; i < BAR_WIDTH; i++) bar[i] = i < filled ? '#' : '.';
        bar[BAR_WIDTH] = '\0';
        fprintf(p->out, "\r[%s] %d/%d runs", bar, total_done, p->n_runs);
        if (p->count[DC_RUN_DIVERGED] || p->count[DC_RUN_FAILED])
            fprintf(p->out, " (%d diverged, %d failed)", p->count[DC_RUN_DIVERGED],
                    p->count[DC_RUN_FAILED]);
        headline(p, row, 1, metrics, sizeof metrics);
        fprintf(p->out, "  ETA %s  last: run %d %s   ", left, row->run, metrics);
        p->bar_shown = 1;
    }
    fflush(p->out);
}

void dc_run_progress_fill(dc_run_progress *rp, const dc_run_state *st, const double *curve_values,
                          int lr_curve, int monitor_curve, const char *monitor_name, double seconds,
                          int epoch0, int may_stop_early)
{
    memset(rp, 0, sizeof *rp);
    rp->run = st->run;
    rp->epoch = st->epoch;
    rp->n_epochs = st->n_epochs;
    rp->lr = lr_curve >= 0 && curve_values ? curve_values[lr_curve] : st->lr;
    snprintf(rp->monitor_name, sizeof rp->monitor_name, "%s",
             monitor_name && monitor_name[0] ? monitor_name : "monitor");
    rp->monitor = NAN;
    /* The monitor is NaN in epochs without an evaluation (train.eval_every): the last one that
     * has a value is the one to show. */
    for (int e = st->epoch; monitor_curve >= 0 && e >= 1 && st->curves; e--) {
        double v = st->curves[(size_t)monitor_curve * (size_t)st->n_epochs + (size_t)(e - 1)];
        if (!isnan(v)) {
            rp->monitor = v;
            rp->monitor_epoch = e;
            break;
        }
    }
    rp->best = st->best_epoch > 0 ? st->best_value : NAN;
    rp->best_epoch = st->best_epoch;
    int trained = st->epoch - epoch0;
    rp->epoch_seconds = trained > 0 ? seconds / trained : NAN;
    rp->eta = trained > 0 ? rp->epoch_seconds * (st->n_epochs - st->epoch) : -1;
    rp->may_stop_early = may_stop_early;
}

void dc_run_progress_format(char *out, size_t size, const dc_run_progress *rp)
{
    char eta[32], monitor[64] = "not evaluated yet", best[64] = "none yet", rate[32] = "?";
    dc_format_duration(eta, sizeof eta, rp->eta);
    if (rp->monitor_epoch > 0) snprintf(monitor, sizeof monitor, "%.6g (epoch %d)", rp->monitor, rp->monitor_epoch);
    if (rp->best_epoch > 0) snprintf(best, sizeof best, "%.6g at epoch %d", rp->best, rp->best_epoch);
    if (isfinite(rp->epoch_seconds)) snprintf(rate, sizeof rate, "%.3g s/epoch", rp->epoch_seconds);
    snprintf(out, size, "progress: run %d epoch %d/%d: lr %.3g, %s %s, best %s; ETA %s%s (%s x %d epochs left%s)",
             rp->run, rp->epoch, rp->n_epochs, rp->lr, rp->monitor_name, monitor, best,
             rp->may_stop_early ? "<= " : "", eta, rate, rp->n_epochs - rp->epoch,
             rp->may_stop_early ? "; early stopping may end it sooner" : "");
}

int dc_run_progress_due(double now, double last_line, double every)
{
    return every > 0 && now - last_line >= every;
}

void dc_progress_epoch(dc_progress *p, const dc_run_progress *rp)
{
    if (!p->out || p->tty) return;
    char line[512];
    dc_run_progress_format(line, sizeof line, rp);
    /* Not "[k/n] run": that prefix is a finished run's line, which scripts count. */
    fprintf(p->out, "%s; on rank %d\n", line, rp->rank);
    fflush(p->out);
}

void dc_progress_summary(dc_progress *p, const char *sweep_name, const char *path,
                         const dc_results_row *rows, int n_rows, const dc_coord_costs *costs)
{
    if (!p->out) return;
    int count[4] = {0, 0, 0, 0};
    for (int i = 0; i < n_rows; i++) {
        int s = dc_results_status_parse(rows[i].status);
        if (s >= 0) count[s]++;
    }
    double elapsed = dc_progress_elapsed(p);
    char took[32];
    dc_format_duration(took, sizeof took, elapsed);
    end_bar(p);
    fprintf(p->out, "sweep %s: %d runs: %d done, %d diverged, %d failed, %d pending\n",
            sweep_name ? sweep_name : "?", n_rows, count[DC_RUN_DONE], count[DC_RUN_DIVERGED],
            count[DC_RUN_FAILED], count[DC_RUN_PENDING]);
    fprintf(p->out, "this session: %d runs in %s", p->finished, took);
    if (p->finished > 0 && elapsed > 0) fprintf(p->out, " (%.2f runs/min)", 60.0 * p->finished / elapsed);
    if (costs->share >= 0) fprintf(p->out, "; coordinator %.2f%% of rank 0's time", 100.0 * costs->share);
    if (costs->max_gap >= 0) fprintf(p->out, ", answered ranks within %.0f ms", 1e3 * costs->max_gap);
    if (costs->per_report > 0)
        fprintf(p->out, " (%.1f us of serving per report, %.2f us per poll)",
                1e6 * costs->per_report, 1e6 * fmax(costs->per_serve, 0.0));
    fprintf(p->out, "\nresults: %s\n", path);  /* failed runs: the caller's error line (exit 1) */
    fflush(p->out);
}
