/* Shards of a sweep (include/dcsweep/results/shard.h). */
#include "dcsweep/results/shard.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcsweep/results/results.h"

/* A whole-string decimal integer in [lo, hi]. */
static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    if (!s || !*s || *s == '+' || *s == ' ') return 0;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

int dc_shard_parse(dc_shard *shard, const char *spec, dc_error *err)
{
    memset(shard, 0, sizeof *shard);
    if (!spec || !*spec)
        return dc_error_set(err, DC_ERR_INPUT, "--shard needs K/N (1 <= K <= N) or auto");
    if (strcmp(spec, "auto") == 0) return dc_shard_from_slurm(shard, err);
    const char *slash = strchr(spec, '/');
    char k_text[32];
    long k = 0, n = 0;
    if (!slash || (size_t)(slash - spec) >= sizeof k_text)
        return dc_error_set(err, DC_ERR_INPUT, "--shard '%s': expected K/N, e.g. 1/4, or auto", spec);
    memcpy(k_text, spec, (size_t)(slash - spec));
    k_text[slash - spec] = '\0';
    if (!parse_int(k_text, LONG_MIN, LONG_MAX, &k) || !parse_int(slash + 1, 1, INT_MAX, &n))
        return dc_error_set(err, DC_ERR_INPUT, "--shard '%s': expected K/N with integers, N >= 1, e.g. 1/4", spec);
    if (k < 1 || k > n)
        return dc_error_set(err, DC_ERR_INPUT, "--shard '%s': shards are numbered from 1: K must be 1..%ld",
                            spec, n);
    shard->index = (int)k;
    shard->count = (int)n;
    return DC_OK;
}

/* An environment variable as an integer; 0 when unset, DC_ERR_INPUT when set but not a number. */
static int env_int(const char *name, long *out, int *present, dc_error *err)
{
    const char *v = getenv(name);
    *present = v && *v;
    if (!*present) return DC_OK;
    if (!parse_int(v, 0, INT_MAX, out))
        return dc_error_set(err, DC_ERR_INPUT, "--shard auto: %s='%s' is not a non-negative integer", name, v);
    return DC_OK;
}

int dc_shard_from_slurm(dc_shard *shard, dc_error *err)
{
    int rc = DC_OK;
    long id = 0, min = 0, max = 0, count = 0, step = 1;
    int has_id, has_min, has_max, has_count, has_step;
    memset(shard, 0, sizeof *shard);
    DC_TRY(env_int("SLURM_ARRAY_TASK_ID", &id, &has_id, err));
    DC_TRY(env_int("SLURM_ARRAY_TASK_MIN", &min, &has_min, err));
    DC_TRY(env_int("SLURM_ARRAY_TASK_MAX", &max, &has_max, err));
    DC_TRY(env_int("SLURM_ARRAY_TASK_COUNT", &count, &has_count, err));
    DC_TRY(env_int("SLURM_ARRAY_TASK_STEP", &step, &has_step, err));
    if (!has_id || !has_min)
        DC_FAIL(DC_ERR_INPUT, "--shard auto: SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_MIN are not set "
                              "(not a Slurm array task): submit with sbatch --array, or give --shard K/N");
    if (!has_step || step < 1) step = 1;
    if (!has_max && !has_count)
        DC_FAIL(DC_ERR_INPUT, "--shard auto: neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX is set");
    if (id < min || (id - min) % step != 0)
        DC_FAIL(DC_ERR_INPUT, "--shard auto: task id %ld is not in the array range %ld-%ld:%ld", id, min,
                max, step);
    long n_range = has_max ? (max - min) / step + 1 : count;
    if (has_max && (max < min || (max - min) % step != 0))
        DC_FAIL(DC_ERR_INPUT, "--shard auto: array range %ld-%ld:%ld is not a whole number of steps", min,
                max, step);
    /* A list such as --array=1,2,7 has fewer tasks than its range: some shards would never run. */
    if (has_count && has_max && count != n_range)
        DC_FAIL(DC_ERR_INPUT, "--shard auto: the array has %ld tasks but spans %ld ids (%ld-%ld:%ld); "
                              "submit an even range such as --array=0-%ld", count, n_range, min, max, step,
                count - 1);
    long k = (id - min) / step + 1;
    if (k > n_range)
        DC_FAIL(DC_ERR_INPUT, "--shard auto: task id %ld is beyond the array's %ld tasks", id, n_range);
    shard->index = (int)k;
    shard->count = (int)n_range;
cleanup:
    return rc;
}

int dc_shard_owns(const dc_shard *shard, int run)
{
    if (!shard || shard->count <= 0) return 1;
    return run % shard->count == shard->index - 1;
}

int dc_shard_size(const dc_shard *shard, int n_runs)
{
    if (!shard || shard->count <= 0) return n_runs;
    int k = shard->index - 1;
    return k < n_runs ? (n_runs - 1 - k) / shard->count + 1 : 0;
}

void dc_shard_format(const dc_shard *shard, char *out, size_t size)
{
    if (!shard || shard->count <= 0) snprintf(out, size, "%s", "");
    else snprintf(out, size, "%d/%d", shard->index, shard->count);
}

int dc_shard_path(const dc_shard *shard, const char *output, char *out, size_t size, dc_error *err)
{
    int n;
    if (!shard || shard->count <= 0) {
        n = snprintf(out, size, "%s", output);
    } else {
        size_t len = strlen(output);
        int stem = len > 3 && strcmp(output + len - 3, ".h5") == 0 ? (int)(len - 3) : (int)len;
        n = snprintf(out, size, "%.*s.shard-%d-of-%d.h5", stem, output, shard->index, shard->count);
    }
    if (n < 0 || (size_t)n >= size) return dc_error_set(err, DC_ERR_INPUT, "output path too long: %s", output);
    return DC_OK;
}

int dc_shard_read(dc_results *res, dc_shard *shard, dc_error *err)
{
    int rc = DC_OK;
    char *text = NULL;
    memset(shard, 0, sizeof *shard);
    if (!dc_results_has_attr(res, "shard")) return DC_OK;
    DC_TRY(dc_results_read_attr_string(res, "shard", &text, err));
    if (strcmp(text, "auto") == 0 || dc_shard_parse(shard, text, err) != DC_OK)
        DC_FAIL(DC_ERR_INPUT, "results file has a malformed shard attribute '%s'", text);
cleanup:
    free(text);
    return rc;
}

int dc_shard_check_file(const char *path, const dc_shard *want, dc_error *err)
{
    int rc = DC_OK;
    dc_results *res = NULL;
    dc_shard have;
    DC_TRY(dc_results_open(&res, path, 0, err));
    DC_TRY(dc_shard_read(res, &have, err));
    int want_count = want ? want->count : 0, want_index = want ? want->index : 0;
    if (have.count != want_count || (want_count > 0 && have.index != want_index)) {
        char a[32], b[32];
        dc_shard_format(&have, a, sizeof a);
        dc_shard_format(want, b, sizeof b);
        DC_FAIL(DC_ERR_INPUT, "%s holds %s%s, not %s%s: use --restart to replace it, or -o PATH", path,
                have.count ? "shard " : "the whole sweep", a, want_count ? "shard " : "the whole sweep", b);
    }
cleanup:
    if (res) dc_results_close(res, NULL);
    return rc;
}
