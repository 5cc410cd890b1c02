/* glibc signal handlers: signal() and raise(), SA_SIGINFO with SA_RESETHAND, a signal held by
 * the mask until it is unblocked, one sent by a child while the parent waits, and at last a
 * default action that kills (differential test, tests/kernel/test_linux.py). */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got, info_signo;

static void handler(int sig) { got += sig; }

static void info_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    info_signo = si->si_signo;
}

int main(void)
{
    signal(SIGUSR1, handler);
    raise(SIGUSR1);
    printf("raise: %d\n", got);

    struct sigaction sa = {0};
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigaction(SIGUSR2, &sa, NULL);
    kill(getpid(), SIGUSR2);
    printf("siginfo: %d\n", info_signo);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    got = 0;
    raise(SIGUSR1);
    printf("blocked: %d\n", got);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("unblocked: %d\n", got);

    got = 0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("from child: %d\n", got);

    signal(SIGUSR1, SIG_IGN);
    raise(SIGUSR1);
    printf("ignored\n");
    fflush(stdout);
    raise(SIGUSR2);                     /* SA_RESETHAND made it SIG_DFL again: killed */
    printf("not reached\n");
    return 0;
}
