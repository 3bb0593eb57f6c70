/* The progress line of a run in flight (include/dcsweep/sweep/progress.h), with a fake clock: when
 * one is due, what it shows (the last evaluated monitor value past NaN epochs, the best and its
 * epoch, the ETA from this session's epoch rate, a resumed run's rate from its own epochs only),
 * and that the sweep's progress output prints none on a terminal. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "dcsweep/sweep/progress.h"

enum { N_CURVES = 3, N_EPOCHS = 10, LR = 1, MONITOR = 2 };

int main(void)
{
    /* due: never within the first interval of the run, then at most once per interval */
    CHECK(!dc_run_progress_due(100.5, 100.0, 1.0), "due 0.5 s after the start");
    CHECK(dc_run_progress_due(101.0, 100.0, 1.0), "not due after a whole interval");
    CHECK(!dc_run_progress_due(1e9, 0.0, 0.0), "--progress-seconds 0 printed a line");
    int lines = 0;
    double last = 0.0;
    for (double now = 0.0; now <= 10.0; now += 0.05)  /* epochs every 50 ms for 10 s */
        if (dc_run_progress_due(now, last, 3.0)) {
            lines++;
            last = now;
        }
    CHECK(lines == 3, "%d lines in 10 s at one per 3 s, expected 3", lines);

    /* a run at epoch 6 of 10, evaluated every 2 epochs (monitor NaN at odd epochs), best at 4 */
    double curves[N_CURVES * N_EPOCHS];
    for (int k = 0; k < N_CURVES * N_EPOCHS; k++) curves[k] = NAN;
    double monitor[6] = {NAN, 0.5, NAN, 0.25, NAN, 0.375};
    memcpy(&curves[MONITOR * N_EPOCHS], monitor, sizeof monitor);
    double epoch_values[N_CURVES] = {1.0, 5e-4, NAN};  /* epoch 7 is not evaluated */
    dc_run_state st;
    memset(&st, 0, sizeof st);
    st.run = 7;
    st.epoch = 7;
    st.n_epochs = N_EPOCHS;
    st.lr = 1e-3;  /* the plateau schedule's; the lr curve has the epoch's own */
    st.best_value = 0.25;
    st.best_epoch = 4;
    st.n_curves = N_CURVES;
    st.curves = curves;
    dc_run_progress rp;
    dc_run_progress_fill(&rp, &st, epoch_values, LR, MONITOR, "val_loss", 14.0, 0, 0);
    CHECK(rp.run == 7 && rp.epoch == 7 && rp.n_epochs == 10, "run %d epoch %d/%d", rp.run, rp.epoch, rp.n_epochs);
    CHECK(rp.lr == 5e-4, "lr %g, expected the lr curve's 5e-4", rp.lr);
    CHECK(rp.monitor == 0.375 && rp.monitor_epoch == 6, "monitor %g at %d, expected 0.375 at 6",
          rp.monitor, rp.monitor_epoch);
    CHECK(rp.best == 0.25 && rp.best_epoch == 4, "best %g at %d", rp.best, rp.best_epoch);
    CHECK_CLOSE(rp.epoch_seconds, 2.0, 1e-12);
    CHECK_CLOSE(rp.eta, 6.0, 1e-12);  /* 3 epochs left at 2 s */
    char line[512];
    dc_run_progress_format(line, sizeof line, &rp);
    const char *want = "progress: run 7 epoch 7/10: lr 0.0005, val_loss 0.375 (epoch 6), best 0.25 at "
                       "epoch 4; ETA 6.0s (2 s/epoch x 3 epochs left)";
    CHECK(strcmp(line, want) == 0, "\n  got  %s\n  want %s", line, want);

    /* resumed at epoch 5 this session: the rate is over its 2 epochs; early stopping on */
    dc_run_progress_fill(&rp, &st, epoch_values, LR, MONITOR, "val_loss", 1.0, 5, 1);
    CHECK_CLOSE(rp.eta, 1.5, 1e-12);
    dc_run_progress_format(line, sizeof line, &rp);
    CHECK(strstr(line, "ETA <= 1.5s (0.5 s/epoch x 3 epochs left; early stopping may end it sooner)") != NULL,
          "%s", line);

    /* before any evaluation: no monitor value, no best; no lr curve: the schedule's lr */
    for (int k = 0; k < N_EPOCHS; k++) curves[MONITOR * N_EPOCHS + k] = NAN;
    st.best_epoch = 0;
    st.best_value = INFINITY;
    dc_run_progress_fill(&rp, &st, epoch_values, -1, MONITOR, "", 7.0, 7, 0);
    dc_run_progress_format(line, sizeof line, &rp);
    CHECK(rp.lr == 1e-3 && isnan(rp.monitor) && isnan(rp.best) && rp.eta < 0, "%s", line);
    CHECK(strstr(line, "lr 0.001, monitor not evaluated yet, best none yet; ETA ?") != NULL, "%s", line);

    /* the sweep's output: a line with the rank in a log, nothing on a terminal */
    dc_run_progress_fill(&rp, &st, epoch_values, LR, MONITOR, "val_loss", 14.0, 0, 0);
    rp.rank = 3;
    for (int tty = 0; tty <= 1; tty++) {
        FILE *f = tmpfile();
        dc_progress p;
        dc_progress_init(&p, f, tty, 20, 20, 0, NULL, 0);
        dc_progress_epoch(&p, &rp);
        long size = ftell(f);
        char text[600] = "";
        rewind(f);
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
        if (tty) CHECK(size == 0, "a progress line on a terminal: %s", text);
        else CHECK(strncmp(text, "progress: run 7 epoch 7/10: ", 28) == 0 && strstr(text, "; on rank 3\n"),
                   "%s", text);
    }
    return check_finish();
}
