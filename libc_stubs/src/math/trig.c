/*
 * trig.c: sin, cos, tan.
 *
 * x is reduced to y = x - k pi/2 with |y| <= pi/4, y kept as a double-double:
 * by Cody and Waite's method with pi/2 in three 33-bit pieces while k < 2^20, and
 * beyond that by multiplying x's integer significand with the needed window of the
 * bits of 2/pi (Payne and Hanek). Then Taylor polynomials on [-pi/4, pi/4].
 */
#include <math.h>
#include <stdint.h>

#include "mathint.h"

/* pi/2 in 33-bit pieces: k * PIO2_n is exact for k < 2^20. */
#define PIO2_1 0x1.921fb54400000p+0
#define PIO2_2 0x1.0b4611a600000p-34
#define PIO2_3 0x1.3198a2e000000p-69
#define PIO2_3T 0x1.b839a252049c1p-104
#define MEDIUM 0x1p20

/* 2/pi = 0.a2f9836e 4e441529 ... (hex), enough for the largest doubles. */
static const uint32_t two_over_pi[] = {
    0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0, 0xdb629599, 0x3c439041,
    0xfe5163ab, 0xdebbc561, 0xb7246e3a, 0x424dd2e0, 0x06492eea, 0x09d1921c,
    0xfe1deb1c, 0xb129a73e, 0xe88235f5, 0x2ebb4484, 0xe99c7026, 0xb45f7e41,
    0x3991d639, 0x835339f4, 0x9c845f8b, 0xbdf9283b, 0x1ff897ff, 0xde05980f,
    0xef2f118b, 0x5a0a6d1f, 0x6d367ecf, 0x27cb09b7, 0x4f463f66, 0x9e5fea2d,
    0x7527bac7, 0xebe5f17b, 0x3d0739f7, 0x8a5292ea, 0x6bfb5fb1, 0x1f8d5d08,
};

/* Bit i (1 = the first after the point) of 2/pi. */
static unsigned bit_of(int i)
{
    i--;
    return (two_over_pi[i >> 5] >> (31 - (i & 31))) & 1;
}

/* 128 bits of 2/pi starting at bit `from`, as four words, most significant first. */
static void window(int from, uint32_t w[4])
{
    for (int j = 0; j < 4; j++) {
        uint32_t v = 0;
        for (int b = 0; b < 32; b++)
            v = v << 1 | bit_of(from + 32 * j + b);
        w[j] = v;
    }
}

static int rem_large(double x, double *hi, double *lo)
{
    uint64_t u = asuint64(x);
    int e = (int)(u >> 52 & 0x7ff) - 1075;     /* x = m 2^e, e >= -32 here */
    uint64_t m = (u & ((1ull << 52) - 1)) | (1ull << 52);
    /* Bits of 2/pi before `from` only add multiples of 4 to x 2/pi: drop them. */
    int from = e - 1 > 1 ? e - 1 : 1;
    uint32_t w[4];
    window(from, w);
    /* p = m * w, 192 bits as six words, least significant first. */
    uint32_t p[6] = { 0 };
    uint32_t mw[2] = { (uint32_t)m, (uint32_t)(m >> 32) };
    for (int i = 0; i < 2; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 4; j++) {
            uint64_t t = (uint64_t)mw[i] * w[3 - j] + p[i + j] + carry;
            p[i + j] = (uint32_t)t;
            carry = t >> 32;
        }
        p[i + 4] += (uint32_t)carry;
    }
    /* x 2/pi = p / 2^shift (mod 4). */
    int shift = 127 + from - e;
    /* Bits [shift - 128, shift + 2) of p: quadrant and a 128-bit fraction. */
    uint32_t f[5];              /* f[4] holds the two integer bits */
    for (int j = 0; j < 5; j++) {
        int b = shift - 128 + 32 * j;
        uint32_t v = 0;
        for (int k = 31; k >= 0; k--) {
            int bit = b + k;
            v = v << 1 | (bit >= 0 && bit < 192 ? (p[bit >> 5] >> (bit & 31)) & 1 : 0);
        }
        f[j] = v;
    }
    int q = (int)(f[4] & 3);
    uint64_t fh = (uint64_t)f[3] << 32 | f[2], fl = (uint64_t)f[1] << 32 | f[0];
    int neg = 0;
    if (fh >> 63) {             /* fraction >= 1/2: take fraction - 1, next quadrant */
        fh = ~fh;
        fl = ~fl + 1;
        if (fl == 0)
            fh++;
        q++;
        neg = 1;
    }
    double d1 = (double)(fh >> 11) * 0x1p-53;
    double d2 = ((double)(fh & 0x7ff) * 0x1p64 + (double)fl) * 0x1p-128;
    double ph, pl;
    two_prod(d1, PIO2_HI, &ph, &pl);
    pl += d1 * PIO2_LO + d2 * PIO2_HI;
    two_sum(ph, pl, hi, lo);
    if (neg) {
        *hi = -*hi;
        *lo = -*lo;
    }
    if (x < 0) {
        *hi = -*hi;
        *lo = -*lo;
        q = -q;
    }
    return q & 3;
}

int __rem_pio2(double x, double *hi, double *lo)
{
    double ax = fabs(x);
    if (ax <= 0x1.921fb54442d18p-1) {
        *hi = x;
        *lo = 0;
        return 0;
    }
    if (ax >= MEDIUM)
        return rem_large(x, hi, lo);
    double k = rint(x * 0x1.45f306dc9c883p-1);     /* x * 2/pi */
    double r = x - k * PIO2_1;                      /* exact */
    double w = k * PIO2_2;                          /* exact */
    double a, b, c, d;
    two_sum(r, -w, &a, &b);
    double w3 = k * PIO2_3;                         /* exact */
    two_sum(a, -w3, &c, &d);
    d += b - k * PIO2_3T;
    two_sum(c, d, hi, lo);
    return (int)((long long)k & 3);
}

/* Taylor coefficients 1/n!, alternating. */
#define S3 (-1.0 / 6)
#define S5 (1.0 / 120)
#define S7 (-1.0 / 5040)
#define S9 (1.0 / 362880)
#define S11 (-1.0 / 39916800)
#define S13 (1.0 / 6227020800.0)
#define S15 (-1.0 / 1307674368000.0)
#define S17 (1.0 / 355687428096000.0)
#define C4 (1.0 / 24)
#define C6 (-1.0 / 720)
#define C8 (1.0 / 40320)
#define C10 (-1.0 / 3628800)
#define C12 (1.0 / 479001600)
#define C14 (-1.0 / 87178291200.0)
#define C16 (1.0 / 20922789888000.0)
#define C18 (-1.0 / 6402373705728000.0)

double __sin_kernel(double x, double lo)
{
    double z = x * x;
    double p = S5 + z * (S7 + z * (S9 + z * (S11 + z * (S13 + z * (S15 + z * S17)))));
    /* sin(x + lo) = sin x + lo cos x */
    return x + (x * z * (S3 + z * p) + lo * (1 - z / 2));
}

double __cos_kernel(double x, double lo)
{
    double z = x * x;
    double p = C4 + z * (C6 + z * (C8 + z * (C10 + z * (C12 + z * (C14 + z * (C16 + z * C18))))));
    double hz = z / 2, w = 1 - hz;
    /* 1 - hz rounded to w; the rounding error and the tail go in together. */
    return w + (((1 - w) - hz) + (z * z * p - x * lo));
}

double sin(double x)
{
    double hi, lo;
    if (x - x != 0)
        return x - x;           /* nan for inf and nan */
    if (fabs(x) < 0x1p-26)
        return x;
    switch (__rem_pio2(x, &hi, &lo)) {
    case 0: return __sin_kernel(hi, lo);
    case 1: return __cos_kernel(hi, lo);
    case 2: return -__sin_kernel(hi, lo);
    default: return -__cos_kernel(hi, lo);
    }
}

double cos(double x)
{
    double hi, lo;
    if (x - x != 0)
        return x - x;
    switch (__rem_pio2(x, &hi, &lo)) {
    case 0: return __cos_kernel(hi, lo);
    case 1: return -__sin_kernel(hi, lo);
    case 2: return -__cos_kernel(hi, lo);
    default: return __sin_kernel(hi, lo);
    }
}

double tan(double x)
{
    double hi, lo;
    if (x - x != 0)
        return x - x;
    if (fabs(x) < 0x1p-27)
        return x;
    int q = __rem_pio2(x, &hi, &lo);
    double s = __sin_kernel(hi, lo), c = __cos_kernel(hi, lo);
    return q & 1 ? -c / s : s / c;
}

/* gcc turns sin(x) and cos(x) of the same x into one call to this. */
void sincos(double x, double *s, double *c)
{
    *s = sin(x);
    *c = cos(x);
}
