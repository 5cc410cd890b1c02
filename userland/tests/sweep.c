/*
 * sweep: memory locality experiment: every thread sweeps its own array many times.
 *
 * Usage: sweep [-p THREADS] [-n KIB] [-r ROUNDS] [--placement local|interleave|remote]
 *   -p           threads (default: number of online cores)
 *   -n           array size per thread in KiB (default 64: larger than an L1
 *                cache, smaller than an L2)
 *   -r           sweeps over the array (default 10)
 *   --placement  where the arrays live (default local):
 *       local       each thread mmaps and first touches its own array, so its
 *                   pages come from the thread's cluster (ANON vseg)
 *       interleave  main mallocs one block for all arrays (HEAP vseg, whose pages
 *                   the kernel spreads over the clusters)
 *       remote      main mmaps and touches every array: all pages in main's cluster
 *   The kernel's page placement policy (almos run --placement) still applies on
 *   top: this option only chooses which thread allocates and first touches.
 *
 * Each sweep adds 1 to every word. Prints one line per thread
 * "thread I: core G cycles N", then "cycles: N" (the slowest thread) and OK if
 * every word ends equal to ROUNDS, else FAILED (exit 1).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util.h"

#define USAGE \
    "usage: sweep [-p THREADS] [-n KIB] [-r ROUNDS] [--placement local|interleave|remote]\n" \
    "  -p THREADS   threads (default: online cores)\n" \
    "  -n KIB       array per thread in KiB, default 64\n" \
    "  -r ROUNDS    sweeps over each array, default 10\n" \
    "  --placement  local (default): each thread mmaps its own array;\n" \
    "               interleave: one malloc'ed block; remote: main mmaps all arrays\n"

#define DEFAULT_KIB    64
#define DEFAULT_ROUNDS 10
#define MAX_KIB        (64 * 1024)
#define KIB            1024

enum placement { LOCAL, INTERLEAVE, REMOTE };

struct sweeper {
    pthread_t tid;
    uint32_t *array;
    unsigned cxy, lid;
    unsigned long long cycles;
    int ok;
};

static enum placement placement = LOCAL;
static size_t words;                 /* per array */
static int rounds;
static pthread_barrier_t start_line;

static uint32_t *map_array(void)
{
    void *p = mmap(NULL, words * sizeof(uint32_t), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    memset(p, 0, words * sizeof(uint32_t));    /* first touch by the caller */
    return p;
}

static void *sweep_thread(void *arg)
{
    struct sweeper *s = arg;
    util_core(&s->cxy, &s->lid);
    if (placement == LOCAL)
        s->array = map_array();
    pthread_barrier_wait(&start_line);
    if (s->array == NULL)
        return NULL;

    volatile uint32_t *a = s->array;
    unsigned long long start = util_cycles();
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < words; i++)
            a[i] += 1;
    s->cycles = util_cycles() - start;

    s->ok = 1;
    for (size_t i = 0; i < words; i++)
        if (a[i] != (uint32_t)rounds)
            s->ok = 0;
    return NULL;
}

int main(int argc, char **argv)
{
    long threads = util_ncores(), kib = DEFAULT_KIB, nrounds = DEFAULT_ROUNDS;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--placement") == 0 && i + 1 < argc) {
            const char *p = argv[++i];
            if (strcmp(p, "local") == 0)
                placement = LOCAL;
            else if (strcmp(p, "interleave") == 0)
                placement = INTERLEAVE;
            else if (strcmp(p, "remote") == 0)
                placement = REMOTE;
            else
                util_usage(USAGE);
        } else if (!util_opt_long(argc, argv, &i, "-p", &threads, USAGE) &&
                   !util_opt_long(argc, argv, &i, "-n", &kib, USAGE) &&
                   !util_opt_long(argc, argv, &i, "-r", &nrounds, USAGE)) {
            util_usage(USAGE);
        }
    }
    if (threads < 1 || kib < 1 || kib > MAX_KIB || nrounds < 1)
        util_usage(USAGE);
    int n = (int)threads;
    words = (size_t)kib * KIB / sizeof(uint32_t);
    rounds = (int)nrounds;

    struct sweeper *sw = calloc(n, sizeof *sw);
    if (sw == NULL) {
        fprintf(stderr, "sweep: out of memory\n");
        return 1;
    }
    if (placement == INTERLEAVE) {
        uint32_t *block = calloc((size_t)n * words, sizeof(uint32_t));
        for (int t = 0; block && t < n; t++)
            sw[t].array = block + (size_t)t * words;
    } else if (placement == REMOTE) {
        for (int t = 0; t < n; t++)
            sw[t].array = map_array();
    }

    static const char *const names[] = { "local", "interleave", "remote" };
    printf("sweep: %d threads, %ld KiB each, %d rounds, placement %s\n", n, kib, rounds,
           names[placement]);
    pthread_barrier_init(&start_line, NULL, n);
    for (int t = 0; t < n; t++)
        if (pthread_create(&sw[t].tid, NULL, sweep_thread, &sw[t]) != 0) {
            fprintf(stderr, "sweep: cannot create thread %d\n", t);
            return 1;
        }
    unsigned long long slowest = 0;
    int ok = 1;
    for (int t = 0; t < n; t++) {
        pthread_join(sw[t].tid, NULL);
        if (sw[t].array == NULL)
            printf("thread %d: no memory\n", t);
        printf("thread %d: core %u cycles %llu\n", t, util_global_core(sw[t].cxy, sw[t].lid),
               sw[t].cycles);
        if (sw[t].cycles > slowest)
            slowest = sw[t].cycles;
        ok = ok && sw[t].ok;
    }
    printf("cycles: %llu\n", slowest);
    puts(ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
