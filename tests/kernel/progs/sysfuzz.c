/* Calls every system call number with hostile arguments: the kernel must answer each one
 * (a result or an errno), never crash; the program then exits 0. Numbers that end or
 * replace the process (exit, thread_exit, exec, kill, fork) are left out.
 * Every answer follows docs/ABI.md: $v1 is 0, or $v0 is -1 and $v1 one of the documented
 * errnos. Then classes of input whose errno the ABI fixes: unknown numbers ENOSYS, a
 * descriptor that is not open EBADF, a pointer outside the caller's memory EFAULT. Each
 * departure is printed ("errno: ..."), then "errno checks: N, wrong W". */
#include <stdio.h>

#include "syscall.h"                  /* libc's numbers (src/internal, on the path) */

static long last_err;                  /* $v1 of the last call */

static long sys4(long nr, long a, long b, long c, long d)
{
    register long v0 asm("$2") = nr;
    register long a0 asm("$4") = a;
    register long a1 asm("$5") = b;
    register long a2 asm("$6") = c;
    register long a3 asm("$7") = d;
    register long v1 asm("$3");
    asm volatile("syscall" : "+r"(v0), "=r"(v1), "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3)
                 : : "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15", "$24", "$25",
                   "hi", "lo", "memory");
    last_err = v1;
    return v0;
}

static const long documented[] = {1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14, 16, 17, 20, 21, 22,
                                  24, 28, 29, 32, 34, 35, 36, 38, 39};
static long checks, wrong;
static char msg[128];

static void say(const char *text, int n)
{
    sys4(SYS_WRITE, 50, (long)text, n, 0);
}

/* The answer of the last call follows the calling convention. */
static void check_shape(long nr, long v0)
{
    int ok = last_err == 0;
    for (unsigned i = 0; !ok && i < sizeof documented / sizeof documented[0]; i++)
        ok = last_err == documented[i] && v0 == -1;
    checks++;
    if (!ok) {
        wrong++;
        say(msg, snprintf(msg, sizeof msg, "errno: nr %ld gave v0 %ld v1 %ld\n", nr, v0,
                          last_err));
    }
}

/* The call must fail with errno `want`. */
static void expect(long want, long nr, long a, long b, long c)
{
    long v0 = sys4(nr, a, b, c, 0);
    checks++;
    if (v0 != -1 || last_err != want) {
        wrong++;
        say(msg, snprintf(msg, sizeof msg, "errno: nr %ld (%#lx, %#lx, %#lx) gave v0 %ld "
                          "v1 %ld, want %ld\n", nr, a, b, c, v0, last_err, want));
    }
}

enum { EBADF = 9, EFAULT = 14, ENOSYS = 38 };

static void classes(void)
{
    static char buf[64];
    static const long unknown[] = {28, 29, 33, 60, 61, 79, 1000, -1};
    static const long bad_fds[] = {-1, 49, 99, 1 << 20};
    static const long bad_ptrs[] = {0, 0x10, (long)0x80000000u, (long)0xfffff000u};
    for (unsigned i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        expect(ENOSYS, unknown[i], 1, (long)buf, 2);
    for (unsigned i = 0; i < sizeof bad_fds / sizeof bad_fds[0]; i++) {
        long fd = bad_fds[i];
        expect(EBADF, SYS_READ, fd, (long)buf, 8);            /* read */
        expect(EBADF, SYS_WRITE, fd, (long)buf, 8);            /* write */
        expect(EBADF, SYS_LSEEK, fd, 0, 0);                    /* lseek */
        expect(EBADF, SYS_CLOSE, fd, 0, 0);                    /* close */
        expect(EBADF, SYS_GETATTR, fd, (long)buf, 0);            /* getattr */
        expect(EBADF, SYS_FSYNC, fd, 0, 0);                    /* fsync */
    }
    for (unsigned i = 0; i < sizeof bad_ptrs / sizeof bad_ptrs[0]; i++) {
        long p = bad_ptrs[i];
        expect(EFAULT, SYS_OPEN, p, 0, 0);                    /* open(path) */
        expect(EFAULT, SYS_CREAT, p, 0644, 0);                 /* creat(path) */
        expect(EFAULT, SYS_UNLINK, p, 0, 0);                    /* unlink(path) */
        expect(EFAULT, SYS_CHDIR, p, 0, 0);                    /* chdir(path) */
        expect(EFAULT, SYS_MKDIR, p, 0755, 0);                 /* mkdir(path) */
        expect(EFAULT, SYS_STAT, p, (long)buf, 0);            /* stat(path, ...) */
        expect(EFAULT, SYS_RMDIR, p, 0, 0);                    /* rmdir(path) */
        expect(EFAULT, SYS_WRITE, 50, p, 8);                   /* write(fd, buf) */
        expect(EFAULT, SYS_GETATTR, 50, p, 0);                   /* getattr(fd, out) */
        expect(EFAULT, SYS_PIPE, p, 0, 0);                    /* pipe(out) */
        expect(EFAULT, SYS_GETCWD, p, 64, 0);                   /* getcwd(buf) */
        expect(EFAULT, SYS_CLOCK, p, 0, 0);                    /* clock(out) */
        if (p == 0)
            continue;                                   /* NULL: "not wanted" below */
        expect(EFAULT, SYS_GET_CONFIG, p, (long)buf, (long)buf);    /* get_config(out) */
        expect(EFAULT, SYS_GET_CORE, p, (long)buf, 0);            /* get_core(out) */
    }
}

static void idle_thread(void) { sys4(SYS_THREAD_EXIT, 0, 0, 0, 0); }

static unsigned seed = 12345;
static unsigned rnd(void) { seed = seed * 1103515245u + 12345u; return seed >> 1; }

int main(void)
{
    static char buf[256];
    long vals[] = {0, 1, -1, 2, 3, 4, 0x7fffffff, (long)0x80000000u, 0x400000, 0x10,
                   (long)buf, (long)buf + 1, 0x7ffeff00, 4095, 100000, -4096};
    int nv = sizeof vals / sizeof vals[0];
    long bad[] = {0, 1, -1, 0x10, 0x7fffffff, (long)0x80000000u, 0x400001, 4096};
    int nbad = sizeof bad / sizeof bad[0];
    long calls = 0;
    sys4(SYS_DUP2, 1, 50, 0, 0);              /* dup2(1, 50): the fuzzing may close 0..4 */
    for (int nr = 0; nr < 80; nr++) {
        if (nr == SYS_EXIT || nr == SYS_THREAD_EXIT || nr == SYS_EXEC || nr == SYS_KILL ||
            nr == SYS_FORK || nr == SYS_SLEEP || nr == 31)
            continue;   /* exit, thread_exit, exec, kill, fork, sleep (forever), sigreturn */
        for (int i = 0; i < 60; i++) {
            long a = vals[rnd() % nv], b = vals[rnd() % nv], c = vals[rnd() % nv];
            long d = vals[rnd() % nv];
            if ((nr == SYS_JOIN || nr == SYS_WAIT) && i % 2 == 0)
                continue;                  /* join/wait may legitimately block: fewer */
            if (nr == SYS_READ && (a == 0))
                a = 99;                    /* read(0) would wait for input */
            if (nr == SYS_CREATE)
                c = (long)idle_thread;     /* thread create: a real start routine */
            if (nr == SYS_SEMAPHORE || nr == SYS_COND_VAR || nr == SYS_BARRIER ||
                nr == SYS_RWLOCK || nr == SYS_MUTEX)
                a = bad[rnd() % nbad];     /* sync objects that could block: bad addresses */
            check_shape(nr, sys4(nr, a, b, c, d));
            calls++;
        }
    }
    char line[64];
    int n = snprintf(line, sizeof line, "fuzz: %ld calls answered\n", calls);
    sys4(SYS_WRITE, 50, (long)line, n, 0);
    sys4(SYS_DUP2, 50, 1, 0, 0);              /* dup2(50, 1): printf's stdout again */
    for (int fd = 3; fd < 50; fd++)        /* what the fuzzing opened: the fds are bad now */
        sys4(SYS_CLOSE, fd, 0, 0, 0);
    classes();
    n = snprintf(line, sizeof line, "errno checks: %ld, wrong %ld\n", checks, wrong);
    sys4(SYS_WRITE, 50, (long)line, n, 0);
    return 0;
}
