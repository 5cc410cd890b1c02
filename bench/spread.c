/* One thread per core: the scale rows of bench/bench.py. Creates N - 1 threads (argv[1]:
 * N, the machine's core count) that each run a short loop, all alive at once (a barrier),
 * then joins them; the main thread is the N-th. Exits 0 when every thread's sum is right. */
#include <pthread.h>
#include <stdlib.h>

#define LOOP 2000
#define STACK (16 * 1024)

static pthread_barrier_t all_up;
static volatile unsigned sums[4096];

static void *work(void *arg)
{
    unsigned id = (unsigned)(long)arg, s = 0;
    for (unsigned i = 0; i < LOOP; i++)
        s += i ^ id;
    sums[id] = s;
    pthread_barrier_wait(&all_up);
    return 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    if (n < 1 || n > 4096)
        return 2;
    static pthread_t th[4096];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, STACK);
    pthread_barrier_init(&all_up, 0, (unsigned)n);
    for (int i = 1; i < n; i++)
        if (pthread_create(&th[i], &attr, work, (void *)(long)i))
            return 3;
    work(0);
    for (int i = 1; i < n; i++)
        pthread_join(th[i], 0);
    for (int i = 0; i < n; i++) {
        unsigned s = 0;
        for (unsigned k = 0; k < LOOP; k++)
            s += k ^ (unsigned)i;
        if (sums[i] != s)
            return 1;
    }
    return 0;
}
