/*
 * kmeans: parallel k-means clustering (Phoenix/ALMOS benchmark style).
 *
 * Usage: kmeans [-p THREADS] [-n POINTS] [-k CLUSTERS] [-i ITERATIONS]
 *   -p  threads (default: number of online cores)
 *   -n  points (default 2048)
 *   -k  clusters (default 8)
 *   -i  iterations (default 10)
 *
 * Points have DIMS integer coordinates from a fixed pseudo-random sequence; the
 * first K points are the initial centres. Every iteration: each thread assigns
 * its points to the nearest centre and sums them per cluster (barrier); thread 0
 * adds the per-thread sums and moves the centres to the means (barrier).
 * Integer arithmetic makes the result independent of the summing order, so it
 * must equal exactly (centres and memberships) a sequential run.
 * Prints "cycles: N" for the parallel run and OK or FAILED (exit status 1).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define USAGE \
    "usage: kmeans [-p THREADS] [-n POINTS] [-k CLUSTERS] [-i ITERATIONS]\n" \
    "  -p THREADS     threads (default: online cores)\n" \
    "  -n POINTS      default 2048\n" \
    "  -k CLUSTERS    default 8\n" \
    "  -i ITERATIONS  default 10\n"

#define DEFAULT_POINTS     2048
#define DEFAULT_CLUSTERS   8
#define DEFAULT_ITERATIONS 10
#define MAX_POINTS         (1L << 22)
#define DIMS               3
#define COORD_RANGE        10000     /* coordinates in [0, COORD_RANGE) */
#define SEED               31337u
#define MAX_PRINTED_CLUSTERS 16

struct partial {                     /* one thread's sums, per cluster */
    int64_t *sum;                    /* [cluster * DIMS + d] */
    int32_t *count;
};

static int nthreads, npoints, nclusters, niterations;
static int32_t *points;              /* [point * DIMS + d] */
static int32_t *centres;             /* [cluster * DIMS + d] */
static int32_t *membership;          /* cluster of each point */
static struct partial *partials;     /* one per thread */
static pthread_barrier_t barrier;

static uint32_t distance2(const int32_t *a, const int32_t *b)
{
    uint32_t d2 = 0;
    for (int d = 0; d < DIMS; d++) {
        int32_t diff = a[d] - b[d];
        d2 += (uint32_t)(diff * diff);
    }
    return d2;
}

static int nearest(const int32_t *p, const int32_t *cs)
{
    int best = 0;
    uint32_t best_d2 = distance2(p, &cs[0]);
    for (int c = 1; c < nclusters; c++) {
        uint32_t d2 = distance2(p, &cs[c * DIMS]);
        if (d2 < best_d2) {
            best_d2 = d2;
            best = c;
        }
    }
    return best;
}

/* Assigns points [first, last) with centres cs into member, summing into part. */
static void assign(int first, int last, const int32_t *cs, int32_t *member,
                   struct partial *part)
{
    memset(part->sum, 0, nclusters * DIMS * sizeof *part->sum);
    memset(part->count, 0, nclusters * sizeof *part->count);
    for (int i = first; i < last; i++) {
        const int32_t *p = &points[i * DIMS];
        int c = nearest(p, cs);
        member[i] = c;
        part->count[c]++;
        for (int d = 0; d < DIMS; d++)
            part->sum[c * DIMS + d] += p[d];
    }
}

/* New centres from nparts partial sums; an empty cluster keeps its centre. */
static void update_centres(int32_t *cs, const struct partial *parts, int nparts)
{
    for (int c = 0; c < nclusters; c++) {
        int64_t sum[DIMS] = { 0 };
        int64_t count = 0;
        for (int t = 0; t < nparts; t++) {
            count += parts[t].count[c];
            for (int d = 0; d < DIMS; d++)
                sum[d] += parts[t].sum[c * DIMS + d];
        }
        if (count > 0)
            for (int d = 0; d < DIMS; d++)
                cs[c * DIMS + d] = (int32_t)(sum[d] / count);
    }
}

static void *kmeans_thread(void *arg)
{
    int id = (int)(long)arg;
    int first = (int)((long)npoints * id / nthreads);
    int last = (int)((long)npoints * (id + 1) / nthreads);
    for (int it = 0; it < niterations; it++) {
        assign(first, last, centres, membership, &partials[id]);
        pthread_barrier_wait(&barrier);
        if (id == 0)
            update_centres(centres, partials, nthreads);
        pthread_barrier_wait(&barrier);
    }
    return NULL;
}

static int alloc_partial(struct partial *p)
{
    p->sum = malloc(nclusters * DIMS * sizeof *p->sum);
    p->count = malloc(nclusters * sizeof *p->count);
    return p->sum && p->count ? 0 : -1;
}

int main(int argc, char **argv)
{
    long threads = util_ncores(), n = DEFAULT_POINTS, k = DEFAULT_CLUSTERS,
         iters = DEFAULT_ITERATIONS;
    for (int i = 1; i < argc; i++) {
        if (!util_opt_long(argc, argv, &i, "-p", &threads, USAGE) &&
            !util_opt_long(argc, argv, &i, "-n", &n, USAGE) &&
            !util_opt_long(argc, argv, &i, "-k", &k, USAGE) &&
            !util_opt_long(argc, argv, &i, "-i", &iters, USAGE))
            util_usage(USAGE);
    }
    if (threads < 1 || n < 1 || n > MAX_POINTS || k < 1 || k > n || iters < 0)
        util_usage(USAGE);
    npoints = (int)n;
    nclusters = (int)k;
    niterations = (int)iters;
    nthreads = threads > n ? (int)n : (int)threads;

    points = malloc(npoints * DIMS * sizeof *points);
    centres = malloc(nclusters * DIMS * sizeof *centres);
    membership = malloc(npoints * sizeof *membership);
    partials = malloc(nthreads * sizeof *partials);
    int32_t *seq_centres = malloc(nclusters * DIMS * sizeof *seq_centres);
    int32_t *seq_membership = malloc(npoints * sizeof *seq_membership);
    struct partial seq_partial;
    int ok_alloc = points && centres && membership && partials && seq_centres &&
                   seq_membership && alloc_partial(&seq_partial) == 0;
    for (int t = 0; ok_alloc && t < nthreads; t++)
        ok_alloc = alloc_partial(&partials[t]) == 0;
    if (!ok_alloc) {
        fprintf(stderr, "kmeans: out of memory\n");
        return 1;
    }

    uint32_t seed = SEED;
    for (int i = 0; i < npoints * DIMS; i++)
        points[i] = (int32_t)(util_rand(&seed) % COORD_RANGE);
    memcpy(centres, points, nclusters * DIMS * sizeof *centres);
    memcpy(seq_centres, points, nclusters * DIMS * sizeof *seq_centres);

    printf("kmeans: %d points, %d clusters, %d iterations, %d threads\n", npoints,
           nclusters, niterations, nthreads);
    pthread_barrier_init(&barrier, NULL, nthreads);
    unsigned long long cycles = util_fork_join("kmeans", nthreads, kmeans_thread);
    printf("cycles: %llu\n", cycles);

    for (int it = 0; it < niterations; it++) {
        assign(0, npoints, seq_centres, seq_membership, &seq_partial);
        update_centres(seq_centres, &seq_partial, 1);
    }
    int ok = memcmp(centres, seq_centres, nclusters * DIMS * sizeof *centres) == 0 &&
             (niterations == 0 ||
              memcmp(membership, seq_membership, npoints * sizeof *membership) == 0);
    for (int c = 0; c < nclusters && c < MAX_PRINTED_CLUSTERS; c++) {
        int members = 0;
        for (int i = 0; niterations > 0 && i < npoints; i++)
            members += membership[i] == c;
        printf("cluster %d: %d points, centre", c, members);
        for (int d = 0; d < DIMS; d++)
            printf(" %d", (int)centres[c * DIMS + d]);
        printf("\n");
    }
    puts(ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
