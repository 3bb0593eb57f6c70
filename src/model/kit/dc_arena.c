/* The arena's allocation (dc_arena.h). */
#include "dc_arena.h"

#include <stdlib.h>
#include <string.h>

int dc_arena_alloc(dc_arena *a, dc_error *err)
{
    int rc = DC_OK;
    const size_t bytes = a->used > 0 ? a->used : 64;
    a->base = aligned_alloc(64, bytes); /* a multiple of 64: every slice is */
    if (!a->base) DC_FAIL(DC_ERR_NOMEM, "out of memory (%zu bytes of workspace)", bytes);
    memset(a->base, 0, bytes);
    a->used = 0;
cleanup:
    return rc;
}

void dc_arena_free(dc_arena *a)
{
    free(a->base);
    a->base = NULL;
    a->used = 0;
}
