/*
 * exit.c: process termination: exit (atexit handlers, destructors, stdio flush),
 * _Exit/_exit, abort, and assert's failure report.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libc.h"
#include "syscall.h"

#define ATEXIT_MAX 64
#define ABORT_STATUS (128 + SIGABRT)

extern void (*__fini_array_start[])(void);
extern void (*__fini_array_end[])(void);

static void (*handlers[ATEXIT_MAX])(void);
static int nhandlers;
static volatile int atexit_lock;

int atexit(void (*fn)(void))
{
    int r = -1;
    __lock(&atexit_lock);
    if (nhandlers < ATEXIT_MAX) {
        handlers[nhandlers++] = fn;
        r = 0;
    }
    __unlock(&atexit_lock);
    return r;
}

_Noreturn void exit(int status)
{
    /* Handlers may call atexit themselves: take them one at a time. */
    for (;;) {
        __lock(&atexit_lock);
        void (*fn)(void) = nhandlers ? handlers[--nhandlers] : NULL;
        __unlock(&atexit_lock);
        if (!fn)
            break;
        fn();
    }
    size_t n = (size_t)(__fini_array_end - __fini_array_start);
    while (n)
        __fini_array_start[--n]();
    __stdio_flush_all();
    _Exit(status);
}

_Noreturn void _Exit(int status)
{
    __sys_noreturn(SYS_EXIT, status);
}

_Noreturn void _exit(int status)
{
    __sys_noreturn(SYS_EXIT, status);
}

/*
 * abort: no signal handlers exist on ALMOS, so the report is ours. The process is
 * killed with SIGABRT; should KILL fail, it exits with status 134 (128 + SIGABRT),
 * the status a shell reports for a SIGABRT death.
 */
_Noreturn void abort(void)
{
    static const char msg[] = "Aborted\n";
    int err;
    __syscall3(SYS_WRITE, 2, msg, sizeof msg - 1, &err);
    long pid = __syscall0(SYS_GETPID, &err);
    if (!err)
        __syscall2(SYS_KILL, pid, SIGABRT, &err);
    __sys_noreturn(SYS_EXIT, ABORT_STATUS);
}

_Noreturn void __assert_fail(const char *expr, const char *file, unsigned line,
                             const char *func)
{
    fflush(stdout);
    fprintf(stderr, "%s%s%s:%u: %s%sAssertion `%s' failed.\n", __progname,
            *__progname ? ": " : "", file, line, func ? func : "", func ? ": " : "", expr);
    abort();
}
