/*
 * pow.c: x^y = e^(y ln x), with ln x and the product in double-double so that the
 * result keeps (nearly) full precision; the special cases of C99 Annex F first.
 */
#include <math.h>
#include <stdint.h>

#include "mathint.h"

/* 0: y is not an integer, 1: an odd integer, 2: an even integer. */
static int int_kind(double y)
{
    if (y != trunc(y))
        return 0;
    if (fabs(y) >= 0x1p53)
        return 2;
    return fmod(y, 2) != 0 ? 1 : 2;
}

double pow(double x, double y)
{
    if (y == 0 || x == 1)
        return 1;
    if (x != x || y != y)
        return x + y;
    int kind = int_kind(y);
    double ax = fabs(x);
    if (y - y != 0) {           /* y = +-inf */
        if (ax == 1)
            return 1;
        return (ax > 1) == (y > 0) ? INFINITY : 0;
    }
    if (x == 0) {
        double r = y < 0 ? INFINITY : 0;
        return kind == 1 ? copysign(r, x) : r;
    }
    if (x - x != 0) {           /* x = +-inf */
        double r = y < 0 ? 0 : INFINITY;
        return x < 0 && kind == 1 ? -r : r;
    }
    if (x < 0 && kind == 0)
        return NAN;
    if (y == 1)
        return x;
    if (y == 2)
        return x * x;
    if (y == -1)
        return 1 / x;
    if (y == 0.5)
        return sqrt(x);

    double lo, hi = __log_dd(ax, &lo);
    double ph, pl;
    two_prod(y, hi, &ph, &pl);
    pl += y * lo;
    double r = __exp_dd(ph + pl, (ph - (ph + pl)) + pl);
    return x < 0 && kind == 1 ? -r : r;
}
