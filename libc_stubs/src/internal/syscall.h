/*
 * syscall.h: the system call numbers of docs/ABI.md and the inline `syscall` stubs.
 *
 * $v0 = number, $a0..$a3 = arguments; the kernel returns the result in $v0 and the
 * errno in $v1 (0 on success) and preserves every other register. __syscallN returns
 * the result and stores $v1 in *err; __sys() (syscall.c) turns that into errno / -1.
 */
#ifndef _INTERNAL_SYSCALL_H
#define _INTERNAL_SYSCALL_H

/* 0..48 are ALMOS-MK's numbers (kernel/kern/syscall.h); the project's own follow. */
enum {
    SYS_EXIT = 0, SYS_MMAP = 1, SYS_CREATE = 2, SYS_JOIN = 3, SYS_DETACH = 4,
    SYS_YIELD = 5, SYS_SEMAPHORE = 6, SYS_COND_VAR = 7, SYS_BARRIER = 8, SYS_RWLOCK = 9,
    SYS_SLEEP = 10, SYS_WAKEUP = 11, SYS_OPEN = 12, SYS_CREAT = 13, SYS_READ = 14,
    SYS_WRITE = 15, SYS_LSEEK = 16, SYS_CLOSE = 17, SYS_UNLINK = 18, SYS_PIPE = 19,
    SYS_CHDIR = 20, SYS_MKDIR = 21, SYS_MKFIFO = 22, SYS_OPENDIR = 23, SYS_READDIR = 24,
    SYS_CLOSEDIR = 25, SYS_GETCWD = 26, SYS_CLOCK = 27, SYS_UTLS = 30, SYS_SIGNAL = 32, SYS_KILL = 34,
    SYS_GETPID = 35, SYS_FORK = 36, SYS_EXEC = 37, SYS_GETATTR = 38, SYS_PS = 39,
    SYS_MADVISE = 40, SYS_PAGEINFO = 41,
    SYS_STAT = 42, SYS_SBRK = 44, SYS_RMDIR = 45, SYS_FTIME = 46, SYS_CHMOD = 47, SYS_FSYNC = 48,
    SYS_MUNMAP = 49, SYS_WAIT = 50, SYS_GET_CONFIG = 51, SYS_GET_CORE = 52,
    SYS_THREAD_EXIT = 53, SYS_MUTEX = 54, SYS_DUP2 = 55, SYS_MEMC = 56, SYS_GETTID = 57,
    SYS_THREAD_INFO = 58, SYS_MSYNC = 59,
    SYS_MIGRATE = 43, SYS_FORK_PLACE = 100,
};

/* Operations of the multiplexed services. */
enum { SEM_OP_INIT, SEM_OP_WAIT, SEM_OP_POST, SEM_OP_GETVALUE, SEM_OP_DESTROY, SEM_OP_TRYWAIT };
enum { COND_OP_INIT, COND_OP_WAIT, COND_OP_SIGNAL, COND_OP_BROADCAST, COND_OP_DESTROY };
enum { BARRIER_OP_INIT, BARRIER_OP_WAIT, BARRIER_OP_DESTROY };
enum { RW_OP_INIT, RW_OP_RDLOCK, RW_OP_WRLOCK, RW_OP_UNLOCK, RW_OP_DESTROY,
       RW_OP_TRYRDLOCK, RW_OP_TRYWRLOCK };
enum { MUTEX_OP_INIT, MUTEX_OP_LOCK, MUTEX_OP_UNLOCK, MUTEX_OP_DESTROY };
enum { UTLS_OP_SET, UTLS_OP_GET };
enum { MEMC_OP_ROI_BEGIN, MEMC_OP_ROI_END, MEMC_OP_READ };
enum { FORK_OP_SET_INFO, FORK_OP_SET_CPU, FORK_OP_GET_CPU };

#ifdef LIBC_LINUX_SHIM
/*
 * Test builds only (tests/libc/shim): the services are emulated with Linux system
 * calls, so that the whole library can run under qemu-mipsel before the kernel can.
 */
long __linux_shim(long n, long a, long b, long c, long d, int *err);
static inline long __syscall4(long n, long a, long b, long c, long d, int *err)
{
    return __linux_shim(n, a, b, c, d, err);
}
#else
static inline long __syscall4(long n, long a, long b, long c, long d, int *err)
{
    register long v0 __asm__("$2") = n;
    register long v1 __asm__("$3");
    register long a0 __asm__("$4") = a;
    register long a1 __asm__("$5") = b;
    register long a2 __asm__("$6") = c;
    register long a3 __asm__("$7") = d;
    __asm__ volatile("syscall"
                     : "+r"(v0), "=r"(v1)
                     : "r"(a0), "r"(a1), "r"(a2), "r"(a3)
                     : "memory");
    *err = (int)v1;
    return v0;
}
#endif

#define __syscall0(n, e)          __syscall4((n), 0, 0, 0, 0, (e))
#define __syscall1(n, a, e)       __syscall4((n), (long)(a), 0, 0, 0, (e))
#define __syscall2(n, a, b, e)    __syscall4((n), (long)(a), (long)(b), 0, 0, (e))
#define __syscall3(n, a, b, c, e) __syscall4((n), (long)(a), (long)(b), (long)(c), 0, (e))

/* A system call in the C library's convention: the result, or -1 with errno set. */
long __sys(long n, long a, long b, long c, long d);
#define __sys0(n)          __sys((n), 0, 0, 0, 0)
#define __sys1(n, a)       __sys((n), (long)(a), 0, 0, 0)
#define __sys2(n, a, b)    __sys((n), (long)(a), (long)(b), 0, 0)
#define __sys3(n, a, b, c) __sys((n), (long)(a), (long)(b), (long)(c), 0)

/* A call that never returns (EXIT, THREAD_EXIT). */
_Noreturn void __sys_noreturn(long n, long a);

#endif
