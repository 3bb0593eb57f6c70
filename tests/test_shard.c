/* Shards (include/dcsweep/shard.h): K/N parsing, `auto` from Slurm's array variables, the
 * round-robin assignment and the shard file names. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dcsweep/results/shard.h"

static int parse_ok(const char *spec, int k, int n)
{
    dc_shard s;
    dc_error err = {0};
    return dc_shard_parse(&s, spec, &err) == DC_OK && s.index == k && s.count == n;
}

static int parse_refused(const char *spec)
{
    dc_shard s;
    dc_error err = {0};
    int rc = dc_shard_parse(&s, spec, &err);
    return rc == DC_ERR_INPUT && err.message[0] && !strchr(err.message, '\n');
}

static void clear_slurm_env(void)
{
    const char *names[] = {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX",
                           "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_STEP"};
    for (int i = 0; i < 5; i++) unsetenv(names[i]);
}

/* Sets the array variables (NULL: unset) and returns what `auto` gives, k = n = -1 on error. */
static void auto_with(const char *id, const char *min, const char *max, const char *count,
                      const char *step, int *k, int *n, int *rc)
{
    clear_slurm_env();
    if (id) setenv("SLURM_ARRAY_TASK_ID", id, 1);
    if (min) setenv("SLURM_ARRAY_TASK_MIN", min, 1);
    if (max) setenv("SLURM_ARRAY_TASK_MAX", max, 1);
    if (count) setenv("SLURM_ARRAY_TASK_COUNT", count, 1);
    if (step) setenv("SLURM_ARRAY_TASK_STEP", step, 1);
    dc_shard s;
    dc_error err = {0};
    *rc = dc_shard_parse(&s, "auto", &err);
    *k = *rc == DC_OK ? s.index : -1;
    *n = *rc == DC_OK ? s.count : -1;
}

static void test_parse(void)
{
    CHECK(parse_ok("1/4", 1, 4), "1/4");
    CHECK(parse_ok("4/4", 4, 4), "4/4");
    CHECK(parse_ok("1/1", 1, 1), "1/1");
    CHECK(parse_ok("12/100", 12, 100), "12/100");
    const char *bad[] = {"0/4", "5/4", "-1/4", "1/0", "1/-2", "4", "1/", "/4", "a/4", "1/4x", "1.5/4",
                         "", "1/4/2", " 1/4", "+1/4", "1/99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(parse_refused(bad[i]), "'%s' should be refused", bad[i]);
    dc_shard s;
    dc_error err = {0};
    dc_shard_parse(&s, "0/4", &err);
    CHECK(strstr(err.message, "numbered from 1") != NULL, "0/4 message: %s", err.message);
}

static void test_auto(void)
{
    int k, n, rc;
    /* --array=0-3: ids 0..3 are shards 1..4 */
    auto_with("0", "0", "3", "4", "1", &k, &n, &rc);
    CHECK(k == 1 && n == 4, "0 of 0-3: %d/%d", k, n);
    auto_with("3", "0", "3", "4", "1", &k, &n, &rc);
    CHECK(k == 4 && n == 4, "3 of 0-3: %d/%d", k, n);
    /* --array=1-4: the same shards */
    auto_with("1", "1", "4", "4", NULL, &k, &n, &rc);
    CHECK(k == 1 && n == 4, "1 of 1-4: %d/%d", k, n);
    auto_with("4", "1", "4", "4", NULL, &k, &n, &rc);
    CHECK(k == 4 && n == 4, "4 of 1-4: %d/%d", k, n);
    /* --array=10-16:2 -> ids 10,12,14,16 */
    auto_with("14", "10", "16", "4", "2", &k, &n, &rc);
    CHECK(k == 3 && n == 4, "14 of 10-16:2: %d/%d", k, n);
    /* only MAX (older Slurm without COUNT), or only COUNT */
    auto_with("2", "0", "5", NULL, NULL, &k, &n, &rc);
    CHECK(k == 3 && n == 6, "2 of 0-5 (no count): %d/%d", k, n);
    auto_with("2", "1", NULL, "8", NULL, &k, &n, &rc);
    CHECK(k == 2 && n == 8, "2 from 1 (count 8): %d/%d", k, n);
    /* a single-task array */
    auto_with("7", "7", "7", "1", NULL, &k, &n, &rc);
    CHECK(k == 1 && n == 1, "7 of 7-7: %d/%d", k, n);

    /* refused: not an array task, a list that is not a range, garbage */
    auto_with(NULL, NULL, NULL, NULL, NULL, &k, &n, &rc);
    CHECK(rc == DC_ERR_INPUT, "no env: rc %d", rc);
    auto_with("3", NULL, "3", "4", NULL, &k, &n, &rc);
    CHECK(rc == DC_ERR_INPUT, "no MIN: rc %d", rc);
    auto_with("7", "1", "7", "3", NULL, &k, &n, &rc);  /* --array=1,2,7 */
    CHECK(rc == DC_ERR_INPUT, "list 1,2,7: rc %d", rc);
    auto_with("x", "0", "3", "4", NULL, &k, &n, &rc);
    CHECK(rc == DC_ERR_INPUT, "id x: rc %d", rc);
    auto_with("5", "0", "3", "4", NULL, &k, &n, &rc);
    CHECK(rc == DC_ERR_INPUT, "id beyond max: rc %d", rc);
    auto_with("11", "10", "16", "4", "2", &k, &n, &rc);
    CHECK(rc == DC_ERR_INPUT, "id off the step: rc %d", rc);
    clear_slurm_env();
}

static void test_assignment(void)
{
    /* Every run belongs to exactly one shard; shards are balanced and round-robin. */
    for (int n = 1; n <= 7; n++) {
        for (int n_runs = 0; n_runs <= 23; n_runs++) {
            int total = 0;
            for (int run = 0; run < n_runs; run++) {
                int owners = 0;
                for (int k = 1; k <= n; k++) {
                    dc_shard s = {k, n};
                    owners += dc_shard_owns(&s, run);
                }
                CHECK(owners == 1, "run %d of %d in %d shards: %d owners", run, n_runs, n, owners);
            }
            for (int k = 1; k <= n; k++) {
                dc_shard s = {k, n};
                int size = dc_shard_size(&s, n_runs), counted = 0;
                for (int run = 0; run < n_runs; run++) counted += dc_shard_owns(&s, run);
                CHECK(size == counted, "shard %d/%d of %d runs: size %d, owns %d", k, n, n_runs, size, counted);
                CHECK(size == n_runs / n || size == n_runs / n + 1, "shard %d/%d unbalanced: %d", k, n, size);
                total += size;
            }
            CHECK(total == n_runs, "%d shards of %d runs cover %d", n, n_runs, total);
        }
    }
    dc_shard s2 = {2, 4}, whole = {0, 0};
    CHECK(dc_shard_owns(&s2, 1) && dc_shard_owns(&s2, 5) && !dc_shard_owns(&s2, 0) && !dc_shard_owns(&s2, 2),
          "2/4 owns runs 1, 5, 9, ...");
    CHECK(dc_shard_owns(&whole, 17) && dc_shard_size(&whole, 20) == 20, "not sharded: everything");
}

static void test_names(void)
{
    char out[256], text[32];
    dc_error err = {0};
    dc_shard s = {1, 4}, whole = {0, 0};
    CHECK(dc_shard_path(&s, "results/x.h5", out, sizeof out, &err) == DC_OK &&
          strcmp(out, "results/x.shard-1-of-4.h5") == 0, "%s", out);
    CHECK(dc_shard_path(&s, "out", out, sizeof out, &err) == DC_OK && strcmp(out, "out.shard-1-of-4.h5") == 0,
          "%s", out);
    CHECK(dc_shard_path(&s, "a.hdf5", out, sizeof out, &err) == DC_OK &&
          strcmp(out, "a.hdf5.shard-1-of-4.h5") == 0, "%s", out);
    CHECK(dc_shard_path(&whole, "results/x.h5", out, sizeof out, &err) == DC_OK && strcmp(out, "results/x.h5") == 0,
          "%s", out);
    CHECK(dc_shard_path(&s, "results/x.h5", out, 10, &err) == DC_ERR_INPUT, "too long");
    dc_shard_format(&s, text, sizeof text);
    CHECK(strcmp(text, "1/4") == 0, "%s", text);
    dc_shard_format(&whole, text, sizeof text);
    CHECK(strcmp(text, "") == 0, "%s", text);
}

int main(void)
{
    test_parse();
    test_auto();
    test_assignment();
    test_names();
    return check_finish();
}
