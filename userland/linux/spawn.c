/* glibc process calls: posix_spawn (clone with CLONE_VM | CLONE_VFORK and a stack of its own)
 * and fork + exec of argv[1] as "echo", waitpid and the statuses (tests/kernel/test_linux.py
 * runs it with busybox as argv[1]). */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    char *args[] = {"echo", "hello", "world", NULL};
    pid_t pid;
    int st;
    fflush(stdout);
    int r = posix_spawn(&pid, argv[1], NULL, NULL, args, environ);
    waitpid(pid, &st, 0);
    printf("spawn %d exited %d status %d\n", r, WIFEXITED(st), WEXITSTATUS(st));
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        execl(argv[1], "echo", "from", "fork", (char *)0);
        _exit(9);
    }
    waitpid(pid, &st, 0);
    printf("fork status %d\n", WEXITSTATUS(st));
    pid = fork();
    if (pid == 0)
        _exit(7);
    waitpid(pid, &st, 0);
    printf("child exit %d\n", WEXITSTATUS(st));
    return 0;
}
