/* `fake_sweep OUTPUT [--seeds N] [--epochs E] [--tag T] [--retry-failed] [--restart]`: the sweep
 * engine of `dcsweep run` (dc_coordinator_sweep) with the fake trainer of fake_trainer.h on a grid
 * of 6 runs per seed (extent none/output/full x rescaling power10/standard, scale 0.5), under
 * mpirun or alone. The tag stands for the sweep file's text: another tag is another sweep. Writes
 * "rank R pid P" to FAKE_LOG at start so that tests can signal a chosen rank. */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcsweep/sweep/coordinator.h"
#include "dcsweep/core/sha256.h"
#include "fake_trainer.h"

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, n_seeds = 2, epochs = 3;
    const char *output = NULL, *tag = "a";
    dc_run_options opts = {0};
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) n_seeds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--epochs") == 0 && i + 1 < argc) epochs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--tag") == 0 && i + 1 < argc) tag = argv[++i];
        else if (strcmp(argv[i], "--retry-failed") == 0) opts.retry_failed = 1;
        else if (strcmp(argv[i], "--restart") == 0) opts.restart = 1;
        else output = argv[i];
    }
    if (!output) {
        fprintf(stderr, "usage: fake_sweep OUTPUT [--seeds N] [--epochs E] [--tag T] ...\n");
        MPI_Finalize();
        return 2;
    }
    fake_trainer_set_rank(rank);
    const char *log = getenv("FAKE_LOG");
    if (log) {
        FILE *lf = fopen(log, "a");
        if (lf) {
            fprintf(lf, "rank %d pid %ld\n", rank, (long)getpid());
            fclose(lf);
        }
    }

    char text[256];
    snprintf(text, sizeof text, "fake sweep %s: %d seeds, %d epochs\n", tag, n_seeds, epochs);
    dc_sweep sweep;
    memset(&sweep, 0, sizeof sweep);
    sweep.name = "fake";
    sweep.text = text;
    sweep.effective = text;
    dc_sha256_hex(sweep.sha256, text, strlen(text));
    sweep.dataset.energy_unit = "eV";
    sweep.dataset.length_unit = "Angstrom";
    sweep.train.epochs = epochs;
    sweep.train.checkpoint_seconds = 300;
    sweep.run.heartbeat_timeout = getenv("FAKE_HEARTBEAT_TIMEOUT") ? atof(getenv("FAKE_HEARTBEAT_TIMEOUT")) : 300;
    sweep.run.stop_timeout = getenv("FAKE_STOP_TIMEOUT") ? atof(getenv("FAKE_STOP_TIMEOUT")) : 120;

    dc_grid grid;
    grid.n_runs = 6 * n_seeds;
    grid.runs = calloc((size_t)grid.n_runs, sizeof *grid.runs);
    const dc_rescaling rescalings[2] = {DC_RESCALE_POWER10, DC_RESCALE_STANDARD};
    int k = 0;
    for (int s = 0; s < n_seeds; s++)
        for (int r = 0; r < 2; r++)
            for (int e = 0; e < DC_N_EXTENTS; e++, k++) {
                grid.runs[k].index = k;
                grid.runs[k].extent = (dc_extent)e;
                grid.runs[k].irelu_scale = e == DC_EXTENT_NONE ? NAN : 0.5;
                grid.runs[k].rescaling = rescalings[r];
                grid.runs[k].seed = 10 + s;
            }

    opts.output = output;
    opts.out = stdout;
    dc_error err = {0};
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rc = dc_coordinator_sweep(&sweep, &grid, &fake_trainer_ops, &opts, MPI_COMM_WORLD, &err);
    if (rc == DC_ERR_HUNG) {
        fprintf(stderr, "fake_sweep: %s\n", err.message);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (rc != DC_OK && rank == 0) fprintf(stderr, "fake_sweep: %s\n", err.message);
    free(grid.runs);
    MPI_Finalize();
    return dc_error_exit_status(rc);
}
