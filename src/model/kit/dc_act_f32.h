/* The activation table in float, for the families' fused kernels (dc_act.h has the double forms
 * and derivatives up to order 3). Each form gives the value and the first derivative (tanh and
 * IReLU also up to order 3, for the order-2 jets of a u_xx), written so
 * that GCC -O3 vectorises a loop calling it without -march or -ffast-math: no libm call (exp, log
 * and tanh are branch-free polynomials), and no float ?: that if-conversion would have to
 * speculate. Every clone of a DC_KERNEL loop gives the same bits (no fused multiply-add).
 *
 * Why selects go through bits: a float ?: is a branch in GIMPLE, and if-conversion refuses to
 * speculate float arithmetic (it may trap, -ftrapping-math) into it; worse, when one arm is a
 * constant (a clamp), GCC folds everything downstream of that arm to a constant and moves the
 * whole polynomial into the other arm. dc_f32_select is integer and/or on the float's bits, which
 * the compiler cannot fold through, and both arms are always computed. Rounding is the 1.5 2^23
 * trick, and the exponent comes from the same float's bits (no float -> int conversion). */
#ifndef DC_KIT_ACT_F32_H
#define DC_KIT_ACT_F32_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline int32_t dc_f32_bits(float f)
{
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i;
}

static inline float dc_f32_from_bits(int32_t i)
{
    float f;
    memcpy(&f, &i, sizeof f);
    return f;
}

/* c ? a : b for c in {0, 1}, branch-free. */
static inline float dc_f32_select(int c, float a, float b)
{
    const int32_t m = -(int32_t)c;
    return dc_f32_from_bits((dc_f32_bits(a) & m) | (dc_f32_bits(b) & ~m));
}

/* Below e^-44.36 = 2^-64, dc_f32_exp_nonpos gives 0. Its results (radial basis, sigmoid) only
 * ever sit next to a term at least 2^63 times larger (the nearest Gaussian is >= e^-1/8; sigmoid's
 * other branch is 1), so dropping them is far below float rounding; kept, they multiply with
 * weights and adjoints into subnormals, which cost a microcode assist of ~100 cycles each on
 * Intel cores (measured: SchNet's paper-size step 3.3x, the default 1.3x slower with them). */
#define DC_EXP_FLUSH (-44.3614195558365f)

/* e^x for x <= 0 (Cephes expf polynomial, ~1 ulp): x = n ln2 + r, |r| <= ln2 / 2; 0 below
 * DC_EXP_FLUSH. */
static inline float dc_f32_exp_nonpos(float x)
{
    const int flush = x < DC_EXP_FLUSH;
    x = dc_f32_select(flush, DC_EXP_FLUSH, x);
    /* n = round(x / ln2) in [-64, 0]: adding 1.5 2^23 leaves n in the low mantissa bits. */
    const float s = x * 1.44269504088896341f + 12582912.0f;
    const float n = s - 12582912.0f;
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    /* 2^n: (n + 127) << 23, with n = bits(s) - bits(1.5 2^23); n + 127 >= 1, no overflow. */
    const float scale = dc_f32_from_bits((dc_f32_bits(s) - 0x4B400000 + 127) << 23);
    return dc_f32_select(flush, 0.0f, y * scale);
}

/* ln(y) for y in [1, 2] (Cephes logf polynomial): y = m 2^e with m in [sqrt(1/2), sqrt(2)). */
static inline float dc_f32_log_1to2(float y)
{
    const int big = y > 1.41421356f;
    const float m = dc_f32_select(big, 0.5f * y - 1.0f, y - 1.0f);
    const float e = dc_f32_select(big, 1.0f, 0.0f);
    float z = m * m;
    float p = 7.0376836292e-2f;
    p = p * m - 1.1514610310e-1f;
    p = p * m + 1.1676998740e-1f;
    p = p * m - 1.2420140846e-1f;
    p = p * m + 1.4249322787e-1f;
    p = p * m - 1.6668057665e-1f;
    p = p * m + 2.0000714765e-1f;
    p = p * m - 2.4999993993e-1f;
    p = p * m + 3.3333331174e-1f;
    float r = p * m * z;
    r += -2.12194440e-4f * e;
    r += -0.5f * z;
    return m + r + 0.693359375f * e;
}

/* x with its magnitude clamped to lim > 0; NaN stays NaN (a diverged run must stay visible).
 * Done on the bits: non-negative floats order as their bit patterns do, and an integer min is
 * what GCC vectorises in every clone. A float select with a constant arm is not: GCC threads the
 * constant through a polynomial after it and leaves a branch in the loop. */
static inline float dc_f32_clamp_magnitude(float x, float lim)
{
    const int32_t xb = dc_f32_bits(x), lb = dc_f32_bits(lim);
    const int32_t mag = xb & INT32_MAX;
    const int32_t nan = mag > 0x7f800000;
    const int32_t clamped = mag < lb ? mag : lb;
    return dc_f32_from_bits((xb & INT32_MIN) | (nan ? mag : clamped));
}

/* ssp(x) = max(x, 0) + ln(1 + e^-|x|) - ln 2 and ssp' = sigmoid, both from the same
 * t = e^-|x|: no overflow. */
static inline void dc_ssp_f32(float x, float *y, float *ds)
{
    const int pos = x > 0.0f;
    const float t = dc_f32_exp_nonpos(-fabsf(x));
    const float inv = 1.0f / (1.0f + t);
    *y = dc_f32_select(pos, x, 0.0f) + dc_f32_log_1to2(1.0f + t) - 0.69314718055994531f;
    *ds = dc_f32_select(pos, inv, t * inv);
}

/* irelu_c(x) = c max(0, x)^2 and its derivative 2c max(0, x). */
static inline void dc_irelu_f32(float c, float x, float *y, float *ds)
{
    const float p = x > 0.0f ? x : 0.0f;
    *y = c * p * p;
    *ds = 2.0f * c * p;
}

/* tanh as the odd/even rational minimax approximation that Eigen uses for float
 * (generic_fast_tanh_float), without Eigen's |x| < 4e-4 shortcut to x: that select would keep the
 * AVX2 and baseline clones from vectorising, and the rational function alone is within 4e-7
 * relative everywhere (checked against double tanh on 4e5 points from 1e-30 to 10). Past
 * |x| = 7.905 float tanh is 1 to the last bit. Its derivative is 1 - tanh^2 (the caller's). */
static inline float dc_tanh_f32(float x)
{
    const float xc = dc_f32_clamp_magnitude(x, 7.90531110763549805f);
    const float x2 = xc * xc;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 - 8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return xc * p / q;
}

/* Derivatives 1..3 of tanh from its value t = tanh(x) (dc_act.c's forms): t' = 1 - t^2,
 * t'' = -2 t t', t''' = t' (6 t^2 - 2). For the order-2 jets (u_xx) and their reverse pass. */
static inline void dc_tanh_derivs_f32(float t, float *d1, float *d2, float *d3)
{
    const float t1 = 1.0f - t * t;
    *d1 = t1;
    *d2 = -2.0f * t * t1;
    *d3 = t1 * (6.0f * t * t - 2.0f);
}

/* irelu_c up to order 3: c max(0, x)^2, 2c max(0, x), 2c [x > 0] and 0 (at x = 0 too, as
 * dc_act.c). */
static inline void dc_irelu3_f32(float c, float x, float *y, float *d1, float *d2, float *d3)
{
    dc_irelu_f32(c, x, y, d1);
    *d2 = dc_f32_select(x > 0.0f, 2.0f * c, 0.0f);
    *d3 = 0.0f;
}

/* silu(x) = x s(x) and silu' = s (1 + x s(-x)), s the sigmoid; s(x) and s(-x) = 1 - s(x) both
 * from t = e^-|x| (1 - s would cancel for large x). */
static inline void dc_silu_f32(float x, float *y, float *ds)
{
    const int pos = x > 0.0f;
    const float t = dc_f32_exp_nonpos(-fabsf(x));
    const float inv = 1.0f / (1.0f + t);
    const float s = dc_f32_select(pos, inv, t * inv), s_neg = dc_f32_select(pos, t * inv, inv);
    *y = x * s;
    *ds = s * (1.0f + x * s_neg);
}

#endif
