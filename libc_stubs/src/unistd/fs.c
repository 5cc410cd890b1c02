/*
 * fs.c: file system calls: stat, fstat, mkdir, unlink, rmdir, chdir, getcwd,
 * access, dup, and the directory streams (opendir, readdir, closedir).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi.h"
#include "syscall.h"

static void from_almos(struct stat *st, const struct almos_stat *a)
{
    memset(st, 0, sizeof *st);
    st->st_dev = a->st_dev;
    st->st_ino = a->st_ino;
    st->st_mode = a->st_mode;
    st->st_nlink = a->st_nlink;
    st->st_size = (off_t)a->st_size;
    st->st_blksize = (blksize_t)a->st_blksize;
    st->st_blocks = (blkcnt_t)a->st_blocks;
    st->st_mtime = st->st_atime = st->st_ctime = (time_t)a->st_mtime;
}

int stat(const char *path, struct stat *st)
{
    struct almos_stat a;
    if (__sys2(SYS_STAT, path, &a) < 0)
        return -1;
    from_almos(st, &a);
    return 0;
}

int lstat(const char *path, struct stat *st)
{
    return stat(path, st);
}

int fstat(int fd, struct stat *st)
{
    struct almos_stat a;
    if (__sys2(SYS_GETATTR, fd, &a) < 0)
        return -1;
    from_almos(st, &a);
    return 0;
}

/* No DUP service: dup2 onto the lowest descriptor that GETATTR calls bad. */
int dup(int fd)
{
    struct almos_stat a;
    int err;
    if (__sys2(SYS_GETATTR, fd, &a) < 0)
        return -1;
    for (int n = 0; n < 1024; n++) {
        __syscall2(SYS_GETATTR, n, &a, &err);
        if (err == EBADF)
            return dup2(fd, n);
    }
    errno = EMFILE;
    return -1;
}

int access(const char *path, int mode)
{
    struct stat st;
    return stat(path, &st);
}

int mkdir(const char *path, mode_t mode)
{
    return (int)__sys2(SYS_MKDIR, path, mode);
}

int mkfifo(const char *path, mode_t mode)
{
    return (int)__sys2(SYS_MKFIFO, path, mode);
}

int unlink(const char *path)
{
    return (int)__sys1(SYS_UNLINK, path);
}

int rmdir(const char *path)
{
    return (int)__sys1(SYS_RMDIR, path);
}

int chdir(const char *path)
{
    return (int)__sys1(SYS_CHDIR, path);
}

/* As glibc: a NULL buffer is allocated (size 0: as large as needed). */
char *getcwd(char *buf, size_t size)
{
    char tmp[4096];
    if (!buf) {
        if (__sys2(SYS_GETCWD, tmp, sizeof tmp) < 0)
            return NULL;
        if (size && strlen(tmp) >= size) {
            errno = ERANGE;
            return NULL;
        }
        return strdup(tmp);
    }
    if (size == 0) {
        errno = EINVAL;
        return NULL;
    }
    return __sys2(SYS_GETCWD, buf, size) < 0 ? NULL : buf;
}

mode_t umask(mode_t mask)
{
    return 022;
}

int chmod(const char *path, mode_t mode)
{
    return (int)__sys2(SYS_CHMOD, path, mode);
}

struct __dirstream {
    int fd;
    struct dirent ent;
};

DIR *opendir(const char *path)
{
    DIR *d = malloc(sizeof *d);
    if (!d)
        return NULL;
    d->fd = (int)__sys1(SYS_OPENDIR, path);
    if (d->fd < 0) {
        free(d);
        return NULL;
    }
    return d;
}

struct dirent *readdir(DIR *d)
{
    struct almos_dirent a;
    memset(&a, 0, sizeof a);
    if (__sys2(SYS_READDIR, d->fd, &a) <= 0)
        return NULL;            /* 0: the end, errno unchanged */
    d->ent.d_ino = a.d_ino;
    d->ent.d_type = a.d_type;
    memcpy(d->ent.d_name, a.d_name, sizeof a.d_name);
    d->ent.d_name[sizeof a.d_name] = 0;
    return &d->ent;
}

int closedir(DIR *d)
{
    int r = (int)__sys1(SYS_CLOSEDIR, d->fd);
    free(d);
    return r;
}

int dirfd(DIR *d)
{
    return d->fd;
}
