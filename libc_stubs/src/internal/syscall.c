/*
 * syscall.c: the library's system call entry: turns the kernel's ($v0, $v1) pair
 * into the C convention (result, or -1 with errno = $v1), and the per-thread errno.
 */
#include <errno.h>

#include "libc.h"
#include "syscall.h"

int *__errno_location(void)
{
    return &__tls()->errno_val;
}

long __sys(long n, long a, long b, long c, long d)
{
    int err;
    long r = __syscall4(n, a, b, c, d, &err);
    if (err) {
        errno = err;
        return -1;
    }
    return r;
}

_Noreturn void __sys_noreturn(long n, long a)
{
    int err;
    for (;;)
        __syscall1(n, a, &err);
}
