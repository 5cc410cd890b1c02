/*
 * mathint.h: what the libm files share: bit access to doubles, exact
 * double-double helpers, and the reduction and kernels the functions build on.
 * Constants were computed to 600+ bits with exact integer arithmetic (Machin's
 * formula for pi, atanh series for the logarithms) and rounded; see each use.
 */
#ifndef _INTERNAL_MATHINT_H
#define _INTERNAL_MATHINT_H
#include <stdint.h>

static inline uint64_t asuint64(double x)
{
    union { double f; uint64_t u; } v = { x };
    return v.u;
}

static inline double asdouble(uint64_t u)
{
    union { uint64_t u; double f; } v = { u };
    return v.f;
}

/* a + b = *hi + *lo exactly. */
static inline void two_sum(double a, double b, double *hi, double *lo)
{
    double s = a + b, bb = s - a;
    *hi = s;
    *lo = (a - (s - bb)) + (b - bb);
}

/* a * b = *hi + *lo exactly (Dekker: split in 26-bit halves). */
static inline void two_prod(double a, double b, double *hi, double *lo)
{
    const double split = 134217729.0;       /* 2^27 + 1 */
    double p = a * b;
    double ca = split * a, ah = ca - (ca - a), al = a - ah;
    double cb = split * b, bh = cb - (cb - b), bl = b - bh;
    *hi = p;
    *lo = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

#define LN2_HI 0x1.62e42fefa3800p-1     /* ln 2, top 42 bits: k * LN2_HI is exact */
#define LN2_LO 0x1.ef35793c76730p-45
#define PIO2_HI 0x1.921fb54442d18p+0    /* pi/2 = PIO2_HI + PIO2_LO */
#define PIO2_LO 0x1.1a62633145c07p-54

/* x = 2^k y with |y| <= pi/4 (y = *hi + *lo); returns k mod 4. */
int __rem_pio2(double x, double *hi, double *lo);
/* sin and cos of hi + lo, |hi| <= pi/4. */
double __sin_kernel(double hi, double lo);
double __cos_kernel(double hi, double lo);
/* e^(hi + lo), |lo| tiny next to hi. */
double __exp_dd(double hi, double lo);
/* ln x as *hi + lo returned via *lo, x > 0 finite. */
double __log_dd(double x, double *lo);
#endif
