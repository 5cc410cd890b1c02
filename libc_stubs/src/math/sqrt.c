/*
 * sqrt.c: square root (the FPU's sqrt.d, correctly rounded), cube root, hypot.
 */
#include <math.h>

#include "mathint.h"

double sqrt(double x)
{
    return __builtin_sqrt(x);   /* sqrt.d; gcc calls back here only for errno, off */
}

float sqrtf(float x)
{
    return __builtin_sqrtf(x);
}

double cbrt(double x)
{
    if (x == 0 || x != x || x - x != 0)
        return x;
    int e;
    double m = frexp(fabs(x), &e);          /* |x| = m 2^e, 0.5 <= m < 1 */
    int r = e % 3;
    if (r < 0)
        r += 3;
    m = ldexp(m, r);                        /* |x| = m 2^(e - r), e - r divisible by 3 */
    double y = 0.7 + 0.3 * m;               /* rough guess for m in [0.5, 4) */
    for (int i = 0; i < 6; i++)             /* Newton: quadratic convergence */
        y = y - (y * y * y - m) / (3 * y * y);
    /* One correction in double-double to settle the last bit. */
    double y2h, y2l, y3h, y3l;
    two_prod(y, y, &y2h, &y2l);
    two_prod(y2h, y, &y3h, &y3l);
    y -= ((y3h - m) + (y3l + y2l * y)) / (3 * y * y);
    return copysign(ldexp(y, (e - r) / 3), x);
}

double hypot(double x, double y)
{
    x = fabs(x);
    y = fabs(y);
    if (x - x != 0 || y - y != 0)
        return (x == INFINITY || y == INFINITY) ? INFINITY : x + y;
    if (x < y) {
        double t = x;
        x = y;
        y = t;
    }
    if (y == 0)
        return x;
    int e;
    frexp(x, &e);
    x = ldexp(x, -e);           /* scale so that nothing overflows or underflows */
    y = ldexp(y, -e);
    double xh, xl, yh, yl;
    two_prod(x, x, &xh, &xl);
    two_prod(y, y, &yh, &yl);
    double s = xh + yh, r = sqrt(s);
    double err = (xh - s + yh) + xl + yl;   /* what the sum dropped */
    r += err / (2 * r);
    return ldexp(r, e);
}

float hypotf(float x, float y)
{
    return (float)hypot(x, y);
}
