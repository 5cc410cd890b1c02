/* Cache and network model of the TSAR machine: per-core L1 instruction and data caches with a
 * write buffer, one L2 "memory cache" per cluster holding the DHCCP directory, its memory
 * controller, and the 2D mesh with XY routing. Built like Spike's cachesim (geometry from
 * sets:ways:line, one access entry point, counters as plain arrays). Tags, directory state
 * and time only, never data. docs/TIMING.md describes the model; emulator/cache.py lists
 * its decisions; emulator/cache_ref.py is an independent Python model of the same.
 *
 * Time: every access carries the requesting core's clock (`now`) and returns the cycles the
 * core stalls beyond its instruction's cycle. The memory caches, memory controllers and mesh
 * links are resources with a capacity per time bin: requests that arrive in the same bin
 * share it and queue, whatever order the cores' slices present them in (lax
 * synchronisation: cores run in slices and their clocks differ by up to a quantum). */
#ifndef ALMOS_CACHESIM_H
#define ALMOS_CACHESIM_H
#include <stddef.h>
#include <stdint.h>

/* access kinds (cachesim_access's kind) */
enum { CS_READ = 0, CS_WRITE = 1, CS_FETCH = 2, CS_LL = 3, CS_SC = 4 };

#define CS_DIR_IDS 3            /* copies a directory entry names before it only counts */
#define CS_MAX_WAYS 64
#define CS_MAX_MESH 16          /* per dimension: cxy holds 4 bits of x and 4 of y */
#define CS_MAX_WB 64            /* write-buffer entries per core, at most */
#define CS_PEND 16              /* per core: words updated by others, not yet seen (time) */

/* Resources with queues: a capacity of CS_BIN cycles per bin of CS_BIN cycles, CS_BINS bins
 * kept (a request older than that horizon behind the newest is not queued). */
#define CS_BIN_SHIFT 6
#define CS_BIN (1u << CS_BIN_SHIFT)
#define CS_BINS 1024

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
#define CS_C_STALL 4            /* stall cycles returned to this core (all causes) */
#define CS_C_QUEUE 5            /* its requests waited for a busy L2, memory controller or
                                 * link (a store's wait stalls only through a full buffer) */
#define CS_C_WB_FULL 6          /* stall: a store waiting for a write-buffer entry */
#define CS_C_DATA_WAIT 7        /* stall: a read waiting for another core's write to arrive */
#define CS_C_WB_MERGED 8        /* stores merged into a pending write-buffer entry */
#define CS_CORE_NCNT 9

/* per-cluster counters, CS_CLUSTER_NCNT uint64 per cluster, kept at the home L2
 * ("local" = requester in the same cluster as the home, like TSAR's MMC instrumentation) */
#define CS_K_L2_ACCESSES 0
#define CS_K_L2_MISSES 1
#define CS_K_LOCAL_READS 2      /* READ and FETCH misses, LL */
#define CS_K_REMOTE_READS 3
#define CS_K_LOCAL_WRITES 4     /* WRITE transactions (a write-buffer entry), SC */
#define CS_K_REMOTE_WRITES 5
#define CS_K_COST 6             /* sum of flits x (|dx| + |dy| + 1) of the home's packets */
#define CS_K_UPDATES 7          /* MULTI_UPDATE sent */
#define CS_K_INVALIDATIONS 8    /* L1 copies invalidated (broadcast or L2 eviction) */
#define CS_K_BROADCASTS 9       /* BROADCAST_INVAL sent */
#define CS_K_CLEANUPS 10        /* CLEANUP received (L1 evictions) */
#define CS_K_LLS 11
#define CS_K_SCS 12
#define CS_K_UNCACHED 13        /* accesses to this cluster's device segments */
#define CS_K_L2_BUSY 14         /* cycles the memory cache was occupied */
#define CS_K_L2_QUEUE 15        /* cycles requests waited for this memory cache or its RAM */
#define CS_K_LINK_QUEUE 16      /* cycles packets waited for this cluster's outgoing links */
#define CS_CLUSTER_NCNT 17

struct cs_geometry {
    uint32_t sets;              /* power of two */
    uint32_t ways;              /* 1 .. CS_MAX_WAYS */
    uint32_t line;              /* bytes, power of two, the same in every cache */
};

/* The costs, in cycles (emulator/timing.py documents each one and where it comes from). */
struct cs_timing {
    uint32_t l1_hit;            /* stall of an L1 hit */
    uint32_t net_local;         /* one way, core <-> memory cache inside a cluster */
    uint32_t net_exit;          /* one way, extra for leaving the cluster */
    uint32_t hop;               /* one way, per mesh hop */
    uint32_t link_flits;        /* flits per cycle on a mesh link */
    uint32_t l2_service;        /* memory cache access of a request */
    uint32_t l2_line_occupancy; /* memory cache busy per line read */
    uint32_t l2_word_occupancy; /* memory cache busy per one-word request */
    uint32_t write_service;     /* extra home processing of a write */
    uint32_t sc_extra;          /* an SC: two round trips and this */
    uint32_t l2_miss;           /* extra of a memory cache miss before the RAM */
    uint32_t ram_latency;       /* RAM latency behind the memory controller */
    uint32_t ram_occupancy;     /* memory controller busy per line */
    uint32_t wb_entries;        /* write-buffer entries, 1 .. CS_MAX_WB */
    uint32_t wb_words;          /* words per write-buffer entry, a power of two */
};

struct cs_config {
    struct cs_geometry l1i, l1d, l2;
    struct cs_timing t;
    uint32_t mesh_x, mesh_y;    /* 1 .. CS_MAX_MESH each */
    uint32_t ncores;
    uint32_t uncached_from;     /* local addresses at or above it bypass the caches */
    int32_t serialize;          /* nonzero: a spin lock around every access (threaded cores) */
};

struct cachesys;

/* core_cxy[i] is the cxy of core i. NULL on a bad configuration. */
struct cachesys *cachesim_new(const struct cs_config *cfg, const int32_t *core_cxy);
void cachesim_free(struct cachesys *cs);
/* One access of `size` bytes at 40-bit physical address pa by core `core` whose clock is
 * `now`; returns the stall cycles beyond the 1 cycle per instruction. */
uint64_t cachesim_access(struct cachesys *cs, int core, uint64_t pa, uint32_t size, int kind,
                         uint64_t now);
/* Whether core's last access stalled it for a queue of a bin (CS_BIN cycles) or more: the
 * core should let the others catch up (end its slice), so that requests reach busy
 * resources roughly in time order (docs/TIMING.md, "Contention"). */
int cachesim_contended(struct cachesys *cs, int core);
/* Accesses [pa, pa + len) for core `core` from time `now` (the kernel zeroing or copying
 * memory): reads a line at a time, writes a full write-buffer entry at a time, each access
 * when the previous one ended. Returns the cycles taken (one per access, plus stalls). */
uint64_t cachesim_access_range(struct cachesys *cs, int core, uint64_t pa, uint64_t len,
                               int kind, uint64_t now);
/* Runs n accesses (arrays of core, pa, size, kind), each core's clock starting at 0 and
 * advancing by 1 + stall per access; returns the sum of their stalls. */
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
