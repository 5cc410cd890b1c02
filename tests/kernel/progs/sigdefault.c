/*
 * sigdefault SIGNAL: the process sends itself SIGNAL with kill() and prints "survived" if it
 * is still alive (the signal's default action is to ignore it, or it was ignored with
 * signal(SIG_IGN) when a second argument is given).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int sig = atoi(argv[1]);
    if (argc > 2 && signal(sig, SIG_IGN) == SIG_ERR) {
        printf("signal(%d, SIG_IGN) refused\n", sig);
        return 3;
    }
    kill(getpid(), sig);
    printf("survived %d\n", sig);
    return 0;
}
