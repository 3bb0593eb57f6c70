/* The top level: dispatches `dcsweep <command>` and turns errors into exit statuses. */
#include "dcsweep/cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc_version.h"
#include "dcsweep/model/model.h"

typedef struct dc_command {
    const char *name;
    dc_command_fn fn;   /* NULL: the name is reserved, its issue has not landed */
    const char *summary;
} dc_command;

static const dc_command commands[] = {
    {"plan", dc_cmd_plan, "print the expanded grid of a sweep file"},
    {"validate", dc_cmd_validate, "check a sweep file and load its data (datasets, or the family's task)"},
    {"train", dc_cmd_train, "train one grid point and print its metrics"},
    {"run", dc_cmd_run, "run a whole sweep (under mpirun: rank 0 coordinates)"},
    {"status", dc_cmd_status, "count the runs of a results file by status"},
    {"merge", dc_cmd_merge, "combine shard results files into one"},
    {"report", dc_cmd_report, "summarise a results file: means, effects, paired comparisons"},
    {"predict", dc_cmd_predict, "energies and forces of a run's kept model on new structures"},
    {"bench", dc_cmd_bench, "time training steps on a sweep's model and data"},
};
#define N_COMMANDS (int)(sizeof commands / sizeof commands[0])

static const dc_command *find_command(const char *name)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: dcsweep <command> [options]\n\n"
                 "Ablation sweeps for training derivative-constrained neural networks of any model\n"
                 "family (IReLU scale, replacement extent, label rescaling, seeds), distributed over\n"
                 "MPI, results in one HDF5 file.\n\nmodel families (task.kind):\n");
    for (const dc_family *const *f = dc_model_families(); *f; f++)
        fprintf(out, "  %-9s %s\n", (*f)->kind, dc_model_find((*f)->kind)->summary);
    fprintf(out, "\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-9s %s%s\n", commands[i].name, commands[i].summary,
                commands[i].fn ? "" : " (not available yet)");
    fprintf(out, "\n`dcsweep <command> --help` describes a command and its options; `dcsweep --version`\n"
                 "prints the version.\n\n"
                 "exit status, every command: 0 success, 1 runtime failure (an I/O error, a full disk, a\n"
                 "failed run; status and merge: runs not done), 2 bad input (options, sweep file, dataset,\n"
                 "a results file that is missing, foreign or of another sweep), nothing changed.\n");
}

/* Output that never arrived (stdout on a full disk, /dev/full, a closed pipe) is a runtime failure,
 * whatever the command reported: exit 1 with one line, unless the command failed already. */
static int finish_output(const char *name, int status)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout)) return status;
    if (status == 0)
        fprintf(stderr, "dcsweep: %s: cannot write the output: %s\n", name, strerror(errno ? errno : EIO));
    return status ? status : 1;
}

/* Every command but `run` works alone, also under a launcher: each process does its own work (a
 * script may give each rank its own run or file). */
static int run_alone(const dc_command *cmd, int argc, char **argv)
{
    int status = finish_output(cmd->name, cmd->fn(argc, argv));
    dc_cli_launcher_hint(status, cmd->name);
    return status;
}

int dc_cli_run(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("dcsweep %s\n", DC_VERSION);
        return 0;
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return finish_output("--help", 0);
    }
    const dc_command *cmd = find_command(name);
    if (!cmd) {
        fprintf(stderr, "dcsweep: unknown command '%s' (see dcsweep --help)\n", name);
        return 2;
    }
    if (!cmd->fn) {
        fprintf(stderr, "dcsweep: '%s' is not available in this version yet\n", name);
        return 2;
    }
    if (strcmp(name, "run") != 0) return run_alone(cmd, argc - 1, argv + 1);
    return finish_output(name, cmd->fn(argc - 1, argv + 1));
}
