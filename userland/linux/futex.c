/* Raw futex calls as musl's and glibc's threads make them: WAIT on a changed word (EAGAIN),
 * a WAIT that times out, WAKE, REQUEUE and CMP_REQUEUE of waiting threads to another word
 * (differential test, tests/kernel/test_linux.py). */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int f1, f2, woke;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static long futex(int *uaddr, int op, int val, long arg4, int *uaddr2, int val3)
{
    return syscall(SYS_futex, uaddr, op, val, arg4, uaddr2, val3);
}

static void *waiter(void *arg)
{
    while (__atomic_load_n(&f1, __ATOMIC_SEQ_CST) == 0)
        futex(&f1, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0);
    pthread_mutex_lock(&m);
    woke++;
    pthread_mutex_unlock(&m);
    return arg;
}

int main(void)
{
    struct timespec ts = {0, 1000000};
    errno = 0;
    long r = futex(&f1, FUTEX_WAIT_PRIVATE, 1, 0, NULL, 0);
    printf("wait on changed word: %ld %s\n", r, strerror(errno));
    r = futex(&f1, FUTEX_WAIT_PRIVATE, 0, (long)&ts, NULL, 0);
    printf("timed wait: %ld %s\n", r, strerror(errno));
    printf("wake nobody: %ld\n", futex(&f1, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0));
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, waiter, NULL);
    usleep(100000);                      /* let them all sleep on f1 */
    errno = 0;
    r = futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 0, 2, &f2, 5);
    printf("cmp_requeue bad value: %ld %s\n", r, strerror(errno));
    r = futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, &f2, 0);
    printf("cmp_requeue: %ld\n", r);            /* 1 woken + 2 moved */
    usleep(100000);                      /* the woken one sleeps on f1 again */
    r = futex(&f1, FUTEX_REQUEUE_PRIVATE, 0, 5, &f2, 0);
    printf("requeue: %ld\n", r);                /* 0 woken + 2 moved */
    __atomic_store_n(&f1, 1, __ATOMIC_SEQ_CST);
    usleep(100000);
    printf("wake f2: %ld\n", futex(&f2, FUTEX_WAKE_PRIVATE, 10, 0, NULL, 0));
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("woke %d\n", woke);
    return 0;
}
