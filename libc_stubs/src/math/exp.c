/*
 * exp.c: exponentials: exp, exp2, expm1 and the hyperbolic functions.
 *
 * e^x = 2^k e^r with k = round(x / ln 2) and r = x - k ln 2 (ln 2 in two pieces, the
 * first exact when multiplied by k), |r| <= ln2 / 2; e^r by its Taylor series.
 */
#include <math.h>

#include "mathint.h"

#define INV_LN2 0x1.71547652b82fep+0
#define EXP_OVER 0x1.62e42fefa39efp+9    /* above: overflow */
#define EXP_UNDER (-0x1.74910d52d3051p+9) /* below: 0 */

/* e^r - 1 for |r| <= 0.35: Taylor to r^13. */
static double expm1_small(double r)
{
    double p = 1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040 +
               r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800 + r * (1.0 / 39916800 +
               r * (1.0 / 479001600 + r * (1.0 / 6227020800.0))))))))));
    return r + r * r * (0.5 + r * p);
}

double __exp_dd(double hi, double lo)
{
    if (hi != hi)
        return hi;
    if (hi > EXP_OVER)
        return INFINITY;
    if (hi < EXP_UNDER)
        return 0;
    double k = rint(hi * INV_LN2);
    double r = (hi - k * LN2_HI) + (lo - k * LN2_LO);
    double p = expm1_small(r);
    return scalbn(1 + p, (int)k);
}

double exp(double x)
{
    return __exp_dd(x, 0);
}

double exp2(double x)
{
    double hi, lo;
    if (x != x)
        return x;
    if (x > 1024)
        return INFINITY;
    if (x < -1080)
        return 0;
    double k = rint(x), f = x - k;      /* exact */
    two_prod(f, 0x1.62e42fefa39efp-1, &hi, &lo);
    lo += f * 0x1.abc9e3b39803fp-56;
    return scalbn(1 + expm1_small(hi + lo), (int)k);
}

/* e^x - 1 = 2^k (e^r - 1) + (2^k - 1): no cancellation, for x near 0 or not. */
double expm1(double x)
{
    if (fabs(x) <= 0.35)
        return expm1_small(x);
    if (x != x || x > EXP_OVER)
        return exp(x);
    if (x < -40)
        return -1;
    double k = rint(x * INV_LN2);
    double hi = x - k * LN2_HI, lo = -k * LN2_LO;
    double r = hi + lo, rlo = (hi - r) + lo;
    double p = expm1_small(r);
    p += rlo * (1 + p);         /* e^(r + rlo) - 1 = p + rlo e^r, nearly */
    if (k > 1000)
        return scalbn(1 + p, (int)k);
    double two = scalbn(1, (int)k);
    return (two - 1) + two * p;
}

double sinh(double x)
{
    double a = fabs(x);
    if (a < 0x1p-26)
        return x;
    if (a <= 0.35) {
        double e = expm1_small(a);
        return copysign((e + e / (e + 1)) / 2, x);
    }
    if (a > 709)
        return copysign(exp(a / 2) / 2 * exp(a / 2), x);
    double e = exp(a);
    return copysign((e - 1 / e) / 2, x);
}

double cosh(double x)
{
    double a = fabs(x);
    if (a > 709)
        return exp(a / 2) / 2 * exp(a / 2);
    double e = exp(a);
    return (e + 1 / e) / 2;
}

double tanh(double x)
{
    double a = fabs(x);
    if (a < 0x1p-26)
        return x;
    if (a > 20)
        return copysign(1, x);
    double e = expm1(2 * a);
    return copysign(e / (e + 2), x);
}

double exp10(double x)
{
    return pow(10, x);
}
