/*
 * math_ulp.c: math functions over many arguments, each result printed exactly (%a), for
 * test_libc_math.py to measure the distance to glibc's results in units in the last place.
 * Lines: "name result".
 */
#include <math.h>
#include <stdio.h>

static unsigned long long state = 0x9e3779b97f4a7c15ULL;

/* Uniform in [lo, hi), from a 64-bit LCG (the same on every libc). */
static double uniform(double lo, double hi)
{
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (double)(state >> 11) * 0x1p-53;
}

/* A log-uniform magnitude in [2^lo, 2^hi), random sign if `sign`. The arguments are
 * made with exact operations only, so that both libraries see the same ones. */
static double spread(int lo, int hi, int sign)
{
    double x = ldexp(uniform(1, 2), lo + (int)(uniform(0, 1) * (hi - lo)));
    return sign && uniform(0, 1) < 0.5 ? -x : x;
}

#define N 2000

int main(void)
{
    for (int i = 0; i < N; i++) {
        double x = spread(-30, 30, 1), p = spread(-20, 10, 0), u = uniform(-1, 1);
        double small = uniform(-700, 700), y = uniform(-30, 30);
        printf("sin %a\ncos %a\ntan %a\n", sin(x), cos(x), tan(x));
        printf("atan %a\natan2 %a\n", atan(x), atan2(x, uniform(-10, 10)));
        printf("asin %a\nacos %a\n", asin(u), acos(u));
        printf("exp %a\nexp2 %a\nexpm1 %a\n", exp(small), exp2(uniform(-1070, 1000)),
               expm1(uniform(-2, 2)));
        printf("log %a\nlog2 %a\nlog10 %a\nlog1p %a\n", log(p), log2(p), log10(p),
               log1p(uniform(-0.9, 3)));
        printf("pow %a\npowi %a\n", pow(p, y), pow(uniform(0.5, 2), (int)uniform(-60, 60)));
        printf("sinh %a\ncosh %a\ntanh %a\n", sinh(uniform(-20, 20)), cosh(uniform(-20, 20)),
               tanh(uniform(-5, 5)));
        printf("sqrt %a\ncbrt %a\nhypot %a\n", sqrt(p), cbrt(x), hypot(x, uniform(-5, 5)));
        printf("fmod %a\nremainder %a\n", fmod(x, p), remainder(x, p));
        printf("floor %a\nceil %a\nround %a\nrint %a\n", floor(x), ceil(x), round(x), rint(x));
        printf("sinbig %a\ncosbig %a\n", sin(spread(20, 1000, 1)), cos(spread(20, 1000, 1)));
        printf("sinf %a\nexpf %a\nlogf %a\npowf %a\n", (double)sinf((float)x),
               (double)expf((float)uniform(-80, 80)), (double)logf((float)p),
               (double)powf((float)p, (float)uniform(-3, 3)));
    }
    return 0;
}
