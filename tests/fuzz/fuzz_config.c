/* libFuzzer target: bytes -> a sweep file plus up to four `--set` overrides -> dc_sweep_load, then
 * the grid expansion `plan` does. The input is the sweep text; if it holds a line "%%set", the
 * lines after it are overrides (one KEY=VALUE per line). Any input must load or fail with a clean
 * one-line error (DC_ERR_INPUT); anything else is a bug.
 *
 * The sweep file is written into a scratch tree holding the dataset files the seed corpus names
 * (tests/fuzz/corpus_config/: the sweeps/ files and the tests/data sweeps), so inputs get past the
 * loader's file-existence check:
 *   T/sweeps/fuzz.cfg, T/sweeps/water4.xyz, T/sweeps/water12.xyz, T/data/ethanol-xtb/{train,test}.xyz
 * Inputs with "@include" are skipped: libconfig would read any file they name (/dev/zero...). */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcsweep/config/config.h"
#include "dcsweep/config/grid.h"
#include "dcsweep/model/model.h"

#define MAX_SETS 4

static char root[64], cfg_path[128];

static void touch(const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    if (!f) abort();
    fputs("1\nenergy=1.0 Properties=species:S:1:pos:R:3:forces:R:3\nH 0 0 0 0 0 0\n", f);
    fclose(f);
}

static void cleanup_tree(void)
{
    const char *files[] = {"sweeps/fuzz.cfg", "sweeps/water4.xyz", "sweeps/water12.xyz",
                           "data/ethanol-xtb/train.xyz", "data/ethanol-xtb/test.xyz",
                           "data/ethanol-xtb", "data", "sweeps", ""};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s/%s", root, files[i]);
        if (unlink(p) != 0) rmdir(p);
    }
}

static void make_tree(void)
{
    snprintf(root, sizeof root, "/tmp/fuzz_config_XXXXXX");
    if (!mkdtemp(root)) abort();
    char p[256];
    const char *dirs[] = {"sweeps", "data", "data/ethanol-xtb"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", root, dirs[i]);
        if (mkdir(p, 0700) != 0) abort();
    }
    touch("sweeps/water4.xyz");
    touch("sweeps/water12.xyz");
    touch("data/ethanol-xtb/train.xyz");
    touch("data/ethanol-xtb/test.xyz");
    snprintf(cfg_path, sizeof cfg_path, "%s/sweeps/fuzz.cfg", root);
    atexit(cleanup_tree);
}

static void check_message(const dc_error *err, int rc)
{
    size_t n = strnlen(err->message, sizeof err->message);
    if (rc != err->code || n == 0 || n == sizeof err->message || strchr(err->message, '\n') ||
        (rc != DC_ERR_INPUT && rc != DC_ERR_NOMEM)) {
        fprintf(stderr, "bad error: rc %d code %d message \"%s\"\n", rc, err->code, err->message);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root[0]) make_tree();
    if (memmem(data, size, "@include", 8)) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    /* Split off the overrides. */
    dc_override sets[MAX_SETS];
    int n_sets = 0;
    size_t cfg_len = strlen(text);  /* a NUL ends the file text: libconfig reads a C string */
    char *marker = strstr(text, "%%set\n");
    if (marker && (size_t)(marker - text) <= cfg_len) {
        cfg_len = (size_t)(marker - text);
        char *line = marker + 6;
        while (*line && n_sets < MAX_SETS) {
            char *nl = strchr(line, '\n');
            if (nl) *nl = '\0';
            sets[n_sets++].assignment = line;
            if (!nl) break;
            line = nl + 1;
        }
    }
    FILE *f = fopen(cfg_path, "wb");
    if (!f) abort();
    if (cfg_len && fwrite(text, 1, cfg_len, f) != cfg_len) abort();
    fclose(f);

    dc_sweep sweep;
    dc_error err = {0};
    int rc = dc_sweep_load(&sweep, cfg_path, sets, n_sets, dc_model_families(), &err);
    if (rc == DC_OK) {
        if (!sweep.effective || strlen(sweep.sha256) != 64 || !sweep.output || !sweep.name) abort();
        dc_grid grid = {0};
        rc = dc_grid_expand(&grid, &sweep.grid, &err);
        if (rc != DC_OK) check_message(&err, rc);
        dc_grid_free(&grid);
    } else {
        check_message(&err, rc);
    }
    dc_sweep_free(&sweep);
    free(text);
    return 0;
}
