/* Row sums (dc_rows.h), multiversioned like the engines' kernels (dc_kernel.h). */
#include "dc_kernel.h"
#include "dc_rows.h"

#define DC_SUM_ROWS_BLOCK 256

DC_KERNEL void dc_sum_rows(float *restrict out, const float *restrict x, int64_t n, int64_t c)
{
    /* Row by row over blocks of columns, so the inner loop is contiguous and vectorises. */
    double acc[DC_SUM_ROWS_BLOCK];
    for (int64_t k0 = 0; k0 < c; k0 += DC_SUM_ROWS_BLOCK) {
        const int64_t w = c - k0 < DC_SUM_ROWS_BLOCK ? c - k0 : DC_SUM_ROWS_BLOCK;
        for (int64_t k = 0; k < w; k++) acc[k] = 0.0;
        for (int64_t r = 0; r < n; r++) {
            const float *restrict xr = x + r * c + k0;
            for (int64_t k = 0; k < w; k++) acc[k] += xr[k];
        }
        for (int64_t k = 0; k < w; k++) out[k0 + k] = (float)acc[k];
    }
}
