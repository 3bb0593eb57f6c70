/* Private: the float DimeNet++ engine's own loops (dimenet_kernels.c): activations, elementwise
 * jets, gathers, scatter-adds and the triplet product. Row-major float arrays, shapes in comments;
 * n elements or rows, c columns. Every loop runs in a fixed order, so results are bitwise
 * reproducible; every instruction-set clone gives the same bits (tests/test_dimenet_kernels_isa.c).
 * Its own guard: tests/dimenet_kernels_isa.h includes this header once per instruction set. */
#ifndef DCSWEEP_DIMENET_KERNELS_H
#define DCSWEEP_DIMENET_KERNELS_H

#include <stdint.h>

#ifndef DCSWEEP_DIMENET_ACT
#define DCSWEEP_DIMENET_ACT
/* An activation site in float. */
typedef struct dn_act {
    int irelu;
    float c;
} dn_act;
#endif

/* y = s(x), ds = s'(x), d2s = s''(x) */
void dc_dimenet_act_forward(dn_act a, float *y, float *ds, float *d2s, const float *x, int64_t n);
/* The reverse loops write their input adjoint x (=) with assign, else add into it (+=). */
/* xa0 (+)= ya0 s' + ya1 s'' x1 */
void dc_dimenet_act_reverse0(int assign, float *xa0, const float *ya0, const float *ya1,
                             const float *ds, const float *d2s, const float *x1, int64_t n);
/* y = x + z */
void dc_dimenet_add(float *y, const float *x, const float *z, int64_t n);
/* x (+)= y */
void dc_dimenet_acc(int assign, float *x, const float *y, int64_t n);
/* y = x * z */
void dc_dimenet_mul(float *y, const float *x, const float *z, int64_t n);
/* y = x0 * z1 + x1 * z0 */
void dc_dimenet_mul_tangent(float *y, const float *x0, const float *x1, const float *z0,
                            const float *z1, int64_t n);
/* x (+)= y0 * z0 (+ y1 * z1 when y1 non-NULL) */
void dc_dimenet_mul_acc(int assign, float *x, const float *y0, const float *z0, const float *y1,
                        const float *z1, int64_t n);
/* y [n][c] = x [idx[r]] */
void dc_dimenet_gather(float *y, const float *x, const int *idx, int64_t n, int c);
/* x [idx[r]] += y [r], r in order; with assign x [x_rows][c] is zeroed first */
void dc_dimenet_gather_reverse(int assign, float *x, int64_t x_rows, const float *y, const int *idx,
                               int64_t n, int c);
/* y [rows][c] = 0, then y [idx[r]] += x [r], r in order */
void dc_dimenet_scatter(float *y, int64_t rows, const float *x, const int *idx, int64_t n, int c);
/* x [r] (+)= y [idx[r]] */
void dc_dimenet_scatter_reverse(int assign, float *x, const float *y, const int *idx, int64_t n,
                                int c);
/* The triplet product (DN_TRIPLET) over T triplets, c columns, y and x [E][c], s [T][c]:
 * y = 0, then y [ji[t]] += x [kj[t]] * s [t], t in order; */
void dc_dimenet_triplet(float *y, int64_t E, const float *x, const float *s, const int *kj,
                        const int *ji, int64_t T, int c);
/* its tangent: y1 = 0, then y1 [ji] += x1 [kj] * s0 [t] + x0 [kj] * s1 [t]; */
void dc_dimenet_triplet_tangent(float *y1, int64_t E, const float *x0, const float *x1,
                                const float *s0, const float *s1, const int *kj, const int *ji,
                                int64_t T, int c);
/* its reverse into x: xa [kj] += ya [ji] * s0 [t] (+ yb [ji] * s1 [t] when yb non-NULL), xa [E][c]
 * zeroed first with assign; */
void dc_dimenet_triplet_reverse_x(int assign, float *xa, int64_t E, const float *ya,
                                  const float *s0, const float *yb, const float *s1, const int *kj,
                                  const int *ji, int64_t T, int c);
/* and into s: sa [t] (+)= ya [ji] * x0 [kj] (+ yb [ji] * x1 [kj] when yb non-NULL). */
void dc_dimenet_triplet_reverse_s(int assign, float *sa, const float *ya, const float *x0,
                                  const float *yb, const float *x1, const int *kj, const int *ji,
                                  int64_t T, int c);
/* y [n][a + b] = [x [n][a], z [n][b]] */
void dc_dimenet_concat(float *y, const float *x, int a, const float *z, int b, int64_t n);
/* x (+)= y [:, 0:a], z (+)= y [:, a:a+b] (either may be NULL), assign_x, assign_z */
void dc_dimenet_concat_reverse(const int assign[2], float *x, int a, float *z, int b,
                               const float *y, int64_t n);

#endif
