/* JSON output shared by the commands that print it (train, status, report): one escaping rule. */
#ifndef DCSWEEP_JSON_OUT_H
#define DCSWEEP_JSON_OUT_H

#include <stdio.h>

/* s as a JSON string literal, quotes included: ", \ and control characters escaped. */
void dc_json_string(FILE *out, const char *s);

#endif
