/*
 * scanf.c: the scanf family: sscanf, fscanf, scanf and their v forms, on one engine
 * that reads characters from a string or a stream (with one character of push-back).
 *
 * Conversions d i u o x X p c s [set] f e g a n %, with '*', widths and the length
 * modifiers hh h l ll L j z t. Numbers are gathered as text, then converted by
 * strtoll/strtoull/strtod, so they parse exactly as those do.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stdio_impl.h"

#define NUMBUF 512

struct src {
    const char *s;              /* string source, or NULL */
    FILE *f;
    int count;                  /* characters consumed, for %n */
};

static int get(struct src *in)
{
    int c;
    if (in->f)
        c = __fgetc_unlocked(in->f);
    else
        c = *in->s ? (unsigned char)*in->s++ : EOF;
    if (c != EOF)
        in->count++;
    return c;
}

static void unget(struct src *in, int c)
{
    if (c == EOF)
        return;
    in->count--;
    if (in->f)
        ungetc(c, in->f);
    else
        in->s--;
}

static int skip_space(struct src *in)
{
    int c;
    while ((c = get(in)) != EOF && isspace(c))
        ;
    unget(in, c);
    return c;
}

enum { L_NONE, L_HH, L_H, L_L, L_LL, L_BIG_L };

static void store_int(void *p, int len, uint64_t v)
{
    switch (len) {
    case L_HH: *(char *)p = (char)v; break;
    case L_H: *(short *)p = (short)v; break;
    case L_LL: *(long long *)p = (long long)v; break;
    default: *(int *)p = (int)v; break;
    }
}

/* Gathers an integer's characters (sign, 0x prefix, digits of base) into buf. */
static int scan_int(struct src *in, int width, int base, char *buf)
{
    int n = 0, c = get(in);
    if ((c == '+' || c == '-') && n < width) {
        buf[n++] = (char)c;
        c = get(in);
    }
    if (c == '0' && n < width && (base == 0 || base == 16)) {
        buf[n++] = (char)c;
        c = get(in);
        if ((c | 32) == 'x' && n < width) {
            buf[n++] = (char)c;
            c = get(in);
            base = 16;
        } else if (base == 0) {
            base = 8;
        }
    }
    if (base == 0)
        base = 10;
    for (; c != EOF && n < width && n < NUMBUF - 1; c = get(in)) {
        int d = isdigit(c) ? c - '0' : isalpha(c) ? (c | 32) - 'a' + 10 : 99;
        if (d >= base)
            break;
        buf[n++] = (char)c;
    }
    unget(in, c);
    buf[n] = 0;
    return n;
}

/* Gathers a floating-point number's characters: sign, digits, point, exponent, inf, nan. */
static int scan_float(struct src *in, int width, char *buf)
{
    int n = 0, c = get(in), digits = 0;
    if ((c == '+' || c == '-') && n < width) {
        buf[n++] = (char)c;
        c = get(in);
    }
    if ((c | 32) == 'i' || (c | 32) == 'n') {
        const char *word = (c | 32) == 'i' ? "infinity" : "nan";
        for (int i = 0; word[i] && n < width && (c | 32) == word[i]; i++) {
            buf[n++] = (char)c;
            c = get(in);
        }
        unget(in, c);
        buf[n] = 0;
        return n;
    }
    int hex = 0;
    if (c == '0' && n < width) {
        buf[n++] = (char)c;
        digits = 1;
        c = get(in);
        if ((c | 32) == 'x' && n < width) {
            buf[n++] = (char)c;
            hex = 1;
            c = get(in);
        }
    }
    for (int dot = 0; c != EOF && n < width && n < NUMBUF - 1; c = get(in)) {
        if (isdigit(c) || (hex && isxdigit(c)))
            digits = 1;
        else if (c == '.' && !dot)
            dot = 1;
        else
            break;
        buf[n++] = (char)c;
    }
    if (digits && ((c | 32) == (hex ? 'p' : 'e')) && n < width) {
        buf[n++] = (char)c;
        c = get(in);
        if ((c == '+' || c == '-') && n < width) {
            buf[n++] = (char)c;
            c = get(in);
        }
        for (; isdigit(c) && n < width && n < NUMBUF - 1; c = get(in))
            buf[n++] = (char)c;
    }
    unget(in, c);
    buf[n] = 0;
    return digits ? n : 0;
}

static int vscan(struct src *in, const char *fmt, va_list ap)
{
    int assigned = 0, converted = 0;
    char buf[NUMBUF];

    for (; *fmt; fmt++) {
        if (isspace((unsigned char)*fmt)) {
            skip_space(in);
            continue;
        }
        if (*fmt != '%' || fmt[1] == '%') {
            if (*fmt == '%') {
                fmt++;
                skip_space(in);
            }
            int c = get(in);
            if (c != (unsigned char)*fmt) {
                unget(in, c);
                return c == EOF && !converted ? EOF : assigned;
            }
            continue;
        }
        fmt++;
        int suppress = 0, width = 0, len = L_NONE;
        if (*fmt == '*') {
            suppress = 1;
            fmt++;
        }
        while (isdigit((unsigned char)*fmt))
            width = width * 10 + (*fmt++ - '0');
        switch (*fmt) {
        case 'h': len = fmt[1] == 'h' ? (fmt++, L_HH) : L_H; fmt++; break;
        case 'l': len = fmt[1] == 'l' ? (fmt++, L_LL) : L_L; fmt++; break;
        case 'L': case 'q': len = L_BIG_L; fmt++; break;
        case 'j': len = L_LL; fmt++; break;
        case 'z': case 't': len = L_L; fmt++; break;
        }
        int conv = *fmt;
        if (conv != 'c' && conv != '[' && conv != 'n')
            if (skip_space(in) == EOF)
                return converted ? assigned : EOF;
        switch (conv) {
        case 'n':
            if (!suppress)
                store_int(va_arg(ap, void *), len == L_BIG_L ? L_LL : len, (uint64_t)in->count);
            continue;
        case 'd': case 'i': case 'u': case 'o': case 'x': case 'X': case 'p': {
            int base = conv == 'd' || conv == 'u' ? 10 : conv == 'i' ? 0 : conv == 'o' ? 8 : 16;
            if (!scan_int(in, width ? width : NUMBUF - 1, base, buf))
                return assigned;
            char *end;
            uint64_t v = conv == 'd' || conv == 'i' ? (uint64_t)strtoll(buf, &end, base)
                                                    : strtoull(buf, &end, base);
            if (end == buf)
                return assigned;
            if (!suppress) {
                if (conv == 'p')
                    *va_arg(ap, void **) = (void *)(uintptr_t)v;
                else
                    store_int(va_arg(ap, void *), len == L_BIG_L ? L_LL : len, v);
                assigned++;
            }
            break;
        }
        case 'f': case 'e': case 'g': case 'a': case 'E': case 'G': case 'F': case 'A': {
            if (!scan_float(in, width ? width : NUMBUF - 1, buf))
                return assigned;
            char *end;
            double v = strtod(buf, &end);
            if (end == buf)
                return assigned;
            if (!suppress) {
                if (len == L_L || len == L_BIG_L)
                    *va_arg(ap, double *) = v;
                else
                    *va_arg(ap, float *) = (float)v;
                assigned++;
            }
            break;
        }
        case 'c': {
            char *out = suppress ? NULL : va_arg(ap, char *);
            if (!width)
                width = 1;
            for (int i = 0; i < width; i++) {
                int c = get(in);
                if (c == EOF)
                    return i == 0 && !converted ? EOF : assigned;
                if (out)
                    out[i] = (char)c;
            }
            if (out)
                assigned++;
            break;
        }
        case 's': {
            char *out = suppress ? NULL : va_arg(ap, char *);
            int n = 0, c;
            while ((c = get(in)) != EOF && !isspace(c) && (!width || n < width)) {
                if (out)
                    out[n] = (char)c;
                n++;
            }
            unget(in, c);
            if (out) {
                out[n] = 0;
                assigned++;
            }
            break;
        }
        case '[': {
            unsigned char set[256] = { 0 };
            int invert = 0;
            fmt++;
            if (*fmt == '^') {
                invert = 1;
                fmt++;
            }
            if (*fmt == ']')
                set[(unsigned char)*fmt++] = 1;
            for (; *fmt && *fmt != ']'; fmt++) {
                if (fmt[1] == '-' && fmt[2] && fmt[2] != ']') {
                    for (int c = (unsigned char)fmt[0]; c <= (unsigned char)fmt[2]; c++)
                        set[c] = 1;
                    fmt += 2;
                } else {
                    set[(unsigned char)*fmt] = 1;
                }
            }
            char *out = suppress ? NULL : va_arg(ap, char *);
            int n = 0, c;
            while ((c = get(in)) != EOF && set[c] != invert && (!width || n < width)) {
                if (out)
                    out[n] = (char)c;
                n++;
            }
            unget(in, c);
            if (n == 0)
                return c == EOF && !converted ? EOF : assigned;
            if (out) {
                out[n] = 0;
                assigned++;
            }
            if (!*fmt)
                return assigned;
            break;
        }
        default:
            return assigned;
        }
        converted++;
    }
    return assigned;
}

int vsscanf(const char *restrict s, const char *restrict fmt, va_list ap)
{
    struct src in = { s, NULL, 0 };
    return vscan(&in, fmt, ap);
}

int sscanf(const char *restrict s, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsscanf(s, fmt, ap);
    va_end(ap);
    return r;
}

int vfscanf(FILE *restrict f, const char *restrict fmt, va_list ap)
{
    struct src in = { NULL, f, 0 };
    __flock(f);
    int r = vscan(&in, fmt, ap);
    __funlock(f);
    return r;
}

int fscanf(FILE *restrict f, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfscanf(f, fmt, ap);
    va_end(ap);
    return r;
}

int vscanf(const char *restrict fmt, va_list ap)
{
    return vfscanf(stdin, fmt, ap);
}

int scanf(const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfscanf(stdin, fmt, ap);
    va_end(ap);
    return r;
}
