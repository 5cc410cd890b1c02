/*
 * mathfn.c: math.h functions on ordinary arguments, printed to 10 significant digits
 * (a last-bit difference from glibc's libm does not show), plus the exact ones
 * (sqrt, floor, ceil, round, fmod, frexp, ldexp) to 17 digits.
 */
#include <math.h>
#include <stdio.h>

int main(void)
{
    static const double xs[] = { 0.0, 0.001, 0.1, 0.5, 0.7071, 1.0, 1.5, 2.0, 2.5, 3.0,
                                 3.14159, 10.0, 22.5, 100.0, 1234.5678, 1e6, -0.3, -1.0,
                                 -2.5, -7.25, 1e-10, 0.999999 };
    int n = (int)(sizeof xs / sizeof *xs);
    for (int i = 0; i < n; i++) {
        double x = xs[i];
        printf("x=%g\n", x);
        printf(" sin %.10g cos %.10g tan %.10g\n", sin(x), cos(x), tan(x));
        printf(" atan %.10g atan2 %.10g %.10g\n", atan(x), atan2(x, 1.5), atan2(-1.0, x));
        if (fabs(x) <= 1)
            printf(" asin %.10g acos %.10g\n", asin(x), acos(x));
        printf(" exp %.10g sinh %.10g cosh %.10g tanh %.10g\n", exp(x), sinh(x), cosh(x),
               tanh(x));
        if (x > 0)
            printf(" log %.10g log2 %.10g log10 %.10g sqrt %.17g cbrt %.10g\n", log(x),
                   log2(x), log10(x), sqrt(x), cbrt(x));
        printf(" pow2 %.10g pow(x,1.5) %.10g pow(1.1,x) %.10g\n", pow(2, x), pow(fabs(x), 1.5),
               pow(1.1, x));
        printf(" floor %.17g ceil %.17g round %.17g trunc %.17g rint %.17g\n", floor(x),
               ceil(x), round(x), trunc(x), rint(x));
        printf(" fmod %.17g %.17g fabs %.17g\n", fmod(x, 0.7), fmod(-x * 3, 2.0), fabs(x));
        int e;
        double m = frexp(x, &e);
        printf(" frexp %.17g %d ldexp %.17g hypot %.10g\n", m, e, ldexp(x, 5), hypot(x, 3));
        printf(" f: %.6g %.6g %.6g %.6g %.6g %.6g\n", (double)sinf((float)x),
               (double)cosf((float)x), (double)expf((float)x), (double)sqrtf(fabsf((float)x)),
               (double)floorf((float)x), (double)ceilf((float)x));
        if (x > 0)
            printf(" f: logf %.6g powf %.6g\n", (double)logf((float)x),
                   (double)powf((float)x, 0.5f));
    }
    printf("pow: %.17g %.17g %.17g %.17g %.17g\n", pow(2, 10), pow(10, 3), pow(-2, 3),
           pow(2, -2), pow(0.5, 4));
    printf("pow special: %g %g %g %g %g %g\n", pow(0, 0), pow(0, -1), pow(-8, 1.0 / 3),
           pow(-1, INFINITY), pow(2, 1024), pow(2, -1080));
    printf("special: %g %g %g %g %g %g\n", sqrt(-1), log(0), log(-1), exp(1000), exp(-1000),
           atan2(0, -1));
    printf("big sin: %.10g %.10g %.10g %.10g\n", sin(1e10), cos(1e22), sin(1e300),
           tan(123456789.0));
    printf("M_PI %.17g sin(M_PI) %.6e cos(M_PI_2) %.6e\n", M_PI, sin(M_PI), cos(M_PI_2));
    printf("round: %g %g %g %g %ld %ld\n", round(0.5), round(-0.5), round(2.5), rint(2.5),
           lround(-3.5), lrint(3.5));
    printf("modf: ");
    double ip;
    double fp = modf(-3.75, &ip);
    printf("%g %g\n", fp, ip);
    printf("classify: %d %d %d %d %d\n", fpclassify(0.0), fpclassify(1.0), fpclassify(1e-310),
           fpclassify(INFINITY), fpclassify(NAN));
    printf("isnan %d isinf %d %d signbit %d\n", isnan(NAN), isinf(INFINITY), isinf(-INFINITY),
           signbit(-0.0) != 0);
    return 0;
}
