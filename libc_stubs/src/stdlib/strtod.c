/*
 * strtod.c: text to double, correctly rounded (ties to even), as glibc's.
 *
 * The decimal input is D x 10^E with D an integer of at most MAXDIG digits (beyond
 * that a nonzero tail only matters as "a little more", kept as a final 1). A first
 * guess in floating point is within a few units in the last place; it is then
 * corrected by comparing D x 10^E exactly with the midpoints between neighbouring
 * doubles, using big integers in base 10^9. Also: hexadecimal floats, inf, nan.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAXDIG 800
#define BASE 1000000000u
#define LIMBS 144               /* the largest comparison has about 1150 digits */
#define MANT_MIN (1ull << 52)
#define MANT_MAX ((1ull << 53) - 1)
#define EXP_MIN (-1074)         /* exponent of the subnormals' unit */
#define EXP_MAX 971             /* MANT_MAX << 971 is DBL_MAX */

struct big {
    int n;                      /* limbs in use, least significant first */
    uint32_t x[LIMBS];
};

static void big_mul(struct big *b, uint32_t f)
{
    uint64_t carry = 0;
    for (int i = 0; i < b->n; i++) {
        uint64_t t = (uint64_t)b->x[i] * f + carry;
        b->x[i] = (uint32_t)(t % BASE);
        carry = t / BASE;
    }
    for (; carry; carry /= BASE)
        b->x[b->n++] = (uint32_t)(carry % BASE);
}

static void big_pow2(struct big *b, int k)
{
    for (; k > 0; k -= 29)
        big_mul(b, 1u << (k < 29 ? k : 29));
}

static void big_pow10(struct big *b, int k)
{
    int limbs = k / 9;
    if (limbs && b->n) {
        memmove(b->x + limbs, b->x, (size_t)b->n * sizeof b->x[0]);
        memset(b->x, 0, (size_t)limbs * sizeof b->x[0]);
        b->n += limbs;
    }
    uint32_t f = 1;
    for (k %= 9; k > 0; k--)
        f *= 10;
    big_mul(b, f);
}

static void big_set(struct big *b, uint64_t v)
{
    for (b->n = 0; v; v /= BASE)
        b->x[b->n++] = (uint32_t)(v % BASE);
}

static int big_cmp(const struct big *a, const struct big *b)
{
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (int i = a->n - 1; i >= 0; i--)
        if (a->x[i] != b->x[i])
            return a->x[i] < b->x[i] ? -1 : 1;
    return 0;
}

struct decimal {
    char d[MAXDIG + 1];         /* digits without leading zeros */
    int nd;
    int e;                      /* value = d x 10^e */
};

/* Sign of (D x 10^E) - (h x 2^k), exactly. */
static int compare(const struct decimal *dec, uint64_t h, int k)
{
    static __thread struct big a, b;    /* large: keep them off small thread stacks */
    a.n = 0;
    for (int i = 0; i < dec->nd; i += 9) {   /* D, nine digits at a time */
        int len = dec->nd - i < 9 ? dec->nd - i : 9;
        uint32_t chunk = 0, scale = 1;
        for (int j = 0; j < len; j++) {
            chunk = chunk * 10 + (uint32_t)(dec->d[i + j] - '0');
            scale *= 10;
        }
        big_mul(&a, scale);
        if (a.n == 0)
            a.n = 1, a.x[0] = 0;
        uint64_t t = (uint64_t)a.x[0] + chunk;
        a.x[0] = (uint32_t)(t % BASE);
        for (int j = 1; t >= BASE; j++) {   /* carry */
            if (j == a.n)
                a.x[a.n++] = 0;
            t = (uint64_t)a.x[j] + 1;
            a.x[j] = (uint32_t)(t % BASE);
        }
    }
    big_set(&b, h);
    if (dec->e >= 0)
        big_pow10(&a, dec->e);
    else
        big_pow10(&b, -dec->e);
    if (k >= 0)
        big_pow2(&b, k);
    else
        big_pow2(&a, -k);
    return big_cmp(&a, &b);
}

static double make(uint64_t m, int k)
{
    return ldexp((double)m, k);
}

/* The double nearest to dec (positive, nonzero), from the guess x. */
static double refine(const struct decimal *dec, double x)
{
    uint64_t m;
    int k;
    if (x - x != 0) {          /* inf (or nan): start from the largest double */
        m = MANT_MAX;
        k = EXP_MAX;
    } else {
        int e;
        double f = frexp(x, &e);            /* x = f x 2^e, 0.5 <= f < 1 */
        k = e - 53;
        if (x == 0 || k < EXP_MIN)
            k = EXP_MIN;
        m = (uint64_t)ldexp(f, e - k);
        if (x == 0)
            m = 0;
    }
    for (;;) {
        int c = compare(dec, 2 * m + 1, k - 1);     /* the midpoint above */
        if (c > 0 || (c == 0 && (m & 1))) {
            if (++m > MANT_MAX) {
                m = MANT_MIN;
                if (++k > EXP_MAX)
                    return HUGE_VAL;
            }
            if (c == 0)
                break;
            continue;
        }
        if (c == 0 || m == 0)
            break;
        /* The midpoint below; at a power of two the gap below is half as wide. */
        int edge = m == MANT_MIN && k > EXP_MIN;
        c = edge ? compare(dec, 4 * m - 1, k - 2) : compare(dec, 2 * m - 1, k - 1);
        if (c > 0 || (c == 0 && !(m & 1)))
            break;
        if (edge) {
            m = MANT_MAX;
            k--;
        } else {
            m--;
        }
        if (c == 0)
            break;
    }
    return make(m, k);
}

/* Whether v (finite, >= 0) is exactly dec. */
static int exact(const struct decimal *dec, double v)
{
    int e;
    double f = frexp(v, &e);
    if (v == 0)
        return 0;
    return compare(dec, (uint64_t)ldexp(f, 53), e - 53) == 0;
}

static const double pow10_exact[] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static double decimal_to_double(const struct decimal *dec)
{
    if (dec->nd == 0)
        return 0;
    if (dec->nd + dec->e > 310)
        return HUGE_VAL;
    if (dec->nd + dec->e < -325)
        return 0;
    /* First guess: the leading 19 digits, scaled (exact divisions when small). */
    uint64_t lead = 0;
    int used = dec->nd < 19 ? dec->nd : 19;
    for (int i = 0; i < used; i++)
        lead = lead * 10 + (uint64_t)(dec->d[i] - '0');
    int e = dec->e + dec->nd - used;
    double x = (double)lead;
    if (dec->nd <= 15 && e >= -22 && e <= 22)   /* exact operands: one rounding */
        return e >= 0 ? x * pow10_exact[e] : x / pow10_exact[-e];
    /* Near the subnormals, scale by 2^200 so the divisions round as normals. */
    int scaled = dec->nd + dec->e < -290;
    if (scaled)
        x *= 0x1p200;
    for (; e > 0; e -= e < 22 ? e : 22)
        x *= pow10_exact[e < 22 ? e : 22];
    for (; e < 0; e += -e < 22 ? -e : 22)
        x /= pow10_exact[-e < 22 ? -e : 22];
    if (scaled)
        x *= 0x1p-200;
    return refine(dec, x);
}

/* Reads the decimal significand and exponent at s; returns the end, or s if none. */
static const char *read_decimal(const char *s, struct decimal *dec)
{
    const char *p = s;
    int any = 0, dropped = 0, dot = 0, frac = 0;

    dec->nd = 0;
    dec->e = 0;
    for (;; p++) {
        if (*p == '.' && !dot) {
            dot = 1;
            continue;
        }
        if (!isdigit((unsigned char)*p))
            break;
        any = 1;
        if (dot)
            frac++;
        if (*p == '0' && dec->nd == 0)
            continue;           /* a leading zero */
        if (dec->nd < MAXDIG)
            dec->d[dec->nd++] = *p;
        else {
            dec->e++;           /* a digit we cannot keep: one more power of ten */
            dropped |= *p != '0';
        }
    }
    if (!any)
        return s;
    dec->e -= frac;
    if (dropped) {              /* "a little more than": only breaks exact ties */
        dec->d[dec->nd++] = '1';
        dec->e--;
    }
    if ((*p | 32) == 'e') {
        const char *q = p + 1;
        int neg = 0;
        long ex = 0;
        if (*q == '+' || *q == '-')
            neg = *q++ == '-';
        if (isdigit((unsigned char)*q)) {
            for (; isdigit((unsigned char)*q); q++)
                if (ex < 100000)
                    ex = ex * 10 + (*q - '0');
            dec->e += neg ? -(int)ex : (int)ex;
            p = q;
        }
    }
    while (dec->nd > 0 && dec->d[dec->nd - 1] == '0') {
        dec->nd--;
        dec->e++;
    }
    if (dec->nd == 0)
        dec->e = 0;
    return p;
}

/* 0x1.8p3: the hexadecimal significand, rounded to 53 bits, times 2^exponent. */
static const char *read_hex(const char *s, double *out)
{
    const char *p = s;
    uint64_t m = 0;
    int e = 0, any = 0, dot = 0, sticky = 0;
    for (;; p++) {
        if (*p == '.' && !dot) {
            dot = 1;
            continue;
        }
        int d = isdigit((unsigned char)*p) ? *p - '0'
              : isxdigit((unsigned char)*p) ? (*p | 32) - 'a' + 10 : -1;
        if (d < 0)
            break;
        any = 1;
        if (m >> 60) {
            sticky |= d != 0;
            if (!dot)
                e += 4;
        } else {
            m = m * 16 + (uint64_t)d;
            if (dot)
                e -= 4;
        }
    }
    if (!any)
        return s;
    if ((*p | 32) == 'p') {
        const char *q = p + 1;
        int neg = 0;
        long ex = 0;
        if (*q == '+' || *q == '-')
            neg = *q++ == '-';
        if (isdigit((unsigned char)*q)) {
            for (; isdigit((unsigned char)*q); q++)
                if (ex < 100000)
                    ex = ex * 10 + (*q - '0');
            e += neg ? -(int)ex : (int)ex;
            p = q;
        }
    }
    if (m == 0) {
        *out = 0;
        return p;
    }
    /* Normalise to 2^63 <= m, then keep 53 bits (fewer in the subnormal range). */
    while (!(m >> 63)) {
        m <<= 1;
        e--;
    }
    int keep = 53;
    if (e + 63 < -1022)
        keep = 53 - (-1022 - (e + 63));
    if (keep < 0)
        keep = 0;
    int drop = 64 - keep;
    uint64_t rest = drop >= 64 ? m : m & ((1ull << drop) - 1);
    uint64_t half = drop >= 65 ? 0 : 1ull << (drop - 1);
    m = drop >= 64 ? 0 : m >> drop;
    if (rest > half || (rest == half && (sticky || (m & 1))))
        m++;
    *out = ldexp((double)m, e + drop);
    if ((rest || sticky) && *out < 0x1p-1022)
        errno = ERANGE;
    if (*out == HUGE_VAL)
        errno = ERANGE;
    return p;
}

double strtod(const char *restrict s, char **restrict end)
{
    static __thread struct decimal dec;
    const char *p = s;
    int neg = 0;
    double v;

    while (isspace((unsigned char)*p))
        p++;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';

    const char *q;
    if (p[0] == '0' && (p[1] | 32) == 'x' && (q = read_hex(p + 2, &v)) != p + 2) {
        p = q;
    } else if (strncasecmp(p, "inf", 3) == 0) {
        p += strncasecmp(p, "infinity", 8) == 0 ? 8 : 3;
        v = HUGE_VAL;
    } else if (strncasecmp(p, "nan", 3) == 0) {
        p += 3;
        if (*p == '(') {        /* nan(chars) */
            const char *r = p + 1;
            while (isalnum((unsigned char)*r) || *r == '_')
                r++;
            if (*r == ')')
                p = r + 1;
        }
        v = NAN;
    } else if ((q = read_decimal(p, &dec)) != p) {
        p = q;
        v = decimal_to_double(&dec);
        if (v == HUGE_VAL || (dec.nd && v < 0x1p-1022 && !exact(&dec, v)))
            errno = ERANGE;     /* overflow, or underflow: tiny and inexact */
    } else {
        p = s;                  /* no number at all */
        v = 0;
        neg = 0;
    }
    if (end)
        *end = (char *)p;
    return neg ? -v : v;
}

float strtof(const char *restrict s, char **restrict end)
{
    return (float)strtod(s, end);
}

long double strtold(const char *restrict s, char **restrict end)
{
    return strtod(s, end);
}

double atof(const char *s)
{
    return strtod(s, NULL);
}
