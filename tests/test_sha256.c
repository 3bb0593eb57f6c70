/* The sweep hash decides whether a results file belongs to a sweep: check SHA-256 against the
 * FIPS 180-2 appendix B vectors, and that chunked updates agree with one-shot hashing. */
#include <stdint.h>

#include "check.h"
#include "dcsweep/core/sha256.h"

int main(void)
{
    char hex[65];
    dc_sha256_hex(hex, "abc", 3);
    CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
          "abc: %s", hex);
    dc_sha256_hex(hex, "", 0);
    CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0,
          "empty: %s", hex);
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    dc_sha256_hex(hex, two_blocks, strlen(two_blocks));
    CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0,
          "448 bits: %s", hex);

    /* A million 'a', fed in uneven chunks so that blocks straddle update calls. */
    static char a[1000000];
    memset(a, 'a', sizeof a);
    dc_sha256 ctx;
    uint8_t digest[32];
    dc_sha256_init(&ctx);
    size_t done = 0, chunk = 1;
    while (done < sizeof a) {
        size_t take = chunk < sizeof a - done ? chunk : sizeof a - done;
        dc_sha256_update(&ctx, a + done, take);
        done += take;
        chunk = chunk * 3 % 997 + 1;
    }
    dc_sha256_final(&ctx, digest);
    dc_sha256_to_hex(hex, digest);
    CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0,
          "million a: %s", hex);
    char one_shot[65];
    dc_sha256_hex(one_shot, a, sizeof a);
    CHECK(strcmp(one_shot, hex) == 0, "one-shot %s != chunked %s", one_shot, hex);

    /* Lengths around the padding boundary (55, 56, 63, 64 bytes) must agree chunked vs one-shot. */
    for (size_t n = 54; n <= 65; n++) {
        char h1[65], h2[65];
        dc_sha256_hex(h1, a, n);
        dc_sha256_init(&ctx);
        for (size_t i = 0; i < n; i++) dc_sha256_update(&ctx, a + i, 1);
        dc_sha256_final(&ctx, digest);
        dc_sha256_to_hex(h2, digest);
        CHECK(strcmp(h1, h2) == 0, "length %zu: %s vs %s", n, h1, h2);
    }
    return check_finish();
}
