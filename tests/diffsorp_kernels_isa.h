/* The diffusion-sorption float engine's kernels (src/model/diffsorp/diffsorp_kernels.h) under the
 * names of one instruction set, as tests/pinn_kernels_isa.h does for the advection engine's: with
 * DC_ISA_NAME(f) defined as f ## _avx2 (say), every kernel f is declared (and, in
 * tests/diffsorp_kernels_isa.c, defined) as f_avx2. With DC_ISA_DEFINE set, the renames stay on
 * for the definitions that follow. */
#undef DCSWEEP_DIFFSORP_KERNELS_H
#define dc_diffsorp_act_forward DC_ISA_NAME(dc_diffsorp_act_forward)
#define dc_diffsorp_act_reverse DC_ISA_NAME(dc_diffsorp_act_reverse)
#include "../src/model/diffsorp/diffsorp_kernels.h"
#ifndef DC_ISA_DEFINE
#undef dc_diffsorp_act_forward
#undef dc_diffsorp_act_reverse
#endif
