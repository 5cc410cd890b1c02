/*
 * file.c: streams: the three standard ones, opening and closing, buffering modes,
 * locking, flushing (one stream or all), and positioning.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libc.h"
#include "stdio_impl.h"

#define STD_BUFSIZ 1024

static unsigned char inbuf[UNGET + STD_BUFSIZ], outbuf[UNGET + STD_BUFSIZ];

static struct _FILE std_err = {
    .fd = 2, .flags = FS_WRITE | FS_STATIC, .mode = _IONBF,
};
static struct _FILE std_out = {
    .fd = 1, .flags = FS_WRITE | FS_STATIC, .mode = _IOLBF,
    .buf = outbuf, .size = STD_BUFSIZ, .next = &std_err,
};
static struct _FILE std_in = {
    .fd = 0, .flags = FS_READ | FS_STATIC, .mode = _IOLBF,
    .buf = inbuf, .size = STD_BUFSIZ, .next = &std_out,
};

FILE *const stdin = &std_in;
FILE *const stdout = &std_out;
FILE *const stderr = &std_err;

static FILE *files = &std_in;   /* the list of open streams */
static volatile int files_lock;

void __flock(FILE *f)
{
    void *me = __tls();
    if (f->owner == me) {
        f->count++;
        return;
    }
    __lock(&f->lock);
    f->owner = me;
    f->count = 1;
}

void __funlock(FILE *f)
{
    if (--f->count == 0) {
        f->owner = NULL;
        __unlock(&f->lock);
    }
}

void flockfile(FILE *f)
{
    __flock(f);
}

void funlockfile(FILE *f)
{
    __funlock(f);
}

/* Writes the pending bytes; a reading stream gives back what it read ahead. */
int __fflush_unlocked(FILE *f)
{
    if (f->wpos) {
        unsigned char *p = f->buf + UNGET;
        if (f->flags & FS_APPEND)
            lseek(f->fd, 0, SEEK_END);
        while (p < f->wpos) {
            ssize_t k = write(f->fd, p, (size_t)(f->wpos - p));
            if (k <= 0) {
                f->flags |= FS_ERR;
                f->wpos = NULL;
                return EOF;
            }
            p += k;
        }
        f->wpos = NULL;
    } else if (f->rpos && f->rpos < f->rend) {
        lseek(f->fd, -(off_t)(f->rend - f->rpos), SEEK_CUR);
    }
    f->rpos = f->rend = NULL;
    return 0;
}

int fflush(FILE *f)
{
    if (!f) {
        __stdio_flush_all();
        return 0;
    }
    __flock(f);
    int r = __fflush_unlocked(f);
    __funlock(f);
    return r;
}

void __stdio_flush_all(void)
{
    __lock(&files_lock);
    for (FILE *f = files; f; f = f->next)
        if (f->wpos)
            fflush(f);
    __unlock(&files_lock);
}

/* Before a read from a terminal, the prompt on stdout must be out. */
void __stdio_flush_linebuffered(void)
{
    if (std_out.wpos)
        fflush(&std_out);
}

int __fmode(const char *mode, int *oflags)
{
    int flags;
    switch (*mode) {
    case 'r': flags = FS_READ; *oflags = O_RDONLY; break;
    case 'w': flags = FS_WRITE; *oflags = O_WRONLY | O_CREAT | O_TRUNC; break;
    case 'a': flags = FS_WRITE | FS_APPEND; *oflags = O_WRONLY | O_CREAT | O_APPEND; break;
    default: errno = EINVAL; return -1;
    }
    for (mode++; *mode; mode++) {
        if (*mode == '+') {
            flags |= FS_READ | FS_WRITE;
            *oflags = (*oflags & ~O_ACCMODE) | O_RDWR;
        } else if (*mode == 'x') {
            *oflags |= O_EXCL;
        }
    }
    return flags;
}

FILE *__fopen_fd(int fd, int flags)
{
    FILE *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->fd = fd;
    f->flags = flags;
    f->mode = _IOFBF;
    __lock(&files_lock);
    f->next = files;
    files = f;
    __unlock(&files_lock);
    return f;
}

FILE *fopen(const char *restrict path, const char *restrict mode)
{
    int oflags, flags = __fmode(mode, &oflags);
    if (flags < 0)
        return NULL;
    int fd = open(path, oflags, 0666);
    if (fd < 0)
        return NULL;
    FILE *f = __fopen_fd(fd, flags);
    if (!f)
        close(fd);
    return f;
}

FILE *fdopen(int fd, const char *mode)
{
    int oflags, flags = __fmode(mode, &oflags);
    return flags < 0 ? NULL : __fopen_fd(fd, flags);
}

FILE *freopen(const char *restrict path, const char *restrict mode, FILE *restrict f)
{
    int oflags, flags = __fmode(mode, &oflags);
    if (flags < 0 || !path) {
        errno = EINVAL;
        return NULL;
    }
    __flock(f);
    __fflush_unlocked(f);
    close(f->fd);
    int fd = open(path, oflags, 0666);
    if (fd >= 0 && fd != f->fd) {
        dup2(fd, f->fd);        /* keep the descriptor: stdout stays fd 1 */
        close(fd);
    }
    f->flags = (f->flags & (FS_OWNBUF | FS_STATIC)) | flags;
    __funlock(f);
    return fd < 0 ? NULL : f;
}

int fclose(FILE *f)
{
    __flock(f);
    int r = __fflush_unlocked(f);
    if (close(f->fd) < 0)
        r = EOF;
    __funlock(f);
    if (f->flags & FS_STATIC)
        return r;
    __lock(&files_lock);
    for (FILE **p = &files; *p; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            break;
        }
    __unlock(&files_lock);
    if (f->flags & FS_OWNBUF)
        free(f->buf);
    free(f);
    return r;
}

int setvbuf(FILE *restrict f, char *restrict buf, int mode, size_t size)
{
    if (mode != _IOFBF && mode != _IOLBF && mode != _IONBF)
        return -1;
    __flock(f);
    __fflush_unlocked(f);
    f->mode = mode;
    if (buf && size > UNGET) {  /* the caller's buffer, less our ungetc room */
        if (f->flags & FS_OWNBUF)
            free(f->buf);
        f->flags &= ~FS_OWNBUF;
        f->buf = (unsigned char *)buf;
        f->size = size - UNGET;
    }
    __funlock(f);
    return 0;
}

void setbuf(FILE *restrict f, char *restrict buf)
{
    setvbuf(f, buf, buf ? _IOFBF : _IONBF, BUFSIZ);
}

void setlinebuf(FILE *f)
{
    setvbuf(f, NULL, _IOLBF, 0);
}

int fseek(FILE *f, long off, int whence)
{
    __flock(f);
    int r = 0;
    if (whence == SEEK_CUR && f->rpos)
        off -= (long)(f->rend - f->rpos);   /* relative to what the reader saw */
    if (f->wpos && __fflush_unlocked(f) < 0)
        r = -1;
    f->rpos = f->rend = NULL;
    if (r == 0 && lseek(f->fd, off, whence) < 0)
        r = -1;
    if (r == 0)
        f->flags &= ~FS_EOF;
    __funlock(f);
    return r;
}

long ftell(FILE *f)
{
    __flock(f);
    long pos = lseek(f->fd, 0, SEEK_CUR);
    if (pos >= 0) {
        if (f->rpos)
            pos -= (long)(f->rend - f->rpos);
        else if (f->wpos)
            pos += (long)(f->wpos - (f->buf + UNGET));
    }
    __funlock(f);
    return pos;
}

void rewind(FILE *f)
{
    fseek(f, 0, SEEK_SET);
    __flock(f);
    f->flags &= ~FS_ERR;
    __funlock(f);
}

int fgetpos(FILE *restrict f, fpos_t *restrict pos)
{
    long p = ftell(f);
    if (p < 0)
        return -1;
    *pos = p;
    return 0;
}

int fsetpos(FILE *f, const fpos_t *pos)
{
    return fseek(f, *pos, SEEK_SET);
}

int feof(FILE *f)
{
    return !!(f->flags & FS_EOF);
}

int ferror(FILE *f)
{
    return !!(f->flags & FS_ERR);
}

void clearerr(FILE *f)
{
    __flock(f);
    f->flags &= ~(FS_EOF | FS_ERR);
    __funlock(f);
}

int fileno(FILE *f)
{
    return f->fd;
}

int remove(const char *path)
{
    if (unlink(path) == 0)
        return 0;
    int err = errno;
    if (rmdir(path) == 0)
        return 0;
    errno = err;
    return -1;
}

int rename(const char *from, const char *to)
{
    errno = ENOSYS;             /* no RENAME service */
    return -1;
}
