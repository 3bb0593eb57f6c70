/* src/model/dimenet/dimenet_kernels.c built for the one instruction set DC_ISA (avx512f, avx2 or
 * default), its kernels named <kernel>_<DC_ISA> (dimenet_kernels_isa.h). tests/meson.build
 * compiles this file once per ISA. */
#include "kernels_isa.h"
#define DC_ISA_DEFINE
#include "dimenet_kernels_isa.h"
#include "../src/model/dimenet/dimenet_kernels.c"
