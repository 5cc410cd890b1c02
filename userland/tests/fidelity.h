/*
 * fidelity.h: what the timing-fidelity microbenchmarks (lat, pingpong, hotspot, wburst,
 * private, kcost) share: the machine's geometry, cores at a given mesh distance from
 * cluster (0,0), threads pinned on a core, memory homed in a chosen cluster, and the
 * output format.
 *
 * Memory is homed in a cluster by a thread pinned on a core of that cluster that maps it
 * (anonymous mmap) and writes every page first: under the `local` policy (first touch) and
 * under `almos` (anonymous mmap in the caller's cluster) the pages come from that cluster.
 *
 * Every measurement is one line: a name, then KEY=VALUE pairs, the measured value last, e.g.
 * "l2_hit hops=1 core=0 cycles_per_access=50.3"; bench/fidelity.py reads them. A program
 * ends with OK (exit 0) or FAILED (exit 1). Off ALMOS (glibc, qemu-mipsel) nothing is
 * pinned, the machine is one cluster and the "cycles" are nanoseconds.
 */
#ifndef USERLAND_FIDELITY_H
#define USERLAND_FIDELITY_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util.h"

#define FID_LINE     64             /* bytes in a cache line (L1 and L2) */
#define FID_PAGE     4096           /* bytes in a page */
#define FID_MAX_CORES 1024

struct fid_machine {
    unsigned x, y, cores;           /* clusters x * y, cores per cluster */
};

/* Cycles of reading the cycle counter itself: a system call here, where TSAR's figures
 * were taken with CP0 Count (one cycle). The least of a few back-to-back reads; every
 * timing subtracts it (fid_elapsed). Measured once, by fid_machine(). */
static unsigned long long fid_clock_cost;

static inline unsigned long long fid_elapsed(unsigned long long t0)
{
    return util_cycles() - t0 - fid_clock_cost;
}

static inline struct fid_machine fid_machine(void)
{
    struct fid_machine m;
    util_config(&m.x, &m.y, &m.cores);
    fid_clock_cost = ~0ull;
    for (int i = 0; i < 8; i++) {
        unsigned long long t0 = util_cycles(), d = util_cycles() - t0;
        if (d < fid_clock_cost)
            fid_clock_cost = d;
    }
    return m;
}

static inline int fid_ncores(struct fid_machine m)
{
    return (int)(m.x * m.y * m.cores);
}

/* Mesh distance between cluster (0,0) and the cluster of global core `core`. */
static inline int fid_hops(struct fid_machine m, int core)
{
    int cluster = core / (int)m.cores;
    return cluster / (int)m.y + cluster % (int)m.y;
}

/* The longest distance from cluster (0,0): to the far corner of the mesh. */
static inline int fid_max_hops(struct fid_machine m)
{
    return (int)(m.x - 1 + m.y - 1);
}

/* Core 0 of a cluster `hops` mesh hops from (0,0) (along x first, then y); -1 if none. */
static inline int fid_core_at(struct fid_machine m, int hops)
{
    if (hops < 0 || hops > fid_max_hops(m))
        return -1;
    int x = hops < (int)m.x - 1 ? hops : (int)m.x - 1;
    int y = hops - x;
    return (x * (int)m.y + y) * (int)m.cores;
}

/* Starts fn(arg) in a thread pinned on global core `core`; exits on failure. */
static inline pthread_t fid_start(int core, void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    pthread_t tid;
    pthread_attr_init(&attr);
    util_attr_setcore(&attr, core);         /* ENOSYS off ALMOS: the thread runs anywhere */
    if (pthread_create(&tid, &attr, fn, arg) != 0) {
        fprintf(stderr, "cannot create a thread on core %d\n", core);
        exit(1);
    }
    pthread_attr_destroy(&attr);
    return tid;
}

/* Runs fn(arg) on global core `core` and waits for it. */
static inline void fid_on_core(int core, void *(*fn)(void *), void *arg)
{
    pthread_join(fid_start(core, fn, arg), NULL);
}

/* `bytes` of anonymous memory, every page written (first touch) by the caller; exits on
 * failure. */
static inline void *fid_map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    memset(p, 0, bytes);
    return p;
}

/* Request for fid_map_on(): filled in by a thread on the home core. */
struct fid_mapping {
    size_t bytes;
    void *addr;
};

static inline void *fid_map_thread(void *arg)
{
    struct fid_mapping *r = arg;
    r->addr = fid_map(r->bytes);
    return NULL;
}

/* `bytes` of memory homed in the cluster of global core `core`. */
static inline void *fid_map_on(int core, size_t bytes)
{
    struct fid_mapping r = { bytes, NULL };
    fid_on_core(core, fid_map_thread, &r);
    return r.addr;
}

/* One thread per core 0 .. n-1, each running fn(&per_thread[t]) (elements of `size`
 * bytes), started together at a barrier they call fid_ready() to wait at; returns when
 * all are done. */
static pthread_barrier_t fid_start_line;

static inline void fid_ready(void)
{
    pthread_barrier_wait(&fid_start_line);
}

static inline void fid_run_threads(int n, void *(*fn)(void *), void *per_thread, size_t size)
{
    pthread_t *tids = malloc(n * sizeof *tids);
    if (tids == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    pthread_barrier_init(&fid_start_line, NULL, n);
    for (int t = 0; t < n; t++)
        tids[t] = fid_start(t, fn, (char *)per_thread + t * size);
    for (int t = 0; t < n; t++)
        pthread_join(tids[t], NULL);
    pthread_barrier_destroy(&fid_start_line);
    free(tids);
}

/* Mean, least and greatest of n per-thread cycle counts, each divided by `units`: prints
 * " cycles_per_UNIT=MEAN min=LEAST max=GREATEST" and a newline. */
static inline void fid_print_spread(const unsigned long long *cycles, size_t stride, int n,
                                    double units, const char *unit)
{
    double sum = 0, lo = 0, hi = 0;
    for (int t = 0; t < n; t++) {
        double per = *(const unsigned long long *)((const char *)cycles + t * stride) / units;
        sum += per;
        lo = t == 0 || per < lo ? per : lo;
        hi = per > hi ? per : hi;
    }
    printf(" cycles_per_%s=%.2f min=%.2f max=%.2f\n", unit, sum / n, lo, hi);
}

/* Parses -p/-n/... options: each name in `names` takes an integer into the matching slot
 * of `values`; anything else prints the usage and exits with status 2. */
static inline void fid_options(int argc, char **argv, const char *const *names, long *values,
                               int count, const char *usage)
{
    for (int i = 1; i < argc; i++) {
        int known = 0;
        for (int k = 0; k < count && !known; k++)
            known = util_opt_long(argc, argv, &i, names[k], &values[k], usage);
        if (!known)
            util_usage(usage);
    }
}

/* The options of the programs that measure from core 0 at each distance (lat, wburst):
 * "SIZE_OPT N -r ROUNDS -H MAXHOPS" into v[0], v[1], v[2] (which hold the defaults); N must
 * be a multiple of `unroll` in unroll .. max. Exits with the usage (status 2) otherwise. */
static inline void fid_distance_options(int argc, char **argv, const char *size_opt, long *v,
                                        long max, long unroll, const char *usage)
{
    const char *const names[] = { size_opt, "-r", "-H" };
    fid_options(argc, argv, names, v, 3, usage);
    if (v[0] < unroll || v[0] > max || v[0] % unroll || v[1] < 1 || v[2] < 0)
        util_usage(usage);
}

#endif
