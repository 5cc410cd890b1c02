/*
 * sort: multi-stage parallel merge sort with barriers, in the style of GIET-VM's sort.
 *
 * Usage: sort [-p THREADS] [-n ELEMENTS]
 *   -p  threads (default: number of online cores)
 *   -n  number of 32-bit elements (default 16384)
 *
 * Stage 0: every thread sorts its own slice (qsort). Stage s (s = 1, 2, ...):
 * the threads whose number is a multiple of 2^s merge their slice run with the
 * neighbouring run of 2^(s-1) threads into the other buffer; the others only
 * wait. A barrier ends every stage, until one run covers the whole array.
 * The result is checked to be in order and to hold the same elements (count,
 * sum and xor of the input). Prints "cycles: N" and OK or FAILED (exit status 1).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

#define USAGE \
    "usage: sort [-p THREADS] [-n ELEMENTS]\n" \
    "  -p THREADS   threads (default: online cores)\n" \
    "  -n ELEMENTS  number of 32-bit elements, default 16384\n"

#define DEFAULT_ELEMENTS 16384
#define MAX_ELEMENTS     (1L << 24)
#define SEED             2024u

static int nthreads;
static long nelems;
static uint32_t *buffers[2];        /* runs move from one buffer to the other */
static int final_buffer;            /* which buffer holds the result */
static pthread_barrier_t barrier;

/* First element of thread t's slice (t may be nthreads: the end). */
static long slice_start(int t)
{
    if (t > nthreads)
        t = nthreads;
    return (long)((long long)nelems * t / nthreads);
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

/* Merges from[lo, mid) and from[mid, hi) into to[lo, hi). */
static void merge(uint32_t *to, const uint32_t *from, long lo, long mid, long hi)
{
    long i = lo, j = mid, k = lo;
    while (i < mid && j < hi)
        to[k++] = from[j] < from[i] ? from[j++] : from[i++];
    while (i < mid)
        to[k++] = from[i++];
    while (j < hi)
        to[k++] = from[j++];
}

static void *sort_thread(void *arg)
{
    int id = (int)(long)arg;
    int cur = 0;
    long lo = slice_start(id);
    qsort(&buffers[cur][lo], slice_start(id + 1) - lo, sizeof(uint32_t), compare_u32);
    pthread_barrier_wait(&barrier);

    for (int width = 1; width < nthreads; width *= 2) {
        if (id % (2 * width) == 0) {
            long mid = slice_start(id + width), hi = slice_start(id + 2 * width);
            merge(buffers[1 - cur], buffers[cur], lo, mid, hi);
        }
        cur = 1 - cur;
        pthread_barrier_wait(&barrier);
    }
    if (id == 0)
        final_buffer = cur;
    return NULL;
}

struct digest {
    uint32_t sum, xor;
};

static struct digest digest_of(const uint32_t *a, long n)
{
    struct digest d = { 0, 0 };
    for (long i = 0; i < n; i++) {
        d.sum += a[i];
        d.xor ^= a[i];
    }
    return d;
}

int main(int argc, char **argv)
{
    long threads = util_ncores(), n = DEFAULT_ELEMENTS;
    for (int i = 1; i < argc; i++) {
        if (!util_opt_long(argc, argv, &i, "-p", &threads, USAGE) &&
            !util_opt_long(argc, argv, &i, "-n", &n, USAGE))
            util_usage(USAGE);
    }
    if (threads < 1 || n < 1 || n > MAX_ELEMENTS)
        util_usage(USAGE);
    nelems = n;
    nthreads = threads > n ? (int)n : (int)threads;

    buffers[0] = malloc(nelems * sizeof(uint32_t));
    buffers[1] = malloc(nelems * sizeof(uint32_t));
    if (!buffers[0] || !buffers[1]) {
        fprintf(stderr, "sort: out of memory\n");
        return 1;
    }
    uint32_t seed = SEED;
    for (long i = 0; i < nelems; i++)
        buffers[0][i] = util_rand(&seed);
    struct digest before = digest_of(buffers[0], nelems);

    printf("sort: %ld elements, %d threads\n", nelems, nthreads);
    pthread_barrier_init(&barrier, NULL, nthreads);
    unsigned long long cycles = util_fork_join("sort", nthreads, sort_thread);
    printf("cycles: %llu\n", cycles);

    const uint32_t *result = buffers[final_buffer];
    long disorder = 0;
    for (long i = 1; i < nelems; i++)
        if (result[i - 1] > result[i])
            disorder++;
    struct digest after = digest_of(result, nelems);
    int ok = disorder == 0 && after.sum == before.sum && after.xor == before.xor;
    if (disorder)
        printf("%ld elements out of order\n", disorder);
    if (after.sum != before.sum || after.xor != before.xor)
        printf("checksum mismatch: sum %08x/%08x xor %08x/%08x\n", (unsigned)after.sum,
               (unsigned)before.sum, (unsigned)after.xor, (unsigned)before.xor);
    puts(ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
