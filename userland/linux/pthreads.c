/* glibc pthreads: threads that share work under a mutex, a condition variable, a barrier,
 * joins with values, thread-local storage, a timed wait that times out and a sleep
 * (differential test, tests/kernel/test_linux.py). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N 8
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t bar;
static long total, ready;
static __thread long mine;

static void *work(void *arg)
{
    long id = (long)arg;
    for (long i = 0; i < 20000; i++)
        mine += (i ^ id) & 7;
    pthread_barrier_wait(&bar);
    pthread_mutex_lock(&lock);
    total += mine;
    ready++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    return (void *)(id * 10);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : N;
    pthread_t t[64];
    pthread_barrier_init(&bar, NULL, n);
    for (long i = 0; i < n; i++)
        pthread_create(&t[i], NULL, work, (void *)i);
    pthread_mutex_lock(&lock);
    while (ready < n)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    long sum = 0;
    for (int i = 0; i < n; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (long)r;
    }
    printf("threads %d total %ld joined %ld main tls %ld\n", n, total, sum, mine);

    struct timespec t0, t1, until;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 2000000;                      /* 2 ms from now */
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&lock);
    int r = pthread_cond_timedwait(&cond, &lock, &until);
    pthread_mutex_unlock(&lock);
    struct timespec nap = {0, 1000000};
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long us = (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
    printf("timedwait: %s; 3 ms passed: %d\n", strerror(r), us >= 3000);
    return 0;
}
