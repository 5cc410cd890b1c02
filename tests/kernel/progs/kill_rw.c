/* kill() checks its signal (EINVAL out of 1..64; SIGCHLD's default is to do nothing) and a
 * reader may take a read lock again while a writer waits (glibc's default rwlock). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

static void *writer(void *a)
{
    pthread_rwlock_wrlock(&rw);
    pthread_rwlock_unlock(&rw);
    return a;
}

int main(void)
{
    pid_t c = fork();
    if (c == 0)
        for (;;)
            sleep(1);
    int r1 = kill(c, -1), e1 = errno;
    int r2 = kill(c, 1000), e2 = errno;
    int r3 = kill(c, SIGCHLD);
    int r4 = kill(c, 0);                        /* still there */
    printf("kill -1: %d %s, 1000: %d %s, SIGCHLD: %d, alive: %d\n", r1,
           e1 == EINVAL ? "EINVAL" : "?", r2, e2 == EINVAL ? "EINVAL" : "?", r3, r4);
    kill(c, SIGKILL);
    int st;
    waitpid(c, &st, 0);
    printf("killed by %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);

    pthread_t t;
    pthread_rwlock_rdlock(&rw);
    pthread_create(&t, NULL, writer, NULL);
    usleep(2000);                               /* the writer waits */
    int r = pthread_rwlock_rdlock(&rw);         /* again, as glibc allows */
    pthread_rwlock_unlock(&rw);
    pthread_rwlock_unlock(&rw);
    pthread_join(t, NULL);
    printf("recursive rdlock with a writer waiting: %d\n", r);
    return 0;
}
