/* The kit's row sum and arena (src/model/kit/dc_rows.h, dc_arena.h): the row sum overwrites its
 * output (its stated contract) with each column summed in double in row order, past the column
 * block; the arena's two carves agree, its slices are aligned, zeroed and do not overlap. */
#include <stdint.h>

#include "check.h"
#include "dc_arena.h"
#include "dc_rows.h"

static void check_rows(int64_t n, int64_t c)
{
    static float x[7 * 600], out[600];
    for (int64_t k = 0; k < n * c; k++)
        x[k] = (float)((k * 37 % 101) - 50) * 0.37f + 1e-4f * (float)k;
    for (int64_t k = 0; k < c; k++) out[k] = 1e30f; /* overwritten, not added to */
    dc_sum_rows(out, x, n, c);
    int bad = 0;
    for (int64_t k = 0; k < c; k++) {
        double s = 0.0;
        for (int64_t r = 0; r < n; r++) s += x[r * c + k];
        bad += out[k] != (float)s;
    }
    CHECK(bad == 0, "%lld x %lld: %d columns differ from the double row-order sum", (long long)n,
          (long long)c, bad);
}

typedef struct slices {
    double *a; /* [3] */
    float *b;  /* [100] */
    char *c;   /* [1] */
} slices;

static void carve(slices *s, dc_arena *ar)
{
    DC_TAKE(ar, s->a, 3);
    DC_TAKE(ar, s->b, 100);
    DC_TAKE(ar, s->c, 1);
}

int main(void)
{
    check_rows(7, 1);
    check_rows(7, 255);
    check_rows(7, 256);
    check_rows(5, 600);
    check_rows(0, 9);

    dc_arena ar = {0};
    slices s;
    carve(&s, &ar);
    CHECK(s.a == NULL && s.b == NULL && ar.used == 64 + 448 + 64, "counting: %zu bytes", ar.used);
    dc_error err = {0};
    CHECK(dc_arena_alloc(&ar, &err) == DC_OK, "alloc: %s", err.message);
    carve(&s, &ar);
    CHECK(ar.used == 576, "second carve: %zu bytes", ar.used);
    CHECK((uintptr_t)s.a % 64 == 0 && (uintptr_t)s.b % 64 == 0 && (uintptr_t)s.c % 64 == 0,
          "slices not 64-byte aligned");
    CHECK((char *)s.b - (char *)s.a == 64 && (char *)s.c - (char *)s.b == 448, "slices overlap");
    CHECK(s.a[2] == 0.0 && s.b[99] == 0.0f && s.c[0] == 0, "not zeroed");
    dc_arena_free(&ar);
    CHECK(ar.base == NULL, "free left the base");
    return check_finish();
}
