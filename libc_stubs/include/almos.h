/*
 * almos.h: ALMOS services that POSIX has no name for: the mesh geometry, where the
 * caller runs, the cycle counter and the memory-cache (MEMC) instrumentation counters.
 * Functions return 0, or -1 with errno set.
 */
#ifndef _ALMOS_H
#define _ALMOS_H
#include <almos_clock.h>
#include <pthread.h>
#include <stdint.h>

/* Counters of one cluster's memory cache since the last memc_roi_begin() (docs/ABI.md). */
struct almos_memc {
    uint32_t local_reads, remote_reads, local_writes, remote_writes;
    uint32_t updates, invalidations, broadcasts, cleanups;
    uint64_t cost;              /* flits x distance */
};

/* Mesh of x_size * y_size clusters of `ncores` cores each. */
int get_config(unsigned *x_size, unsigned *y_size, unsigned *ncores);
/* Cluster (cxy = x << 4 | y) and local index of the core running the caller. */
int get_core(unsigned *cxy, unsigned *lid);
/* Where thread `tid` (0: the caller) runs. */
int thread_info(pthread_t tid, unsigned *cxy, unsigned *lid);
/* Cycle counter of the calling core (ALMOS_CLOCK_HZ cycles per second). */
unsigned long long get_cycles(void);
/* Kernel thread id of the caller (as pthread_self()). */
unsigned almos_gettid(void);
/* The kernel prints its process table on the caller's stdout. */
int almos_ps(void);

int memc_roi_begin(void);
int memc_roi_end(void);
int memc_read(unsigned cxy, struct almos_memc *out);
#endif
