/* src/model/schnet/schnet_kernels.c and the kit's dc_rows.c built for the one instruction set
 * DC_ISA (avx512f, avx2 or default), in place of the multiversioned build: their kernels are
 * named <kernel>_<DC_ISA> (schnet_kernels_isa.h). tests/meson.build compiles this file once per
 * ISA. */
#include "kernels_isa.h"
#define DC_ISA_DEFINE
#include "schnet_kernels_isa.h"
#include "../src/model/schnet/schnet_kernels.c"
#include "../src/model/kit/dc_rows.c"
