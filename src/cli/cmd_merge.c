/* `dcsweep merge OUT.h5 INPUT.h5... [--force]`: combines shard results files (include/dcsweep/results/merge.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/cli/cli.h"
#include "dcsweep/results/merge.h"

static const char merge_help[] =
    "usage: dcsweep merge OUT.h5 INPUT.h5... [--force]\n"
    "\n"
    "Combines the results files of one sweep, usually its shards (`dcsweep run --shard K/N`, one\n"
    "per Slurm array task), into one results file with the layout and values of an unsharded\n"
    "sweep: each run's row and curves are copied bitwise from the input where it is not pending;\n"
    "the metadata comes from the first input.\n"
    "\n"
    "The inputs must be of the same sweep (sweep_sha256, n_runs, epochs, format_version, dataset\n"
    "digests), else exit 2 naming the settings that differ; each shard once (the same file given\n"
    "twice, under any name, or a copy of it: exit 2). A run finished in two inputs is accepted\n"
    "only when its results are bitwise equal in both. Runs pending in every input are listed and\n"
    "stay pending in OUT (run `dcsweep run SWEEP.cfg -o OUT` to train them): the merge is written\n"
    "and the exit status is 1.\n"
    "\n"
    "options:\n"
    "  --force   replace OUT if it exists and is a file (otherwise refused, exit 2)\n"
    "  --help    print this text\n"
    "\n"
    "exit status: 0 every run is finished (done, diverged or failed), 1 some runs are missing,\n"
    "2 bad input (nothing written)\n"
    "\n"
    "example:\n"
    "  dcsweep merge results/full.h5 results/full.shard-*-of-8.h5\n";

/* The first few indices of a list, "2, 6, 10, ... (12 in all)". */
static void print_runs(FILE *out, const int *runs, int n)
{
    int shown = n < 20 ? n : 20;
    for (int i = 0; i < shown; i++) fprintf(out, "%s%d", i ? ", " : "", runs[i]);
    if (shown < n) fprintf(out, ", ... (%d in all)", n);
}

int dc_cmd_merge(int argc, char **argv)
{
    int rc = DC_OK, force = 0, help = 0, n_inputs = 0, options_done = 0;
    dc_error e = {0}, *err = &e;
    const char *out = NULL;
    dc_merge_input *inputs = NULL;
    dc_merge_report report;
    memset(&report, 0, sizeof report);
    DC_ALLOC(inputs, argc > 0 ? argc : 1);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            if (strcmp(arg, "--") == 0) options_done = 1;
            else if (strcmp(arg, "--force") == 0) force = 1;
            else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) help = 1;
            else DC_FAIL(DC_ERR_INPUT, "merge: unknown option '%s' (see dcsweep merge --help)", arg);
        } else if (!out) {
            out = arg;
        } else {
            inputs[n_inputs++].path = arg;
        }
    }
    if (help) {
        fputs(merge_help, stdout);
        goto cleanup;
    }
    if (!out || n_inputs == 0)
        DC_FAIL(DC_ERR_INPUT, "merge: usage: dcsweep merge OUT.h5 INPUT.h5... [--force] (see --help)");
    DC_TRY(dc_merge(out, inputs, n_inputs, force, &report, err));

    printf("merged %d files into %s:\n", n_inputs, out);
    for (int k = 0; k < n_inputs; k++) {
        char shard[32];
        dc_shard_format(&inputs[k].shard, shard, sizeof shard);
        printf("  %s%s%s%s: %d runs\n", inputs[k].path, shard[0] ? " (shard " : "", shard,
               shard[0] ? ")" : "", inputs[k].n_taken);
    }
    printf("sweep %s: %d runs: %d done, %d diverged, %d failed, %d pending\n", report.sweep_name,
           report.n_runs, report.count[DC_RUN_DONE], report.count[DC_RUN_DIVERGED],
           report.count[DC_RUN_FAILED], report.count[DC_RUN_PENDING]);
    if (report.n_duplicates) {
        printf("%d runs finished in several inputs with identical results (kept once): ", report.n_duplicates);
        print_runs(stdout, report.duplicates, report.n_duplicates);
        putchar('\n');
    }
    fflush(stdout);
    if (report.n_missing) {
        fprintf(stderr, "dcsweep: merge: %d runs are pending in every input: ", report.n_missing);
        print_runs(stderr, report.missing, report.n_missing);
        fprintf(stderr, "; `dcsweep run SWEEP.cfg -o %s` trains them\n", out);
        rc = DC_ERR_IO;  /* exit 1, with the message already printed */
        e.message[0] = '\0';
    }
cleanup:
    dc_merge_report_free(&report);
    free(inputs);
    if (rc == DC_OK) return 0;
    return e.message[0] ? dc_cli_report(err) : 1;
}
