/*
 * fft: parallel radix-2 complex FFT in the SPLASH-2 style (six-step algorithm).
 *
 * Usage: fft [-p THREADS] [-m LOG2_POINTS]
 *   -p  threads (default: number of online cores)
 *   -m  log2 of the number of points, 2..20 (default 10: 1024 points)
 *
 * The N = N1 x N2 points are seen as a matrix; the threads share its rows.
 * Steps, separated by barriers: transpose, N2 FFTs of length N1, twiddle
 * multiplication, transpose, N1 FFTs of length N2, transpose. The result is
 * checked by running the inverse FFT and comparing with the input (max error
 * < 1e-6), and against a direct DFT when N <= DFT_CHECK_MAX_POINTS.
 * Prints "cycles: N" for the forward FFT and OK or FAILED (exit status 1).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define USAGE \
    "usage: fft [-p THREADS] [-m LOG2_POINTS]\n" \
    "  -p THREADS      threads (default: online cores)\n" \
    "  -m LOG2_POINTS  2..20, default 10 (1024 complex points)\n"

#define DEFAULT_LOG2_POINTS 10
#define MIN_LOG2_POINTS     2
#define MAX_LOG2_POINTS     20
#define DFT_CHECK_MAX_POINTS 256     /* direct O(N^2) DFT check up to this size */
#define MAX_ERROR           1e-6
#define SEED                12345u
#define FORWARD             (-1)     /* sign of the exponent */
#define INVERSE             1

struct complex {
    double re, im;
};

/* Shared state: the matrices, the roots of unity and the partition. */
static int nthreads;
static int n1, n2, npoints;          /* npoints = n1 * n2, rows of n2 then of n1 */
static struct complex *roots;        /* roots[k] = exp(-2 pi i k / npoints) */
static struct complex *data;         /* input / output, n1 x n2 */
static struct complex *work;         /* scratch, n2 x n1 */
static pthread_barrier_t barrier;
static int direction;                /* FORWARD or INVERSE for the current run */

/* w^k for the whole transform, conjugated for the inverse direction. */
static struct complex root(int k)
{
    struct complex w = roots[k & (npoints - 1)];
    if (direction == INVERSE)
        w.im = -w.im;
    return w;
}

static struct complex cmul(struct complex a, struct complex b)
{
    struct complex c = { a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re };
    return c;
}

static int log2_of(int n)
{
    int l = 0;
    while ((1 << l) < n)
        l++;
    return l;
}

/* In-place iterative radix-2 FFT of one row of length n (a power of two). */
static void fft_row(struct complex *x, int n)
{
    int bits = log2_of(n);
    for (int i = 0; i < n; i++) {
        int j = 0;
        for (int b = 0; b < bits; b++)
            j |= ((i >> b) & 1) << (bits - 1 - b);
        if (j > i) {
            struct complex t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
    }
    for (int span = 2; span <= n; span *= 2) {
        int root_step = npoints / span;  /* w_span^k = w_npoints^(k * root_step) */
        for (int start = 0; start < n; start += span) {
            for (int k = 0; k < span / 2; k++) {
                struct complex w = root(k * root_step);
                struct complex *a = &x[start + k], *b = &x[start + k + span / 2];
                struct complex t = cmul(w, *b);
                b->re = a->re - t.re;
                b->im = a->im - t.im;
                a->re += t.re;
                a->im += t.im;
            }
        }
    }
}

/* Rows [first, last) of dst (cols x rows) = transpose of src (rows x cols). */
static void transpose_rows(struct complex *dst, const struct complex *src,
                           int rows, int cols, int first, int last)
{
    for (int i = first; i < last; i++)
        for (int j = 0; j < rows; j++)
            dst[i * rows + j] = src[j * cols + i];
}

/* This thread's share [*first, *last) of n rows. */
static void my_rows(int id, int n, int *first, int *last)
{
    *first = (int)((long)n * id / nthreads);
    *last = (int)((long)n * (id + 1) / nthreads);
}

static void *fft_thread(void *arg)
{
    int id = (int)(long)arg, first, last;

    /* 1: work (n2 x n1) = transpose of data (n1 x n2). */
    my_rows(id, n2, &first, &last);
    transpose_rows(work, data, n1, n2, first, last);
    pthread_barrier_wait(&barrier);

    /* 2, 3: FFT of each row of work (length n1), then twiddles w^(j2 * k1). */
    for (int j2 = first; j2 < last; j2++) {
        struct complex *row = &work[j2 * n1];
        fft_row(row, n1);
        for (int k1 = 0; k1 < n1; k1++)
            row[k1] = cmul(row[k1], root(j2 * k1));
    }
    pthread_barrier_wait(&barrier);

    /* 4, 5: data (n1 x n2) = transpose of work; FFT of each row (length n2). */
    my_rows(id, n1, &first, &last);
    transpose_rows(data, work, n2, n1, first, last);
    for (int k1 = first; k1 < last; k1++)
        fft_row(&data[k1 * n2], n2);
    pthread_barrier_wait(&barrier);

    /* 6: work (n2 x n1) = transpose of data: X[k1 + n1 * k2] = work[k2][k1]. */
    my_rows(id, n2, &first, &last);
    transpose_rows(work, data, n1, n2, first, last);
    pthread_barrier_wait(&barrier);

    /* Back into data, scaled by 1/N for the inverse. */
    double scale = direction == INVERSE ? 1.0 / npoints : 1.0;
    int lo = (int)((long)npoints * id / nthreads), hi = (int)((long)npoints * (id + 1) / nthreads);
    for (int i = lo; i < hi; i++) {
        data[i].re = work[i].re * scale;
        data[i].im = work[i].im * scale;
    }
    return NULL;
}

/* Runs one parallel transform of data in place; returns the cycles it took. */
static unsigned long long run_fft(int dir)
{
    direction = dir;
    pthread_barrier_init(&barrier, NULL, nthreads);
    unsigned long long cycles = util_fork_join("fft", nthreads, fft_thread);
    pthread_barrier_destroy(&barrier);
    return cycles;
}

static double max_distance(const struct complex *a, const struct complex *b, int n)
{
    double worst = 0.0;
    for (int i = 0; i < n; i++) {
        double d = fabs(a[i].re - b[i].re) + fabs(a[i].im - b[i].im);
        if (d > worst)
            worst = d;
    }
    return worst;
}

/* Direct DFT of in into out (forward direction). */
static void direct_dft(const struct complex *in, struct complex *out)
{
    direction = FORWARD;
    for (int k = 0; k < npoints; k++) {
        struct complex sum = { 0.0, 0.0 };
        for (int j = 0; j < npoints; j++) {
            struct complex t = cmul(in[j], root((int)(((long)j * k) % npoints)));
            sum.re += t.re;
            sum.im += t.im;
        }
        out[k] = sum;
    }
}

int main(int argc, char **argv)
{
    long threads = util_ncores(), log2_points = DEFAULT_LOG2_POINTS;
    for (int i = 1; i < argc; i++) {
        if (!util_opt_long(argc, argv, &i, "-p", &threads, USAGE) &&
            !util_opt_long(argc, argv, &i, "-m", &log2_points, USAGE))
            util_usage(USAGE);
    }
    if (threads < 1 || log2_points < MIN_LOG2_POINTS || log2_points > MAX_LOG2_POINTS)
        util_usage(USAGE);

    n1 = 1 << (log2_points / 2);
    n2 = 1 << (log2_points - log2_points / 2);
    npoints = n1 * n2;
    nthreads = (int)threads;
    if (nthreads > n1)
        nthreads = n1;                  /* every thread needs a row of each phase */

    roots = malloc(npoints * sizeof *roots);
    data = malloc(npoints * sizeof *data);
    work = malloc(npoints * sizeof *work);
    struct complex *input = malloc(npoints * sizeof *input);
    if (!roots || !data || !work || !input) {
        fprintf(stderr, "fft: out of memory\n");
        return 1;
    }
    const double two_pi = 8.0 * atan(1.0);
    /* cos(x) = sin(x + pi/2): two sin calls, so gcc does not fold the pair into
     * a call to sincos, which is not in every libc. */
    for (int k = 0; k < npoints; k++) {
        roots[k].re = sin(two_pi * (k + npoints / 4) / npoints);
        roots[k].im = -sin(two_pi * k / npoints);
    }
    uint32_t seed = SEED;
    for (int i = 0; i < npoints; i++) {
        input[i].re = (double)(util_rand(&seed) & 0xffff) / 65536.0;
        input[i].im = (double)(util_rand(&seed) & 0xffff) / 65536.0;
    }
    memcpy(data, input, npoints * sizeof *data);

    printf("fft: %d points (%d x %d), %d threads\n", npoints, n1, n2, nthreads);
    unsigned long long cycles = run_fft(FORWARD);
    printf("cycles: %llu\n", cycles);

    int ok = 1;
    if (npoints <= DFT_CHECK_MAX_POINTS) {
        struct complex *expect = malloc(npoints * sizeof *expect);
        if (expect == NULL) {
            fprintf(stderr, "fft: out of memory\n");
            return 1;
        }
        direct_dft(input, expect);
        double err = max_distance(data, expect, npoints) / npoints;
        printf("error vs direct DFT: %.3e\n", err);
        ok = ok && err < MAX_ERROR;
        free(expect);
    }
    run_fft(INVERSE);
    double err = max_distance(data, input, npoints);
    printf("error after inverse FFT: %.3e\n", err);
    ok = ok && err < MAX_ERROR;

    puts(ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
