/* JSON output shared by the commands that print it (train, status, report): one escaping rule. */
#ifndef DCSWEEP_JSON_OUT_H
#define DCSWEEP_JSON_OUT_H

#include <stdio.h>

/* s as a JSON string literal, quotes included: ", \ and control characters escaped. */
void dc_json_string(FILE *out, const char *s);

/* The shortest %g of v that reads back as the same double, so JSON readers see 0.1, not
 * 0.10000000000000001; "" for NaN and Inf (JSON has no literal for them: the caller writes null). */
void dc_json_double(char *out, size_t size, double v);

#endif
