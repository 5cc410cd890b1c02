/*
 * threads64: stress test of the pthread and semaphore services with 64 threads.
 *
 * Usage: threads64
 *
 * Phases, each printing its exact result and "ok" or "FAILED":
 *   mutex      64 threads x 100 increments under a mutex (and under a spin lock),
 *              thread-specific keys, pthread_once, join values; then one line per
 *              thread "thread I: cxy C lid L core G" telling where it ran
 *   cond       32 producers and 32 consumers through a 4-slot buffer (cond vars)
 *   barrier    64 threads x 8 rounds; exactly one serial thread per round
 *   semaphore  64 threads enter a section that a semaphore limits to 4 at a time
 *   rwlock     56 readers and 8 writers; no reader ever sees a writer inside
 *   detached   12 threads created detached and 4 detached later signal a semaphore
 * Ends with "threads64: OK" (exit 0) or "threads64: FAILED" (exit 1).
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

#define NTHREADS        64
#define STACK_SIZE      (64 * 1024)
#define INCREMENTS      100
#define NPRODUCERS      (NTHREADS / 2)
#define NCONSUMERS      (NTHREADS - NPRODUCERS)
#define ITEMS           16              /* per producer and per consumer */
#define SLOTS           4
#define ROUNDS          8
#define SEM_LIMIT       4
#define SEM_ENTRIES     10
#define NWRITERS        8
#define RW_ITERATIONS   20
#define NDETACHED_ATTR  12
#define NDETACHED_LATER 4
#define JOIN_VALUE(id)  ((void *)(long)(3 * (id) + 1))

static pthread_attr_t attr;
static int failures;

static void check(const char *phase, int ok, const char *fmt, long got, long expected)
{
    printf("%-10s ", phase);
    printf(fmt, got, expected);
    printf(" %s\n", ok ? "ok" : "FAILED");
    if (!ok)
        failures++;
}

/* Starts n threads running fn(id); exits on failure. */
static void start_threads(pthread_t *tids, int n, void *(*fn)(void *))
{
    for (int i = 0; i < n; i++)
        if (pthread_create(&tids[i], &attr, fn, (void *)(long)i) != 0) {
            printf("cannot create thread %d\nthreads64: FAILED\n", i);
            exit(1);
        }
}

/* Joins n threads; returns how many gave back a wrong value. */
static int join_threads(pthread_t *tids, int n)
{
    int wrong = 0;
    for (int i = 0; i < n; i++) {
        void *ret = NULL;
        if (pthread_join(tids[i], &ret) != 0 || ret != JOIN_VALUE(i))
            wrong++;
    }
    return wrong;
}

/* ---- mutex, spin lock, keys, once ---- */

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_spinlock_t spin;
static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static long counter, spin_counter, once_calls, key_errors;
static unsigned where_cxy[NTHREADS], where_lid[NTHREADS];

static void once_init(void)
{
    once_calls++;
}

static void *mutex_worker(void *arg)
{
    long id = (long)arg;
    util_core(&where_cxy[id], &where_lid[id]);
    pthread_once(&once, once_init);
    pthread_setspecific(key, (void *)(id + 1));
    for (int i = 0; i < INCREMENTS; i++) {
        pthread_mutex_lock(&mutex);
        counter++;
        pthread_mutex_unlock(&mutex);
        pthread_spin_lock(&spin);
        spin_counter++;
        pthread_spin_unlock(&spin);
    }
    if (pthread_getspecific(key) != (void *)(id + 1)) {
        pthread_mutex_lock(&mutex);
        key_errors++;
        pthread_mutex_unlock(&mutex);
    }
    return JOIN_VALUE(id);
}

static void phase_mutex(void)
{
    pthread_t tids[NTHREADS];
    pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
    pthread_key_create(&key, NULL);

    pthread_mutex_lock(&mutex);
    int busy = pthread_mutex_trylock(&mutex);
    pthread_mutex_unlock(&mutex);
    int free_ok = pthread_mutex_trylock(&mutex);
    if (free_ok == 0)
        pthread_mutex_unlock(&mutex);
    check("mutex", busy == EBUSY && free_ok == 0, "trylock locked %ld, unlocked %ld",
          busy, free_ok);

    start_threads(tids, NTHREADS, mutex_worker);
    int wrong = join_threads(tids, NTHREADS);
    check("mutex", counter == NTHREADS * INCREMENTS, "counter %ld (expected %ld)", counter,
          NTHREADS * INCREMENTS);
    check("spin", spin_counter == NTHREADS * INCREMENTS, "counter %ld (expected %ld)",
          spin_counter, NTHREADS * INCREMENTS);
    check("once", once_calls == 1, "calls %ld (expected %ld)", once_calls, 1);
    check("keys", key_errors == 0, "errors %ld (expected %ld)", key_errors, 0);
    check("join", wrong == 0, "wrong values %ld (expected %ld)", wrong, 0);

    int distinct = 0;
    unsigned seen[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        unsigned core = util_global_core(where_cxy[i], where_lid[i]);
        printf("thread %d: cxy %u lid %u core %u\n", i, where_cxy[i], where_lid[i], core);
        int j = 0;
        while (j < distinct && seen[j] != core)
            j++;
        if (j == distinct)
            seen[distinct++] = core;
    }
    printf("threads ran on %d distinct cores\n", distinct);
    pthread_spin_destroy(&spin);
    pthread_key_delete(key);
}

/* ---- condition variables: bounded buffer ---- */

static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static long slots[SLOTS];
static int slot_head, slot_count;
static long consumed_sum, consumed_items;

static long item_value(long producer, int k)
{
    return producer * 1000 + k;
}

static void *producer(void *arg)
{
    long id = (long)arg;
    for (int k = 0; k < ITEMS; k++) {
        pthread_mutex_lock(&mutex);
        while (slot_count == SLOTS)
            pthread_cond_wait(&not_full, &mutex);
        slots[(slot_head + slot_count) % SLOTS] = item_value(id, k);
        slot_count++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&mutex);
    }
    return JOIN_VALUE(id);
}

static void *consumer(void *arg)
{
    long id = (long)arg;
    long sum = 0;
    for (int k = 0; k < ITEMS; k++) {
        pthread_mutex_lock(&mutex);
        while (slot_count == 0)
            pthread_cond_wait(&not_empty, &mutex);
        sum += slots[slot_head];
        slot_head = (slot_head + 1) % SLOTS;
        slot_count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&mutex);
    }
    pthread_mutex_lock(&mutex);
    consumed_sum += sum;
    consumed_items += ITEMS;
    pthread_mutex_unlock(&mutex);
    return JOIN_VALUE(id);
}

static void phase_cond(void)
{
    pthread_t prod[NPRODUCERS], cons[NCONSUMERS];
    start_threads(cons, NCONSUMERS, consumer);
    start_threads(prod, NPRODUCERS, producer);
    int wrong = join_threads(prod, NPRODUCERS) + join_threads(cons, NCONSUMERS);
    long expected = 0;
    for (long p = 0; p < NPRODUCERS; p++)
        for (int k = 0; k < ITEMS; k++)
            expected += item_value(p, k);
    check("cond", consumed_items == NPRODUCERS * ITEMS, "items %ld (expected %ld)",
          consumed_items, NPRODUCERS * ITEMS);
    check("cond", consumed_sum == expected && wrong == 0, "sum %ld (expected %ld)",
          consumed_sum, expected);
}

/* ---- barriers ---- */

static pthread_barrier_t barrier;
static long arrived[ROUNDS], serial[ROUNDS], early;

static unsigned bar_cxy[NTHREADS], bar_lid[NTHREADS];

static void *barrier_worker(void *arg)
{
    long id = (long)arg;
    util_core(&bar_cxy[id], &bar_lid[id]);
    for (int r = 0; r < ROUNDS; r++) {
        pthread_mutex_lock(&mutex);
        arrived[r]++;
        pthread_mutex_unlock(&mutex);
        int ret = pthread_barrier_wait(&barrier);
        pthread_mutex_lock(&mutex);
        if (ret == PTHREAD_BARRIER_SERIAL_THREAD)
            serial[r]++;
        if (arrived[r] != NTHREADS)
            early++;
        pthread_mutex_unlock(&mutex);
    }
    return JOIN_VALUE(id);
}

static void phase_barrier(void)
{
    pthread_t tids[NTHREADS];
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    start_threads(tids, NTHREADS, barrier_worker);
    int wrong = join_threads(tids, NTHREADS);
    long arrivals = 0, serials_ok = 0;
    for (int r = 0; r < ROUNDS; r++) {
        arrivals += arrived[r];
        serials_ok += serial[r] == 1;
    }
    /* these threads all live at once (they meet at the barrier): the DQDT spreads them */
    for (int i = 0; i < NTHREADS; i++)
        printf("barrier thread %d: core %u\n", i, util_global_core(bar_cxy[i], bar_lid[i]));
    check("barrier", arrivals == NTHREADS * ROUNDS && early == 0 && wrong == 0,
          "arrivals %ld (expected %ld)", arrivals, NTHREADS * ROUNDS);
    check("barrier", serials_ok == ROUNDS, "rounds with one serial thread %ld (expected %ld)",
          serials_ok, ROUNDS);
    pthread_barrier_destroy(&barrier);
}

/* ---- semaphores ---- */

static sem_t limit;
static long inside, max_inside, entries;

static void *sem_worker(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < SEM_ENTRIES; i++) {
        sem_wait(&limit);
        pthread_mutex_lock(&mutex);
        inside++;
        entries++;
        if (inside > max_inside)
            max_inside = inside;
        pthread_mutex_unlock(&mutex);
        sched_yield();
        pthread_mutex_lock(&mutex);
        inside--;
        pthread_mutex_unlock(&mutex);
        sem_post(&limit);
    }
    return JOIN_VALUE(id);
}

static void phase_semaphore(void)
{
    pthread_t tids[NTHREADS];
    sem_init(&limit, 0, SEM_LIMIT);
    start_threads(tids, NTHREADS, sem_worker);
    int wrong = join_threads(tids, NTHREADS);
    int value = -1;
    sem_getvalue(&limit, &value);
    check("semaphore", entries == NTHREADS * SEM_ENTRIES && wrong == 0,
          "entries %ld (expected %ld)", entries, NTHREADS * SEM_ENTRIES);
    check("semaphore", max_inside >= 1 && max_inside <= SEM_LIMIT,
          "max inside %ld (limit %ld)", max_inside, SEM_LIMIT);
    check("semaphore", value == SEM_LIMIT, "final value %ld (expected %ld)", value,
          SEM_LIMIT);
    sem_destroy(&limit);
}

/* ---- read-write locks ---- */

static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static long shared_value, readers_inside, rw_violations;
static volatile long writer_inside;     /* read by readers to catch a broken lock */

static void *rw_worker(void *arg)
{
    long id = (long)arg;
    int writer = id < NWRITERS;
    for (int i = 0; i < RW_ITERATIONS; i++) {
        if (writer) {
            pthread_rwlock_wrlock(&rwlock);
            writer_inside = 1;
            pthread_mutex_lock(&mutex);
            if (readers_inside != 0)
                rw_violations++;
            pthread_mutex_unlock(&mutex);
            shared_value++;
            writer_inside = 0;
            pthread_rwlock_unlock(&rwlock);
        } else {
            pthread_rwlock_rdlock(&rwlock);
            pthread_mutex_lock(&mutex);
            readers_inside++;
            if (writer_inside)
                rw_violations++;
            pthread_mutex_unlock(&mutex);
            sched_yield();
            pthread_mutex_lock(&mutex);
            readers_inside--;
            pthread_mutex_unlock(&mutex);
            pthread_rwlock_unlock(&rwlock);
        }
    }
    return JOIN_VALUE(id);
}

static void phase_rwlock(void)
{
    pthread_t tids[NTHREADS];
    start_threads(tids, NTHREADS, rw_worker);
    int wrong = join_threads(tids, NTHREADS);
    check("rwlock", shared_value == NWRITERS * RW_ITERATIONS && wrong == 0,
          "value %ld (expected %ld)", shared_value, NWRITERS * RW_ITERATIONS);
    check("rwlock", rw_violations == 0, "violations %ld (expected %ld)", rw_violations, 0);
}

/* ---- detached threads ---- */

static sem_t done;
static long detached_runs;

static void *detached_worker(void *arg)
{
    pthread_mutex_lock(&mutex);
    detached_runs++;
    pthread_mutex_unlock(&mutex);
    sem_post(&done);
    return NULL;
}

static void phase_detached(void)
{
    pthread_attr_t dattr;
    pthread_t tid;
    int errors = 0;
    sem_init(&done, 0, 0);
    pthread_attr_init(&dattr);
    pthread_attr_setstacksize(&dattr, STACK_SIZE);
    pthread_attr_setdetachstate(&dattr, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < NDETACHED_ATTR; i++)
        errors += pthread_create(&tid, &dattr, detached_worker, NULL) != 0;
    for (int i = 0; i < NDETACHED_LATER; i++) {
        if (pthread_create(&tid, &attr, detached_worker, NULL) != 0)
            errors++;
        else
            errors += pthread_detach(tid) != 0;
    }
    for (int i = 0; i < NDETACHED_ATTR + NDETACHED_LATER - errors; i++)
        sem_wait(&done);
    pthread_mutex_lock(&mutex);
    long runs = detached_runs;
    pthread_mutex_unlock(&mutex);
    check("detached", runs == NDETACHED_ATTR + NDETACHED_LATER && errors == 0,
          "runs %ld (expected %ld)", runs, NDETACHED_ATTR + NDETACHED_LATER);
    pthread_attr_destroy(&dattr);
}

int main(void)
{
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, STACK_SIZE);
    unsigned long long start = util_cycles();

    phase_mutex();
    phase_cond();
    phase_barrier();
    phase_semaphore();
    phase_rwlock();
    phase_detached();

    printf("cycles: %llu\n", util_cycles() - start);
    printf("threads64: %s\n", failures ? "FAILED" : "OK");
    return failures ? 1 : 0;
}
