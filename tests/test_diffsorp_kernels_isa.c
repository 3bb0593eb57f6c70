/* Every hand-written kernel of the diffusion-sorption float engine gives the same bits in its
 * AVX-512, AVX2 and baseline x86-64 builds (the clones GCC's function multiversioning picks from at
 * load time), as tests/test_pinn_kernels_isa.c checks for the advection engine's. Inputs are
 * random, with widths around and between the vector lengths, pre-activations past tanh's clamp
 * and exact zeros (IReLU's kink), with every stream (m = n), some (m < n) and none (m = 0). A
 * build the CPU cannot run is reported and left out; with neither AVX2 nor AVX-512 the test skips
 * (tests/isa_skip.h). */
#include <stdint.h>

#include "check.h"
#include "isa_skip.h"
#include "dcsweep/core/rng.h"

#define DC_ISA_NAME(f) f##_avx512f
#include "diffsorp_kernels_isa.h"
#undef DC_ISA_NAME
#define DC_ISA_NAME(f) f##_avx2
#include "diffsorp_kernels_isa.h"
#undef DC_ISA_NAME
#define DC_ISA_NAME(f) f##_default
#include "diffsorp_kernels_isa.h"
#undef DC_ISA_NAME

typedef struct kernels {
    const char *isa;
    void (*act_forward)(dc_diffsorp_act, float *, const dc_diffsorp_act_saved *, const float *,
                        int64_t, int64_t, int);
    void (*act_reverse)(float *, const dc_diffsorp_act_saved *, int64_t, int64_t, int);
} kernels;

#define KERNELS(isa) {#isa, dc_diffsorp_act_forward_##isa, dc_diffsorp_act_reverse_##isa}

#define ROWS 7
#define MAX_W 300
#define BIG (4 * ROWS * MAX_W)

typedef struct outputs {
    float y[BIG], d1[ROWS * MAX_W], ex[ROWS * MAX_W], q[ROWS * MAX_W], et[ROWS * MAX_W], g[BIG];
} outputs;

static void run_all(const kernels *K, const float *pre, const float *bias, const float *adj,
                    dc_diffsorp_act act, int W, int64_t m, outputs *o)
{
    memset(o, 0, sizeof *o);
    memcpy(o->y, pre, sizeof o->y);
    const dc_diffsorp_act_saved sv = {.d1 = o->d1, .ex = o->ex, .q = o->q, .et = o->et};
    K->act_forward(act, o->y, &sv, bias, ROWS, m, W);
    memcpy(o->g, adj, sizeof o->g);
    K->act_reverse(o->g, &sv, ROWS, m, W);
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
    static float pre[BIG], bias[MAX_W], adj[BIG];
    static outputs ref, got;
    dc_rng rng;
    dc_rng_seed(&rng, 24, 3);
    for (int k = 0; k < BIG; k++)
        pre[k] = k % 13 == 0 ? 0.0f : (float)(6.0 * dc_rng_normal(&rng)); /* past +-7.9 often */
    for (int k = 0; k < MAX_W; k++) bias[k] = k % 7 == 0 ? 0.0f : (float)dc_rng_normal(&rng);
    for (int k = 0; k < BIG; k++) adj[k] = (float)dc_rng_normal(&rng);
    const int widths[] = {1, 5, 8, 16, 37, 40, 64, 257, MAX_W};
    const int64_t ms[] = {ROWS, 4, 0};
    int compared = 0;
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
        for (int a = 0; a < 3; a++)
            for (size_t k_m = 0; k_m < sizeof ms / sizeof *ms; k_m++) {
                const dc_diffsorp_act act = {.irelu = a > 0, .c = a == 2 ? 0.3f : 0.5f};
                run_all(&isa[0], pre, bias, adj, act, widths[w], ms[k_m], &ref);
                for (int k = 1; k < 3; k++) {
                    if (!have[k]) continue;
                    run_all(&isa[k], pre, bias, adj, act, widths[w], ms[k_m], &got);
                    CHECK(memcmp(&ref, &got, sizeof ref) == 0,
                          "%s differs from the baseline: width %d, act %d, m %lld", isa[k].isa,
                          widths[w], a, (long long)ms[k_m]);
                    compared++;
                }
            }
    printf("%d ISA builds x cases compared with the baseline (avx2 %s, avx512f %s)\n", compared,
           have[1] ? "yes" : "no (skipped)", have[2] ? "yes" : "no (skipped)");
    return check_finish();
}
