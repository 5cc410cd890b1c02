/*
 * strtod.c: decimal and hexadecimal text to double (correct rounding), the end
 * pointer, ERANGE; the results printed exactly with %a and %.17g.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    static const char *inputs[] = {
        "0", "-0", "1", "0.1", "0.2", "0.3", ".5", "5.", "3.14159", "-3.14159", "1e-5",
        "123456.789", "1e20", "1e22", "1e23", "9007199254740993", "9007199254740992.5",
        "1.7976931348623157e308", "1.7976931348623158e308", "1.8e308", "2.2250738585072014e-308",
        "2.2250738585072011e-308", "4.9406564584124654e-324", "2.4703282292062327e-324",
        "2.4703282292062328e-324", "1e-400", "1e400", "0.000000000000000000000000000001",
        "123456789012345678901234567890", "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124",
        "1.00000000000000011102230246251565404236316680908203126",
        "0.1e1", "1E+2", "1e", "1e+", "-.e1", "  +12.5e-1xyz", "inf", "-Infinity", "nan",
        "NaN(123)", "infinit", "0x1p3", "0x1.8p1", "-0x.8p-1", "0x1P-1074", "0xp1", "0x",
        "abc", "", ".", "1.5.5", "6.02214076e23", "2.718281828459045235360287",
        "0.30000000000000004", "1e-320", "7.2057594037927933e16", "8.98846567431158e307",
        "4.4501477170144023e-308", "0.999999999999999999999", "1152921504606846975",
        "3.0517578125e-05", "100000000000000000000000000000000000000000000001e-46",
    };
    for (unsigned i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        char *end;
        errno = 0;
        double d = strtod(inputs[i], &end);
        int err = errno;
        printf("\"%s\" -> %a %.17g end=%d erange=%d\n", inputs[i], d, d,
               (int)(end - inputs[i]), err == ERANGE);
    }
    printf("atof %.17g strtof %.9g\n", atof("2.5e-3"), (double)strtof("0.1", NULL));
    /* Round trips: every printed %.17g reads back to the same double. */
    unsigned long long x = 0x123456789abcdefULL;
    int bad = 0;
    for (int i = 0; i < 2000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        union { unsigned long long u; double d; } v = { x };
        if (v.d != v.d || v.d - v.d != 0)
            continue;
        char buf[64];
        snprintf(buf, sizeof buf, "%.17g", v.d);
        if (strtod(buf, NULL) != v.d)
            bad++;
        if (i % 100 == 0)
            printf("%s\n", buf);
    }
    printf("round trip failures: %d\n", bad);
    return 0;
}
