/* A private sweep of per-thread heap data (tests/kernel/test_mcntl.py): THREADS threads,
 * pinned on cores 0, P, 2P ... (the first core of each cluster in turn, P = cores per
 * cluster), each mallocs its own KIB KiB (below malloc's mmap threshold: heap pages) and
 * writes them (their first touch), then, once all are ready, reads and writes them ROUNDS
 * times. Prints "heapsweep threads=T mean=M max=X home=H": the mean and the greatest of the
 * threads' cycles of their own work (first touch and sweeps, not the wait for the others),
 * H how many threads found their block's first page in their own cluster (mcntl).
 *
 * Usage: heapsweep THREADS KIB ROUNDS
 */
#include <almos.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_THREADS 256

struct sweeper {
    pthread_t tid;
    unsigned long long cycles;
    int home;
};

static struct sweeper sw[MAX_THREADS];
static size_t words;
static long rounds;
static pthread_barrier_t ready;

static void *sweep(void *arg)
{
    struct sweeper *s = arg;
    unsigned long long t0 = get_cycles();
    volatile unsigned *a = malloc(words * sizeof *a);
    if (a == NULL) {
        printf("out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < words; i++)
        a[i] = 0;
    unsigned long long touched = get_cycles() - t0;
    pthread_barrier_wait(&ready);
    unsigned long long t1 = get_cycles();
    for (long r = 0; r < rounds; r++)
        for (size_t i = 0; i < words; i++)
            a[i] += 1;
    s->cycles = touched + get_cycles() - t1;
    unsigned cxy, lid;
    minfo_t info;
    get_core(&cxy, &lid);
    s->home = mcntl(MCNTL_READ, (void *)(a + words / 2), 1, &info) == 0 && info.mi_cid == cxy;
    return NULL;
}

int main(int argc, char **argv)
{
    unsigned xs, ys, per_cluster;
    get_config(&xs, &ys, &per_cluster);
    int n = argc == 4 ? atoi(argv[1]) : 0;
    long kib = argc == 4 ? atol(argv[2]) : 0;
    rounds = argc == 4 ? atol(argv[3]) : 0;
    if (n < 1 || n > MAX_THREADS || n > (int)(xs * ys * per_cluster) || kib < 1 ||
        rounds < 1) {
        fprintf(stderr, "usage: heapsweep THREADS KIB ROUNDS\n");
        return 2;
    }
    words = (size_t)kib * 1024 / sizeof(unsigned);
    pthread_barrier_init(&ready, NULL, n);
    for (int t = 0; t < n; t++) {
        unsigned clusters = xs * ys;
        int core = (int)((t % clusters) * per_cluster + t / clusters);
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setcpuid_np(&attr, core, NULL);
        if (pthread_create(&sw[t].tid, &attr, sweep, &sw[t]) != 0) {
            fprintf(stderr, "heapsweep: cannot create thread %d\n", t);
            return 1;
        }
    }
    unsigned long long slowest = 0, sum = 0;
    int home = 0;
    for (int t = 0; t < n; t++) {
        pthread_join(sw[t].tid, NULL);
        slowest = sw[t].cycles > slowest ? sw[t].cycles : slowest;
        sum += sw[t].cycles;
        home += sw[t].home;
    }
    printf("heapsweep threads=%d mean=%llu max=%llu home=%d\n", n, sum / (unsigned)n, slowest,
           home);
    return 0;
}
