/* Floating point on several cores at once: in each of ROUNDS rounds, THREADS threads fill
 * their share of an array with f(i) (sin, division), wait at a barrier, then check every
 * element against their own f(i). Prints "round R bad B" per round; exits 0 when no element
 * is wrong, which is what cores of different clusters running in different host threads
 * must keep (tests/kernel/test_host_threads.py). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define N (1 << 14)
#define ROUNDS 4

static double *a;
static int nthreads, round_;
static pthread_barrier_t barrier;
static int bad[64];

static double f(int i)
{
    return sin(i * 0.001 + round_) * 3.5 + (double)i / 7.0;
}

static void *work(void *arg)
{
    int id = (int)(long)arg;
    for (int i = N / nthreads * id; i < N / nthreads * (id + 1); i++)
        a[i] = f(i);
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < N; i++)
        if (a[i] != f(i))
            bad[id]++;
    return NULL;
}

int main(int argc, char **argv)
{
    nthreads = argc > 1 ? atoi(argv[1]) : 2;
    if (nthreads < 1 || nthreads > 64)
        return 2;
    a = malloc(N * sizeof *a);
    int total = 0;
    for (round_ = 0; round_ < ROUNDS; round_++) {
        pthread_t t[64];
        pthread_barrier_init(&barrier, NULL, nthreads);
        for (int i = 0; i < nthreads; i++)
            pthread_create(&t[i], NULL, work, (void *)(long)i);
        for (int i = 0; i < nthreads; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&barrier);
        int b = 0;
        for (int i = 0; i < nthreads; i++) {
            b += bad[i];
            bad[i] = 0;
        }
        printf("round %d bad %d\n", round_, b);
        total += b;
    }
    return total ? 1 : 0;
}
