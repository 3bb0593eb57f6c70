/* A minimal test harness: CHECK records a failure and goes on; check_finish prints the closing
 * "N passed, N failed" line and gives the exit status (77 = skipped, as meson expects). */
#ifndef DCSWEEP_TESTS_CHECK_H
#define DCSWEEP_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_passed_, check_failed_;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            check_passed_++;                                                                       \
        } else {                                                                                   \
            check_failed_++;                                                                       \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* |a - b| <= tol * max(1, |b|) */
#define CHECK_CLOSE(a, b, tol)                                                                     \
    do {                                                                                           \
        double ca_ = (double)(a), cb_ = (double)(b);                                               \
        CHECK(fabs(ca_ - cb_) <= (tol) * fmax(1.0, fabs(cb_)), "%s = %.10g, expected %.10g", #a,  \
              ca_, cb_);                                                                           \
    } while (0)

static inline int check_finish(void)
{
    printf("%d passed, %d failed\n", check_passed_, check_failed_);
    return check_failed_ ? 1 : 0;
}

/* The developers' shared folder (golden file, real data), or NULL when this machine has none:
 * tests that need it have "shared" in their name and skip. */
static inline const char *check_shared_dir(void)
{
    const char *dir = getenv("DC_SHARED_DIR");
    static char probe[4096];
    if (!dir || !*dir) return NULL;
    snprintf(probe, sizeof probe, "%s/spec/MODEL.md", dir);
    FILE *f = fopen(probe, "r");
    if (!f) return NULL;
    fclose(f);
    return dir;
}

#define CHECK_SKIP_EXIT 77

#endif
