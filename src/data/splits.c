/* Loading the train/validation/test splits of a sweep (layouts in docs/sweep-format.md). */
#include "dcsweep/data/splits.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/core/rng.h"

int dc_split_sizes(int sizes[3], const dc_sweep *sweep, int n_frames, dc_error *err)
{
    int rc = DC_OK;
    const dc_dataset_config *d = &sweep->dataset;
    const double given[3] = {d->split_train, d->split_validation, d->split_test};
    const char *keys[3] = {"dataset.split.train", "dataset.split.validation", "dataset.split.test"};
    int64_t total = 0;
    for (int i = 0; i < 3; i++) {
        /* The epsilon keeps 0.29 * 100 = 28.999999999999996 from losing a frame. */
        sizes[i] = d->split_counts ? (int)given[i] : (int)floor(given[i] * n_frames + 1e-6);
        total += sizes[i];
        if (i < 2 || d->split_test > 0) {
            if (sizes[i] < 1)
                DC_FAIL(DC_ERR_INPUT, "%s: %s: %g of the %d frames of %s is an empty split",
                        sweep->path, keys[i], given[i], n_frames, d->file);
        }
    }
    if (total > n_frames)
        DC_FAIL(DC_ERR_INPUT, "%s: dataset.split: %d + %d + %d = %lld frames, but %s has %d",
                sweep->path, sizes[0], sizes[1], sizes[2], (long long)total, d->file, n_frames);
cleanup:
    return rc;
}

static int compare_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int dc_splits_load(dc_splits *splits, const dc_sweep *sweep, dc_error *err)
{
    int rc = DC_OK;
    const dc_dataset_config *d = &sweep->dataset;
    dc_xyz_options opts = {d->energy_key, d->forces_key, 0};
    dc_dataset all = {0};
    int *perm = NULL;
    memset(splits, 0, sizeof *splits);
    if (!d->file) {
        DC_TRY(dc_dataset_read_xyz(&splits->train, d->train, &opts, err));
        DC_TRY(dc_dataset_read_xyz(&splits->validation, d->validation, &opts, err));
        DC_TRY(dc_dataset_read_xyz(&splits->test, d->test, &opts, err));
    } else {
        DC_TRY(dc_dataset_read_xyz(&all, d->file, &opts, err));
        int sizes[3];
        DC_TRY(dc_split_sizes(sizes, sweep, all.n_frames, err));
        DC_ALLOC(perm, all.n_frames);
        dc_rng rng;
        dc_rng_seed(&rng, (uint64_t)d->split_seed, DC_SPLIT_STREAM);
        dc_rng_permutation(&rng, perm, all.n_frames);
        dc_dataset *dst[3] = {&splits->train, &splits->validation, &splits->test};
        int start = 0;
        for (int i = 0; i < 3; i++) {
            if (sizes[i] == 0) continue;
            qsort(perm + start, (size_t)sizes[i], sizeof *perm, compare_int);
            DC_TRY(dc_dataset_subset(dst[i], &all, perm + start, sizes[i], err));
            start += sizes[i];
        }
        if (!d->split_test) DC_TRY(dc_dataset_read_xyz(&splits->test, d->test, &opts, err));
    }
    const char *names[3] = {"train", "validation", "test"};
    dc_dataset *sets[3] = {&splits->train, &splits->validation, &splits->test};
    for (int i = 0; i < 3; i++)
        if (sets[i]->n_frames < 1)
            DC_FAIL(DC_ERR_INPUT, "%s: the %s split is empty (%s has no frames)", sweep->path,
                    names[i], sets[i]->path ? sets[i]->path : "?");
    DC_TRY(dc_dataset_assign_types(sets, 3, &splits->elements, err));
cleanup:
    dc_dataset_free(&all);
    free(perm);
    return rc;
}

void dc_splits_free(dc_splits *splits)
{
    if (!splits) return;
    dc_dataset_free(&splits->train);
    dc_dataset_free(&splits->validation);
    dc_dataset_free(&splits->test);
    memset(splits, 0, sizeof *splits);
}
