/*
 * mman.c: address space: mmap/munmap/msync (MMAP takes a struct, docs/ABI.md), the program
 * break (SBRK), which malloc grows, and ALMOS's placement services madvise (MADVISE) and
 * mcntl (PAGEINFO).
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "abi.h"
#include "libc.h"
#include "syscall.h"

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    struct almos_mmap m = { addr, len, prot, flags, fd, (uint32_t)off };
    long r = __sys1(SYS_MMAP, &m);
    return r == -1 ? MAP_FAILED : (void *)r;
}

int munmap(void *addr, size_t len)
{
    return (int)__sys2(SYS_MUNMAP, addr, len);
}

int msync(void *addr, size_t len, int flags)
{
    return (int)__sys3(SYS_MSYNC, addr, len, flags);
}

int madvise(void *addr, size_t len, int advice)
{
    return (int)__sys3(SYS_MADVISE, addr, len, advice);
}

int mcntl(int op, void *vaddr, size_t len, minfo_t *info)
{
    return (int)__sys(SYS_PAGEINFO, op, (long)vaddr, (long)len, (long)info);
}

void *__sbrk(intptr_t inc)
{
    int err;
    long r = __syscall1(SYS_SBRK, inc, &err);
    if (err) {
        errno = err;
        return (void *)-1;
    }
    return (void *)r;
}

void *sbrk(intptr_t inc)
{
    return __sbrk(inc);
}

int brk(void *addr)
{
    char *cur = __sbrk(0);
    if (cur == (void *)-1)
        return -1;
    return __sbrk((char *)addr - cur) == (void *)-1 ? -1 : 0;
}
