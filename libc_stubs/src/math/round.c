/*
 * round.c: rounding to integers (floor, ceil, trunc, round, rint, lround ...),
 * fmod and remainder; all exact, on the bits of the double.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>

#include "mathint.h"

double trunc(double x)
{
    uint64_t u = asuint64(x);
    int e = (int)(u >> 52 & 0x7ff) - 1023;
    if (e >= 52)
        return x;               /* already an integer, inf or nan */
    if (e < 0)
        return asdouble(u & (1ull << 63));
    return asdouble(u & ~((1ull << (52 - e)) - 1));
}

double floor(double x)
{
    double t = trunc(x);
    return t > x ? t - 1 : t;
}

double ceil(double x)
{
    double t = trunc(x);
    return t < x ? t + 1 : t;
}

double round(double x)
{
    double t = trunc(x);
    if (fabs(x - t) >= 0.5)
        t += copysign(1, x);
    return t;
}

/* To nearest, ties to even: adding and removing 2^52 leaves no fraction bits. */
double rint(double x)
{
    const double big = 0x1p52;
    uint64_t u = asuint64(x);
    if ((u >> 52 & 0x7ff) >= 0x3ff + 52)
        return x;
    double r = fabs(x) + big - big;
    return copysign(r, x);
}

double nearbyint(double x)
{
    return rint(x);
}

long lrint(double x)
{
    return (long)rint(x);
}

long lround(double x)
{
    return (long)round(x);
}

long long llround(double x)
{
    return (long long)round(x);
}

/* x - n y with n = trunc(x / y), exactly, by long division on the significands. */
double fmod(double x, double y)
{
    uint64_t ux = asuint64(x), uy = asuint64(y);
    int ex = (int)(ux >> 52 & 0x7ff), ey = (int)(uy >> 52 & 0x7ff);
    uint64_t sign = ux & (1ull << 63);

    if (y == 0 || x != x || y != y || ex == 0x7ff)
        return (x * y) / (x * y);
    if (fabs(x) < fabs(y))
        return x;
    /* Significands as integers: x = mx 2^(ex-1075) (normalising subnormals). */
    uint64_t mx = ux & ((1ull << 52) - 1), my = uy & ((1ull << 52) - 1);
    if (ex)
        mx |= 1ull << 52;
    else
        for (ex = 1; !(mx >> 52); ex--)
            mx <<= 1;
    if (ey)
        my |= 1ull << 52;
    else
        for (ey = 1; !(my >> 52); ey--)
            my <<= 1;
    for (; ex > ey; ex--) {
        if (mx >= my)
            mx -= my;
        if (mx == 0)
            return asdouble(sign);
        mx <<= 1;
    }
    if (mx >= my)
        mx -= my;
    if (mx == 0)
        return asdouble(sign);
    double r = scalbn((double)mx, ex - 1075);    /* exact: mx < my < 2^53 */
    return asdouble(asuint64(r) | sign);
}

double remainder(double x, double y)
{
    double r = fmod(x, y);
    if (r != r || y - y != 0)
        return r;
    double ay = fabs(y), ar = fabs(r);
    /* Round the quotient to nearest even: compare 2|r| with |y|. */
    if (ar > ay / 2 || (ar == ay / 2 && fmod(trunc((x - r) / y), 2) != 0))
        r = r > 0 ? r - ay : r + ay;
    return r;
}
