/* Counter-free, portable random numbers: xoshiro256** seeded through splitmix64.
 * The same seed gives the same stream on every machine and rank, which is what makes a run a pure
 * function of (sweep, run index). */
#ifndef DCSWEEP_RNG_H
#define DCSWEEP_RNG_H

#include <stdint.h>

typedef struct dc_rng {
    uint64_t s[4];
} dc_rng;

/* stream separates independent uses of one seed (e.g. weights vs. batch order). */
void dc_rng_seed(dc_rng *rng, uint64_t seed, uint64_t stream);
uint64_t dc_rng_next(dc_rng *rng);
double dc_rng_uniform(dc_rng *rng);              /* [0, 1) with 53 random bits */
double dc_rng_normal(dc_rng *rng);               /* N(0, 1), Box-Muller */
uint64_t dc_rng_below(dc_rng *rng, uint64_t n);  /* uniform in [0, n), unbiased */
void dc_rng_permutation(dc_rng *rng, int *perm, int n); /* perm = a random permutation of 0..n-1 */

#endif
