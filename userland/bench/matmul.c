/*
 * matmul: parallel dense matrix multiplication C = A x B.
 *
 * Usage: matmul [-p THREADS] [-n SIZE] [-d]
 *   -p  threads (default: number of online cores)
 *   -n  the matrices are SIZE x SIZE (default 64)
 *   -d  double-precision elements (default: 32-bit integers)
 *
 * The threads share the rows of C. B is transposed first (by the threads too,
 * barrier in between) so that the inner product runs along rows of both.
 * The result must equal exactly a sequential computation done in the same
 * order (integer arithmetic wraps the same way; the double sums are ordered).
 * Prints "cycles: N" for the parallel product and OK or FAILED (exit status 1).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define USAGE \
    "usage: matmul [-p THREADS] [-n SIZE] [-d]\n" \
    "  -p THREADS  threads (default: online cores)\n" \
    "  -n SIZE     SIZE x SIZE matrices, default 64\n" \
    "  -d          doubles instead of 32-bit integers\n"

#define DEFAULT_SIZE  64
#define MAX_SIZE      2048
#define VALUE_RANGE   100           /* integer elements in [0, VALUE_RANGE) */
#define SEED          99u

static int nthreads, size, use_double;
static int32_t *ia, *ib, *ibt, *ic;     /* integer A, B, B transposed, C */
static double *da, *db, *dbt, *dc;      /* double versions */
static pthread_barrier_t barrier;

/* Rows [first, last) of C, from A and BT = B transposed. */
static void product_int(int32_t *c, const int32_t *a, const int32_t *bt, int first, int last)
{
    for (int i = first; i < last; i++)
        for (int j = 0; j < size; j++) {
            int32_t sum = 0;
            for (int k = 0; k < size; k++)
                sum += a[i * size + k] * bt[j * size + k];
            c[i * size + j] = sum;
        }
}

static void product_double(double *c, const double *a, const double *bt, int first, int last)
{
    for (int i = first; i < last; i++)
        for (int j = 0; j < size; j++) {
            double sum = 0.0;
            for (int k = 0; k < size; k++)
                sum += a[i * size + k] * bt[j * size + k];
            c[i * size + j] = sum;
        }
}

static void *matmul_thread(void *arg)
{
    int id = (int)(long)arg;
    int first = (int)((long)size * id / nthreads);
    int last = (int)((long)size * (id + 1) / nthreads);

    for (int j = first; j < last; j++)
        for (int k = 0; k < size; k++) {
            if (use_double)
                dbt[j * size + k] = db[k * size + j];
            else
                ibt[j * size + k] = ib[k * size + j];
        }
    pthread_barrier_wait(&barrier);
    if (use_double)
        product_double(dc, da, dbt, first, last);
    else
        product_int(ic, ia, ibt, first, last);
    return NULL;
}

int main(int argc, char **argv)
{
    long threads = util_ncores(), n = DEFAULT_SIZE;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-d") == 0)
            use_double = 1;
        else if (!util_opt_long(argc, argv, &i, "-p", &threads, USAGE) &&
                 !util_opt_long(argc, argv, &i, "-n", &n, USAGE))
            util_usage(USAGE);
    }
    if (threads < 1 || n < 1 || n > MAX_SIZE)
        util_usage(USAGE);
    size = (int)n;
    nthreads = threads > n ? (int)n : (int)threads;

    size_t elems = (size_t)size * size;
    size_t elem_size = use_double ? sizeof(double) : sizeof(int32_t);
    void *a = malloc(elems * elem_size), *b = malloc(elems * elem_size);
    void *bt = malloc(elems * elem_size), *c = malloc(elems * elem_size);
    void *expect = malloc(elems * elem_size);
    if (!a || !b || !bt || !c || !expect) {
        fprintf(stderr, "matmul: out of memory\n");
        return 1;
    }
    ia = a, ib = b, ibt = bt, ic = c;
    da = a, db = b, dbt = bt, dc = c;
    uint32_t seed = SEED;
    for (size_t i = 0; i < 2 * elems; i++) {
        uint32_t v = util_rand(&seed) % VALUE_RANGE;
        size_t at = i % elems;
        if (use_double)
            (i < elems ? da : db)[at] = v / (double)VALUE_RANGE;
        else
            (i < elems ? ia : ib)[at] = (int32_t)v;
    }

    printf("matmul: %dx%d %s, %d threads\n", size, size, use_double ? "double" : "int",
           nthreads);
    pthread_barrier_init(&barrier, NULL, nthreads);
    unsigned long long cycles = util_fork_join("matmul", nthreads, matmul_thread);
    printf("cycles: %llu\n", cycles);

    /* The reference, in the same summation order, on the already-checked BT. */
    int bt_ok = 1;
    for (int j = 0; j < size; j++)
        for (int k = 0; k < size; k++) {
            if (use_double)
                bt_ok &= dbt[j * size + k] == db[k * size + j];
            else
                bt_ok &= ibt[j * size + k] == ib[k * size + j];
        }
    if (use_double)
        product_double(expect, da, dbt, 0, size);
    else
        product_int(expect, ia, ibt, 0, size);
    int ok = bt_ok && memcmp(c, expect, elems * elem_size) == 0;
    if (use_double)
        printf("c[0][0] = %.6f, c[n-1][n-1] = %.6f\n", dc[0], dc[elems - 1]);
    else
        printf("c[0][0] = %ld, c[n-1][n-1] = %ld\n", (long)ic[0], (long)ic[elems - 1]);
    puts(ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
