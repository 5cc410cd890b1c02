/*
 * init: the first user process of ALMOS.
 *
 * Usage: init [shell]        (default shell: /bin/sh)
 *
 * Makes sure file descriptors 0, 1 and 2 are open (on /dev/tty0 if they are not
 * inherited), forks and execs the shell, waits for it, and exits with the shell's
 * status when it ends: on ALMOS the exit of init powers the machine off.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONSOLE       "/dev/tty0"
#define DEFAULT_SHELL "/bin/sh"
#define STATUS_NO_SHELL 127

static void say(const char *msg)
{
    write(2, msg, strlen(msg));
}

/* Opens the console on every one of fds 0..2 that is not open yet. */
static void open_console(void)
{
    struct stat st;
    for (int fd = 0; fd <= 2; fd++) {
        if (fstat(fd, &st) == 0)
            continue;
        int got = open(CONSOLE, O_RDWR);
        if (got < 0)
            return;             /* nowhere to complain: carry on silently */
        if (got != fd) {
            dup2(got, fd);
            close(got);
        }
    }
}

int main(int argc, char **argv)
{
    char *shell = argc > 1 ? argv[1] : DEFAULT_SHELL;
    char *shell_argv[] = { "sh", NULL };

    open_console();

    pid_t pid = fork();
    if (pid < 0) {
        say("init: fork failed\n");
        return 1;
    }
    if (pid == 0) {
        execv(shell, shell_argv);
        say("init: cannot exec the shell\n");
        _exit(STATUS_NO_SHELL);
    }

    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            say("init: lost the shell\n");
            return 1;
        }
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}
