/* The command line: `dcsweep <command> ...`, one function per command.
 *
 * A command returns the process exit status (0 ok, 2 bad input, 1 other failure) and prints its
 * own one-line error to stderr. Only `run` uses MPI: it initialises it itself (cli/run.h). */
#ifndef DCSWEEP_CLI_H
#define DCSWEEP_CLI_H

#include "dcsweep/config/config.h"

/* Entry point used by main() and by tests. */
int dc_cli_run(int argc, char **argv);

/* Options every sweep-file command accepts, parsed by dc_cli_parse_common. */
typedef struct dc_cli_common {
    const char *sweep_path;   /* the positional SWEEP.cfg */
    dc_override *overrides;   /* --set key=value, in order */
    int n_overrides;
    const char *format;       /* --format value, or NULL */
    int help;                 /* --help given */
} dc_cli_common;

/* An option of one command beyond the common ones. */
typedef struct dc_cli_option {
    const char *name;      /* "--run" */
    int takes_value;       /* "--run 3" / "--run=3", else a flag */
    const char *value;     /* out: the value ("" for a flag), NULL when not given */
} dc_cli_option;

/* Parses argv[1..argc) (argv[0] is the command name): `--set k=v` / `--set=k=v` (repeatable),
 * `--format X` / `--format=X`, `--help` / `-h`, the command's extra options, `--` ends options,
 * and exactly one positional SWEEP.cfg (none needed with --help). Unknown options, a missing value,
 * a missing or second positional are DC_ERR_INPUT with a one-line message. Free with
 * dc_cli_common_free even on error. */
int dc_cli_parse_common(dc_cli_common *opts, int argc, char **argv, dc_cli_option *extra,
                        int n_extra, dc_error *err);
void dc_cli_common_free(dc_cli_common *opts);

/* dc_sweep_load of the options' sweep file and overrides, with every registered model family. */
int dc_cli_load_sweep(dc_sweep *sweep, const dc_cli_common *opts, dc_error *err);

/* Prints "dcsweep: <message>" to stderr and returns the exit status for err->code. */
int dc_cli_report(const dc_error *err);

/* After a failure under Open MPI's mpirun (nothing otherwise), the line that says where ours end:
 * mpirun reports a non-zero exit status in lines of its own, once every rank has exited. alone:
 * the command that this process ran by itself, NULL for `run`'s rank 0, whose line is the job's
 * last. */
void dc_cli_launcher_hint(int status, const char *alone);

typedef int (*dc_command_fn)(int argc, char **argv);

int dc_cmd_plan(int argc, char **argv);
int dc_cmd_validate(int argc, char **argv);
int dc_cmd_train(int argc, char **argv);
int dc_cmd_bench(int argc, char **argv);
int dc_cmd_run(int argc, char **argv);  /* MPI_Init, dc_cmd_run_on(MPI_COMM_WORLD), MPI_Finalize */
int dc_cmd_status(int argc, char **argv);
int dc_cmd_merge(int argc, char **argv);
int dc_cmd_report(int argc, char **argv);
int dc_cmd_predict(int argc, char **argv);

#endif
