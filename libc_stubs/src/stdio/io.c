/*
 * io.c: reading and writing streams: fwrite, fputs, fputc, puts, fread, fgetc,
 * ungetc, fgets, getline; buffers are allocated at the first use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libc.h"
#include "stdio_impl.h"

static int getbuf(FILE *f)
{
    if (f->buf || f->mode == _IONBF)
        return 0;
    f->buf = malloc(UNGET + BUFSIZ);
    if (!f->buf) {
        f->mode = _IONBF;       /* still works, one system call per operation */
        return 0;
    }
    f->size = BUFSIZ;
    f->flags |= FS_OWNBUF;
    return 0;
}

static int to_write(FILE *f)
{
    if (!(f->flags & FS_WRITE)) {
        f->flags |= FS_ERR;
        errno = EBADF;
        return -1;
    }
    if (f->rpos)
        __fflush_unlocked(f);   /* gives back the read-ahead */
    getbuf(f);
    if (!f->wpos && f->buf)
        f->wpos = f->buf + UNGET;
    return 0;
}

static size_t write_direct(FILE *f, const unsigned char *p, size_t n)
{
    size_t done = 0;
    if (f->flags & FS_APPEND)
        lseek(f->fd, 0, SEEK_END);
    while (done < n) {
        ssize_t k = write(f->fd, p + done, n - done);
        if (k <= 0) {
            f->flags |= FS_ERR;
            break;
        }
        done += (size_t)k;
    }
    return done;
}

size_t __fwrite_unlocked(const void *src, size_t n, FILE *f)
{
    const unsigned char *p = src;
    if (n == 0)
        return 0;
    if (to_write(f) < 0)
        return 0;
    if (f->mode == _IONBF || !f->buf) {
        return write_direct(f, p, n);
    }
    size_t room = (size_t)(f->buf + UNGET + f->size - f->wpos);
    if (n > room) {
        if (__fflush_unlocked(f) < 0)
            return 0;
        f->wpos = f->buf + UNGET;
        if (n >= f->size)
            return write_direct(f, p, n);
    }
    memcpy(f->wpos, p, n);
    f->wpos += n;
    if (f->mode == _IOLBF && memchr(p, '\n', n))
        __fflush_unlocked(f);
    return n;
}

size_t fwrite(const void *restrict p, size_t size, size_t nmemb, FILE *restrict f)
{
    size_t n = size * nmemb;
    if (n == 0)
        return 0;
    __flock(f);
    size_t done = __fwrite_unlocked(p, n, f);
    __funlock(f);
    return done == n ? nmemb : done / size;
}

int fputs(const char *restrict s, FILE *restrict f)
{
    size_t n = strlen(s);
    __flock(f);
    size_t done = __fwrite_unlocked(s, n, f);
    __funlock(f);
    return done == n ? 1 : EOF;
}

int puts(const char *s)
{
    size_t n = strlen(s);
    __flock(stdout);
    int r = __fwrite_unlocked(s, n, stdout) == n && __fwrite_unlocked("\n", 1, stdout) == 1;
    __funlock(stdout);
    return r ? 1 : EOF;
}

int fputc(int c, FILE *f)
{
    unsigned char ch = (unsigned char)c;
    __flock(f);
    size_t done = __fwrite_unlocked(&ch, 1, f);
    __funlock(f);
    return done ? ch : EOF;
}

int putc(int c, FILE *f)
{
    return fputc(c, f);
}

int putchar(int c)
{
    return fputc(c, stdout);
}

/* Refills the read buffer; returns the bytes now available (0 at end or error). */
static size_t fill(FILE *f)
{
    if (!(f->flags & FS_READ)) {
        f->flags |= FS_ERR;
        errno = EBADF;
        return 0;
    }
    if (f->wpos && __fflush_unlocked(f) < 0)
        return 0;
    if (f == stdin)
        __stdio_flush_linebuffered();
    getbuf(f);
    if (!f->buf) {              /* unbuffered and no memory: a one-byte buffer */
        static unsigned char none[UNGET + 1];
        f->buf = none;
        f->size = 1;
    }
    size_t want = f->mode == _IONBF ? 1 : f->size;
    ssize_t k = read(f->fd, f->buf + UNGET, want);
    if (k <= 0) {
        f->flags |= k == 0 ? FS_EOF : FS_ERR;
        f->rpos = f->rend = NULL;
        return 0;
    }
    f->rpos = f->buf + UNGET;
    f->rend = f->rpos + k;
    return (size_t)k;
}

int __fgetc_unlocked(FILE *f)
{
    if (f->rpos && f->rpos < f->rend)
        return *f->rpos++;
    if (!fill(f))
        return EOF;
    return *f->rpos++;
}

int fgetc(FILE *f)
{
    __flock(f);
    int c = __fgetc_unlocked(f);
    __funlock(f);
    return c;
}

int getc(FILE *f)
{
    return fgetc(f);
}

int getchar(void)
{
    return fgetc(stdin);
}

int ungetc(int c, FILE *f)
{
    if (c == EOF)
        return EOF;
    __flock(f);
    if (f->wpos)
        __fflush_unlocked(f);
    getbuf(f);
    int r = EOF;
    if (f->buf) {
        if (!f->rpos)
            f->rpos = f->rend = f->buf + UNGET;
        if (f->rpos > f->buf) {
            *--f->rpos = (unsigned char)c;
            f->flags &= ~FS_EOF;
            r = (unsigned char)c;
        }
    }
    __funlock(f);
    return r;
}

size_t fread(void *restrict dst, size_t size, size_t nmemb, FILE *restrict f)
{
    unsigned char *d = dst;
    size_t n = size * nmemb, done = 0;
    if (n == 0)
        return 0;
    __flock(f);
    while (done < n) {
        size_t avail = f->rpos ? (size_t)(f->rend - f->rpos) : 0;
        if (avail) {
            size_t k = avail < n - done ? avail : n - done;
            memcpy(d + done, f->rpos, k);
            f->rpos += k;
            done += k;
            continue;
        }
        if (n - done >= BUFSIZ && f->flags & FS_READ && !f->wpos) {
            ssize_t k = read(f->fd, d + done, n - done);   /* large: no copy */
            if (k <= 0) {
                f->flags |= k == 0 ? FS_EOF : FS_ERR;
                break;
            }
            done += (size_t)k;
            continue;
        }
        if (!fill(f))
            break;
    }
    __funlock(f);
    return done / size;
}

char *fgets(char *restrict s, int size, FILE *restrict f)
{
    int n = 0;
    if (size <= 0)
        return NULL;
    __flock(f);
    while (n < size - 1) {
        if (!(f->rpos && f->rpos < f->rend) && !fill(f))
            break;
        size_t avail = (size_t)(f->rend - f->rpos), want = (size_t)(size - 1 - n);
        size_t k = avail < want ? avail : want;
        unsigned char *nl = memchr(f->rpos, '\n', k);
        if (nl)
            k = (size_t)(nl - f->rpos) + 1;
        memcpy(s + n, f->rpos, k);
        f->rpos += k;
        n += (int)k;
        if (nl)
            break;
    }
    __funlock(f);
    if (n == 0)
        return NULL;
    s[n] = 0;
    return s;
}

ssize_t getdelim(char **restrict line, size_t *restrict cap, int delim, FILE *restrict f)
{
    size_t n = 0;
    if (!line || !cap) {
        errno = EINVAL;
        return -1;
    }
    __flock(f);
    for (;;) {
        int c = __fgetc_unlocked(f);
        if (c == EOF)
            break;
        if (n + 2 > *cap || !*line) {
            size_t ncap = *cap < 64 ? 128 : *cap * 2;
            char *p = realloc(*line, ncap);
            if (!p) {
                __funlock(f);
                return -1;
            }
            *line = p;
            *cap = ncap;
        }
        (*line)[n++] = (char)c;
        if (c == delim)
            break;
    }
    __funlock(f);
    if (n == 0)
        return -1;
    (*line)[n] = 0;
    return (ssize_t)n;
}

ssize_t getline(char **restrict line, size_t *restrict cap, FILE *restrict f)
{
    return getdelim(line, cap, '\n', f);
}

void perror(const char *msg)
{
    const char *err = strerror(errno);
    __flock(stderr);
    if (msg && *msg) {
        __fwrite_unlocked(msg, strlen(msg), stderr);
        __fwrite_unlocked(": ", 2, stderr);
    }
    __fwrite_unlocked(err, strlen(err), stderr);
    __fwrite_unlocked("\n", 1, stderr);
    __funlock(stderr);
}
