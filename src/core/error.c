#include "dcsweep/core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A message is one line: control characters that came in with user input (a newline inside a
 * quoted path in a sweep file, a stray byte in a dataset) are shown as '?', as ls does. */
static void one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) *s = '?';
}

int dc_error_set(dc_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        one_line(err->message);
        err->code = code;
    }
    return code;
}

void dc_error_prefix(dc_error *err, const char *fmt, ...)
{
    if (!err) return;
    char prefix[DC_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Truncation is acceptable: a message is one line for a human. */
    char joined[DC_ERROR_MAX];
    size_t used = strlen(prefix);
    if (used > DC_ERROR_MAX - 3) used = DC_ERROR_MAX - 3;
    memcpy(joined, prefix, used);
    memcpy(joined + used, ": ", 2);
    size_t rest = DC_ERROR_MAX - used - 3;
    size_t msg_len = strnlen(err->message, rest);
    memcpy(joined + used + 2, err->message, msg_len);
    joined[used + 2 + msg_len] = '\0';
    one_line(joined);
    memcpy(err->message, joined, sizeof joined);
}

void dc_error_clear(dc_error *err)
{
    if (!err) return;
    err->code = DC_OK;
    err->message[0] = '\0';
}

int dc_error_exit_status(int code)
{
    if (code == DC_OK) return 0;
    return code == DC_ERR_INPUT ? 2 : 1;
}

void *dc_calloc(size_t count, size_t size, dc_error *err)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        dc_error_set(err, DC_ERR_NOMEM, "out of memory allocating %zu x %zu bytes", count, size);
    return p;
}
