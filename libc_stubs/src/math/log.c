/*
 * log.c: logarithms: log, log2, log10, log1p.
 *
 * x = 2^k m with sqrt(2)/2 <= m < sqrt(2); f = m - 1 (exact) and s = f / (2 + f);
 * ln m = 2 atanh s = f - f^2/2 + s (f^2/2 + R), R = 2s^2/3 + 2s^4/5 + ... The
 * double-double form serves pow, log2 and log10.
 */
#include <math.h>
#include <stdint.h>

#include "mathint.h"

#define SQRT2 0x1.6a09e667f3bcdp+0

static double split(double x, int *k)
{
    double m = frexp(x, k);     /* 0.5 <= m < 1 */
    if (m < SQRT2 / 2) {
        m *= 2;
        (*k)--;
    }
    return m;
}

/* R(z) = sum 2 z^i / (2i + 1), i >= 1, for z = s^2 <= 0.0295. */
static double series(double z)
{
    return z * (2.0 / 3 + z * (2.0 / 5 + z * (2.0 / 7 + z * (2.0 / 9 + z * (2.0 / 11 +
           z * (2.0 / 13 + z * (2.0 / 15 + z * (2.0 / 17 + z * (2.0 / 19 + z * (2.0 / 21 +
           z * (2.0 / 23)))))))))));
}

double __log_dd(double x, double *lo)
{
    int k;
    double f = split(x, &k) - 1;
    double s = f / (2 + f), z = s * s;
    double hh, hl;              /* f^2 / 2 exactly */
    two_prod(f, f * 0.5, &hh, &hl);
    double tail = s * (hh + hl + series(z));
    /* ln m = f - hh - hl + tail; then + k ln 2 (as LN2_HI + LN2_LO + third piece). */
    double a, b, c, d;
    two_sum(f, -hh, &a, &b);
    b += tail - hl;
    two_sum(k * LN2_HI, a, &c, &d);
    d += b + k * LN2_LO;
    double hi;
    two_sum(c, d, &hi, lo);
    return hi;
}

static double special(double x)
{
    if (x != x || x == INFINITY)
        return x;
    if (x == 0)
        return -INFINITY;
    return NAN;                 /* x < 0 */
}

double log(double x)
{
    double lo;
    if (!(x > 0) || x == INFINITY)
        return special(x);
    return __log_dd(x, &lo);
}

double log2(double x)
{
    double lo, h, l;
    if (!(x > 0) || x == INFINITY)
        return special(x);
    int k;
    double m = frexp(x, &k);
    if (m == 0.5)
        return k - 1;           /* powers of two are exact */
    double hi = __log_dd(x, &lo);
    two_prod(hi, 0x1.71547652b82fep+0, &h, &l);
    l += lo * 0x1.71547652b82fep+0 + hi * 0x1.777d0ffda0d24p-56;
    return h + l;
}

double log10(double x)
{
    double lo, h, l;
    if (!(x > 0) || x == INFINITY)
        return special(x);
    double hi = __log_dd(x, &lo);
    two_prod(hi, 0x1.bcb7b1526e50ep-2, &h, &l);
    l += lo * 0x1.bcb7b1526e50ep-2 + hi * 0x1.95355baaafad3p-57;
    double r = h + l;
    /* Exact powers of ten give exact integers, as everyone expects. */
    double n = rint(r);
    if (fabs(r - n) < 0x1p-40 && n >= 0 && n <= 22 && pow(10, n) == x)
        return n;
    return r;
}

double log1p(double x)
{
    if (x != x || x == INFINITY)
        return x;
    if (x <= -1)
        return x == -1 ? -INFINITY : NAN;
    if (fabs(x) < 0x1p-53)
        return x;
    double u = 1 + x;
    /* ln(1 + x) = ln u + (x - (u - 1)) / u corrects the rounding of u. */
    double lo, hi = __log_dd(u, &lo);
    return hi + (lo + (x - (u - 1)) / u);
}
