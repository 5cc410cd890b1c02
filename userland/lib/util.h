/*
 * util.h: small helpers shared by the userland programs (benchmarks and tests).
 *
 * Everything ALMOS-specific is behind __ALMOS__ (defined by libc_stubs/almos-gcc);
 * the other branch uses plain glibc so that the programs also run under qemu-mipsel.
 * util.c is compiled into every program (there is no library to install).
 */
#ifndef USERLAND_UTIL_H
#define USERLAND_UTIL_H

#include <pthread.h>
#include <stdint.h>

/* Cycle counter of the calling core on ALMOS; nanoseconds of CLOCK_MONOTONIC elsewhere. */
unsigned long long util_cycles(void);

/* Runs fn(0) in the caller and fn(1) .. fn(nthreads - 1) in new threads, joins them, and
 * returns the cycles it all took; exits with status 1 if a thread cannot be created. */
unsigned long long util_fork_join(const char *name, int nthreads, void *(*fn)(void *));

/* Number of online cores (sysconf), at least 1. */
int util_ncores(void);

/* Mesh geometry: clusters X x Y, cores per cluster. 1 x 1 x ncores off ALMOS. */
void util_config(unsigned *x_size, unsigned *y_size, unsigned *ncores);

/* Cluster (cxy) and local index of the core running the caller; 0, 0 off ALMOS. */
void util_core(unsigned *cxy, unsigned *lid);

/* Global core number of (cxy, lid): cluster_index * cores_per_cluster + lid,
 * with cluster_index = x * Y_SIZE + y and cxy = (x << 4) | y. */
unsigned util_global_core(unsigned cxy, unsigned lid);

/* Ask that a thread created with attr runs on global core `core`.
 * Returns 0 when the request is recorded, an errno value when pinning is not
 * available (off ALMOS the request is ignored and ENOSYS returned). */
int util_attr_setcore(pthread_attr_t *attr, int core);

/* Deterministic 32-bit pseudo-random generator (same sequence on every libc). */
uint32_t util_rand(uint32_t *state);

/*
 * Command-line parsing for "-x VALUE" options: if argv[*i] is `name`, stores the
 * integer that follows into *value, advances *i past it and returns 1; returns 0
 * if argv[*i] is another option. Exits with the usage text on a missing or bad value.
 */
int util_opt_long(int argc, char **argv, int *i, const char *name, long *value,
                  const char *usage);

/* Prints usage to stderr and exits with status 2. */
void util_usage(const char *usage);

#endif
