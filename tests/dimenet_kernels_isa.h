/* The DimeNet++ float engine's kernels (src/model/dimenet/dimenet_kernels.h) under the names of
 * one instruction set: with DC_ISA_NAME(f) defined as f ## _avx2 (say), every kernel f is declared
 * (and, in tests/dimenet_kernels_isa.c, defined) as f_avx2. With DC_ISA_DEFINE set, the renames
 * stay on for the definitions that follow. */
#undef DCSWEEP_DIMENET_KERNELS_H
#define dc_dimenet_act_forward DC_ISA_NAME(dc_dimenet_act_forward)
#define dc_dimenet_act_reverse0 DC_ISA_NAME(dc_dimenet_act_reverse0)
#define dc_dimenet_add DC_ISA_NAME(dc_dimenet_add)
#define dc_dimenet_acc DC_ISA_NAME(dc_dimenet_acc)
#define dc_dimenet_mul DC_ISA_NAME(dc_dimenet_mul)
#define dc_dimenet_mul_tangent DC_ISA_NAME(dc_dimenet_mul_tangent)
#define dc_dimenet_mul_acc DC_ISA_NAME(dc_dimenet_mul_acc)
#define dc_dimenet_gather DC_ISA_NAME(dc_dimenet_gather)
#define dc_dimenet_gather_reverse DC_ISA_NAME(dc_dimenet_gather_reverse)
#define dc_dimenet_scatter DC_ISA_NAME(dc_dimenet_scatter)
#define dc_dimenet_scatter_reverse DC_ISA_NAME(dc_dimenet_scatter_reverse)
#define dc_dimenet_triplet DC_ISA_NAME(dc_dimenet_triplet)
#define dc_dimenet_triplet_tangent DC_ISA_NAME(dc_dimenet_triplet_tangent)
#define dc_dimenet_triplet_reverse_x DC_ISA_NAME(dc_dimenet_triplet_reverse_x)
#define dc_dimenet_triplet_reverse_s DC_ISA_NAME(dc_dimenet_triplet_reverse_s)
#define dc_dimenet_concat DC_ISA_NAME(dc_dimenet_concat)
#define dc_dimenet_concat_reverse DC_ISA_NAME(dc_dimenet_concat_reverse)
#include "../src/model/dimenet/dimenet_kernels.h"
#ifndef DC_ISA_DEFINE
#undef dc_dimenet_act_forward
#undef dc_dimenet_act_reverse0
#undef dc_dimenet_add
#undef dc_dimenet_acc
#undef dc_dimenet_mul
#undef dc_dimenet_mul_tangent
#undef dc_dimenet_mul_acc
#undef dc_dimenet_gather
#undef dc_dimenet_gather_reverse
#undef dc_dimenet_scatter
#undef dc_dimenet_scatter_reverse
#undef dc_dimenet_triplet
#undef dc_dimenet_triplet_tangent
#undef dc_dimenet_triplet_reverse_x
#undef dc_dimenet_triplet_reverse_s
#undef dc_dimenet_concat
#undef dc_dimenet_concat_reverse
#endif
