/* Every hand-written loop of the DimeNet++ float engine gives the same bits in its AVX-512, AVX2
 * and baseline x86-64 builds (the clones GCC's function multiversioning picks from at load time),
 * so our own loops keep runs bitwise reproducible across the nodes of a mixed cluster. Inputs are
 * random, with lengths around and between the vector widths, pre-activations far into both tails
 * and exact zeros (IReLU's kink), SiLU and IReLU, overwriting and accumulating reverses, and the
 * triplet product on random index arrays. A build the CPU cannot run is reported and left out;
 * with neither AVX2 nor AVX-512 the test skips (tests/isa_skip.h). */
#include <stdint.h>

#include "check.h"
#include "isa_skip.h"
#include "dcsweep/core/rng.h"

#define DC_ISA_NAME(f) f##_avx512f
#include "dimenet_kernels_isa.h"
#undef DC_ISA_NAME
#define DC_ISA_NAME(f) f##_avx2
#include "dimenet_kernels_isa.h"
#undef DC_ISA_NAME
#define DC_ISA_NAME(f) f##_default
#include "dimenet_kernels_isa.h"
#undef DC_ISA_NAME

typedef struct kernels {
    const char *isa;
    void (*act_forward)(dn_act, float *, float *, float *, const float *, int64_t);
    void (*act_reverse0)(int, float *, const float *, const float *, const float *, const float *,
                         const float *, int64_t);
    void (*mul_tangent)(float *, const float *, const float *, const float *, const float *,
                        int64_t);
    void (*mul_acc)(int, float *, const float *, const float *, const float *, const float *,
                    int64_t);
    void (*triplet)(float *, int64_t, const float *, const float *, const int *, const int *,
                    int64_t, int);
    void (*triplet_tangent)(float *, int64_t, const float *, const float *, const float *,
                            const float *, const int *, const int *, int64_t, int);
    void (*triplet_reverse_x)(int, float *, int64_t, const float *, const float *, const float *,
                              const float *, const int *, const int *, int64_t, int);
    void (*triplet_reverse_s)(int, float *, const float *, const float *, const float *,
                              const float *, const int *, const int *, int64_t, int);
    void (*scatter)(float *, int64_t, const float *, const int *, int64_t, int);
    void (*scatter_reverse)(int, float *, const float *, const int *, int64_t, int);
    void (*gather_reverse)(int, float *, int64_t, const float *, const int *, int64_t, int);
} kernels;

#define KERNELS(isa)                                                                               \
    {                                                                                              \
#isa, dc_dimenet_act_forward_##isa, dc_dimenet_act_reverse0_##isa,                         \
            dc_dimenet_mul_tangent_##isa, dc_dimenet_mul_acc_##isa, dc_dimenet_triplet_##isa,      \
            dc_dimenet_triplet_tangent_##isa, dc_dimenet_triplet_reverse_x_##isa,                  \
            dc_dimenet_triplet_reverse_s_##isa, dc_dimenet_scatter_##isa,                          \
            dc_dimenet_scatter_reverse_##isa, dc_dimenet_gather_reverse_##isa                      \
    }

#define E 9      /* edges */
#define T 23     /* triplets */
#define MAX_C 67 /* columns */
#define N (T * MAX_C)

typedef struct outputs {
    float y[N], ds[N], d2s[N], xa[N], m[N], tr[E * MAX_C], tt[E * MAX_C], rx[E * MAX_C], rs[N];
    float sc[E * MAX_C], sr[N], gr[E * MAX_C];
} outputs;

typedef struct inputs {
    float x[N], a[N], b[N], c[N], d[N];
    int kj[T], ji[T];
} inputs;

static void run_all(const kernels *K, const inputs *in, dn_act act, int assign, int c, outputs *o)
{
    const int64_t n = (int64_t)T * c;
    memset(o, 0x5a, sizeof *o); /* what an overwriting loop must not read */
    K->act_forward(act, o->y, o->ds, o->d2s, in->x, n);
    if (!assign) memset(o->xa, 0, sizeof o->xa);
    K->act_reverse0(assign, o->xa, in->a, in->b, o->ds, o->d2s, in->c, n);
    K->mul_tangent(o->m, in->a, in->b, in->c, in->d, n);
    if (!assign) memcpy(o->rs, in->d, sizeof o->rs);
    K->mul_acc(assign, o->rs, in->a, in->b, assign ? NULL : in->c, in->d, n);
    K->triplet(o->tr, E, in->x, in->a, in->kj, in->ji, T, c);
    K->triplet_tangent(o->tt, E, in->x, in->b, in->a, in->c, in->kj, in->ji, T, c);
    if (!assign) memcpy(o->rx, in->d, sizeof o->rx);
    K->triplet_reverse_x(assign, o->rx, E, in->a, in->b, assign ? NULL : in->c, in->d, in->kj,
                         in->ji, T, c);
    if (!assign) memcpy(o->sr, in->d, sizeof o->sr);
    K->triplet_reverse_s(assign, o->sr, in->a, in->b, in->c, in->d, in->kj, in->ji, T, c);
    K->scatter(o->sc, E, in->a, in->ji, T, c);
    if (!assign) memset(o->gr, 0, sizeof o->gr);
    K->gather_reverse(assign, o->gr, E, in->b, in->kj, T, c);
    K->scatter_reverse(assign, o->m, in->c, in->ji, T, c);
}

int main(void)
{
    const kernels isa[3] = {KERNELS(default), KERNELS(avx2), KERNELS(avx512f)};
    const char *const pretendable[] = {"avx2", "avx512f"};
    if (!isa_pretend_names_known(pretendable, 2)) return 1;
    const int have[3] = {1, isa_usable("avx2", __builtin_cpu_supports("avx2")),
                         isa_usable("avx512f", __builtin_cpu_supports("avx512f"))};
    if (!have[1] && !have[2])
        return check_skip("neither the AVX2 nor the AVX-512 build can run on this CPU: nothing to "
                          "compare the baseline with");
    static inputs in;
    static outputs ref, got;
    dc_rng rng;
    dc_rng_seed(&rng, 23, 1);
    for (int k = 0; k < N; k++) {
        in.x[k] = k % 11 == 0 ? 0.0f : (float)(12.0 * dc_rng_normal(&rng)); /* past exp's flush */
        in.a[k] = (float)dc_rng_normal(&rng);
        in.b[k] = (float)dc_rng_normal(&rng);
        in.c[k] = (float)dc_rng_normal(&rng);
        in.d[k] = (float)dc_rng_normal(&rng);
    }
    for (int t = 0; t < T; t++) {
        in.kj[t] = (int)(dc_rng_uniform(&rng) * E);
        in.ji[t] = (int)(dc_rng_uniform(&rng) * E);
    }
    const int widths[] = {1, 3, 8, 16, 17, 33, 64, MAX_C};
    int compared = 0;
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
        for (int a = 0; a < 3; a++)
            for (int assign = 0; assign < 2; assign++) {
                const dn_act act = {.irelu = a > 0, .c = a == 2 ? 0.3f : 0.5f};
                run_all(&isa[0], &in, act, assign, widths[w], &ref);
                for (int k = 1; k < 3; k++) {
                    if (!have[k]) continue;
                    run_all(&isa[k], &in, act, assign, widths[w], &got);
                    CHECK(memcmp(&ref, &got, sizeof ref) == 0,
                          "%s differs from the baseline: width %d, act %d, assign %d", isa[k].isa,
                          widths[w], a, assign);
                    compared++;
                }
            }
    printf("%d ISA builds x cases compared with the baseline (avx2 %s, avx512f %s)\n", compared,
           have[1] ? "yes" : "no (skipped)", have[2] ? "yes" : "no (skipped)");
    return check_finish();
}
