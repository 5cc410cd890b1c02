/*
 * printf_int.c: integer, character, string and pointer conversions of printf, over
 * every combination of flags, widths, precisions and length modifiers below.
 * One case per line: "format|output|return value".
 */
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const char *flag_sets[] = { "", "-", "+", " ", "#", "0", "-0", "+0", "#0", "- +#" };
static const char *widths[] = { "", "1", "5", "12" };
static const char *precs[] = { "", ".", ".0", ".1", ".3", ".8" };
static int cases;

static void show(const char *fmt, const char *out, int r)
{
    printf("%s|%s|%d\n", fmt, out, r);
    cases++;
}

static void ints(void)
{
    static const long long vals[] = { 0, 1, -1, 7, 42, -42, 255, 256, 65535, -32768, 2147483647,
                                      -2147483647 - 1, 4294967295LL, 1234567890123LL,
                                      -9223372036854775807LL - 1, 9223372036854775807LL };
    static const char *convs = "diuoxX";
    static const char *lens[] = { "hh", "h", "", "l", "ll", "j", "z", "t" };
    char fmt[64], out[256];
    for (size_t f = 0; f < sizeof flag_sets / sizeof *flag_sets; f++)
        for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
            for (size_t p = 0; p < sizeof precs / sizeof *precs; p++)
                for (const char *c = convs; *c; c++)
                    for (size_t l = 0; l < sizeof lens / sizeof *lens; l++) {
                        snprintf(fmt, sizeof fmt, "%%%s%s%s%s%c", flag_sets[f], widths[w],
                                 precs[p], lens[l], *c);
                        /* A sample of values per format keeps the output readable. */
                        size_t v = (f * 7 + w * 3 + p * 5 + l) % (sizeof vals / sizeof *vals);
                        int r;
                        if (!strcmp(lens[l], "ll") || !strcmp(lens[l], "j"))
                            r = snprintf(out, sizeof out, fmt, vals[v]);
                        else
                            r = snprintf(out, sizeof out, fmt, (int)vals[v]);
                        show(fmt, out, r);
                    }
}

static void chars_strings(void)
{
    static const char *strs[] = { "", "a", "hello", "hello, world", NULL };
    char fmt[64], out[256];
    for (size_t f = 0; f < 3; f++)
        for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
            snprintf(fmt, sizeof fmt, "%%%s%sc", flag_sets[f * 5 % 10], widths[w]);
            show(fmt, (snprintf(out, sizeof out, fmt, 'x'), out), (int)strlen(out));
            for (size_t p = 0; p < sizeof precs / sizeof *precs; p++)
                for (size_t s = 0; s < sizeof strs / sizeof *strs; s++) {
                    snprintf(fmt, sizeof fmt, "%%%s%s%ss", flag_sets[f * 5 % 10], widths[w],
                             precs[p]);
                    int r = snprintf(out, sizeof out, fmt, strs[s]);
                    show(fmt, out, r);
                }
        }
}

static void misc(void)
{
    char out[256];
    int n1 = 0, n2 = 0;
    show("%p NULL", (snprintf(out, sizeof out, "%p", (void *)0), out), 0);
    show("%p", (snprintf(out, sizeof out, "%p", (void *)0x1234), out), 0);
    show("%20p", (snprintf(out, sizeof out, "%20p", (void *)0xdeadbeef), out), 0);
    show("%-12p|", (snprintf(out, sizeof out, "%-12p|", (void *)0x10), out), 0);
    show("%%", (snprintf(out, sizeof out, "%%"), out), 0);
    show("a%%b%%%%c", (snprintf(out, sizeof out, "a%%b%%%%c"), out), 0);
    show("*d", (snprintf(out, sizeof out, "[%*d]", 6, 42), out), 0);
    show("-*d", (snprintf(out, sizeof out, "[%*d]", -6, 42), out), 0);
    show(".*d", (snprintf(out, sizeof out, "[%.*d]", 4, 42), out), 0);
    show(".*d neg", (snprintf(out, sizeof out, "[%.*d]", -4, 42), out), 0);
    show("*.*s", (snprintf(out, sizeof out, "[%*.*s]", 8, 3, "abcdef"), out), 0);
    show("%n", (snprintf(out, sizeof out, "abc%ndef%n", &n1, &n2), out), n1 * 10 + n2);
    for (size_t cap = 0; cap < 8; cap++) {
        memset(out, '#', 16);
        out[15] = 0;
        int r = snprintf(out, cap, "%s-%d", "abcd", 123);
        show("snprintf cap", out, r * 100 + (int)cap);
    }
    show("sprintf", (sprintf(out, "%5s|%-5s|%05d", "ab", "cd", -12), out), 0);
    show("%hhd 300", (snprintf(out, sizeof out, "%hhd %hhu %hd %hu", 300, 300, 70000, 70000),
                      out), 0);
    show("%c NUL", (snprintf(out, sizeof out, "[%c]", 0), out + 1), 0);
    show("%lc", (snprintf(out, sizeof out, "%c%c%c", 'a', 'b', 'c'), out), 0);
    show("%zu", (snprintf(out, sizeof out, "%zu %zd %zx", (size_t)123, (ssize_t)-5,
                          (size_t)255), out), 0);
    show("%jd", (snprintf(out, sizeof out, "%jd %ju", (intmax_t)-1, (uintmax_t)-1), out), 0);
    show("%td", (snprintf(out, sizeof out, "%td", (ptrdiff_t)-77), out), 0);
    show("%#o 0", (snprintf(out, sizeof out, "%#o %#x %#X %#.0o %#.0x", 0, 0, 0, 0, 0), out), 0);
    show("%.0d 0", (snprintf(out, sizeof out, "[%.0d][%5.0d][%-5.0u]", 0, 0, 0), out), 0);
    show("%+u", (snprintf(out, sizeof out, "%+u % u %+x", 5, 5, 5), out), 0);
    show("%-+8.3d", (snprintf(out, sizeof out, "[%-+8.3d][%+08d][% 08d]", 5, 5, 5), out), 0);
}

int main(void)
{
    ints();
    chars_strings();
    misc();
    printf("cases: %d\n", cases);
    return 0;
}
