/*
 * strerror.c: error and signal descriptions, worded as glibc's so that messages
 * read the same on ALMOS and Linux.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char *const messages[] = {
    [0] = "Success",
    [EPERM] = "Operation not permitted",
    [ENOENT] = "No such file or directory",
    [ESRCH] = "No such process",
    [EINTR] = "Interrupted system call",
    [EIO] = "Input/output error",
    [ENXIO] = "No such device or address",
    [E2BIG] = "Argument list too long",
    [ENOEXEC] = "Exec format error",
    [EBADF] = "Bad file descriptor",
    [ECHILD] = "No child processes",
    [EAGAIN] = "Resource temporarily unavailable",
    [ENOMEM] = "Cannot allocate memory",
    [EACCES] = "Permission denied",
    [EFAULT] = "Bad address",
    [ENOTBLK] = "Block device required",
    [EBUSY] = "Device or resource busy",
    [EEXIST] = "File exists",
    [EXDEV] = "Invalid cross-device link",
    [ENODEV] = "No such device",
    [ENOTDIR] = "Not a directory",
    [EISDIR] = "Is a directory",
    [EINVAL] = "Invalid argument",
    [ENFILE] = "Too many open files in system",
    [EMFILE] = "Too many open files",
    [ENOTTY] = "Inappropriate ioctl for device",
    [ETXTBSY] = "Text file busy",
    [EFBIG] = "File too large",
    [ENOSPC] = "No space left on device",
    [ESPIPE] = "Illegal seek",
    [EROFS] = "Read-only file system",
    [EMLINK] = "Too many links",
    [EPIPE] = "Broken pipe",
    [EDOM] = "Numerical argument out of domain",
    [ERANGE] = "Numerical result out of range",
    [EDEADLK] = "Resource deadlock avoided",
    [ENAMETOOLONG] = "File name too long",
    [ENOLCK] = "No locks available",
    [ENOSYS] = "Function not implemented",
    [ENOTEMPTY] = "Directory not empty",
    [ELOOP] = "Too many levels of symbolic links",
    [ENOTSUP] = "Operation not supported",
    [ETIMEDOUT] = "Connection timed out",
};

#define NMESSAGES (sizeof messages / sizeof messages[0])

int strerror_r(int err, char *buf, size_t len)
{
    if (err >= 0 && (size_t)err < NMESSAGES && messages[err])
        snprintf(buf, len, "%s", messages[err]);
    else
        snprintf(buf, len, "Unknown error %d", err);
    return 0;
}

char *strerror(int err)
{
    static char buf[32];
    if (err >= 0 && (size_t)err < NMESSAGES && messages[err])
        return (char *)messages[err];
    snprintf(buf, sizeof buf, "Unknown error %d", err);
    return buf;
}

static const char *const signals[] = {
    [SIGHUP] = "Hangup", [SIGINT] = "Interrupt", [SIGQUIT] = "Quit",
    [SIGILL] = "Illegal instruction", [SIGTRAP] = "Trace/breakpoint trap",
    [SIGABRT] = "Aborted", [SIGEMT] = "EMT trap", [SIGFPE] = "Floating point exception",
    [SIGKILL] = "Killed", [SIGBUS] = "Bus error", [SIGSEGV] = "Segmentation fault",
    [SIGSYS] = "Bad system call", [SIGPIPE] = "Broken pipe", [SIGALRM] = "Alarm clock",
    [SIGTERM] = "Terminated", [SIGUSR1] = "User defined signal 1",
    [SIGUSR2] = "User defined signal 2", [SIGCHLD] = "Child exited",
};

char *strsignal(int sig)
{
    static char buf[32];
    if (sig > 0 && (size_t)sig < sizeof signals / sizeof signals[0] && signals[sig])
        return (char *)signals[sig];
    snprintf(buf, sizeof buf, "Unknown signal %d", sig);
    return buf;
}
