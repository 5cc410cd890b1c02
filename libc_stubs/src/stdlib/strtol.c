/*
 * strtol.c: text to integers: strtol, strtoul, strtoll, strtoull, strtoimax,
 * atoi, atol, atoll. Overflow saturates and sets ERANGE, as C requires.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>

static int digit(int c)
{
    if (isdigit(c))
        return c - '0';
    if (isalpha(c))
        return (c | 32) - 'a' + 10;
    return 99;
}

/*
 * The common parser: whitespace, sign, base prefix, digits. Returns the magnitude
 * (clamped to `limit` + 1 on overflow, with *over set), the sign in *neg.
 */
static uint64_t parse(const char *s, char **end, int base, uint64_t limit, int *neg,
                      int *over)
{
    const char *p = s;
    uint64_t v = 0;
    int any = 0;

    *neg = *over = 0;
    if (base < 0 || base == 1 || base > 36) {
        errno = EINVAL;
        if (end)
            *end = (char *)s;
        return 0;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '+' || *p == '-')
        *neg = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] | 32) == 'x' &&
        digit((unsigned char)p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = *p == '0' ? 8 : 10;
    }
    for (;; p++) {
        int d = digit((unsigned char)*p);
        if (d >= base)
            break;
        any = 1;
        if (*over)
            continue;
        if (v > (limit - (uint64_t)d) / (uint64_t)base) {
            *over = 1;
            v = limit;
        } else {
            v = v * (uint64_t)base + (uint64_t)d;
        }
    }
    if (end)
        *end = (char *)(any ? p : s);
    return v;
}

long long strtoll(const char *restrict s, char **restrict end, int base)
{
    int neg, over;
    uint64_t v = parse(s, end, base, (uint64_t)LLONG_MAX + 1, &neg, &over);
    if (over || (!neg && v > (uint64_t)LLONG_MAX)) {
        errno = ERANGE;
        return neg ? LLONG_MIN : LLONG_MAX;
    }
    return neg ? (long long)(0 - v) : (long long)v;
}

unsigned long long strtoull(const char *restrict s, char **restrict end, int base)
{
    int neg, over;
    uint64_t v = parse(s, end, base, ULLONG_MAX, &neg, &over);
    if (over) {
        errno = ERANGE;
        return ULLONG_MAX;
    }
    return neg ? 0 - v : v;
}

long strtol(const char *restrict s, char **restrict end, int base)
{
    int neg, over;
    uint64_t v = parse(s, end, base, (uint64_t)LONG_MAX + 1, &neg, &over);
    if (over || (!neg && v > LONG_MAX)) {
        errno = ERANGE;
        return neg ? LONG_MIN : LONG_MAX;
    }
    return neg ? (long)(0 - v) : (long)v;
}

unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
    int neg, over;
    uint64_t v = parse(s, end, base, ULONG_MAX, &neg, &over);
    if (over) {
        errno = ERANGE;
        return ULONG_MAX;
    }
    return neg ? (unsigned long)(0 - v) : (unsigned long)v;
}

intmax_t strtoimax(const char *restrict s, char **restrict end, int base)
{
    return strtoll(s, end, base);
}

uintmax_t strtoumax(const char *restrict s, char **restrict end, int base)
{
    return strtoull(s, end, base);
}

int atoi(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

long atol(const char *s)
{
    return strtol(s, NULL, 10);
}

long long atoll(const char *s)
{
    return strtoll(s, NULL, 10);
}
