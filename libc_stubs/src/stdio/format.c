/*
 * format.c: the printf engine, shared by printf, fprintf, snprintf, asprintf ...
 *
 * Conversions d i u o x X c s p n % f F e E g G a A; flags - + space # 0; field
 * width and precision (also as *); length modifiers hh h l ll L q j z t. Output
 * follows glibc's, including its choices where C leaves room ("(null)", "(nil)",
 * "-nan"). Floating point goes through the exact expansion of dtoa.c.
 */
#include <stdint.h>
#include <string.h>

#include "format.h"

enum {
    F_MINUS = 1, F_PLUS = 2, F_SPACE = 4, F_ALT = 8, F_ZERO = 16, F_UPPER = 32,
};

enum { L_NONE, L_HH, L_H, L_L, L_LL, L_BIG_L, L_J, L_Z, L_T };

struct out {
    struct __sink *sink;
    size_t count;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (n) {
        o->sink->put(o->sink, s, n);
        o->count += n;
    }
}

static void repeat(struct out *o, char c, int n)
{
    char buf[32];
    memset(buf, c, sizeof buf);
    for (; n > 0; n -= (int)sizeof buf)
        put(o, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf);
}

/* A field: padding around prefix (sign, 0x), zeros, then the body. */
static void field(struct out *o, int flags, int width, const char *prefix, int zeros,
                  const char *body, size_t blen)
{
    size_t plen = strlen(prefix);
    int pad = width - (int)(plen + blen) - zeros;
    if (!(flags & (F_MINUS | F_ZERO)))
        repeat(o, ' ', pad);
    put(o, prefix, plen);
    if (flags & F_ZERO && !(flags & F_MINUS))
        repeat(o, '0', pad);
    repeat(o, '0', zeros);
    put(o, body, blen);
    if (flags & F_MINUS)
        repeat(o, ' ', pad);
}

static void fmt_int(struct out *o, uintmax_t v, int neg, int base, int flags, int width,
                    int prec, int is_signed)
{
    const char *digits = flags & F_UPPER ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24], *p = buf + sizeof buf;
    char prefix[3] = "";

    for (uintmax_t t = v; t; t /= (unsigned)base)
        *--p = digits[t % (unsigned)base];
    int len = (int)(buf + sizeof buf - p);
    if (prec >= 0)
        flags &= ~F_ZERO;       /* a precision overrides the 0 flag */
    else
        prec = 1;
    if (flags & F_ALT && base == 8 && prec <= len && (len == 0 || *p != '0'))
        prec = len + 1;         /* # makes an octal number start with 0 */
    if (is_signed)
        prefix[0] = neg ? '-' : flags & F_PLUS ? '+' : flags & F_SPACE ? ' ' : 0;
    if (flags & F_ALT && base == 16 && v) {
        prefix[0] = '0';
        prefix[1] = flags & F_UPPER ? 'X' : 'x';
    }
    field(o, flags, width, prefix, prec > len ? prec - len : 0, p, (size_t)len);
}

static void fmt_str(struct out *o, const char *s, int flags, int width, int prec)
{
    size_t n = prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
    field(o, flags & ~F_ZERO, width, "", 0, s, n);
}

/* Digits d[from..to) of a number with n stored digits: zeros past the end. */
static void put_digits(struct out *o, const char *d, int n, int from, int to)
{
    if (from < 0) {
        repeat(o, '0', (to < 0 ? to : 0) - from);
        from = 0;
    }
    if (from >= to)
        return;
    if (from < n)
        put(o, d + from, (size_t)((to < n ? to : n) - from));
    if (to > n)
        repeat(o, '0', to - (from > n ? from : n));
}

static void fmt_float(struct out *o, double v, int conv, int flags, int width, int prec)
{
    char d[DTOA_MAX];
    char prefix[2] = { 0, 0 };
    union { double f; uint64_t u; } bits = { v };
    int neg = (int)(bits.u >> 63);
    int upper = conv == 'F' || conv == 'E' || conv == 'G';

    prefix[0] = neg ? '-' : flags & F_PLUS ? '+' : flags & F_SPACE ? ' ' : 0;
    if (v != v || v - v != 0) {       /* nan or inf */
        const char *s = v != v ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
        field(o, flags & ~F_ZERO, width, prefix, 0, s, 3);
        return;
    }
    if (prec < 0)
        prec = 6;

    int dp = 0, n = v != 0 ? __dtoa(v, d, &dp) : 0;
    int style = conv | 32;            /* 'f' or 'e' */
    if (style == 'g') {
        int p = prec ? prec : 1;
        n = __dround(d, n, &dp, p);
        int x = n ? dp - 1 : 0;
        if (p > x && x >= -4) {
            style = 'f';
            prec = p - 1 - x;
            if (!(flags & F_ALT))     /* %g drops trailing zeros */
                prec = n - dp > 0 ? (n - dp < prec ? n - dp : prec) : 0;
        } else {
            style = 'e';
            prec = p - 1;
            if (!(flags & F_ALT))
                prec = n - 1 < prec ? (n > 0 ? n - 1 : 0) : prec;
        }
    }
    int point = prec > 0 || flags & F_ALT;

    if (style == 'f') {
        n = __dround(d, n, &dp, dp + prec);
        if (!n)
            dp = 1;
        int ilen = dp > 0 ? dp : 1;
        int total = ilen + point + prec;
        int pad = width - total - (prefix[0] != 0);
        if (!(flags & (F_MINUS | F_ZERO)))
            repeat(o, ' ', pad);
        put(o, prefix, prefix[0] != 0);
        if (flags & F_ZERO && !(flags & F_MINUS))
            repeat(o, '0', pad);
        if (dp > 0)
            put_digits(o, d, n, 0, dp);
        else
            put(o, "0", 1);
        if (point)
            put(o, ".", 1);
        put_digits(o, d, n, dp, dp + prec);
        if (flags & F_MINUS)
            repeat(o, ' ', pad);
        return;
    }

    n = __dround(d, n, &dp, prec + 1);
    int x = n ? dp - 1 : 0;
    char exp[8], *e = exp + sizeof exp;
    unsigned ax = (unsigned)(x < 0 ? -x : x);
    do
        *--e = (char)('0' + ax % 10);
    while ((ax /= 10) > 0);
    if (exp + sizeof exp - e < 2)
        *--e = '0';
    *--e = x < 0 ? '-' : '+';
    *--e = upper ? 'E' : 'e';
    int elen = (int)(exp + sizeof exp - e);
    int total = 1 + point + prec + elen;
    int pad = width - total - (prefix[0] != 0);
    if (!(flags & (F_MINUS | F_ZERO)))
        repeat(o, ' ', pad);
    put(o, prefix, prefix[0] != 0);
    if (flags & F_ZERO && !(flags & F_MINUS))
        repeat(o, '0', pad);
    put_digits(o, d, n, 0, 1);
    if (point)
        put(o, ".", 1);
    put_digits(o, d, n, 1, 1 + prec);
    put(o, e, (size_t)elen);
    if (flags & F_MINUS)
        repeat(o, ' ', pad);
}

/* %a: hexadecimal mantissa, binary exponent, glibc's normalisation (leading 1). */
static void fmt_hexfloat(struct out *o, double v, int flags, int width, int prec)
{
    union { double f; uint64_t u; } bits = { v };
    const char *xd = flags & F_UPPER ? "0123456789ABCDEF" : "0123456789abcdef";
    char prefix[4] = "", body[40];
    int neg = (int)(bits.u >> 63), upper = flags & F_UPPER;
    int pi = 0;

    if (neg || flags & (F_PLUS | F_SPACE))
        prefix[pi++] = neg ? '-' : flags & F_PLUS ? '+' : ' ';
    if (v != v || v - v != 0) {
        const char *s = v != v ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
        field(o, flags & ~F_ZERO, width, prefix, 0, s, 3);
        return;
    }
    prefix[pi++] = '0';
    prefix[pi++] = upper ? 'X' : 'x';

    int be = (int)(bits.u >> 52) & 0x7ff;
    uint64_t frac = bits.u & ((1ull << 52) - 1);
    int lead = be ? 1 : 0, e = be ? be - 1023 : (frac ? -1022 : 0);
    if (prec >= 0 && prec < 13) {       /* round the 52-bit fraction to prec digits */
        int drop = 4 * (13 - prec);
        uint64_t half = 1ull << (drop - 1), rest = frac & ((1ull << drop) - 1);
        frac >>= drop;
        if (rest > half || (rest == half && (frac & 1)))
            frac++;
        if (frac >> (4 * prec)) {       /* carried into the leading digit */
            frac &= (1ull << (4 * prec)) - 1;
            lead++;
        }
        frac <<= drop;
    }
    int nd = 13;
    if (prec < 0)
        while (nd > 0 && !((frac >> (4 * (13 - nd))) & 0xf))
            nd--;
    else
        nd = prec;
    int bl = 0;
    body[bl++] = (char)('0' + lead);
    if (nd > 0 || flags & F_ALT)
        body[bl++] = '.';
    for (int i = 0; i < nd; i++)
        body[bl++] = i < 13 ? xd[(frac >> (4 * (12 - i))) & 0xf] : '0';
    body[bl++] = upper ? 'P' : 'p';
    body[bl++] = e < 0 ? '-' : '+';
    char tmp[8];
    int tl = 0;
    for (unsigned ae = (unsigned)(e < 0 ? -e : e); tl == 0 || ae; ae /= 10)
        tmp[tl++] = (char)('0' + ae % 10);
    while (tl)
        body[bl++] = tmp[--tl];
    field(o, flags, width, prefix, 0, body, (size_t)bl);
}

int __vformat(struct __sink *sink, const char *fmt, va_list ap)
{
    struct out o = { sink, 0 };

    while (*fmt) {
        if (*fmt != '%') {
            const char *end = strchrnul(fmt, '%');
            put(&o, fmt, (size_t)(end - fmt));
            fmt = end;
            continue;
        }
        const char *start = fmt++;
        int flags = 0, width = 0, prec = -1, len = L_NONE;

        for (;; fmt++) {
            if (*fmt == '-') flags |= F_MINUS;
            else if (*fmt == '+') flags |= F_PLUS;
            else if (*fmt == ' ') flags |= F_SPACE;
            else if (*fmt == '#') flags |= F_ALT;
            else if (*fmt == '0') flags |= F_ZERO;
            else if (*fmt == '\'') ;        /* grouping: none in the C locale */
            else break;
        }
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_MINUS;
                width = -width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                if (prec < 0)
                    prec = -1;
                fmt++;
            } else {
                prec = 0;
                while (*fmt >= '0' && *fmt <= '9')
                    prec = prec * 10 + (*fmt++ - '0');
            }
        }
        switch (*fmt) {
        case 'h': len = fmt[1] == 'h' ? (fmt++, L_HH) : L_H; fmt++; break;
        case 'l': len = fmt[1] == 'l' ? (fmt++, L_LL) : L_L; fmt++; break;
        case 'q': len = L_LL; fmt++; break;
        case 'L': len = L_BIG_L; fmt++; break;
        case 'j': len = L_J; fmt++; break;
        case 'z': len = L_Z; fmt++; break;
        case 't': len = L_T; fmt++; break;
        }

        int conv = *fmt++;
        switch (conv) {
        case 'd':
        case 'i': {
            intmax_t v;
            if (len == L_LL || len == L_J || len == L_BIG_L)
                v = va_arg(ap, long long);
            else
                v = va_arg(ap, int);        /* int, long, ssize_t, ptrdiff_t: 32 bits */
            if (len == L_HH)
                v = (signed char)v;
            else if (len == L_H)
                v = (short)v;
            uintmax_t u = v < 0 ? -(uintmax_t)v : (uintmax_t)v;
            fmt_int(&o, u, v < 0, 10, flags, width, prec, 1);
            break;
        }
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
            uintmax_t v;
            if (len == L_LL || len == L_J || len == L_BIG_L)
                v = va_arg(ap, unsigned long long);
            else
                v = va_arg(ap, unsigned);
            if (len == L_HH)
                v = (unsigned char)v;
            else if (len == L_H)
                v = (unsigned short)v;
            int base = conv == 'u' ? 10 : conv == 'o' ? 8 : 16;
            fmt_int(&o, v, 0, base, flags | (conv == 'X' ? F_UPPER : 0), width, prec, 0);
            break;
        }
        case 'p': {
            void *p = va_arg(ap, void *);
            if (p)
                fmt_int(&o, (uintptr_t)p, 0, 16, flags | F_ALT, width, prec, 1);
            else
                fmt_str(&o, "(nil)", flags, width, -1);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            field(&o, flags & ~F_ZERO, width, "", 0, &c, 1);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = prec < 0 || prec >= 6 ? "(null)" : "";
            fmt_str(&o, s, flags, width, prec);
            break;
        }
        case 'f': case 'F': case 'e': case 'E': case 'g': case 'G':
            fmt_float(&o, va_arg(ap, double), conv, flags, width, prec);
            break;
        case 'a':
        case 'A':
            fmt_hexfloat(&o, va_arg(ap, double), flags | (conv == 'A' ? F_UPPER : 0), width,
                         prec);
            break;
        case 'n': {
            void *p = va_arg(ap, void *);
            if (len == L_HH) *(signed char *)p = (signed char)o.count;
            else if (len == L_H) *(short *)p = (short)o.count;
            else if (len == L_LL || len == L_J) *(long long *)p = (long long)o.count;
            else *(int *)p = (int)o.count;
            break;
        }
        case '%':
            put(&o, "%", 1);
            break;
        default:                /* unknown: print the directive as it is */
            if (!conv)
                fmt--;
            put(&o, start, (size_t)(fmt - start));
            break;
        }
    }
    if (sink->error)
        return -1;
    return o.count > 0x7fffffff ? -1 : (int)o.count;
}
