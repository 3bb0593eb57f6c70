/* One allocation handed out in slices: the workspaces of the families' engines and references.
 * A carve function runs twice over the same arena: with base == NULL it only adds up the bytes,
 * then dc_arena_alloc gets them (zeroed) and the second run hands out the slices. Slices start on
 * 64-byte boundaries (a cache line, an AVX-512 vector). */
#ifndef DC_KIT_ARENA_H
#define DC_KIT_ARENA_H

#include <stddef.h>

#include "dcsweep/core/error.h"

typedef struct dc_arena {
    unsigned char *base; /* NULL while counting */
    size_t used;         /* bytes counted or handed out so far */
} dc_arena;

static inline void *dc_arena_take(dc_arena *a, size_t count, size_t size)
{
    void *p = a->base ? a->base + a->used : NULL;
    a->used += (count * size + 63) & ~(size_t)63;
    return p;
}

/* ptr = the next count elements of *ptr's type */
#define DC_TAKE(arena, ptr, count) ((ptr) = dc_arena_take((arena), (size_t)(count), sizeof *(ptr)))

/* Allocates the bytes counted so far (zeroed) and rewinds for the second carve. */
int dc_arena_alloc(dc_arena *a, dc_error *err);

/* Frees the allocation (a may be counting, or zeroed). */
void dc_arena_free(dc_arena *a);

#endif
