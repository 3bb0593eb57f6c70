/* The float engine's kernels (src/model/schnet/schnet_kernels.h) under the names of one
 * instruction set: with DC_ISA_NAME(f) defined as f ## _avx2 (say), every dc_* kernel f is
 * declared (and, in tests/schnet_kernels_isa.c, defined) as f_avx2, so that one test program
 * can hold the AVX-512, AVX2 and baseline builds of the same loops side by side. With
 * DC_ISA_DEFINE set, the renames stay on for the definitions that follow. */
#undef DCSWEEP_SCHNET_KERNELS_H
#undef DC_KIT_ROWS_H
#define dc_schnet_rbf DC_ISA_NAME(dc_schnet_rbf)
#define dc_schnet_act_forward_bias DC_ISA_NAME(dc_schnet_act_forward_bias)
#define dc_schnet_act_tangent DC_ISA_NAME(dc_schnet_act_tangent)
#define dc_schnet_act_reverse DC_ISA_NAME(dc_schnet_act_reverse)
#define dc_schnet_act_reverse_primal DC_ISA_NAME(dc_schnet_act_reverse_primal)
#define dc_schnet_filter_act_reverse DC_ISA_NAME(dc_schnet_filter_act_reverse)
#define dc_schnet_cfconv_gather DC_ISA_NAME(dc_schnet_cfconv_gather)
#define dc_sum_rows DC_ISA_NAME(dc_sum_rows)
#define dc_schnet_cfconv_reverse_primal DC_ISA_NAME(dc_schnet_cfconv_reverse_primal)
#define dc_schnet_cfconv_reverse DC_ISA_NAME(dc_schnet_cfconv_reverse)
#include "../src/model/schnet/schnet_kernels.h"
#include "../src/model/kit/dc_rows.h"
#ifndef DC_ISA_DEFINE
#undef dc_schnet_rbf
#undef dc_schnet_act_forward_bias
#undef dc_schnet_act_tangent
#undef dc_schnet_act_reverse
#undef dc_schnet_act_reverse_primal
#undef dc_schnet_filter_act_reverse
#undef dc_schnet_cfconv_gather
#undef dc_sum_rows
#undef dc_schnet_cfconv_reverse_primal
#undef dc_schnet_cfconv_reverse
#endif
