/*
 * convol: parallel 2-D convolution of an image, in the style of GIET-VM's convol.
 *
 * Usage: convol [-p THREADS] [-n SIZE] [-k KERNEL]
 *   -p  threads (default: number of online cores)
 *   -n  the image is SIZE x SIZE pixels (default 128)
 *   -k  kernel width, odd, 1..11 (default 5)
 *
 * The kernel is separable (binomial coefficients), so the filter runs in two
 * phases separated by a barrier: a horizontal pass over the threads' rows into a
 * temporary image, then a vertical pass into the output; borders repeat the edge
 * pixels. Integer arithmetic keeps the result exact: it must equal, pixel for
 * pixel, a sequential direct 2-D convolution with the full KERNEL x KERNEL matrix.
 * Prints "cycles: N" for the parallel filter and OK or FAILED (exit status 1).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

#define USAGE \
    "usage: convol [-p THREADS] [-n SIZE] [-k KERNEL]\n" \
    "  -p THREADS  threads (default: online cores)\n" \
    "  -n SIZE     image of SIZE x SIZE pixels, default 128\n" \
    "  -k KERNEL   odd kernel width 1..11, default 5\n"

#define DEFAULT_SIZE    128
#define MAX_SIZE        4096
#define DEFAULT_KERNEL  5
#define MAX_KERNEL      11              /* keeps 255 * (2^(K-1))^2 in 32 bits */
#define PIXEL_MAX       255
#define SEED            4242u

static int nthreads, size, kwidth, khalf;
static int32_t coeff[MAX_KERNEL];   /* 1-D binomial kernel */
static int32_t norm;                /* sum of the 2-D kernel: (sum of coeff)^2 */
static uint8_t *image;              /* input, size x size */
static int32_t *horiz;              /* after the horizontal pass */
static uint8_t *output;             /* parallel result */
static uint8_t *expect;             /* sequential result */
static pthread_barrier_t barrier;

static int clamp(int v)
{
    return v < 0 ? 0 : (v >= size ? size - 1 : v);
}

static void *convol_thread(void *arg)
{
    int id = (int)(long)arg;
    int first = (int)((long)size * id / nthreads);
    int last = (int)((long)size * (id + 1) / nthreads);

    for (int y = first; y < last; y++)
        for (int x = 0; x < size; x++) {
            int32_t sum = 0;
            for (int k = 0; k < kwidth; k++)
                sum += coeff[k] * image[y * size + clamp(x + k - khalf)];
            horiz[y * size + x] = sum;
        }
    pthread_barrier_wait(&barrier);

    for (int y = first; y < last; y++)
        for (int x = 0; x < size; x++) {
            int32_t sum = 0;
            for (int k = 0; k < kwidth; k++)
                sum += coeff[k] * horiz[clamp(y + k - khalf) * size + x];
            output[y * size + x] = (uint8_t)(sum / norm);
        }
    return NULL;
}

/* The reference: direct 2-D convolution, one thread. */
static void convol_sequential(void)
{
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            int32_t sum = 0;
            for (int i = 0; i < kwidth; i++)
                for (int j = 0; j < kwidth; j++)
                    sum += coeff[i] * coeff[j] *
                           image[clamp(y + i - khalf) * size + clamp(x + j - khalf)];
            expect[y * size + x] = (uint8_t)(sum / norm);
        }
}

int main(int argc, char **argv)
{
    long threads = util_ncores(), n = DEFAULT_SIZE, k = DEFAULT_KERNEL;
    for (int i = 1; i < argc; i++) {
        if (!util_opt_long(argc, argv, &i, "-p", &threads, USAGE) &&
            !util_opt_long(argc, argv, &i, "-n", &n, USAGE) &&
            !util_opt_long(argc, argv, &i, "-k", &k, USAGE))
            util_usage(USAGE);
    }
    if (threads < 1 || n < 1 || n > MAX_SIZE || k < 1 || k > MAX_KERNEL || k % 2 == 0)
        util_usage(USAGE);
    nthreads = threads > n ? (int)n : (int)threads;
    size = (int)n;
    kwidth = (int)k;
    khalf = kwidth / 2;

    /* Binomial row: C(kwidth - 1, i). */
    coeff[0] = 1;
    for (int i = 1; i < kwidth; i++)
        coeff[i] = coeff[i - 1] * (kwidth - i) / i;
    int32_t ksum = 0;
    for (int i = 0; i < kwidth; i++)
        ksum += coeff[i];
    norm = ksum * ksum;

    size_t pixels = (size_t)size * size;
    image = malloc(pixels);
    horiz = malloc(pixels * sizeof *horiz);
    output = malloc(pixels);
    expect = malloc(pixels);
    if (!image || !horiz || !output || !expect) {
        fprintf(stderr, "convol: out of memory\n");
        return 1;
    }
    uint32_t seed = SEED;
    for (size_t i = 0; i < pixels; i++)
        image[i] = (uint8_t)(util_rand(&seed) % (PIXEL_MAX + 1));

    printf("convol: %dx%d image, %dx%d kernel, %d threads\n", size, size, kwidth, kwidth,
           nthreads);
    pthread_barrier_init(&barrier, NULL, nthreads);
    unsigned long long cycles = util_fork_join("convol", nthreads, convol_thread);
    printf("cycles: %llu\n", cycles);

    convol_sequential();
    size_t wrong = 0;
    for (size_t i = 0; i < pixels; i++)
        if (output[i] != expect[i])
            wrong++;
    if (wrong)
        printf("%lu pixels differ from the sequential result\n", (unsigned long)wrong);
    puts(wrong ? "FAILED" : "OK");
    return wrong ? 1 : 0;
}
