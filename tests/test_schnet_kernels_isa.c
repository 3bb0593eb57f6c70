/* Every hand-written kernel of the float engine gives the same bits in its AVX-512, AVX2 and
 * baseline x86-64 builds (the clones that GCC's function multiversioning picks from at load
 * time), so that runs are bitwise reproducible across the nodes of a mixed cluster as far as our
 * own loops go (oneDNN's matmuls are pinned with DNNL_MAX_CPU_ISA: docs/model.md). Inputs are
 * random, with widths that are not multiples of the vector length, activation inputs deep in
 * both tails (where the exponential is flushed to 0) and exact zeros. A build the CPU cannot run
 * is reported and left out; with neither AVX2 nor AVX-512 the test skips (tests/isa_skip.h). */
#include <stdint.h>

#include "check.h"
#include "isa_skip.h"
#include "dcsweep/core/rng.h"

#define DC_ISA_NAME(f) f##_avx512f
#include "schnet_kernels_isa.h"
#undef DC_ISA_NAME
#define DC_ISA_NAME(f) f##_avx2
#include "schnet_kernels_isa.h"
#undef DC_ISA_NAME
#define DC_ISA_NAME(f) f##_default
#include "schnet_kernels_isa.h"
#undef DC_ISA_NAME

typedef struct kernels {
    const char *isa;
    void (*rbf)(float *, float *, const double *, const double *, double, int64_t, int);
    void (*act_forward_bias)(dc_schnet_act, float *, float *, const float *, const float *,
                             int64_t, int, float *, const float *);
    void (*act_tangent)(float *, const float *, const float *, int64_t);
    void (*act_reverse)(dc_schnet_act, float *, float *, const float *, const float *, int64_t);
    void (*act_reverse_primal)(float *, const float *, const float *, int64_t);
    void (*filter_act_reverse)(dc_schnet_act, float *, float *, float *, const float *,
                               const float *, int64_t, int);
    void (*gather)(float *, const float *, const float *, const float *, const float *,
                   const float *, const float *, const float *, const int64_t *, const int *,
                   const int64_t *, int, int);
    void (*sum_rows)(float *, const float *, int64_t, int64_t);
    void (*reverse_primal)(float *, float *, const float *, const float *, const float *,
                           const float *, const float *, const float *, const int *, const int *,
                           int64_t, int);
    void (*reverse)(float *, float *, float *, const float *, const float *, const float *,
                    const float *, const float *, const float *, const float *, const float *,
                    const float *, const int *, const int *, int64_t, int, float *);
} kernels;

#define KERNELS(isa)                                                                               \
    {#isa, dc_schnet_rbf_##isa, dc_schnet_act_forward_bias_##isa, dc_schnet_act_tangent_##isa,     \
     dc_schnet_act_reverse_##isa, dc_schnet_act_reverse_primal_##isa,                              \
     dc_schnet_filter_act_reverse_##isa, dc_schnet_cfconv_gather_##isa, dc_sum_rows_##isa,         \
     dc_schnet_cfconv_reverse_primal_##isa, dc_schnet_cfconv_reverse_##isa}

/* A complete graph on N_ATOMS atoms: every atom pair, both edges, sorted by destination. */
#define N_ATOMS 9
#define N_PAIRS (N_ATOMS * (N_ATOMS - 1) / 2)
#define N_EDGES (2 * N_PAIRS)
#define MAX_C 70
#define BIG (N_EDGES * MAX_C)

typedef struct inputs {
    int pa[N_PAIRS], pb[N_PAIRS], src[N_EDGES];
    int64_t row_start[N_ATOMS + 1], of_edge[N_EDGES];
    double d[N_PAIRS], mu[MAX_C];
    float x[6][BIG];   /* six independent random arrays */
    float tail[BIG];   /* activation inputs over [-120, 120], some exact zeros */
    float row[4][N_PAIRS];
} inputs;

/* The outputs of one ISA's run of every kernel, compared bytewise. */
typedef struct outputs {
    float a[18][BIG];
    float v[7][BIG];
} outputs;

static void make_inputs(inputs *in, dc_rng *rng)
{
    int p = 0;
    for (int i = 0; i < N_ATOMS; i++)
        for (int j = i + 1; j < N_ATOMS; j++, p++) {
            in->pa[p] = i;
            in->pb[p] = j;
        }
    int64_t e = 0;
    for (int i = 0; i < N_ATOMS; i++) {
        in->row_start[i] = e;
        for (int j = 0; j < N_ATOMS; j++) {
            if (j == i) continue;
            const int a = i < j ? i : j, b = i < j ? j : i;
            in->src[e] = j;
            in->of_edge[e] = (int64_t)a * (2 * N_ATOMS - a - 1) / 2 + (b - a - 1);
            e++;
        }
    }
    in->row_start[N_ATOMS] = e;
    for (int k = 0; k < N_PAIRS; k++) in->d[k] = 0.5 + 5.0 * dc_rng_uniform(rng);
    for (int k = 0; k < MAX_C; k++) in->mu[k] = 6.0 * k / (MAX_C - 1);
    for (int a = 0; a < 6; a++)
        for (int k = 0; k < BIG; k++) in->x[a][k] = (float)dc_rng_normal(rng);
    for (int k = 0; k < BIG; k++) {
        double u = dc_rng_uniform(rng);
        in->tail[k] = k % 17 == 0 ? 0.0f : (float)(240.0 * (u - 0.5) * (u - 0.5) * (u < 0.5 ? -4 : 4));
    }
    for (int r = 0; r < 4; r++)
        for (int k = 0; k < N_PAIRS; k++) in->row[r][k] = (float)dc_rng_normal(rng);
}

static void run_all(const kernels *K, const inputs *in, dc_schnet_act act, int c, outputs *o)
{
    memset(o, 0, sizeof *o);
    const int64_t P = N_PAIRS, n = (int64_t)P * c;
    K->rbf(o->a[0], o->a[1], in->d, in->mu, 0.5 / (0.1 * 0.1), P, c);
    static const float zero[MAX_C];
    K->act_forward_bias(act, o->a[2], o->a[3], in->tail, zero, P, c, NULL, NULL);
    K->act_forward_bias(act, o->a[16], o->a[17], in->tail, in->x[5], P, c, o->a[10], in->x[4]);
    K->act_forward_bias(act, o->v[6], o->v[6] + BIG / 2, in->x[1], in->x[2],
                        N_ATOMS, c, NULL, NULL);
    K->act_tangent(o->a[4], o->a[3], in->x[0], n);
    memcpy(o->a[5], in->x[1], sizeof o->a[5]);
    memcpy(o->a[6], in->x[2], sizeof o->a[6]);
    K->act_reverse(act, o->a[5], o->a[6], o->a[3], in->x[3], n);
    memcpy(o->a[7], in->x[1], sizeof o->a[7]);
    memcpy(o->a[8], in->x[2], sizeof o->a[8]);
    K->act_reverse(act, o->a[7], o->a[8], o->a[3], NULL, n);
    K->act_reverse_primal(o->a[9], in->x[4], o->a[3], n);
    memcpy(o->a[11], in->x[1], sizeof o->a[11]);
    memcpy(o->a[12], in->x[2], sizeof o->a[12]);
    K->filter_act_reverse(act, o->a[11], o->a[12], o->v[0], o->a[3], in->x[5], P, c);
    /* atoms' arrays are the first N_ATOMS rows of the x arrays */
    K->gather(o->a[13], in->x[0], NULL, in->row[1], NULL, NULL, in->x[1], NULL, in->row_start,
              in->src, in->of_edge, N_ATOMS, c);
    K->gather(o->a[14], in->x[0], in->x[2], in->row[1], in->row[0], in->row[2], in->x[1], NULL,
              in->row_start, in->src, in->of_edge, N_ATOMS, c);
    K->gather(o->a[15], in->x[0], in->x[2], in->row[1], in->row[0], in->row[2], in->x[1], in->x[3],
              in->row_start, in->src, in->of_edge, N_ATOMS, c);
    K->sum_rows(o->v[0] + MAX_C, in->tail, P, c);
    memcpy(o->v[2], in->x[4], sizeof o->v[2]); /* gx and dbar accumulate */
    memcpy(o->v[1], in->row[3], sizeof in->row[3]);
    K->reverse_primal(o->v[2], o->v[1], in->x[0], in->x[1], in->x[2], in->x[3], in->row[1],
                      in->row[2], in->pa, in->pb, P, c);
    memcpy(o->v[5], in->x[4], sizeof o->v[5]);
    K->reverse(o->v[4], o->v[3], o->v[5], in->x[0], in->x[1], in->x[2], in->x[3], in->x[4],
               in->x[5], in->row[1], in->row[0], in->row[2], in->pa, in->pb, P, c,
               o->v[0] + 2 * MAX_C);
}

int main(void)
{
    const kernels isa[3] = {KERNELS(default), KERNELS(avx2), KERNELS(avx512f)};
    const char *const pretendable[] = {"avx2", "avx512f"};
    if (!isa_pretend_names_known(pretendable, 2)) return 1;
    const int cpu_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const int have[3] = {1, isa_usable("avx2", cpu_avx2),
                         isa_usable("avx512f", __builtin_cpu_supports("avx512f"))};
    if (!have[1] && !have[2])
        return check_skip("neither the AVX2 nor the AVX-512 build can run on this CPU: nothing to "
                          "compare the baseline with");
    static inputs in;
    static outputs ref, got;
    dc_rng rng;
    dc_rng_seed(&rng, 11, 3);
    make_inputs(&in, &rng);
    const int widths[] = {1, 5, 16, 37, 64, MAX_C};
    int compared = 0;
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
        for (int a = 0; a < 3; a++) {
            const dc_schnet_act act = {.irelu = a > 0, .c = a == 2 ? 0.3f : 0.5f};
            run_all(&isa[0], &in, act, widths[w], &ref);
            for (int k = 1; k < 3; k++) {
                if (!have[k]) continue;
                run_all(&isa[k], &in, act, widths[w], &got);
                for (int o = 0; o < (int)(sizeof ref.a / sizeof ref.a[0]); o++)
                    CHECK(memcmp(ref.a[o], got.a[o], sizeof ref.a[o]) == 0,
                          "%s differs from the baseline: output %d, width %d, act %d", isa[k].isa,
                          o, widths[w], a);
                for (int o = 0; o < (int)(sizeof ref.v / sizeof ref.v[0]); o++)
                    CHECK(memcmp(ref.v[o], got.v[o], sizeof ref.v[o]) == 0,
                          "%s differs from the baseline: accumulator %d, width %d, act %d",
                          isa[k].isa, o, widths[w], a);
                compared++;
            }
        }
    printf("%d ISA builds x widths x activations compared with the baseline (avx2 %s, avx512f %s)\n",
           compared, have[1] ? "yes" : "no (skipped)", have[2] ? "yes" : "no (skipped)");
    return check_finish();
}
