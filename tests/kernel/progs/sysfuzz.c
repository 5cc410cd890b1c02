/* Calls every system call number with hostile arguments: the kernel must answer each one
 * (a result or an errno), never crash; the program then exits 0. Numbers that end or
 * replace the process (exit, thread_exit, exec, kill, fork) are left out. The names are libc's
 * (libc_stubs/src/internal/syscall.h, on the include path). */
#include <stdio.h>

#include "syscall.h"

static long sys4(long nr, long a, long b, long c, long d)
{
    register long v0 asm("$2") = nr;
    register long a0 asm("$4") = a;
    register long a1 asm("$5") = b;
    register long a2 asm("$6") = c;
    register long a3 asm("$7") = d;
    asm volatile("syscall" : "+r"(v0), "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3)
                 : : "$3", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15", "$24", "$25",
                   "hi", "lo", "memory");
    return v0;
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
    sys4(SYS_DUP2, 1, 50, 0, 0);           /* dup2(1, 50): the fuzzing may close 0..4 */
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
            sys4(nr, a, b, c, d);
            calls++;
        }
    }
    char line[64];
    int n = snprintf(line, sizeof line, "fuzz: %ld calls answered\n", calls);
    sys4(SYS_WRITE, 50, (long)line, n, 0);
    return 0;
}
