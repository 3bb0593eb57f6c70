/* Options shared by every command that takes a sweep file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/cli/cli.h"
#include "dcsweep/model/model.h"

/* Matches "--name value" and "--name=value"; *value is NULL when the value is missing. */
static int match_valued(const char *arg, const char *name, int argc, char **argv, int *i,
                        const char **value)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0') return 0;
    *value = *i + 1 < argc ? argv[++*i] : NULL;
    return 1;
}

int dc_cli_parse_common(dc_cli_common *opts, int argc, char **argv, dc_cli_option *extra,
                        int n_extra, dc_error *err)
{
    int rc = DC_OK;
    const char *cmd = argc > 0 ? argv[0] : "dcsweep";
    memset(opts, 0, sizeof *opts);
    for (int j = 0; j < n_extra; j++) extra[j].value = NULL;
    DC_ALLOC(opts->overrides, argc > 0 ? argc : 1);
    int options_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            if (opts->sweep_path)
                DC_FAIL(DC_ERR_INPUT, "%s: unexpected argument '%s' (one sweep file only)", cmd, arg);
            opts->sweep_path = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = 1;
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            opts->help = 1;
        } else if (match_valued(arg, "--set", argc, argv, &i, &value)) {
            if (!value || !strchr(value, '='))
                DC_FAIL(DC_ERR_INPUT, "%s: --set needs key=value, e.g. --set train.epochs=2", cmd);
            opts->overrides[opts->n_overrides++].assignment = value;
        } else if (match_valued(arg, "--format", argc, argv, &i, &value)) {
            if (!value || !*value) DC_FAIL(DC_ERR_INPUT, "%s: --format needs a value", cmd);
            opts->format = value;
        } else {
            int found = 0;
            for (int j = 0; j < n_extra && !found; j++) {
                if (extra[j].takes_value) {
                    if (!match_valued(arg, extra[j].name, argc, argv, &i, &value)) continue;
                    if (!value) DC_FAIL(DC_ERR_INPUT, "%s: %s needs a value", cmd, extra[j].name);
                    extra[j].value = value;
                    found = 1;
                } else if (strcmp(arg, extra[j].name) == 0) {
                    extra[j].value = "";
                    found = 1;
                }
            }
            if (!found)
                DC_FAIL(DC_ERR_INPUT, "%s: unknown option '%s' (see dcsweep %s --help)", cmd, arg, cmd);
        }
    }
    if (!opts->sweep_path && !opts->help)
        DC_FAIL(DC_ERR_INPUT, "%s: missing the sweep file (usage: dcsweep %s SWEEP.cfg; see --help)",
                cmd, cmd);
cleanup:
    return rc;
}

void dc_cli_common_free(dc_cli_common *opts)
{
    if (!opts) return;
    free(opts->overrides);
    memset(opts, 0, sizeof *opts);
}

int dc_cli_load_sweep(dc_sweep *sweep, const dc_cli_common *opts, dc_error *err)
{
    return dc_sweep_load(sweep, opts->sweep_path, opts->overrides, opts->n_overrides, dc_model_families(), err);
}

int dc_cli_report(const dc_error *err)
{
    fprintf(stderr, "dcsweep: %s\n", err->message);
    return dc_error_exit_status(err->code);
}

void dc_cli_launcher_hint(int status, const char *alone)
{
    const char *size = getenv("OMPI_COMM_WORLD_SIZE"), *rank = getenv("OMPI_COMM_WORLD_RANK");
    if (status == 0 || !size) return;
    if (alone && atoi(size) > 1)  /* other ranks' lines may come after this one */
        fprintf(stderr, "(exit status %d on rank %s of %s, which ran %s alone: it does not use MPI; Open MPI's "
                "report of it may follow)\n", status, rank ? rank : "?", size, alone);
    else
        fprintf(stderr, "(exit status %d; the lines after this one, if any, are Open MPI's report of it)\n", status);
    fflush(stderr);
}
