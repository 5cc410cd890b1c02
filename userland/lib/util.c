/*
 * util.c: helpers shared by the userland programs; see util.h.
 */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __ALMOS__
#include <almos.h>
#endif

/* Multiplier and increment of the LCG (Numerical Recipes constants). */
#define LCG_MUL 1664525u
#define LCG_ADD 1013904223u

/* Width of the y field of a cluster identifier: cxy = (x << CXY_Y_BITS) | y. */
#define CXY_Y_BITS 4
#define CXY_Y_MASK ((1u << CXY_Y_BITS) - 1)

unsigned long long util_cycles(void)
{
#ifdef __ALMOS__
    return get_cycles();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
#endif
}

int util_ncores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

void util_config(unsigned *x_size, unsigned *y_size, unsigned *ncores)
{
#ifdef __ALMOS__
    if (get_config(x_size, y_size, ncores) == 0)
        return;
#endif
    *x_size = 1;
    *y_size = 1;
    *ncores = (unsigned)util_ncores();
}

void util_core(unsigned *cxy, unsigned *lid)
{
#ifdef __ALMOS__
    if (get_core(cxy, lid) == 0)
        return;
#endif
    *cxy = 0;
    *lid = 0;
}

unsigned util_global_core(unsigned cxy, unsigned lid)
{
    unsigned x_size, y_size, ncores;
    util_config(&x_size, &y_size, &ncores);
    unsigned x = cxy >> CXY_Y_BITS, y = cxy & CXY_Y_MASK;
    return (x * y_size + y) * ncores + lid;
}

int util_attr_setcore(pthread_attr_t *attr, int core)
{
#ifdef __ALMOS__
    return pthread_attr_setcpuid_np(attr, core);
#else
    (void)attr;
    (void)core;
    return ENOSYS;
#endif
}

uint32_t util_rand(uint32_t *state)
{
    *state = *state * LCG_MUL + LCG_ADD;
    /* The low bits of an LCG are weak: hand out the high half mixed in. */
    return *state ^ (*state >> 16);
}

void util_usage(const char *usage)
{
    fputs(usage, stderr);
    exit(2);
}

int util_opt_long(int argc, char **argv, int *i, const char *name, long *value,
                  const char *usage)
{
    if (strcmp(argv[*i], name) != 0)
        return 0;
    if (*i + 1 >= argc)
        util_usage(usage);
    char *end;
    errno = 0;
    long v = strtol(argv[*i + 1], &end, 0);
    if (errno != 0 || end == argv[*i + 1] || *end != '\0')
        util_usage(usage);
    *value = v;
    *i += 1;
    return 1;
}

unsigned long long util_fork_join(const char *name, int nthreads, void *(*fn)(void *))
{
    pthread_t *tids = malloc(nthreads * sizeof *tids);
    if (tids == NULL) {
        fprintf(stderr, "%s: out of memory\n", name);
        exit(1);
    }
    unsigned long long start = util_cycles();
    for (int t = 1; t < nthreads; t++)
        if (pthread_create(&tids[t], NULL, fn, (void *)(long)t) != 0) {
            fprintf(stderr, "%s: cannot create thread %d\n", name, t);
            exit(1);
        }
    fn((void *)0);
    for (int t = 1; t < nthreads; t++)
        pthread_join(tids[t], NULL);
    unsigned long long cycles = util_cycles() - start;
    free(tids);
    return cycles;
}
