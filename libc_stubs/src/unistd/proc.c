/*
 * proc.c: processes and scheduling: getpid, fork, the exec family, wait, kill,
 * sleep, sched_yield, sysconf.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libc.h"
#include "syscall.h"

#define EXEC_ARGS_MAX 64
#define EXECVP_PATH "/bin"
#define PAGE_SIZE 4096

pid_t getpid(void)
{
    return (pid_t)__sys0(SYS_GETPID);
}

/* ALMOS has no parent query; init (pid 1) is everyone's ancestor. */
pid_t getppid(void)
{
    return 1;
}

uid_t getuid(void) { return 0; }
uid_t geteuid(void) { return 0; }
gid_t getgid(void) { return 0; }
gid_t getegid(void) { return 0; }

pid_t fork(void)
{
    __stdio_flush_all();        /* or the child would write the parent's buffers again */
    return (pid_t)__sys0(SYS_FORK);
}

int execve(const char *path, char *const argv[], char *const envp[])
{
    return (int)__sys3(SYS_EXEC, path, argv, envp);
}

int execv(const char *path, char *const argv[])
{
    return execve(path, argv, __environ);
}

/* A name without '/' is looked up in /bin (there is no PATH search). */
int execvp(const char *file, char *const argv[])
{
    char buf[PATH_MAX];
    if (strchr(file, '/'))
        return execv(file, argv);
    if (strlen(file) + sizeof EXECVP_PATH + 1 > sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(buf, EXECVP_PATH "/");
    strcat(buf, file);
    return execv(buf, argv);
}

static int collect(const char *arg0, va_list ap, char **argv)
{
    int n = 0;
    argv[n++] = (char *)arg0;
    while (arg0 && (argv[n] = va_arg(ap, char *)) != NULL)
        if (++n == EXEC_ARGS_MAX) {
            errno = E2BIG;
            return -1;
        }
    argv[n] = NULL;
    return 0;
}

int execl(const char *path, const char *arg0, ...)
{
    char *argv[EXEC_ARGS_MAX + 1];
    va_list ap;
    va_start(ap, arg0);
    int r = collect(arg0, ap, argv);
    va_end(ap);
    return r < 0 ? r : execv(path, argv);
}

int execlp(const char *file, const char *arg0, ...)
{
    char *argv[EXEC_ARGS_MAX + 1];
    va_list ap;
    va_start(ap, arg0);
    int r = collect(arg0, ap, argv);
    va_end(ap);
    return r < 0 ? r : execvp(file, argv);
}

pid_t waitpid(pid_t pid, int *status, int options)
{
    return (pid_t)__sys3(SYS_WAIT, pid, status, options & WNOHANG);
}

pid_t wait(int *status)
{
    return waitpid(-1, status, 0);
}

int system(const char *cmd)
{
    errno = ENOSYS;
    return -1;
}

int kill(pid_t pid, int sig)
{
    return (int)__sys2(SYS_KILL, pid, sig);
}

int raise(int sig)
{
    return kill(getpid(), sig);
}

/* No handlers: only the defaults exist. */
/* Dispositions only (SIG_DFL, SIG_IGN): ALMOS delivers no signal to a handler. */
sighandler_t signal(int sig, sighandler_t handler)
{
    if (handler != SIG_DFL && handler != SIG_IGN) {
        errno = ENOSYS;
        return SIG_ERR;
    }
    long old = __sys2(SYS_SIGNAL, sig, (long)handler);
    return old < 0 ? SIG_ERR : (sighandler_t)old;
}

int sched_yield(void)
{
    return (int)__sys0(SYS_YIELD);
}

int usleep(useconds_t us)
{
    /* 0xFFFFFFFF means "until WAKEUP": never pass it for a timed sleep. */
    if (us == 0xFFFFFFFFu)
        us--;
    return (int)__sys1(SYS_SLEEP, us);
}

unsigned sleep(unsigned s)
{
    while (s) {
        unsigned chunk = s > 4000 ? 4000 : s;   /* 4000 s fits in 32-bit microseconds */
        if (usleep(chunk * 1000000u) < 0)
            return s;
        s -= chunk;
    }
    return 0;
}

long sysconf(int name)
{
    unsigned x, y, n;
    switch (name) {
    case _SC_NPROCESSORS_ONLN:
    case _SC_NPROCESSORS_CONF:
        if (__sys3(SYS_GET_CONFIG, &x, &y, &n) < 0)
            return 1;
        return (long)(x * y * n);
    case _SC_PAGESIZE:
        return PAGE_SIZE;
    case _SC_CLK_TCK:
        return 100;
    case _SC_OPEN_MAX:
        return 64;
    default:
        errno = EINVAL;
        return -1;
    }
}

int getpagesize(void)
{
    return PAGE_SIZE;
}
