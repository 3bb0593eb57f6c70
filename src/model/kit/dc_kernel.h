/* DC_KERNEL: how the model kit and the families' float engines compile a hand-written kernel.
 * Each kernel is built for AVX-512, AVX2 and baseline x86-64 and picked at load time (GCC
 * function multiversioning), so the build needs no -march. ISO C mode (-std=c11) keeps
 * -ffp-contract=off: no clone fuses a multiply-add, so every clone gives the same bits.
 * tests/kernels_isa.h defines DC_KERNEL first to build one clone at a time. */
#ifndef DC_KIT_KERNEL_H
#define DC_KIT_KERNEL_H

#ifndef DC_KERNEL
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DC_KERNEL __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DC_KERNEL
#endif
#endif

#endif
