/*
 * mathprint: prints libm results and checks them against known values, and
 * exercises printf's floating-point conversions.
 *
 * Usage: mathprint
 * One line per function: "name(args) = value ok|FAILED" (%.9f, or %.9e for
 * tiny/huge values); then a few formatted numbers. Ends with OK (exit 0) or
 * FAILED (exit 1).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#define TOLERANCE   1e-9        /* relative, for doubles */
#define FTOLERANCE  1e-5f       /* relative, for floats */

static int failures;

static void check(const char *what, double got, double expected, double tolerance)
{
    double scale = fabs(expected) > 1.0 ? fabs(expected) : 1.0;
    int ok = fabs(got - expected) <= tolerance * scale;
    if (!ok)
        failures++;
    printf("%-16s = %.9f %s\n", what, got, ok ? "ok" : "FAILED");
}

static void check_string(const char *what, const char *got, const char *expected)
{
    int ok = strcmp(got, expected) == 0;
    if (!ok)
        failures++;
    printf("%-16s = \"%s\" %s\n", what, got, ok ? "ok" : "FAILED");
}

int main(void)
{
    volatile double two = 2.0, one = 1.0, half = 0.5, ten = 10.0;
    volatile float twof = 2.0f, onef = 1.0f;

    check("sqrt(2)", sqrt(two), 1.41421356237309505, TOLERANCE);
    check("sin(1)", sin(one), 0.841470984807896507, TOLERANCE);
    check("cos(1)", cos(one), 0.540302305868139717, TOLERANCE);
    check("tan(0.5)", tan(half), 0.546302489843790514, TOLERANCE);
    check("atan(1)", atan(one), 0.785398163397448310, TOLERANCE);
    check("atan2(1,-1)", atan2(one, -one), 2.35619449019234492, TOLERANCE);
    check("exp(1)", exp(one), 2.71828182845904524, TOLERANCE);
    check("log(10)", log(ten), 2.30258509299404568, TOLERANCE);
    check("log2(10)", log2(ten), 3.32192809488736235, TOLERANCE);
    check("pow(2,0.5)", pow(two, half), 1.41421356237309505, TOLERANCE);
    check("pow(10,-3)", pow(ten, -3.0), 0.001, TOLERANCE);
    check("fabs(-2)", fabs(-two), 2.0, 0.0);
    check("floor(-0.5)", floor(-half), -1.0, 0.0);
    check("ceil(-1.5)", ceil(-one - half), -1.0, 0.0);
    check("fmod(10,3)", fmod(ten, 3.0), 1.0, 0.0);
    check("sqrtf(2)", sqrtf(twof), 1.41421356f, FTOLERANCE);
    check("sinf(1)", sinf(onef), 0.84147098f, FTOLERANCE);
    check("cosf(1)", cosf(onef), 0.54030231f, FTOLERANCE);
    check("expf(1)", expf(onef), 2.71828183f, FTOLERANCE);
    check("logf(2)", logf(twof), 0.69314718f, FTOLERANCE);
    check("powf(2,10)", powf(twof, 10.0f), 1024.0f, FTOLERANCE);

    char buf[64];
    snprintf(buf, sizeof buf, "%.3f", 3.14159265);
    check_string("%.3f", buf, "3.142");
    snprintf(buf, sizeof buf, "%8.2f|", -2.5);
    check_string("%8.2f", buf, "   -2.50|");
    snprintf(buf, sizeof buf, "%e", 12345.678);
    check_string("%e", buf, "1.234568e+04");
    snprintf(buf, sizeof buf, "%g %g", 0.0001, 1e10);
    check_string("%g", buf, "0.0001 1e+10");

    puts(failures ? "FAILED" : "OK");
    return failures ? 1 : 0;
}
