/* src/model/schnet/schnet_kernels.c built for the one instruction set DC_ISA (avx512f, avx2 or
 * default), in place of the multiversioned build: its kernels are named <kernel>_<DC_ISA>
 * (schnet_kernels_isa.h). tests/meson.build compiles this file once per ISA. */
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
#define DC_ISA_DEFINE
#include "schnet_kernels_isa.h"
#include "../src/model/schnet/schnet_kernels.c"
