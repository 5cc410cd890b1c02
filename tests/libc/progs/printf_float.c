/*
 * printf_float.c: the floating-point conversions of printf (f F e E g G a) over values,
 * flags, widths and precisions 0..10, compared character for character with glibc.
 */
#include <math.h>
#include <stdio.h>

static const double values[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, -2.5, 0.1, 0.2, 0.3, 3.14159, -3.14159,
    2.718281828459045, 1e-5, 1.5e-5, 123456.789, -123456.789, 1e20, 1e21, 1e-20,
    9.9999999, 99.5, 0.05, 0.15, 0.25, 0.35, 1234567.0, 0.000123456, 1e100, 1e-100,
    6.02214076e23, 1.7976931348623157e308, 2.2250738585072014e-308, 4.9406564584124654e-324,
    5e-310, 0.999999999, 9.5, 10.5, 0.0625, 1.0 / 3, 2.0 / 3, 100.0, 1e15, 1e16, 1e17,
    123.456e-7, 7.0e-4, 65536.0, 4294967296.0, -0.000001,
};
static const char *flag_sets[] = { "", "-", "+", " ", "#", "0", "+0", "-#", "#0" };
static const char *widths[] = { "", "8", "15" };
static const char convs[] = "feEgGF";
static int cases;

int main(void)
{
    char fmt[32];
    int nvalues = (int)(sizeof values / sizeof values[0]);
    for (int v = 0; v < nvalues; v++)
        for (const char *c = convs; *c; c++)
            for (int p = -1; p <= 10; p++) {
                if (p < 0)
                    snprintf(fmt, sizeof fmt, "%%%c", *c);
                else
                    snprintf(fmt, sizeof fmt, "%%.%d%c", p, *c);
                printf("%s|", fmt);
                int r = printf(fmt, values[v]);
                printf("|%d\n", r);
                cases++;
            }
    for (int v = 0; v < nvalues; v += 3)
        for (unsigned f = 0; f < sizeof flag_sets / sizeof *flag_sets; f++)
            for (unsigned w = 0; w < sizeof widths / sizeof *widths; w++)
                for (const char *c = convs; *c; c++) {
                    snprintf(fmt, sizeof fmt, "%%%s%s.%d%c", flag_sets[f], widths[w],
                             (v + f) % 7, *c);
                    printf("%s|", fmt);
                    printf(fmt, values[v]);
                    printf("|\n");
                    cases++;
                }
    static const double specials[] = { INFINITY, -INFINITY, NAN, -NAN };
    static const char *sfmts[] = { "%f", "%e", "%g", "%F", "%E", "%G", "%10f", "%-10e|",
                                   "%+g", "% f", "%010f", "%a", "%A" };
    for (int s = 0; s < 4; s++)
        for (unsigned i = 0; i < sizeof sfmts / sizeof *sfmts; i++) {
            printf("%s|", sfmts[i]);
            printf(sfmts[i], specials[s]);
            printf("|\n");
            cases++;
        }
    static const char *afmts[] = { "%a", "%A", "%.0a", "%.1a", "%.3a", "%.13a", "%20a",
                                   "%-20a|", "%+a", "%#.0a", "%015a" };
    for (int v = 0; v < nvalues; v += 2)
        for (unsigned i = 0; i < sizeof afmts / sizeof *afmts; i++) {
            printf("%s|", afmts[i]);
            printf(afmts[i], values[v]);
            printf("|\n");
            cases++;
        }
    printf("%.20f|%.30e|%.40g\n", 0.1, 1.0 / 3, 2.0 / 3);
    printf("%.60f\n", 1e-50);
    printf("%f|%.0f|%.1f\n", 1e300, 1e300, -1e308);
    printf("%5.1f|%-8.3e|%+.4g|% .2f\n", 3.14159, 2.71828, 1.41421, 1.73205);
    printf("%Lf %Le\n", (long double)1.25, (long double)-3.5);
    printf("%f %f\n", (float)0.1, (float)16777217.0);
    printf("cases: %d\n", cases);
    return 0;
}
