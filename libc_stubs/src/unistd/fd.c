/*
 * fd.c: file descriptor system calls: open, read, write, lseek, close, pipe, dup2,
 * fsync, isatty.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "syscall.h"

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    return (int)__sys3(SYS_OPEN, path, flags, mode);
}

int creat(const char *path, mode_t mode)
{
    return (int)__sys2(SYS_CREAT, path, mode);
}

ssize_t read(int fd, void *buf, size_t n)
{
    return __sys3(SYS_READ, fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    return __sys3(SYS_WRITE, fd, buf, n);
}

off_t lseek(int fd, off_t off, int whence)
{
    return __sys3(SYS_LSEEK, fd, off, whence);
}

int close(int fd)
{
    return (int)__sys1(SYS_CLOSE, fd);
}

int pipe(int fds[2])
{
    return (int)__sys1(SYS_PIPE, fds);
}

int dup2(int oldfd, int newfd)
{
    return (int)__sys2(SYS_DUP2, oldfd, newfd);
}

int fsync(int fd)
{
    return (int)__sys1(SYS_FSYNC, fd);
}

/* A terminal is a character device; the kernel shows one the host feeds from a pipe or a
 * file as a FIFO, so programs (the shell's prompt) can tell. */
int isatty(int fd)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode))
        return 1;
    errno = ENOTTY;
    return 0;
}

int ftruncate(int fd, off_t len)
{
    errno = ENOSYS;
    return -1;
}
