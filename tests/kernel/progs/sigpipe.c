/* A write to a pipe nobody reads: killed by SIGPIPE (status 141) by default; with
 * signal(SIGPIPE, SIG_IGN) the write fails with EPIPE instead (argv[1] = "ignore"). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int fds[2];
    if (argc > 1 && strcmp(argv[1], "ignore") == 0)
        signal(SIGPIPE, SIG_IGN);
    pipe(fds);
    close(fds[0]);
    int r = write(fds[1], "x", 1);
    printf("write: %d %s\n", r, r < 0 && errno == EPIPE ? "EPIPE" : "?");
    return 0;
}
