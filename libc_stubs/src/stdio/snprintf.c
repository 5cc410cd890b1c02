/*
 * snprintf.c: formatting into memory: snprintf, sprintf, asprintf and their v forms.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include <stdio.h>

/* Keeps what fits (cap - 1 bytes), counts the rest. */
static void to_string(struct __sink *s, const char *p, size_t n)
{
    if (s->len + 1 < s->cap) {
        size_t room = s->cap - 1 - s->len;
        memcpy((char *)s->ctx + s->len, p, n < room ? n : room);
    }
    s->len += n;
}

int vsnprintf(char *restrict buf, size_t cap, const char *restrict fmt, va_list ap)
{
    struct __sink s = { to_string, buf, cap, 0, 0 };
    int r = __vformat(&s, fmt, ap);
    if (cap)
        buf[s.len < cap ? s.len : cap - 1] = 0;
    return r;
}

int snprintf(char *restrict buf, size_t cap, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return r;
}

int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap)
{
    return vsnprintf(buf, INT_MAX, fmt, ap);
}

int sprintf(char *restrict buf, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, INT_MAX, fmt, ap);
    va_end(ap);
    return r;
}

int vasprintf(char **out, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    *out = NULL;
    if (n < 0 || !(*out = malloc((size_t)n + 1)))
        return -1;
    return vsnprintf(*out, (size_t)n + 1, fmt, ap);
}

int asprintf(char **out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(out, fmt, ap);
    va_end(ap);
    return r;
}
