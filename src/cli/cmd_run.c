/* `dcsweep run SWEEP.cfg`: the whole sweep, under mpirun or alone (include/dcsweep/sweep/coordinator.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd_util.h"
#include "dcsweep/cli/cli.h"
#include "dcsweep/cli/run.h"
#include "dcsweep/sweep/coordinator.h"
#include "dcsweep/sweep/setup.h"
#include "dcsweep/sweep/stop.h"
#include "dcsweep/config/grid.h"

static const char run_help[] =
    "usage: [mpirun -n P] dcsweep run SWEEP.cfg [-o PATH] [--retry-failed] [--restart]\n"
    "                                 [--shard K/N|auto] [--progress-seconds N]\n"
    "                                 [--set KEY=VALUE ...]\n"
    "\n"
    "Trains every run of the sweep and writes them to one HDF5 results file (docs/results-format.md).\n"
    "Under mpirun every rank trains; rank 0 also hands out the runs (in seed-major order, as ranks\n"
    "become free) between its own training steps. One line per finished run is printed (a live\n"
    "bar on a terminal), then a summary. When the output is not a terminal (a Slurm log, a file),\n"
    "every run in flight also prints a line at most every --progress-seconds: its epoch, learning\n"
    "rate, monitored value, best so far and ETA (all ranks' lines come out of rank 0).\n"
    "\n"
    "The same command on an existing results file resumes: runs already done (or diverged, or\n"
    "failed) are kept, runs in flight continue from their checkpoints (PATH.ckpt/), the rest are\n"
    "trained. SIGINT/SIGTERM stop cleanly: runs in progress are checkpointed at the end of their\n"
    "epoch and stay pending; rerun to resume. Even after SIGKILL, every run the file shows as\n"
    "done is complete. One writer per results file (PATH.lock).\n"
    "\n"
    "options:\n"
    "  -o, --output PATH  results file (default: the sweep's `output`)\n"
    "  --retry-failed     train failed runs again (diverged runs are results, never retried)\n"
    "  --restart          replace a results file that belongs to a different sweep (otherwise\n"
    "                     refused, exit 2)\n"
    "  --shard K/N|auto   train only shard K of N (1 <= K <= N: the runs i with i % N == K-1)\n"
    "                     into PATH's shard file, PATH.h5 -> PATH.shard-K-of-N.h5; auto: K, N\n"
    "                     from the Slurm array task (slurm/README.md); `dcsweep merge`\n"
    "                     combines the shard files (docs/results-format.md, Shards)\n"
    "  --progress-seconds N\n"
    "                     not on a terminal: a progress line per run in flight at most every N\n"
    "                     seconds (default 60; 0: none; a run shorter than N prints none):\n"
    "                     `progress: run R epoch E/MAX: lr L, MONITOR V (epoch E'), best B at\n"
    "                     epoch E''; ETA T (S s/epoch x K epochs left); on rank P`. The ETA is the\n"
    "                     run's epochs left at its epoch rate in this session; with early\n"
    "                     stopping on it reads `ETA <= T`: the run may end sooner\n"
    "  --set KEY=VALUE    override a key of the sweep file (repeatable, applied in order)\n"
    "  --help             print this text\n"
    "\n"
    "OMP_NUM_THREADS sets oneDNN's threads per rank (default 1: one rank per core).\n"
    "\n"
    "exit status: 0 every run done or diverged (diverged runs are results), 1 runs failed (their\n"
    "reasons are in the file; --retry-failed trains them again), an interruption (runs pending:\n"
    "rerun to resume) or another runtime failure, 2 bad input (nothing trained, nothing changed)\n"
    "\n"
    "examples:\n"
    "  dcsweep run sweeps/quickstart.cfg\n"
    "  mpirun -n 64 dcsweep run sweeps/full.cfg -o /scratch/full.h5\n";

/* The directories `run` made for its -o path: prefixes of one path, so each is a length of it. */
typedef struct made_dirs {
    char path[4096];   /* the output's directory */
    int n;             /* directories made, outermost first */
    int len[64];       /* [n] each one's length in path */
} made_dirs;

/* mkdir -p of path's directory, so the default results/<name>.h5 works in a fresh checkout. */
static int make_parent_dirs(const char *path, made_dirs *made, dc_error *err)
{
    char *dir = made->path;
    made->n = 0;
    if (snprintf(dir, sizeof made->path, "%s", path) >= (int)sizeof made->path)
        return dc_error_set(err, DC_ERR_INPUT, "output path too long: %s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash[1] == '\0')
        return dc_error_set(err, DC_ERR_INPUT, "-o %s names a directory: give a file path", path);
    if (!slash || slash == dir) return DC_OK;
    *slash = '\0';
    for (char *p = dir + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            const int made_now = mkdir(dir, 0777) == 0;
            if (!made_now && errno != EEXIST)
                return dc_error_set(err, DC_ERR_IO, "cannot create directory %s: %s", dir, strerror(errno));
            if (made_now && made->n < 64) made->len[made->n++] = (int)(p - dir);
            *p = saved;
            if (saved == '\0') break;
        }
    }
    return DC_OK;
}

/* A run refused before its results file exists leaves nothing behind ("nothing changed"): the
 * directories make_parent_dirs made are removed again, innermost first (rmdir keeps any that
 * something else has filled meanwhile). Also after make_parent_dirs itself failed midway. */
static void undo_parent_dirs(const char *output, made_dirs *made)
{
    struct stat st;
    if (made->n == 0 || stat(output, &st) == 0) return;
    for (int k = made->n - 1; k >= 0; k--) {
        made->path[made->len[k]] = '\0';
        rmdir(made->path);
    }
    made->n = 0;
}

/* mpirun forwards output through a pseudo-terminal, so every rank's stdout looks like a terminal
 * even when mpirun's own goes to a file: the live bar is only for a process started directly. */
static int launched_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE");  /* Open MPI, MPICH/Slurm PMI */
}

/* This rank's number from the launcher's environment, or NULL when no launcher started this
 * process: Open MPI's mpirun, MPICH's or Slurm's PMI, and `srun --mpi=pmix`, which sets neither
 * (PMIX_RANK, or Slurm's own SLURM_PROCID within a job step). Read before MPI_Init. */
static const char *launcher_rank(void)
{
    const char *names[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (getenv(names[i])) return getenv(names[i]);
    if (getenv("SLURM_STEP_ID") && getenv("SLURM_PROCID")) return getenv("SLURM_PROCID");
    if (launched_by_mpirun()) return "?";
    return NULL;
}

int dc_cmd_run_on(int argc, char **argv, MPI_Comm comm)
{
    int rc = DC_OK, rank = 0;
    dc_error e = {0}, *err = &e;
    dc_cli_common opts;
    dc_sweep sweep = {0};
    dc_grid grid = {0};
    dc_cli_option extra[] = {{"-o", 1, NULL}, {"--output", 1, NULL}, {"--retry-failed", 0, NULL},
                             {"--restart", 0, NULL}, {"--shard", 1, NULL},
                             {"--progress-seconds", 1, NULL}};
    dc_shard shard = {0, 0};
    double progress_seconds = 60;
    char shard_output[4096];
    made_dirs made = {.n = 0};
    MPI_Comm_rank(comm, &rank);
    cmd_default_threads();

    /* Every rank reads the sweep itself; agree on the outcome so nobody waits for a rank that
     * gave up (e.g. a file missing on one node), nor for one that hangs (a bounded agreement). */
    int local = dc_cli_parse_common(&opts, argc, argv, extra, 6, err);
    if (local == DC_OK && !opts.help && extra[5].value)
        local = cmd_parse_seconds(extra[5].value, "run", "--progress-seconds", &progress_seconds, err);
    if (local == DC_OK && !opts.help) local = dc_cli_load_sweep(&sweep, &opts, err);
    if (local == DC_OK && !opts.help) local = dc_grid_expand(&grid, &sweep.grid, err);
    const char *output = extra[0].value ? extra[0].value : extra[1].value ? extra[1].value : sweep.output;
    if (local == DC_OK && !opts.help && !*output)
        local = dc_error_set(err, DC_ERR_INPUT, "run: -o needs a file path, got an empty one");
    if (local == DC_OK && !opts.help && extra[4].value) {
        local = dc_shard_parse(&shard, extra[4].value, err);
        if (local == DC_OK) local = dc_shard_path(&shard, output, shard_output, sizeof shard_output, err);
        if (local == DC_OK) output = shard_output;
    }
    if (local == DC_OK && !opts.help && rank == 0) local = make_parent_dirs(output, &made, err);
    dc_setup setup;
    dc_error setup_err = {0};
    rc = dc_setup_init(&setup, comm, sweep.run.heartbeat_timeout, &setup_err);
    if (rc != DC_OK) {
        e = setup_err;
        goto cleanup;
    }
    rc = dc_setup_agree(&setup, "setup: reading the sweep", local, NULL, 0, err);
    if (rc == DC_ERR_HUNG) goto hung;
    if (rc != DC_OK) {
        /* Every rank has the lowest failing rank's message (usually rank 0's: all read the same
         * file); rank 0 reports it. */
        if (rank != 0) e.message[0] = '\0';
        goto cleanup;
    }
    if (opts.help) {
        if (rank == 0) fputs(run_help, stdout);
        goto cleanup;
    }
    dc_run_options run = {
        .output = output,
        .retry_failed = extra[2].value != NULL,
        .restart = extra[3].value != NULL,
        .out = stdout,
        .tty = isatty(STDOUT_FILENO) && !launched_by_mpirun(),
        .shard = shard,
        .progress_seconds = progress_seconds,
    };
    rc = dc_coordinator_sweep(&sweep, &grid, &dc_trainer_real_ops, &run, comm, err);
    if (rc == DC_ERR_HUNG) goto hung;
    if (rank != 0) e.message[0] = '\0';  /* rank 0 has the same message and reports it */
    goto cleanup;
hung:
    /* Only the rank that found a rank silent returns here (rank 0, or rank 1 when rank 0 is the
     * silent one): the job cannot end collectively. MPI_Abort makes mpirun kill every rank, the
     * silent one included (SIGKILL reaches a stopped process). */
    dc_cli_report(err);
    dc_cli_launcher_hint(1, NULL);
    fflush(stdout);
    fflush(stderr);
    MPI_Abort(comm, 1);
cleanup:
    if (rc != DC_OK && rank == 0) undo_parent_dirs(output, &made);
    dc_grid_free(&grid);
    dc_sweep_free(&sweep);
    dc_cli_common_free(&opts);
    if (rc == DC_OK) return 0;
    if (e.message[0]) return dc_cli_report(err);
    return dc_error_exit_status(rc);
}

/* run.heartbeat_timeout of the sweep that argv names, read before MPI_Init (which waits for every
 * rank of the job); the default when it cannot be read: dc_cmd_run_on reports why. */
static double startup_timeout(int argc, char **argv)
{
    dc_cli_common opts;
    dc_sweep sweep = {0};
    dc_error ignored = {0};
    dc_cli_option extra[] = {{"-o", 1, NULL}, {"--output", 1, NULL}, {"--retry-failed", 0, NULL},
                             {"--restart", 0, NULL}, {"--shard", 1, NULL},
                             {"--progress-seconds", 1, NULL}};
    double timeout = DC_SETUP_DEFAULT_TIMEOUT;
    memset(&opts, 0, sizeof opts);
    if (dc_cli_parse_common(&opts, argc, argv, extra, 6, &ignored) == DC_OK && !opts.help &&
        dc_cli_load_sweep(&sweep, &opts, &ignored) == DC_OK)
        timeout = sweep.run.heartbeat_timeout;
    dc_sweep_free(&sweep);
    dc_cli_common_free(&opts);
    return timeout;
}

int dc_cmd_run(int argc, char **argv)
{
    int provided = 0;
    dc_error err = {0};
    /* First of all, before anything slow: a SIGINT/SIGTERM during startup is a request to stop
     * (its agreements fail with it, exit 1, the file as it was), not a kill (exit 143). It is
     * installed before MPI_Init so that MPI's threads inherit the signal mask (stop.h). */
    if (dc_stop_install(&err) != DC_OK) return dc_cli_report(&err);
    dc_stop_with_launcher();
    double timeout = startup_timeout(argc, argv);
    /* MPI_Init and MPI_Finalize wait for every rank and cannot be cancelled: bounded by a watchdog
     * (rank 0's fires first; its rank comes from the launcher's environment). Decided before
     * MPI_Init, which sets PMIX_RANK in a lone process too. */
    const char *rank_env = launcher_rank();
    int launched = rank_env != NULL;
    dc_watchdog dog;
    int watched = launched &&
                  dc_watchdog_blocking(&dog, atoi(rank_env), rank_env, timeout, 0, "setup: MPI_Init",
                                       "a rank of the job did not start", NULL, &err) == DC_OK;
    int init_rc = MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    if (watched) dc_watchdog_stop(&dog);
    if (init_rc != MPI_SUCCESS) {
        fprintf(stderr, "dcsweep: run: MPI_Init_thread failed\n");
        dc_stop_uninstall();
        return 1;
    }
    /* MPI errors come back as codes that MPI_CHECK names (the default handler would abort). */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int status = dc_cmd_run_on(argc, argv, MPI_COMM_WORLD);
    if (rank == 0) dc_cli_launcher_hint(status, NULL);
    fflush(stdout);
    fflush(stderr);
    watched = launched &&
              dc_watchdog_blocking(&dog, atoi(rank_env), rank_env, timeout, 0, "MPI_Finalize",
                                   "a rank of the job stopped answering after the results file was "
                                   "closed", NULL, &err) == DC_OK;
    MPI_Finalize();
    if (watched) dc_watchdog_stop(&dog);
    dc_stop_uninstall();
    return status;
}
