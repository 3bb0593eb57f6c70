/* A minimal test harness: CHECK records a failure and goes on; check_finish prints the closing
 * "N passed, N failed" line and gives the exit status. A test that cannot run here returns
 * check_skip(reason) (77, as meson expects) instead of passing on nothing. */
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

/* 1 when a check failed, and when no check ran: a test that checked nothing has shown nothing. */
static inline int check_finish(void)
{
    printf("%d passed, %d failed\n", check_passed_, check_failed_);
    if (check_passed_ + check_failed_ == 0) {
        fprintf(stderr, "no check ran: a test that cannot run here returns check_skip(reason)\n");
        return 1;
    }
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

/* The exit status of a test that cannot run here, after one line saying why. */
static inline int check_skip(const char *reason)
{
    printf("skipped: %s\n", reason);
    return CHECK_SKIP_EXIT;
}

/* The edges of docs/model.md by brute force, as an oracle independent of dc_neighbors_build: every
 * ordered pair (i <- j) of atoms of one molecule with d < cutoff, sorted by dst then src (atoms of
 * a molecule are contiguous). Writes src/dst unless they are NULL; returns the count. */
static inline long long check_brute_edges(int n_atoms, const int *mol, const double *pos,
                                          double cutoff, int *src, int *dst)
{
    long long n = 0;
    for (int i = 0; i < n_atoms; i++)
        for (int j = 0; j < n_atoms; j++) {
            if (i == j || mol[i] != mol[j]) continue;
            double d2 = 0.0;
            for (int k = 0; k < 3; k++) {
                double x = pos[3 * i + k] - pos[3 * j + k];
                d2 += x * x;
            }
            if (sqrt(d2) >= cutoff) continue;
            if (dst) {
                dst[n] = i;
                src[n] = j;
            }
            n++;
        }
    return n;
}

#endif
