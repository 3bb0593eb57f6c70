/* SHA-256 (FIPS 180-4), our own small implementation: it decides whether an existing results file
 * belongs to a sweep, so it must not depend on which crypto library a machine happens to have. */
#ifndef DCSWEEP_SHA256_H
#define DCSWEEP_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct dc_sha256 {
    uint32_t state[8];
    uint64_t n_bytes;        /* message length so far */
    uint8_t block[64];       /* pending partial block */
    size_t n_block;
} dc_sha256;

void dc_sha256_init(dc_sha256 *ctx);
void dc_sha256_update(dc_sha256 *ctx, const void *data, size_t n);
void dc_sha256_final(dc_sha256 *ctx, uint8_t digest[32]);

/* hex = lowercase hex digest of data[0..n), NUL-terminated. */
void dc_sha256_hex(char hex[65], const void *data, size_t n);
/* hex digest -> lowercase hex, NUL-terminated. */
void dc_sha256_to_hex(char hex[65], const uint8_t digest[32]);

#endif
