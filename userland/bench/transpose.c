/*
 * transpose: parallel matrix transpose, in the style of GIET-VM's transpose.
 *
 * Usage: transpose [-p THREADS] [-n SIZE]
 *   -p  threads (default: number of online cores)
 *   -n  the matrix is SIZE x SIZE 32-bit words (default 256)
 *
 * Each thread writes its share of the destination rows, reading the source
 * column-wise in TILE x TILE blocks (so that both stay cache friendly). The
 * matrix is transposed twice (src -> dst -> back), with a barrier in between;
 * both results are checked element by element.
 * Prints "cycles: N" for the two transposes and OK or FAILED (exit status 1).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

#define USAGE \
    "usage: transpose [-p THREADS] [-n SIZE]\n" \
    "  -p THREADS  threads (default: online cores)\n" \
    "  -n SIZE     SIZE x SIZE matrix of 32-bit words, default 256\n"

#define DEFAULT_SIZE 256
#define MAX_SIZE     4096
#define TILE         16         /* 16 words = one 64-byte cache line */
#define SEED         777u

static int nthreads, size;
static uint32_t *src, *dst, *back;
static pthread_barrier_t barrier;

/* Rows [first, last) of to = transpose of from. */
static void transpose_rows(uint32_t *to, const uint32_t *from, int first, int last)
{
    for (int i0 = first; i0 < last; i0 += TILE) {
        int i1 = i0 + TILE < last ? i0 + TILE : last;
        for (int j0 = 0; j0 < size; j0 += TILE) {
            int j1 = j0 + TILE < size ? j0 + TILE : size;
            for (int i = i0; i < i1; i++)
                for (int j = j0; j < j1; j++)
                    to[i * size + j] = from[j * size + i];
        }
    }
}

static void *transpose_thread(void *arg)
{
    int id = (int)(long)arg;
    int first = (int)((long)size * id / nthreads);
    int last = (int)((long)size * (id + 1) / nthreads);
    transpose_rows(dst, src, first, last);
    pthread_barrier_wait(&barrier);
    transpose_rows(back, dst, first, last);
    return NULL;
}

int main(int argc, char **argv)
{
    long threads = util_ncores(), n = DEFAULT_SIZE;
    for (int i = 1; i < argc; i++) {
        if (!util_opt_long(argc, argv, &i, "-p", &threads, USAGE) &&
            !util_opt_long(argc, argv, &i, "-n", &n, USAGE))
            util_usage(USAGE);
    }
    if (threads < 1 || n < 1 || n > MAX_SIZE)
        util_usage(USAGE);
    size = (int)n;
    nthreads = threads > n ? (int)n : (int)threads;

    size_t words = (size_t)size * size;
    src = malloc(words * sizeof *src);
    dst = malloc(words * sizeof *dst);
    back = malloc(words * sizeof *back);
    if (!src || !dst || !back) {
        fprintf(stderr, "transpose: out of memory\n");
        return 1;
    }
    uint32_t seed = SEED;
    for (size_t i = 0; i < words; i++)
        src[i] = util_rand(&seed);

    printf("transpose: %dx%d words, %d threads\n", size, size, nthreads);
    pthread_barrier_init(&barrier, NULL, nthreads);
    unsigned long long cycles = util_fork_join("transpose", nthreads, transpose_thread);
    printf("cycles: %llu\n", cycles);

    size_t wrong = 0;
    for (int i = 0; i < size; i++)
        for (int j = 0; j < size; j++) {
            if (dst[i * size + j] != src[j * size + i])
                wrong++;
            if (back[i * size + j] != src[i * size + j])
                wrong++;
        }
    if (wrong)
        printf("%lu words wrong\n", (unsigned long)wrong);
    puts(wrong ? "FAILED" : "OK");
    return wrong ? 1 : 0;
}
