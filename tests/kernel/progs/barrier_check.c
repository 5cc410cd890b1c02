/* Barriers that must hold: THREADS threads go through ROUNDS barriers; before each, every
 * thread counts itself in, after it, every thread checks that all did. Prints "early E";
 * exits 0 when no thread ever got past a barrier before all had reached it. (A core that
 * went on running a thread its barrier call had blocked would get past it early.) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 400

static pthread_barrier_t barrier;
static int nthreads;
static unsigned arrived[ROUNDS];
static unsigned early;

static void *work(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        __atomic_fetch_add(&arrived[r], 1, __ATOMIC_SEQ_CST);
        pthread_barrier_wait(&barrier);
        if (__atomic_load_n(&arrived[r], __ATOMIC_SEQ_CST) != (unsigned)nthreads)
            __atomic_fetch_add(&early, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    nthreads = argc > 1 ? atoi(argv[1]) : 4;
    pthread_t t[64];
    if (nthreads < 1 || nthreads > 64)
        return 2;
    pthread_barrier_init(&barrier, NULL, nthreads);
    for (int i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    printf("early %u\n", early);
    return early ? 1 : 0;
}
