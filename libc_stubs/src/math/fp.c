/*
 * fp.c: the exact floating-point operations: fabs, copysign, frexp, ldexp/scalbn,
 * fmin, fmax, fdim, nextafter, fma (not fused), modf.
 */
#include <math.h>
#include <stdint.h>

#include "mathint.h"

double fabs(double x)
{
    return asdouble(asuint64(x) & ~(1ull << 63));
}

double copysign(double x, double y)
{
    return asdouble((asuint64(x) & ~(1ull << 63)) | (asuint64(y) & (1ull << 63)));
}

double frexp(double x, int *e)
{
    uint64_t u = asuint64(x);
    int be = (int)(u >> 52) & 0x7ff;
    if (be == 0) {
        if (x == 0) {
            *e = 0;
            return x;
        }
        x = frexp(x * 0x1p64, e);   /* subnormal: normalise first */
        *e -= 64;
        return x;
    }
    if (be == 0x7ff) {
        *e = 0;
        return x;
    }
    *e = be - 1022;
    return asdouble((u & ~(0x7ffull << 52)) | (1022ull << 52));
}

/* x * 2^n with a single rounding, also into and out of the subnormals. */
double scalbn(double x, int n)
{
    if (n > 1023) {
        x *= 0x1p1023;
        n -= 1023;
        if (n > 1023) {
            x *= 0x1p1023;
            n -= 1023;
            if (n > 1023)
                n = 1023;
        }
    } else if (n < -1022) {
        /* Scale by 2^-969 (not 2^-1022) so that only the last step can round. */
        x *= 0x1p-1022 * 0x1p53;
        n += 1022 - 53;
        if (n < -1022) {
            x *= 0x1p-1022 * 0x1p53;
            n += 1022 - 53;
            if (n < -1022)
                n = -1022;
        }
    }
    return x * asdouble((uint64_t)(0x3ff + n) << 52);
}

double ldexp(double x, int n)
{
    return scalbn(x, n);
}

double fmin(double x, double y)
{
    if (x != x)
        return y;
    if (y != y)
        return x;
    if (x == y)                 /* fmin(-0, +0) is -0 */
        return signbit(x) ? x : y;
    return x < y ? x : y;
}

double fmax(double x, double y)
{
    if (x != x)
        return y;
    if (y != y)
        return x;
    if (x == y)
        return signbit(x) ? y : x;
    return x > y ? x : y;
}

double fdim(double x, double y)
{
    if (x != x || y != y)
        return x + y;
    return x > y ? x - y : 0;
}

double nextafter(double x, double y)
{
    if (x != x || y != y)
        return x + y;
    if (x == y)
        return y;
    if (x == 0)
        return copysign(asdouble(1), y);
    uint64_t u = asuint64(x);
    if ((x < y) == (x > 0))
        u++;
    else
        u--;
    return asdouble(u);
}

double fma(double x, double y, double z)
{
    double hi, lo, s, e;
    if (x != x || y != y || z != z || x - x != 0 || y - y != 0 || z - z != 0)
        return x * y + z;
    two_prod(x, y, &hi, &lo);
    two_sum(hi, z, &s, &e);
    return s + (e + lo);
}

double modf(double x, double *ip)
{
    double t = trunc(x);
    *ip = t;
    if (x - x != 0)             /* inf: fraction 0; nan: nan */
        return x != x ? x : copysign(0, x);
    return copysign(x - t, x);
}
