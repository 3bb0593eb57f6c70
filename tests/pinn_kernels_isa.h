/* The PINN float engine's kernels (src/model/pinn/pinn_kernels.h) under the names of one
 * instruction set: with DC_ISA_NAME(f) defined as f ## _avx2 (say), every kernel f is declared
 * (and, in tests/pinn_kernels_isa.c, defined) as f_avx2. With DC_ISA_DEFINE set, the renames
 * stay on for the definitions that follow. */
#undef DCSWEEP_PINN_KERNELS_H
#undef DC_KIT_ROWS_H
#define dc_pinn_act_forward DC_ISA_NAME(dc_pinn_act_forward)
#define dc_pinn_act_reverse DC_ISA_NAME(dc_pinn_act_reverse)
#define dc_sum_rows DC_ISA_NAME(dc_sum_rows)
#include "../src/model/pinn/pinn_kernels.h"
#include "../src/model/kit/dc_rows.h"
#ifndef DC_ISA_DEFINE
#undef dc_pinn_act_forward
#undef dc_pinn_act_reverse
#undef dc_sum_rows
#endif
