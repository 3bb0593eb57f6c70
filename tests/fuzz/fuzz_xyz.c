/* libFuzzer target: bytes -> an extended-XYZ file -> dc_dataset_read_xyz, then what the trainer
 * does next with a dataset that loaded (element types, neighbour lists, a subset). Any input must
 * give either a dataset or a clean one-line DC_ERR_INPUT error naming the file; anything else
 * (crash, leak, sanitizer report, unterminated or multi-line message) is a bug.
 *
 * Built by scripts/fuzz.sh; seeds in tests/fuzz/corpus_xyz/. The reader has no in-memory entry
 * point, so each input is written to one temporary file (reused across inputs). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcsweep/data/dataset.h"

static char tmp_path[64];

static void remove_tmp(void) { unlink(tmp_path); }

static int write_input(const uint8_t *data, size_t size)
{
    if (!tmp_path[0]) {
        snprintf(tmp_path, sizeof tmp_path, "/tmp/fuzz_xyz_XXXXXX");
        int fd = mkstemp(tmp_path);
        if (fd < 0) abort();
        close(fd);
        atexit(remove_tmp);
    }
    FILE *f = fopen(tmp_path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    return 0;
}

static void check_message(const dc_error *err, int rc)
{
    size_t n = strnlen(err->message, sizeof err->message);
    if (rc != err->code || n == 0 || n == sizeof err->message || strchr(err->message, '\n')) {
        fprintf(stderr, "bad error: rc %d code %d message \"%s\"\n", rc, err->code, err->message);
        abort();
    }
    if (rc != DC_ERR_INPUT && rc != DC_ERR_NOMEM) {
        fprintf(stderr, "unexpected error code %d: %s\n", rc, err->message);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    write_input(data, size);
    dc_dataset ds = {0};
    dc_error err = {0};
    int rc = dc_dataset_read_xyz(&ds, tmp_path, NULL, &err);
    if (rc != DC_OK) {
        check_message(&err, rc);
        return 0;
    }
    if (ds.n_frames < 1 || ds.frame_start[0] != 0 || ds.frame_start[ds.n_frames] != ds.n_atoms_total)
        abort();
    for (int f = 0; f < ds.n_frames; f++)
        if (ds.frame_start[f + 1] <= ds.frame_start[f] || !isfinite(ds.energy[f])) abort();
    dc_elements el;
    dc_dataset *sets[1] = {&ds};
    rc = dc_dataset_assign_types(sets, 1, &el, &err);
    if (rc == DC_OK) {
        dc_neighbors nb = {0};
        if (dc_neighbors_build(&nb, &ds, 3.0, &err) != DC_OK) abort();
        dc_neighbors_free(&nb);
        int idx[2] = {ds.n_frames - 1, 0};
        dc_dataset sub = {0};
        if (dc_dataset_subset(&sub, &ds, idx, 2, &err) != DC_OK) abort();
        dc_dataset_free(&sub);
    } else {
        check_message(&err, rc);
    }
    dc_dataset_free(&ds);
    return 0;
}
