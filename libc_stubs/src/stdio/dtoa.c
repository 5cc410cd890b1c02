/*
 * dtoa.c: exact decimal expansion of a double, for printf's %f, %e and %g.
 *
 * v = m * 2^e exactly (m < 2^53). For e >= 0 the value is the integer m * 2^e; for
 * e < 0 it is m * 5^-e / 10^-e. Either way a big integer, built in base 10^9 by
 * multiplications by a small factor, holds every decimal digit of v, so rounding to
 * any precision is exact, as glibc's.
 */
#include <stdint.h>
#include <string.h>

#include "format.h"

#define BASE 1000000000u
#define LIMBS 100               /* 5^1074 * 2^53 has 767 digits: 86 limbs */
#define POW2_STEP 29            /* limb * 2^29 + carry fits in 64 bits */
#define POW5_STEP 13
#define POW5_13 1220703125u

/* x[0..n-1] (least significant first) *= f; returns the new limb count. */
static int mul_small(uint32_t *x, int n, uint32_t f)
{
    uint64_t carry = 0;
    for (int i = 0; i < n; i++) {
        uint64_t t = (uint64_t)x[i] * f + carry;
        x[i] = (uint32_t)(t % BASE);
        carry = t / BASE;
    }
    while (carry) {
        x[n++] = (uint32_t)(carry % BASE);
        carry /= BASE;
    }
    return n;
}

int __dtoa(double v, char *d, int *dp)
{
    union { double f; uint64_t u; } bits = { v };
    int be = (int)(bits.u >> 52) & 0x7ff;
    uint64_t m = bits.u & ((1ull << 52) - 1);
    int e;
    if (be) {
        m |= 1ull << 52;
        e = be - 1075;
    } else {
        e = -1074;
    }
    while (!(m & 1)) {          /* fewer factors to multiply in */
        m >>= 1;
        e++;
    }

    uint32_t x[LIMBS];
    int n = 0;
    for (uint64_t t = m; t; t /= BASE)
        x[n++] = (uint32_t)(t % BASE);
    if (e >= 0) {
        for (int k = e; k > 0; k -= POW2_STEP)
            n = mul_small(x, n, 1u << (k < POW2_STEP ? k : POW2_STEP));
    } else {
        int k = -e;
        for (; k >= POW5_STEP; k -= POW5_STEP)
            n = mul_small(x, n, POW5_13);
        uint32_t f = 1;
        while (k--)
            f *= 5;
        n = mul_small(x, n, f);
    }

    /* Digits, most significant limb first, without its leading zeros. */
    int len = 0;
    for (int i = n - 1; i >= 0; i--) {
        char tmp[9];
        uint32_t limb = x[i];
        for (int j = 8; j >= 0; j--, limb /= 10)
            tmp[j] = (char)('0' + limb % 10);
        int skip = 0;
        if (i == n - 1)
            while (skip < 8 && tmp[skip] == '0')
                skip++;
        memcpy(d + len, tmp + skip, (size_t)(9 - skip));
        len += 9 - skip;
    }
    *dp = e >= 0 ? len : len + e;
    while (len > 0 && d[len - 1] == '0')
        len--;
    return len;
}

int __dround(char *d, int n, int *dp, int keep)
{
    if (keep >= n)
        return n;
    if (keep < 0)
        return 0;               /* below half a unit of the last kept place */
    int up;
    if (d[keep] != '5')
        up = d[keep] > '5';
    else if (keep + 1 < n)      /* digits never end in 0: something follows the 5 */
        up = 1;
    else                        /* an exact tie: to even */
        up = keep > 0 && ((d[keep - 1] - '0') & 1);
    n = keep;
    if (up) {
        while (n > 0 && d[n - 1] == '9')
            n--;
        if (n == 0) {
            d[0] = '1';
            n = 1;
            (*dp)++;
        } else {
            d[n - 1]++;
        }
    }
    while (n > 0 && d[n - 1] == '0')
        n--;
    return n;
}
