/*
 * linux_shim.c: the ALMOS services of docs/ABI.md emulated with Linux (MIPS o32)
 * system calls, so that programs linked with libc_stubs run under qemu-mipsel.
 *
 * Test builds only: the library is compiled with -DLIBC_LINUX_SHIM, which routes every
 * `syscall` of src/internal/syscall.h here. Single-threaded programs only: CREATE and
 * the blocking synchronisation services answer ENOSYS.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "abi.h"
#include "syscall.h"

/* Linux o32 numbers (asm/unistd_o32.h: __NR_Linux = 4000). */
enum {
    L_FORK = 4002, L_READ = 4003, L_WRITE = 4004, L_OPEN = 4005, L_CLOSE = 4006,
    L_UNLINK = 4010, L_EXECVE = 4011, L_CHDIR = 4012, L_LSEEK = 4019, L_GETPID = 4020,
    L_KILL = 4037, L_MKDIR = 4039, L_RMDIR = 4040, L_PIPE = 4042, L_BRK = 4045,
    L_DUP2 = 4063, L_MUNMAP = 4091, L_WAIT4 = 4114, L_FSYNC = 4118, L_YIELD = 4162,
    L_NANOSLEEP = 4166, L_GETCWD = 4203, L_MMAP2 = 4210, L_STAT64 = 4213,
    L_FSTAT64 = 4215, L_GETTID = 4222, L_EXIT_GROUP = 4246, L_CLOCK_GETTIME = 4263,
    L_SET_THREAD_AREA = 4283,
};

struct linux_stat64 {
    unsigned long st_dev, st_pad0[3];
    unsigned long long st_ino;
    unsigned st_mode, st_nlink, st_uid, st_gid;
    unsigned long st_rdev, st_pad1[3];
    long long st_size;
    long st_atime;
    unsigned long st_atime_nsec;
    long st_mtime;
    unsigned long st_mtime_nsec;
    long st_ctime;
    unsigned long st_ctime_nsec;
    unsigned long st_blksize, st_pad2;
    long long st_blocks;
};

/* MIPS Linux numbers its errors from 35 up differently from docs/ABI.md. */
static int errno_from_mips(int e)
{
    switch (e) {
    case 45: return EDEADLK;
    case 46: return ENOLCK;
    case 78: return ENAMETOOLONG;
    case 89: return ENOSYS;
    case 90: return ELOOP;
    case 93: return ENOTEMPTY;
    case 122: return ENOTSUP;
    case 145: return ETIMEDOUT;
    default: return e;
    }
}

/* A Linux system call: the result, or -1 with *err set; *second gets $v1. */
static long lsys(long n, long a, long b, long c, long d, long e, long f, int *err,
                 long *second)
{
    register long v0 __asm__("$2") = n;
    register long v1 __asm__("$3");
    register long a0 __asm__("$4") = a;
    register long a1 __asm__("$5") = b;
    register long a2 __asm__("$6") = c;
    register long a3 __asm__("$7") = d;
    __asm__ volatile("addiu $sp, $sp, -32\n\t"
                     "sw %[e], 16($sp)\n\t"
                     "sw %[f], 20($sp)\n\t"
                     "syscall\n\t"
                     "addiu $sp, $sp, 32"
                     : "+r"(v0), "=r"(v1), "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3)
                     : [e] "r"(e), [f] "r"(f)
                     : "$1", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15", "$24",
                       "$25", "hi", "lo", "memory");
    if (second)
        *second = v1;
    if (a3) {
        *err = errno_from_mips((int)v0);
        return -1;
    }
    *err = 0;
    return v0;
}

#define L0(n) lsys((n), 0, 0, 0, 0, 0, 0, err, 0)
#define L1(n, a) lsys((n), (long)(a), 0, 0, 0, 0, 0, err, 0)
#define L2(n, a, b) lsys((n), (long)(a), (long)(b), 0, 0, 0, 0, err, 0)
#define L3(n, a, b, c) lsys((n), (long)(a), (long)(b), (long)(c), 0, 0, 0, err, 0)

static long stat_out(long r, const struct linux_stat64 *l, struct almos_stat *a)
{
    if (r < 0)
        return r;
    a->st_dev = (uint32_t)l->st_dev;
    a->st_ino = (uint32_t)l->st_ino;
    a->st_mode = l->st_mode;
    a->st_nlink = l->st_nlink;
    a->st_size = (uint32_t)l->st_size;
    a->st_blksize = (uint32_t)l->st_blksize;
    a->st_blocks = (uint32_t)l->st_blocks;
    a->st_mtime = (uint32_t)l->st_mtime;
    return 0;
}

long __linux_shim(long n, long a, long b, long c, long d, int *err)
{
    static long brk_now;
    struct linux_stat64 st;
    long r, second;

    switch (n) {
    case SYS_EXIT:
        return L1(L_EXIT_GROUP, a);
    case SYS_THREAD_EXIT:
        return L1(L_EXIT_GROUP, 0);
    case SYS_READ:
        return L3(L_READ, a, b, c);
    case SYS_WRITE:
        return L3(L_WRITE, a, b, c);
    case SYS_OPEN:
        return L3(L_OPEN, a, b, c);
    case SYS_CREAT:
        return L3(L_OPEN, a, 0x1 | 0x100 | 0x200, b);
    case SYS_CLOSE:
        return L1(L_CLOSE, a);
    case SYS_LSEEK:
        return L3(L_LSEEK, a, b, c);
    case SYS_UNLINK:
        return L1(L_UNLINK, a);
    case SYS_MKDIR:
        return L2(L_MKDIR, a, b);
    case SYS_RMDIR:
        return L1(L_RMDIR, a);
    case SYS_CHDIR:
        return L1(L_CHDIR, a);
    case SYS_GETCWD:
        r = L2(L_GETCWD, a, b);
        return r < 0 ? r : 0;
    case SYS_FSYNC:
        return L1(L_FSYNC, a);
    case SYS_DUP2:
        return L2(L_DUP2, a, b);
    case SYS_PIPE:
        r = lsys(L_PIPE, 0, 0, 0, 0, 0, 0, err, &second);
        if (r < 0)
            return r;
        ((int *)a)[0] = (int)r;
        ((int *)a)[1] = (int)second;
        return 0;
    case SYS_STAT:
        return stat_out(L2(L_STAT64, a, &st), &st, (struct almos_stat *)b);
    case SYS_GETATTR:
        return stat_out(L2(L_FSTAT64, a, &st), &st, (struct almos_stat *)b);
    case SYS_GETPID:
        return L0(L_GETPID);
    case SYS_GETTID:
        return L0(L_GETTID);
    case SYS_KILL:
        return L2(L_KILL, a, b);
    case SYS_FORK:
        return L0(L_FORK);
    case SYS_EXEC:
        return L3(L_EXECVE, a, b, c);
    case SYS_WAIT:
        return lsys(L_WAIT4, a, b, c, 0, 0, 0, err, 0);
    case SYS_YIELD:
        return L0(L_YIELD);
    case SYS_SLEEP: {
        long ts[2] = { (long)((unsigned long)a / 1000000), (long)((unsigned long)a % 1000000) * 1000 };
        return L2(L_NANOSLEEP, ts, 0) < 0 ? -1 : 0;
    }
    case SYS_CLOCK: {           /* 100 MHz cycles from CLOCK_MONOTONIC */
        long ts[2];
        if (L2(L_CLOCK_GETTIME, 1, ts) < 0)
            return -1;
        *(uint64_t *)a = (uint64_t)ts[0] * 100000000u + (uint64_t)ts[1] / 10;
        return 0;
    }
    case SYS_UTLS:
        if (a == UTLS_OP_SET)
            return L1(L_SET_THREAD_AREA, b);
        *err = ENOSYS;
        return -1;
    case SYS_SBRK:              /* SBRK returns the old break; Linux brk the new one */
        if (!brk_now)
            brk_now = L1(L_BRK, 0);
        r = L1(L_BRK, brk_now + a);
        if (r != brk_now + a) {
            *err = ENOMEM;
            return -1;
        }
        r = brk_now;
        brk_now += a;
        *err = 0;
        return r;
    case SYS_MMAP: {
        struct almos_mmap *m = (struct almos_mmap *)a;
        return lsys(L_MMAP2, (long)m->addr, (long)m->length, m->prot, m->flags, m->fd,
                    (long)(m->offset >> 12), err, 0);
    }
    case SYS_MUNMAP:
        return L2(L_MUNMAP, a, b);
    case SYS_GET_CONFIG:
        *(unsigned *)a = *(unsigned *)b = *(unsigned *)c = 1;
        *err = 0;
        return 0;
    case SYS_GET_CORE:
        *(unsigned *)a = *(unsigned *)b = 0;
        *err = 0;
        return 0;
    case SYS_MUTEX:             /* one thread: contention cannot happen */
        *err = b == MUTEX_OP_LOCK ? EDEADLK : 0;
        return *err ? -1 : 0;
    default:
        *err = ENOSYS;
        return -1;
    }
}
