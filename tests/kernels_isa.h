/* One instruction set's build of a float engine's kernel file, for the per-ISA bitwise tests
 * (tests/<model>_kernels_isa.c, compiled once per ISA with -DDC_ISA=avx512f, avx2 or default):
 * DC_KERNEL targets DC_ISA instead of multiversioning, and DC_ISA_NAME(f) is f_<DC_ISA>, the name
 * the kernels get so that one test program can hold every build side by side. */
#ifndef DCSWEEP_TESTS_KERNELS_ISA_H
#define DCSWEEP_TESTS_KERNELS_ISA_H

#define DC_ISA_CAT2(f, isa) f##_##isa
#define DC_ISA_CAT(f, isa) DC_ISA_CAT2(f, isa)
#define DC_ISA_NAME(f) DC_ISA_CAT(f, DC_ISA)
#define DC_ISA_STR2(isa) #isa
#define DC_ISA_STR(isa) DC_ISA_STR2(isa)
#define DC_ISA_default 1
#define DC_ISA_IS_DEFAULT2(isa) DC_ISA_##isa
#define DC_ISA_IS_DEFAULT(isa) DC_ISA_IS_DEFAULT2(isa)
#if DC_ISA_IS_DEFAULT(DC_ISA) == 1
#define DC_KERNEL
#else
#define DC_KERNEL __attribute__((target(DC_ISA_STR(DC_ISA))))
#endif

#endif
