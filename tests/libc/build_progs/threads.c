/*
 * threads.c: a pthread program touching the whole pthread.h/semaphore.h/almos.h
 * surface, for the build test (it needs the kernel to run).
 */
#include <almos.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef NTHREADS
#error "built with -DNTHREADS=..."
#endif

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t spin;
static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static sem_t sem;
static __thread int mine;
static long total;

static void init(void) { pthread_key_create(&key, free); }

static void *work(void *arg)
{
    pthread_once(&once, init);
    pthread_setspecific(key, malloc(16));
    mine = (int)(long)arg;
    pthread_barrier_wait(&barrier);
    pthread_mutex_lock(&lock);
    total += mine;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    pthread_rwlock_rdlock(&rw);
    pthread_rwlock_unlock(&rw);
    pthread_spin_lock(&spin);
    pthread_spin_unlock(&spin);
    sem_post(&sem);
    return arg;
}

int main(void)
{
    pthread_t t[NTHREADS];
    pthread_attr_t attr;
    unsigned x, y, n, cxy, lid;
    get_config(&x, &y, &n);
    get_core(&cxy, &lid);
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    pthread_spin_init(&spin, 0);
    sem_init(&sem, 0, 0);
    pthread_attr_init(&attr);
    for (long i = 0; i < NTHREADS; i++) {
        pthread_attr_setcpuid_np(&attr, (int)(i % (x * y * n)));
        pthread_create(&t[i], &attr, work, (void *)i);
    }
    for (int i = 0; i < NTHREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        sem_wait(&sem);
    }
    int old;
    pthread_attr_setcpuid_np(&attr, -1, &old);
    printf("total %ld, %llu cycles\n", total, get_cycles());
    return 0;
}
