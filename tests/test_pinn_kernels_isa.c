/* Every hand-written kernel of the PINN float engine gives the same bits in its AVX-512, AVX2 and
 * baseline x86-64 builds (the clones GCC's function multiversioning picks from at load time), so
 * our own loops keep runs bitwise reproducible across the nodes of a mixed cluster. Inputs are
 * random, with widths around and between the vector lengths (and past the column block of
 * dc_sum_rows), pre-activations past tanh's clamp and exact zeros (IReLU's kink), every
 * tangent count, with and without ddt. A build the CPU cannot run is reported and left out; with
 * neither AVX2 nor AVX-512 the test skips (tests/isa_skip.h). */
#include <stdint.h>

#include "check.h"
#include "isa_skip.h"
#include "dcsweep/core/rng.h"

#define DC_ISA_NAME(f) f##_avx512f
#include "pinn_kernels_isa.h"
#undef DC_ISA_NAME
#define DC_ISA_NAME(f) f##_avx2
#include "pinn_kernels_isa.h"
#undef DC_ISA_NAME
#define DC_ISA_NAME(f) f##_default
#include "pinn_kernels_isa.h"
#undef DC_ISA_NAME

typedef struct kernels {
    const char *isa;
    void (*act_forward)(dc_pinn_act, float *, float *, float *, const float *, int64_t, int, int);
    void (*act_reverse)(float *, const float *, const float *, int64_t, int);
    void (*sum_rows)(float *, const float *, int64_t, int64_t);
} kernels;

#define KERNELS(isa) {#isa, dc_pinn_act_forward_##isa, dc_pinn_act_reverse_##isa, dc_sum_rows_##isa}

#define ROWS 7
#define MAX_W 300
#define BIG (3 * ROWS * MAX_W)

typedef struct outputs {
    float y[BIG], ds[ROWS * MAX_W], ddt[ROWS * MAX_W], g[2 * ROWS * MAX_W], sums[2][MAX_W];
} outputs;

static void run_all(const kernels *K, const float *pre, const float *bias, const float *adj,
                    dc_pinn_act act, int W, int n_tan, int with_ddt, outputs *o)
{
    memset(o, 0, sizeof *o);
    memcpy(o->y, pre, sizeof o->y);
    K->act_forward(act, o->y, o->ds, with_ddt ? o->ddt : NULL, bias, ROWS, W, n_tan);
    memcpy(o->g, adj, sizeof o->g);
    K->act_reverse(o->g, o->ds, o->ddt, ROWS, W);
    K->sum_rows(o->sums[0], o->g, ROWS, W);
    K->sum_rows(o->sums[1], o->y, 3 * ROWS, W);
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
    static float pre[BIG], bias[MAX_W], adj[2 * ROWS * MAX_W];
    static outputs ref, got;
    dc_rng rng;
    dc_rng_seed(&rng, 12, 3);
    for (int k = 0; k < BIG; k++)
        pre[k] = k % 13 == 0 ? 0.0f : (float)(6.0 * dc_rng_normal(&rng)); /* past +-7.9 often */
    for (int k = 0; k < MAX_W; k++) bias[k] = k % 7 == 0 ? 0.0f : (float)dc_rng_normal(&rng);
    for (int k = 0; k < 2 * ROWS * MAX_W; k++) adj[k] = (float)dc_rng_normal(&rng);
    const int widths[] = {1, 5, 8, 16, 37, 40, 64, 257, MAX_W};
    int compared = 0;
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
        for (int a = 0; a < 3; a++)
            for (int n_tan = 0; n_tan <= 2; n_tan++)
                for (int with_ddt = 0; with_ddt < 2; with_ddt++) {
                    if (with_ddt && n_tan == 0) continue;
                    const dc_pinn_act act = {.irelu = a > 0, .c = a == 2 ? 0.3f : 0.5f};
                    run_all(&isa[0], pre, bias, adj, act, widths[w], n_tan, with_ddt, &ref);
                    for (int k = 1; k < 3; k++) {
                        if (!have[k]) continue;
                        run_all(&isa[k], pre, bias, adj, act, widths[w], n_tan, with_ddt, &got);
                        CHECK(memcmp(&ref, &got, sizeof ref) == 0,
                              "%s differs from the baseline: width %d, act %d, %d tangents, ddt %d",
                              isa[k].isa, widths[w], a, n_tan, with_ddt);
                        compared++;
                    }
                }
    printf("%d ISA builds x cases compared with the baseline (avx2 %s, avx512f %s)\n", compared,
           have[1] ? "yes" : "no (skipped)", have[2] ? "yes" : "no (skipped)");
    return check_finish();
}
