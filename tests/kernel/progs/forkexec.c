/*
 * forkexec: fork, exec and wait as docs/ABI.md says (run by tests/kernel/test_fork_exec.py
 * under `almos boot`, with /bin/hello on the disk). One "name: ok" or "name: FAILED" line
 * per check, then OK or FAILED.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define HEAP_BYTES (100 * 1024)
#define NCHILDREN  3

static int failures;
static int global = 5;

static void check(const char *name, int ok)
{
    printf("%s: %s\n", name, ok ? "ok" : "FAILED");
    if (!ok) {
        printf("  errno %d\n", errno);
        failures++;
    }
    fflush(stdout);
}

int main(void)
{
    int status = 0;

    /* the child's memory is a copy */
    unsigned char *heap = malloc(HEAP_BYTES);
    for (int i = 0; i < HEAP_BYTES; i++)
        heap[i] = (unsigned char)(i * 7);
    pid_t pid = fork();
    if (pid == 0) {
        int same = 1;
        for (int i = 0; i < HEAP_BYTES; i++)
            same &= heap[i] == (unsigned char)(i * 7);
        global = 9;
        heap[0] = 1;
        _exit(same ? 3 : 4);
    }
    check("fork", pid > 0);
    check("wait pid", waitpid(pid, &status, 0) == pid);
    check("exit status", WIFEXITED(status) && WEXITSTATUS(status) == 3);
    check("parent memory kept", global == 5 && heap[0] == 0);

    /* WNOHANG, then a blocking wait; a pipe shared across fork */
    int fds[2];
    check("pipe", pipe(fds) == 0);
    pid = fork();
    if (pid == 0) {
        char c;
        close(fds[1]);
        ssize_t n = read(fds[0], &c, 1);
        _exit(n == 0 ? 0 : 1);                  /* end of file once the parent closes */
    }
    close(fds[0]);
    check("wnohang", waitpid(pid, &status, WNOHANG) == 0);
    close(fds[1]);
    check("wait after eof", waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 0);

    /* wait(-1) reaps every child, then ECHILD */
    int reaped = 0;
    for (int i = 0; i < NCHILDREN; i++)
        if (fork() == 0)
            _exit(10 + i);
    for (int i = 0; i < NCHILDREN; i++) {
        pid_t w = wait(&status);
        if (w > 0 && WEXITSTATUS(status) >= 10 && WEXITSTATUS(status) < 10 + NCHILDREN)
            reaped++;
    }
    check("wait any", reaped == NCHILDREN);
    errno = 0;
    check("echild", wait(&status) < 0 && errno == ECHILD);

    /* a child killed by a fault: its status says so */
    pid = fork();
    if (pid == 0) {
        *(volatile int *)0 = 1;
        _exit(0);
    }
    check("wait killed", waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
          WTERMSIG(status) == 11);

    /* exec: success does not return; failures return ENOENT, ENOEXEC */
    pid = fork();
    if (pid == 0) {
        char *argv[] = { "hello", "one", NULL };
        execv("/bin/hello", argv);
        _exit(99);
    }
    check("exec", waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 0);
    pid = fork();
    if (pid == 0) {
        char *argv[] = { "nothing", NULL };
        execv("/bin/nothing", argv);
        _exit(errno == ENOENT ? 0 : 1);
    }
    check("exec enoent", waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 0);
    pid = fork();
    if (pid == 0) {
        char *argv[] = { "rc", NULL };
        execv("/etc/rc", argv);
        _exit(errno == ENOEXEC ? 0 : 1);
    }
    check("exec enoexec", waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 0);

    /* a child's output through a pipe and dup2 */
    check("pipe 2", pipe(fds) == 0);
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 1);
        close(fds[1]);
        char *argv[] = { "hello", NULL };
        execv("/bin/hello", argv);
        _exit(99);
    }
    close(fds[1]);
    char buf[512];
    int got = 0;
    ssize_t n;
    while ((n = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += n;
    buf[got] = 0;
    close(fds[0]);
    check("exec output", strstr(buf, "hello from pid") != NULL);
    check("exec output wait", waitpid(pid, &status, 0) == pid);

    printf(failures ? "FAILED\n" : "OK\n");
    return failures ? 1 : 0;
}
