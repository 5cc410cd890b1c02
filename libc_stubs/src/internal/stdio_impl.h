/*
 * stdio_impl.h: the FILE structure and the unlocked operations the stdio files share.
 *
 * A stream is either reading (buffered bytes in [rpos, rend)) or writing (pending
 * bytes in [buf, wpos)), never both; switching flushes. Every public function takes
 * the stream's lock (recursive, so that flockfile() nests), then works unlocked.
 */
#ifndef _INTERNAL_STDIO_IMPL_H
#define _INTERNAL_STDIO_IMPL_H
#include <stdio.h>

enum {
    FS_READ = 1,                /* opened for reading */
    FS_WRITE = 2,               /* opened for writing */
    FS_APPEND = 4,
    FS_EOF = 8,
    FS_ERR = 16,
    FS_OWNBUF = 32,             /* buf was malloc'ed by stdio */
    FS_STATIC = 64,             /* stdin/stdout/stderr: never freed */
};

#define UNGET 8                 /* room kept in front of the read buffer for ungetc */

struct _FILE {
    int fd;
    int flags;
    int mode;                   /* _IOFBF, _IOLBF, _IONBF */
    unsigned char *buf;         /* the buffer proper starts at buf + UNGET */
    size_t size;                /* bytes after the UNGET room */
    unsigned char *rpos, *rend; /* reading: unread bytes */
    unsigned char *wpos;        /* writing: end of the pending bytes, or NULL */
    volatile int lock;
    void *owner;                /* the owning thread's TLS block, while locked */
    int count;                  /* lock depth */
    struct _FILE *next;         /* every open stream, for exit's flush */
};

void __flock(FILE *f);
void __funlock(FILE *f);
int __fflush_unlocked(FILE *f);
size_t __fwrite_unlocked(const void *p, size_t n, FILE *f);
int __fgetc_unlocked(FILE *f);
int __fmode(const char *mode, int *oflags);
FILE *__fopen_fd(int fd, int flags);
#endif
