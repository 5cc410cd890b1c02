/* Calls every system call number with hostile arguments: the kernel must answer each one
 * (a result or an errno), never crash; the program then exits 0. Numbers that end or
 * replace the process (exit, thread_exit, exec, kill, fork) are left out.
 * Every answer follows docs/ABI.md: $v1 is 0, or $v0 is -1 and $v1 one of the documented
 * errnos. Then classes of input whose errno the ABI fixes: unknown numbers ENOSYS, a
 * descriptor that is not open EBADF, a pointer outside the caller's memory EFAULT. Each
 * departure is printed ("errno: ..."), then "errno checks: N, wrong W". */
#include <stdio.h>

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
    sys4(15, 50, (long)text, n, 0);
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
    static const long unknown[] = {28, 29, 33, 40, 41, 43, 57, 60, 79, 1000, -1};
    static const long bad_fds[] = {-1, 49, 99, 1 << 20};
    static const long bad_ptrs[] = {0, 0x10, (long)0x80000000u, (long)0xfffff000u};
    for (unsigned i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        expect(ENOSYS, unknown[i], 1, (long)buf, 2);
    for (unsigned i = 0; i < sizeof bad_fds / sizeof bad_fds[0]; i++) {
        long fd = bad_fds[i];
        expect(EBADF, 14, fd, (long)buf, 8);            /* read */
        expect(EBADF, 15, fd, (long)buf, 8);            /* write */
        expect(EBADF, 16, fd, 0, 0);                    /* lseek */
        expect(EBADF, 17, fd, 0, 0);                    /* close */
        expect(EBADF, 38, fd, (long)buf, 0);            /* getattr */
        expect(EBADF, 51, fd, 0, 0);                    /* fsync */
    }
    for (unsigned i = 0; i < sizeof bad_ptrs / sizeof bad_ptrs[0]; i++) {
        long p = bad_ptrs[i];
        expect(EFAULT, 12, p, 0, 0);                    /* open(path) */
        expect(EFAULT, 13, p, 0644, 0);                 /* creat(path) */
        expect(EFAULT, 18, p, 0, 0);                    /* unlink(path) */
        expect(EFAULT, 20, p, 0, 0);                    /* chdir(path) */
        expect(EFAULT, 21, p, 0755, 0);                 /* mkdir(path) */
        expect(EFAULT, 42, p, (long)buf, 0);            /* stat(path, ...) */
        expect(EFAULT, 52, p, 0, 0);                    /* rmdir(path) */
        expect(EFAULT, 15, 50, p, 8);                   /* write(fd, buf) */
        expect(EFAULT, 38, 50, p, 0);                   /* getattr(fd, out) */
        expect(EFAULT, 19, p, 0, 0);                    /* pipe(out) */
        expect(EFAULT, 26, p, 64, 0);                   /* getcwd(buf) */
        expect(EFAULT, 27, p, 0, 0);                    /* clock(out) */
        if (p == 0)
            continue;                                   /* NULL: "not wanted" below */
        expect(EFAULT, 47, p, (long)buf, (long)buf);    /* get_config(out) */
        expect(EFAULT, 48, p, (long)buf, 0);            /* get_core(out) */
    }
}

static void idle_thread(void) { sys4(49, 0, 0, 0, 0); }

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
    sys4(53, 1, 50, 0, 0);                 /* dup2(1, 50): the fuzzing may close 0..4 */
    for (int nr = 0; nr < 80; nr++) {
        if (nr == 0 || nr == 49 || nr == 37 || nr == 34 || nr == 36 || nr == 10 || nr == 31)
            continue;   /* exit, thread_exit, exec, kill, fork, sleep (forever), sigreturn */
        for (int i = 0; i < 60; i++) {
            long a = vals[rnd() % nv], b = vals[rnd() % nv], c = vals[rnd() % nv];
            long d = vals[rnd() % nv];
            if ((nr == 3 || nr == 46) && i % 2 == 0)
                continue;                  /* join/wait may legitimately block: fewer */
            if (nr == 14 && (a == 0))
                a = 99;                    /* read(0) would wait for input */
            if (nr == 2)
                c = (long)idle_thread;     /* thread create: a real start routine */
            if (nr == 6 || nr == 7 || nr == 8 || nr == 9 || nr == 50)
                a = bad[rnd() % nbad];     /* sync objects that could block: bad addresses */
            check_shape(nr, sys4(nr, a, b, c, d));
            calls++;
        }
    }
    char line[64];
    int n = snprintf(line, sizeof line, "fuzz: %ld calls answered\n", calls);
    sys4(15, 50, (long)line, n, 0);
    sys4(53, 50, 1, 0, 0);                 /* dup2(50, 1): printf's stdout again */
    for (int fd = 3; fd < 50; fd++)        /* what the fuzzing opened: the fds are bad now */
        sys4(17, fd, 0, 0, 0);
    classes();
    n = snprintf(line, sizeof line, "errno checks: %ld, wrong %ld\n", checks, wrong);
    sys4(15, 50, (long)line, n, 0);
    return 0;
}
