/*
 * printf.c: the printf family's entry points: to a stream (printf, fprintf,
 * vfprintf, dprintf) or to memory (sprintf, snprintf, asprintf), all on __vformat.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "stdio_impl.h"

static void to_file(struct __sink *s, const char *p, size_t n)
{
    if (__fwrite_unlocked(p, n, s->ctx) != n)
        s->error = 1;
}

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap)
{
    struct __sink s = { to_file, f, 0, 0, 0 };
    __flock(f);
    int r = __vformat(&s, fmt, ap);
    __funlock(f);
    return r;
}

int fprintf(FILE *restrict f, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(f, fmt, ap);
    va_end(ap);
    return r;
}

int vprintf(const char *restrict fmt, va_list ap)
{
    return vfprintf(stdout, fmt, ap);
}

int printf(const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return r;
}

static void to_fd(struct __sink *s, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(*(int *)s->ctx, p, n);
        if (k <= 0) {
            s->error = 1;
            return;
        }
        p += k;
        n -= (size_t)k;
    }
}

int vdprintf(int fd, const char *restrict fmt, va_list ap)
{
    struct __sink s = { to_fd, &fd, 0, 0, 0 };
    return __vformat(&s, fmt, ap);
}

int dprintf(int fd, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vdprintf(fd, fmt, ap);
    va_end(ap);
    return r;
}
