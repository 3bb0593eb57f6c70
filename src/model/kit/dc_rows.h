/* Row sums of the float engines: a bias gradient is the column sum of its layer's output
 * adjoints. */
#ifndef DC_KIT_ROWS_H
#define DC_KIT_ROWS_H

#include <stdint.h>

/* out[k] = sum_r x[r][k]   x [n][c] -> out [c], OVERWRITTEN (never accumulated into): each
 * column summed in double in row order, rounded to float once. The same bits on every ISA. */
void dc_sum_rows(float *out, const float *x, int64_t n, int64_t c);

#endif
