/* Contended atomics through the library: THREADS threads over the machine's cores each add
 * ROUNDS times to a plain counter under a spin lock, to another under a mutex, and count
 * spin_trylock successes under the lock. Prints "spin S mutex M expected E"; exits 0 when
 * both counters are exact. Lost updates mean the library's compare-and-swap is not atomic. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 3000

static pthread_spinlock_t spin;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static volatile long spin_count, mutex_count;

static void *work(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_spin_lock(&spin);
        long v = spin_count;
        for (volatile int k = 0; k < 4; k++)       /* widen the window a lost update needs */
            ;
        spin_count = v + 1;
        pthread_spin_unlock(&spin);
        pthread_mutex_lock(&mutex);
        v = mutex_count;
        mutex_count = v + 1;
        pthread_mutex_unlock(&mutex);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 8;
    pthread_t t[64];
    if (n < 1 || n > 64)
        return 2;
    pthread_spin_init(&spin, 0);
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, work, NULL))
            return 3;
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    long want = (long)n * ROUNDS;
    printf("spin %ld mutex %ld expected %ld\n", spin_count, mutex_count, want);
    return spin_count == want && mutex_count == want ? 0 : 1;
}
