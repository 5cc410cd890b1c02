/* Cache model of the TSAR machine: per-core L1 instruction and data caches, one L2 "memory
 * cache" per cluster holding the DHCCP directory, and a flit x distance cost model of the
 * 2D-mesh NoC. Facts from /work/shared/REFERENCE.md section 1 ("Caches and coherence", "NoC");
 * built like Spike's cachesim (geometry from sets:ways:line, one access entry point, counters
 * as plain arrays). Only tags and directory state are modelled, never data.
 *
 * Decisions (emulator/cache.py and emulator/cache_ref.py document the same ones):
 *  - L1 I and D: LRU; D is write-through with no write-allocate: a store updates the L1 copy
 *    when it hits, never fills the line on a miss, and always goes on to the home L2.
 *  - L2: LRU, inclusive of the L1 copies of its lines (its eviction invalidates them), home of
 *    its own cluster's 4 GiB window only (home cluster of a PA = pa >> 32 = cxy).
 *  - A directory entry records up to CS_DIR_IDS copies by copy id (core * 2 + 1 for an
 *    instruction copy, core * 2 for a data copy). One more copy switches the entry to counter
 *    mode (a count only) until the count is back to 0 or a broadcast has flushed the copies.
 *  - Local addresses >= uncached_from (the device segments) bypass both caches. */
#ifndef ALMOS_CACHESIM_H
#define ALMOS_CACHESIM_H
#include <stddef.h>
#include <stdint.h>

/* access kinds (cachesim_access's kind) */
enum { CS_READ = 0, CS_WRITE = 1, CS_FETCH = 2, CS_LL = 3, CS_SC = 4 };

#define CS_DIR_IDS 3            /* copies a directory entry names before it only counts */
#define CS_MAX_WAYS 64
#define CS_MAX_MESH 16          /* per dimension: cxy holds 4 bits of x and 4 of y */

/* Packet sizes in flits (DSPIN: one 32-bit word of payload per flit). A command carries a
 * header and the address; a response a header and status; a line is line/4 data flits. */
#define CS_FLITS_CMD 2          /* READ / WRITE / LL / SC command header + address */
#define CS_FLITS_RSP 2          /* READ / LL response header */
#define CS_FLITS_ACK 1          /* WRITE / SC response, MULTI_ACK, INVAL ack, CLEANUP_ACK */
#define CS_FLITS_UPDT 2         /* MULTI_UPDATE header + address (then the written words) */
#define CS_FLITS_INVAL 2        /* multicast INVAL to one named copy */
#define CS_FLITS_BCAST 2        /* BROADCAST_INVAL, delivered once to every cluster */
#define CS_FLITS_CLEANUP 2      /* CLEANUP from an L1 that evicted a line */

/* per-core counters, CS_CORE_NCNT uint64 per core */
#define CS_C_L1I_ACCESSES 0
#define CS_C_L1I_MISSES 1
#define CS_C_L1D_ACCESSES 2
#define CS_C_L1D_MISSES 3
#define CS_C_STALL 4            /* stall cycles returned to this core */
#define CS_CORE_NCNT 5

/* per-cluster counters, CS_CLUSTER_NCNT uint64 per cluster, kept at the home L2
 * ("local" = requester in the same cluster as the home, like TSAR's MMC instrumentation) */
#define CS_K_L2_ACCESSES 0
#define CS_K_L2_MISSES 1
#define CS_K_LOCAL_READS 2      /* READ and FETCH misses, LL */
#define CS_K_REMOTE_READS 3
#define CS_K_LOCAL_WRITES 4     /* WRITE, SC */
#define CS_K_REMOTE_WRITES 5
#define CS_K_COST 6             /* sum of flits x (|dx| + |dy| + 1) of the home's packets */
#define CS_K_UPDATES 7          /* MULTI_UPDATE sent */
#define CS_K_INVALIDATIONS 8    /* L1 copies invalidated (broadcast or L2 eviction) */
#define CS_K_BROADCASTS 9       /* BROADCAST_INVAL sent */
#define CS_K_CLEANUPS 10        /* CLEANUP received (L1 evictions) */
#define CS_K_LLS 11
#define CS_K_SCS 12
#define CS_K_UNCACHED 13        /* accesses to this cluster's device segments */
#define CS_CLUSTER_NCNT 14

struct cs_geometry {
    uint32_t sets;              /* power of two */
    uint32_t ways;              /* 1 .. CS_MAX_WAYS */
    uint32_t line;              /* bytes, power of two, the same in every cache */
};

/* Stall cycles charged to the requesting core beyond the 1 cycle per instruction. */
struct cs_latencies {
    uint32_t l1_hit;            /* READ / FETCH hit in the L1 */
    uint32_t l2_hit;            /* L1 miss served by the home L2 (and the L2 access of LL/SC
                                 * and uncached reads), requester in the home cluster */
    uint32_t hop;               /* per mesh hop, each way (a round trip pays 2 x hops) */
    uint32_t mem;               /* extra when the home L2 misses (line fetched from RAM) */
    uint32_t write;             /* WRITE: posted into the write buffer */
    uint32_t coherence;         /* per MULTI_UPDATE / invalidation the access caused */
};

struct cs_config {
    struct cs_geometry l1i, l1d, l2;
    struct cs_latencies lat;
    uint32_t mesh_x, mesh_y;    /* 1 .. CS_MAX_MESH each */
    uint32_t ncores;
    uint32_t uncached_from;     /* local addresses at or above it bypass the caches */
    int32_t serialize;          /* nonzero: a spin lock around every access (threaded cores) */
};

struct cachesys;

/* core_cxy[i] is the cxy of core i. NULL on a bad configuration. */
struct cachesys *cachesim_new(const struct cs_config *cfg, const int32_t *core_cxy);
void cachesim_free(struct cachesys *cs);
/* One access of `size` bytes at 40-bit physical address pa by core `core`; returns the stall
 * cycles beyond the 1 cycle per instruction. */
uint32_t cachesim_access(struct cachesys *cs, int core, uint64_t pa, uint32_t size, int kind);
/* Runs n accesses (arrays of core, pa, size, kind); returns the sum of their stalls. */
uint64_t cachesim_run_trace(struct cachesys *cs, size_t n, const int32_t *core,
                            const uint64_t *pa, const uint8_t *size, const uint8_t *kind);
/* Invalidates the home L2 lines of [pa, pa + len) and their L1 copies (MMC INVAL). */
void cachesim_l2_inval(struct cachesys *cs, uint64_t pa, uint64_t len);
void cachesim_set_counting(struct cachesys *cs, int on);
void cachesim_reset_counters(struct cachesys *cs);
/* Counter arrays, owned by cs: ncores x CS_CORE_NCNT, nclusters x CS_CLUSTER_NCNT, and the
 * nclusters x nclusters flit matrix traffic[src * nclusters + dst] (index = x * mesh_y + y). */
const uint64_t *cachesim_core_counters(struct cachesys *cs);
const uint64_t *cachesim_cluster_counters(struct cachesys *cs);
const uint64_t *cachesim_traffic(struct cachesys *cs);
/* Accesses dropped because pa >> 32 names no cluster of the mesh or core is out of range. */
uint64_t cachesim_stray(struct cachesys *cs);

#endif
