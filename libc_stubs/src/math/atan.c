/*
 * atan.c: inverse trigonometric functions: atan, atan2, asin, acos.
 *
 * atan reduces |x| to |t| < 7/16 with atan x = atan c + atan((x - c) / (1 + x c)) for
 * c in {1/2, 1, 3/2, inf}, then sums the Taylor series; asin and acos go through atan.
 */
#include <math.h>

#include "mathint.h"

/* atan(1/2), atan(1), atan(3/2), atan(inf) as hi + lo. */
static const double atan_hi[] = {
    0x1.dac670561bb4fp-2, 0x1.921fb54442d18p-1, 0x1.f730bd281f69bp-1, 0x1.921fb54442d18p+0,
};
static const double atan_lo[] = {
    0x1.a2b7f222f65e2p-56, 0x1.1a62633145c07p-55, 0x1.007887af0cbbdp-56, 0x1.1a62633145c07p-54,
};

/* atan t - t for |t| < 7/16: the Taylor series, terms until t^47. */
static double atan_tail(double t)
{
    double z = t * t, p = 0;
    for (int n = 47; n >= 3; n -= 2)
        p = (((n >> 1) & 1) ? -1.0 : 1.0) / n + z * p;
    return t * z * p;
}

double atan(double x)
{
    double a = fabs(x);
    if (x != x)
        return x;
    if (a < 0x1p-27)
        return x;
    int i;
    double t;
    if (a < 7.0 / 16) {
        return x + atan_tail(x);
    } else if (a < 11.0 / 16) {
        i = 0;
        t = (2 * a - 1) / (2 + a);
    } else if (a < 19.0 / 16) {
        i = 1;
        t = (a - 1) / (a + 1);
    } else if (a < 39.0 / 16) {
        i = 2;
        t = (a - 1.5) / (1 + 1.5 * a);
    } else {
        i = 3;
        t = -1 / a;
    }
    double r = atan_hi[i] + (atan_lo[i] + (t + atan_tail(t)));
    return copysign(r, x);
}

double atan2(double y, double x)
{
    if (x != x || y != y)
        return x + y;
    if (x == 1)
        return atan(y);
    int yneg = signbit(y), xneg = signbit(x);
    double pi_hi = 0x1.921fb54442d18p+1, pi_lo = 0x1.1a62633145c07p-53;
    if (y == 0)
        return xneg ? copysign(pi_hi, y) : y;
    if (x == 0)
        return copysign(PIO2_HI, y);
    if (x - x != 0) {           /* x = +-inf */
        if (y - y != 0)
            return copysign(xneg ? 3 * PIO2_HI / 2 : PIO2_HI / 2, y);
        return xneg ? copysign(pi_hi, y) : copysign(0, y);
    }
    if (y - y != 0)
        return copysign(PIO2_HI, y);
    double ay = fabs(y), ax = fabs(x);
    double t;
    if (ay > 0x1p60 * ax)
        t = PIO2_HI + PIO2_LO;
    else if (xneg && ay < 0x1p-60 * ax)
        t = 0;
    else
        t = atan(ay / ax);
    if (xneg)
        t = pi_hi - (t - pi_lo);
    return yneg ? -t : t;
}

double asin(double x)
{
    double a = fabs(x);
    if (!(a <= 1))
        return NAN;
    if (a < 0x1p-26)
        return x;
    if (a == 1)
        return copysign(PIO2_HI, x);
    return atan(x / sqrt((1 - a) * (1 + a)));
}

double acos(double x)
{
    if (!(fabs(x) <= 1))
        return NAN;
    if (x == 1)
        return 0;
    if (x == -1)
        return 2 * PIO2_HI;
    /* acos x = 2 atan(sqrt((1 - x) / (1 + x))), accurate over the whole range. */
    return 2 * atan(sqrt((1 - x) / (1 + x)));
}
