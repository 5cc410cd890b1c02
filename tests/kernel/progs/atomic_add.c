/* Lock-free atomics under contention: THREADS threads each add 1 to one shared counter
 * ROUNDS times with __atomic_fetch_add (an LL/SC loop), as fast as they can. Prints
 * "count C expected E"; exits 0 when C == E. With cores in several host threads, a lost
 * update means an SC was not atomic against another core's (emulator/native/core.c). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned counter;
static int rounds = 200000;

static void *work(void *arg)
{
    (void)arg;
    for (int i = 0; i < rounds; i++)
        __atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2;
    pthread_t t[64];
    if (argc > 2)
        rounds = atoi(argv[2]);
    if (n < 1 || n > 64 || rounds < 1)
        return 2;
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    unsigned expected = (unsigned)n * (unsigned)rounds;
    printf("count %u expected %u\n", counter, expected);
    return counter == expected ? 0 : 1;
}
