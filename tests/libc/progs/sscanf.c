/*
 * sscanf.c: sscanf conversions, widths, suppression, scan sets and return values.
 */
#include <stdio.h>
#include <string.h>

int main(void)
{
    int a = -1, b = -1, c = -1, n = -1;
    unsigned u = 0;
    long l = 0;
    long long ll = 0;
    float f = 0;
    double d = 0;
    char s1[32] = "", s2[32] = "", ch[4] = "";
    int r;

    r = sscanf("12 34 56", "%d %d %d", &a, &b, &c);
    printf("1: %d %d %d %d\n", r, a, b, c);
    r = sscanf("  -7,0x1f;077", "%d,%x;%o", &a, &b, &c);
    printf("2: %d %d %d %d\n", r, a, b, c);
    r = sscanf("0x1f 077 12", "%i %i %i", &a, &b, &c);
    printf("3: %d %d %d %d\n", r, a, b, c);
    r = sscanf("123456", "%2d%3d%d", &a, &b, &c);
    printf("4: %d %d %d %d\n", r, a, b, c);
    r = sscanf("hello world", "%s %s", s1, s2);
    printf("5: %d [%s] [%s]\n", r, s1, s2);
    r = sscanf("abcdef", "%3s%s", s1, s2);
    printf("6: %d [%s] [%s]\n", r, s1, s2);
    r = sscanf("xyz", "%c%c", &ch[0], &ch[1]);
    printf("7: %d %c %c\n", r, ch[0], ch[1]);
    r = sscanf("3.25 -1e-3 2.5e10", "%f %lf %lf", &f, &d, &d);
    printf("8: %d %.9g %.17g\n", r, (double)f, d);
    r = sscanf("4294967295 -2147483648 123456789012345", "%u %ld %lld", &u, &l, &ll);
    printf("9: %d %u %ld %lld\n", r, u, l, ll);
    r = sscanf("10 20", "%*d %d", &a);
    printf("10: %d %d\n", r, a);
    r = sscanf("abc123def", "%[a-z]%d%[^\n]", s1, &a, s2);
    printf("11: %d [%s] %d [%s]\n", r, s1, a, s2);
    r = sscanf("key=value", "%[^=]=%s", s1, s2);
    printf("12: %d [%s] [%s]\n", r, s1, s2);
    r = sscanf("", "%d", &a);
    printf("13: %d\n", r);
    r = sscanf("   ", "%d", &a);
    printf("14: %d\n", r);
    r = sscanf("abc", "%d", &a);
    printf("15: %d\n", r);
    r = sscanf("12abc", "%d%n", &a, &n);
    printf("16: %d %d %d\n", r, a, n);
    r = sscanf("5 apples", "%d apples%n", &a, &n);
    printf("17: %d %d %d\n", r, a, n);
    r = sscanf("5 pears", "%d apples", &a);
    printf("18: %d %d\n", r, a);
    r = sscanf("100%", "%d%%", &a);
    printf("19: %d %d\n", r, a);
    r = sscanf("1.5e3x", "%lf%s", &d, s1);
    printf("20: %d %g [%s]\n", r, d, s1);
    r = sscanf("-inf nan", "%lf %f", &d, &f);
    printf("21: %d %f %f\n", r, d, (double)f);
    r = sscanf("0x1A", "%x", &u);
    printf("22: %d %u\n", r, u);
    r = sscanf("  42", "%5d", &a);
    printf("23: %d %d\n", r, a);
    r = sscanf("7 8", "%d%d", &a, &b);
    printf("24: %d %d %d\n", r, a, b);
    r = sscanf("+3 -0", "%d %d", &a, &b);
    printf("25: %d %d %d\n", r, a, b);
    r = sscanf("ab", "%d", &a);
    printf("26: %d\n", r);
    memset(s1, 0, sizeof s1);
    r = sscanf("abc", "%2c", s1);
    printf("27: %d [%s]\n", r, s1);
    r = sscanf("12:34:56", "%d:%d:%d", &a, &b, &c);
    printf("28: %d %d %d %d\n", r, a, b, c);
    return 0;
}
