/* The DimeNet++ float engine's kernels (src/model/dimenet/dimenet_kernels.h) under the names of
 * one instruction set: with DC_ISA_NAME(f) defined as f ## _avx2 (say), every kernel f is declared
 * (and, in tests/dimenet_kernels_isa.c, defined) as f_avx2. With DC_ISA_DEFINE set, the renames
 * stay on for the definitions that follow. */
#undef DCSWEEP_DIMENET_KERNELS_H
#define dn_act_forward DC_ISA_NAME(dn_act_forward)
#define dn_act_reverse0 DC_ISA_NAME(dn_act_reverse0)
#define dn_add DC_ISA_NAME(dn_add)
#define dn_acc DC_ISA_NAME(dn_acc)
#define dn_mul DC_ISA_NAME(dn_mul)
#define dn_mul_tangent DC_ISA_NAME(dn_mul_tangent)
#define dn_mul_acc DC_ISA_NAME(dn_mul_acc)
#define dn_gather DC_ISA_NAME(dn_gather)
#define dn_gather_reverse DC_ISA_NAME(dn_gather_reverse)
#define dn_scatter DC_ISA_NAME(dn_scatter)
#define dn_scatter_reverse DC_ISA_NAME(dn_scatter_reverse)
#define dn_triplet DC_ISA_NAME(dn_triplet)
#define dn_triplet_tangent DC_ISA_NAME(dn_triplet_tangent)
#define dn_triplet_reverse_x DC_ISA_NAME(dn_triplet_reverse_x)
#define dn_triplet_reverse_s DC_ISA_NAME(dn_triplet_reverse_s)
#define dn_concat DC_ISA_NAME(dn_concat)
#define dn_concat_reverse DC_ISA_NAME(dn_concat_reverse)
#include "../src/model/dimenet/dimenet_kernels.h"
#ifndef DC_ISA_DEFINE
#undef dn_act_forward
#undef dn_act_reverse0
#undef dn_add
#undef dn_acc
#undef dn_mul
#undef dn_mul_tangent
#undef dn_mul_acc
#undef dn_gather
#undef dn_gather_reverse
#undef dn_scatter
#undef dn_scatter_reverse
#undef dn_triplet
#undef dn_triplet_tangent
#undef dn_triplet_reverse_x
#undef dn_triplet_reverse_s
#undef dn_concat
#undef dn_concat_reverse
#endif
