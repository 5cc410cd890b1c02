/* TSAR cache and network model: per-core L1 I/D caches and write buffers, per-cluster L2
 * memory caches with the DHCCP directory and a memory controller, the 2D mesh with XY
 * routing, and the time every access takes. cachesim.h states the model's shape,
 * docs/TIMING.md its costs. Tags, directory and time only, no data.
 *
 * Layout: every set keeps its ways in recency order, way 0 the most recently used, invalid
 * ways at the end; a hit moves its way to the front, a fill takes the last way. So the common
 * case (the line touched last) is one compare, and LRU needs no stamps. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "cachesim.h"

#define L1_INVALID UINT64_MAX   /* line addresses are at most 38 bits */
#define L2_INVALID UINT32_MAX
#define DIR_COUNTER 0x8000u     /* cnt flag: counter mode, ids[] meaningless */
#define DIR_COUNT 0x7FFFu
#define NO_WRITER 0xFFFFu

/* one L2 way: the line's local line number, its directory entry, and its last write */
struct l2way {
    uint32_t line;              /* (local address) >> line_shift, or L2_INVALID */
    uint16_t cnt;               /* copies (DIR_COUNT bits) | DIR_COUNTER */
    uint16_t ids[CS_DIR_IDS];   /* copy ids in list mode: core * 2 + (instruction copy) */
    uint16_t wcore;             /* the core that wrote the line last, NO_WRITER */
    uint16_t wword;             /* the word it wrote (index in the line) */
    uint64_t wtime;             /* when that write was done at the home */
};

struct l1geo {
    uint32_t set_mask, ways;
    uint64_t *tags;             /* ncores x sets x ways line addresses */
    size_t per_core;            /* sets x ways */
};

/* A resource that serves one request at a time: the cycles taken in each time bin. */
struct resource {
    uint64_t tag[CS_BINS];      /* the bin number a slot holds */
    uint16_t used[CS_BINS];     /* cycles of that bin already taken */
};

enum { LINK_E, LINK_W, LINK_N, LINK_S, NLINKS };

/* Per cluster: its memory cache, its memory controller and its four outgoing links. */
struct clres {
    struct resource l2, ram, link[NLINKS];
};

/* Per core timing state: the write buffer and the words others updated in its L1. */
struct cstate {
    uint64_t wb_done[CS_MAX_WB];  /* completion time of each entry */
    uint32_t wb_newest;           /* index of the newest entry */
    uint64_t wb_block;            /* its block address (pa >> wb_shift), or ~0 */
    uint64_t pend_max;            /* latest time in pend[] */
    int contended;                /* its last access met a busy resource (cachesim_contended) */
    struct { uint64_t word, time; } pend[CS_PEND];
};

struct cachesys {
    struct l1geo l1[2];         /* [0] data, [1] instruction: index = copy id & 1 */
    uint32_t line_shift, line_words, wb_shift;
    uint32_t l2_set_mask, l2_ways;
    size_t l2_per_cluster;
    struct l2way *l2;           /* nclusters x sets x ways */
    struct cs_timing t;
    uint32_t ncores, nclusters, mesh_y, uncached_from;
    int counting, serialize;
    uint64_t queued;            /* cycles the current access queued, over its reservations */
    atomic_flag lock;
    uint64_t stray;
    int16_t cxy_index[256];     /* cxy -> cluster index, -1 outside the mesh */
    uint8_t cl_x[CS_MAX_MESH * CS_MAX_MESH], cl_y[CS_MAX_MESH * CS_MAX_MESH];
    uint32_t maxdist[CS_MAX_MESH * CS_MAX_MESH]; /* farthest cluster from each cluster */
    uint32_t *core_cluster;     /* core -> cluster index */
    struct cstate *cst;         /* ncores */
    struct clres *res;          /* nclusters */
    uint64_t *ccnt;             /* ncores x CS_CORE_NCNT */
    uint64_t *kcnt;             /* nclusters x CS_CLUSTER_NCNT */
    uint64_t *traffic;          /* nclusters x nclusters */
};

static int is_pow2(uint32_t v) { return v && !(v & (v - 1)); }
static uint32_t log2u(uint32_t v) { uint32_t s = 0; while ((1u << s) < v) s++; return s; }
static inline uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static int geometry_ok(const struct cs_geometry *g, uint32_t line)
{
    return is_pow2(g->sets) && g->ways >= 1 && g->ways <= CS_MAX_WAYS && g->line == line;
}

static void core_reset(struct cstate *s)
{
    memset(s, 0, sizeof *s);
    s->wb_block = ~(uint64_t)0;
    for (int i = 0; i < CS_PEND; i++) s->pend[i].word = ~(uint64_t)0;
}

struct cachesys *cachesim_new(const struct cs_config *cfg, const int32_t *core_cxy)
{
    uint32_t line = cfg->l2.line;
    const struct cs_timing *t = &cfg->t;
    if (!is_pow2(line) || line < 4 || line > 4096 || !geometry_ok(&cfg->l1i, line)
        || !geometry_ok(&cfg->l1d, line) || !geometry_ok(&cfg->l2, line)
        || cfg->mesh_x < 1 || cfg->mesh_x > CS_MAX_MESH || cfg->mesh_y < 1
        || cfg->mesh_y > CS_MAX_MESH || cfg->ncores < 1 || cfg->ncores > DIR_COUNT / 2
        || cfg->ncores >= NO_WRITER || t->link_flits < 1 || t->wb_entries < 1
        || t->wb_entries > CS_MAX_WB || !is_pow2(t->wb_words))
        return NULL;
    struct cachesys *cs = calloc(1, sizeof *cs);
    if (!cs) return NULL;
    atomic_flag_clear(&cs->lock);
    cs->line_shift = log2u(line);
    cs->line_words = line / 4;
    cs->wb_shift = log2u(t->wb_words * 4);
    cs->t = *t;
    cs->ncores = cfg->ncores;
    cs->mesh_y = cfg->mesh_y;
    cs->nclusters = cfg->mesh_x * cfg->mesh_y;
    cs->uncached_from = cfg->uncached_from;
    cs->serialize = cfg->serialize != 0;
    cs->counting = 1;
    for (int i = 0; i < 256; i++) cs->cxy_index[i] = -1;
    for (uint32_t x = 0; x < cfg->mesh_x; x++)
        for (uint32_t y = 0; y < cfg->mesh_y; y++) {
            uint32_t k = x * cfg->mesh_y + y;
            cs->cxy_index[(x << 4) | y] = (int16_t)k;
            cs->cl_x[k] = (uint8_t)x;
            cs->cl_y[k] = (uint8_t)y;
            uint32_t fx = x > cfg->mesh_x - 1 - x ? x : cfg->mesh_x - 1 - x;
            uint32_t fy = y > cfg->mesh_y - 1 - y ? y : cfg->mesh_y - 1 - y;
            cs->maxdist[k] = fx + fy;
        }
    const struct cs_geometry *g1[2] = { &cfg->l1d, &cfg->l1i };
    int ok = 1;
    for (int i = 0; i < 2; i++) {
        struct l1geo *c = &cs->l1[i];
        c->set_mask = g1[i]->sets - 1;
        c->ways = g1[i]->ways;
        c->per_core = (size_t)g1[i]->sets * g1[i]->ways;
        c->tags = malloc(c->per_core * cs->ncores * sizeof *c->tags);
        if (c->tags) memset(c->tags, 0xFF, c->per_core * cs->ncores * sizeof *c->tags);
        else ok = 0;
    }
    cs->l2_set_mask = cfg->l2.sets - 1;
    cs->l2_ways = cfg->l2.ways;
    cs->l2_per_cluster = (size_t)cfg->l2.sets * cfg->l2.ways;
    cs->l2 = malloc(cs->l2_per_cluster * cs->nclusters * sizeof *cs->l2);
    if (cs->l2) memset(cs->l2, 0xFF, cs->l2_per_cluster * cs->nclusters * sizeof *cs->l2);
    cs->core_cluster = calloc(cs->ncores, sizeof *cs->core_cluster);
    cs->cst = malloc((size_t)cs->ncores * sizeof *cs->cst);
    cs->res = calloc(cs->nclusters, sizeof *cs->res);   /* zero tags: every slot stale */
    cs->ccnt = calloc((size_t)cs->ncores * CS_CORE_NCNT, sizeof *cs->ccnt);
    cs->kcnt = calloc((size_t)cs->nclusters * CS_CLUSTER_NCNT, sizeof *cs->kcnt);
    cs->traffic = calloc((size_t)cs->nclusters * cs->nclusters, sizeof *cs->traffic);
    if (!ok || !cs->l2 || !cs->core_cluster || !cs->cst || !cs->res || !cs->ccnt || !cs->kcnt
        || !cs->traffic) {
        cachesim_free(cs);
        return NULL;
    }
    for (uint32_t i = 0; i < cs->ncores; i++) {
        int32_t cxy = core_cxy[i];
        if (cxy < 0 || cxy > 255 || cs->cxy_index[cxy] < 0) { cachesim_free(cs); return NULL; }
        cs->core_cluster[i] = (uint32_t)cs->cxy_index[cxy];
        core_reset(&cs->cst[i]);
    }
    return cs;
}

void cachesim_free(struct cachesys *cs)
{
    if (!cs) return;
    free(cs->l1[0].tags); free(cs->l1[1].tags); free(cs->l2); free(cs->cst); free(cs->res);
    free(cs->core_cluster); free(cs->ccnt); free(cs->kcnt); free(cs->traffic);
    free(cs);
}

void cachesim_set_counting(struct cachesys *cs, int on) { cs->counting = on != 0; }

void cachesim_reset_counters(struct cachesys *cs)
{
    memset(cs->ccnt, 0, (size_t)cs->ncores * CS_CORE_NCNT * sizeof *cs->ccnt);
    memset(cs->kcnt, 0, (size_t)cs->nclusters * CS_CLUSTER_NCNT * sizeof *cs->kcnt);
    memset(cs->traffic, 0, (size_t)cs->nclusters * cs->nclusters * sizeof *cs->traffic);
    cs->stray = 0;
}

const uint64_t *cachesim_core_counters(struct cachesys *cs) { return cs->ccnt; }
const uint64_t *cachesim_cluster_counters(struct cachesys *cs) { return cs->kcnt; }
const uint64_t *cachesim_traffic(struct cachesys *cs) { return cs->traffic; }
uint64_t cachesim_stray(struct cachesys *cs) { return cs->stray; }

static inline void count(struct cachesys *cs, uint32_t cluster, int which, uint64_t n)
{
    if (cs->counting) cs->kcnt[cluster * CS_CLUSTER_NCNT + which] += n;
}

static inline void core_count(struct cachesys *cs, uint32_t core, int which, uint64_t n)
{
    if (cs->counting) cs->ccnt[(size_t)core * CS_CORE_NCNT + which] += n;
}

/* ---- resources: capacity per time bin ---- */

/* Takes `occ` cycles of r for a request arriving at time t: from the first bin at or after
 * t's that is not full, spilling into the following bins. Returns when service starts (the
 * wait is added to cs->queued). A request older than the bins kept is not queued. */
static uint64_t reserve(struct cachesys *cs, struct resource *r, uint64_t t, uint32_t occ)
{
    if (!occ) return t;
    uint64_t b = t >> CS_BIN_SHIFT;
    uint32_t i;
    for (uint32_t n = 0;; n++, b++) {
        i = (uint32_t)(b & (CS_BINS - 1));
        if (r->tag[i] != b) {
            if (r->tag[i] > b) return t;            /* the slot holds a later bin */
            r->tag[i] = b;
            r->used[i] = 0;
        }
        if (r->used[i] < CS_BIN) break;
        if (n == CS_BINS / 2) return t;             /* saturated beyond the horizon */
    }
    uint64_t start = max64(t, (b << CS_BIN_SHIFT) + r->used[i]);
    cs->queued += start - t;
    for (uint32_t left = occ; left;) {
        uint32_t take = CS_BIN - r->used[i];
        if (take > left) take = left;
        r->used[i] = (uint16_t)(r->used[i] + take);
        left -= take;
        if (!left) break;
        b++;
        i = (uint32_t)(b & (CS_BINS - 1));
        if (r->tag[i] != b) {
            if (r->tag[i] > b) break;
            r->tag[i] = b;
            r->used[i] = 0;
        }
    }
    return start;
}

/* ---- NoC ---- */

static inline uint32_t dist(const struct cachesys *cs, uint32_t a, uint32_t b)
{
    int dx = (int)cs->cl_x[a] - (int)cs->cl_x[b], dy = (int)cs->cl_y[a] - (int)cs->cl_y[b];
    return (uint32_t)((dx < 0 ? -dx : dx) + (dy < 0 ? -dy : dy));
}

/* A packet of `flits` from cluster src to cluster dst, accounted to the home's cost. */
static inline void packet(struct cachesys *cs, uint32_t home, uint32_t src, uint32_t dst,
                          uint32_t flits)
{
    if (!cs->counting) return;
    cs->kcnt[home * CS_CLUSTER_NCNT + CS_K_COST] += (uint64_t)flits * (dist(cs, src, dst) + 1);
    cs->traffic[(size_t)src * cs->nclusters + dst] += flits;
}

static inline uint32_t flit_cycles(const struct cachesys *cs, uint32_t flits)
{
    return (flits + cs->t.link_flits - 1) / cs->t.link_flits;
}

/* When a packet of `flits` sent at time t from cluster a has fully arrived in cluster b:
 * the crossbar, then (leaving the cluster) the wrapper and each link of the XY route, where
 * it queues behind the packets that took the link in the same bins. Charges queueing to
 * `core` (the requester) and to the link's cluster. */
static uint64_t transfer(struct cachesys *cs, uint32_t core, uint32_t a, uint32_t b,
                         uint32_t flits, uint64_t t)
{
    const struct cs_timing *T = &cs->t;
    uint32_t occ = flit_cycles(cs, flits);
    t += T->net_local;
    if (a != b) {
        t += T->net_exit;
        int x = cs->cl_x[a], y = cs->cl_y[a];
        const int bx = cs->cl_x[b], by = cs->cl_y[b];
        while (x != bx || y != by) {
            int dir = x != bx ? (x < bx ? LINK_E : LINK_W) : (y < by ? LINK_N : LINK_S);
            uint32_t here = (uint32_t)x * cs->mesh_y + (uint32_t)y;
            uint64_t s = reserve(cs, &cs->res[here].link[dir], t, occ);
            if (s > t) {
                count(cs, here, CS_K_LINK_QUEUE, s - t);
                core_count(cs, core, CS_C_QUEUE, s - t);
            }
            t = s + T->hop;
            if (dir == LINK_E) x++; else if (dir == LINK_W) x--;
            else if (dir == LINK_N) y++; else y--;
        }
    }
    return t + occ;
}

/* Time for the memory cache of cluster `home` to serve a request arriving at t that holds
 * it `occ` cycles: queueing, service, and on a miss the memory controller and the RAM. */
static uint64_t home_service(struct cachesys *cs, uint32_t core, uint32_t home, uint64_t t,
                             uint32_t occ, int miss)
{
    const struct cs_timing *T = &cs->t;
    struct clres *r = &cs->res[home];
    uint64_t s = reserve(cs, &r->l2, t, occ);
    count(cs, home, CS_K_L2_BUSY, occ);
    uint64_t ready = s + T->l2_service;
    uint64_t waited = s - t;
    if (miss) {
        uint64_t at = ready + T->l2_miss;
        uint64_t m = reserve(cs, &r->ram, at, T->ram_occupancy);
        waited += m - at;
        ready = m + T->ram_latency;
    }
    if (waited) {
        count(cs, home, CS_K_L2_QUEUE, waited);
        core_count(cs, core, CS_C_QUEUE, waited);
    }
    return ready;
}

/* BROADCAST_INVAL from home: reaches every cluster once. */
static void broadcast(struct cachesys *cs, uint32_t home)
{
    if (!cs->counting) return;
    cs->kcnt[home * CS_CLUSTER_NCNT + CS_K_BROADCASTS]++;
    cs->kcnt[home * CS_CLUSTER_NCNT + CS_K_COST] += (uint64_t)CS_FLITS_BCAST * cs->nclusters;
    uint64_t *row = cs->traffic + (size_t)home * cs->nclusters;
    for (uint32_t k = 0; k < cs->nclusters; k++) row[k] += CS_FLITS_BCAST;
}

/* ---- L1 ---- */

static inline uint64_t *l1_set(struct cachesys *cs, uint32_t copy, uint64_t la)
{
    const struct l1geo *c = &cs->l1[copy & 1];
    return c->tags + (copy >> 1) * c->per_core + (size_t)((uint32_t)la & c->set_mask) * c->ways;
}

/* Way of la in the set, or -1. */
static inline int l1_find(const uint64_t *set, uint32_t ways, uint64_t la)
{
    for (uint32_t w = 0; w < ways; w++)
        if (set[w] == la) return (int)w;
    return -1;
}

static inline void l1_to_front(uint64_t *set, int w)
{
    uint64_t la = set[w];
    for (; w > 0; w--) set[w] = set[w - 1];
    set[0] = la;
}

/* Drops la from copy's L1 if present; returns 1 when it was there. */
static int l1_drop(struct cachesys *cs, uint32_t copy, uint64_t la)
{
    uint32_t ways = cs->l1[copy & 1].ways;
    uint64_t *set = l1_set(cs, copy, la);
    int w = l1_find(set, ways, la);
    if (w < 0) return 0;
    for (; (uint32_t)w + 1 < ways; w++) set[w] = set[w + 1];
    set[ways - 1] = L1_INVALID;
    return 1;
}

/* ---- words others wrote: a reader cannot see a value before it exists ---- */

static inline uint32_t pend_slot(uint64_t word) { return (uint32_t)(word ^ (word >> 4)) & (CS_PEND - 1); }

/* A MULTI_UPDATE carrying `word` reaches core's L1 at time `at`. */
static void pend_add(struct cachesys *cs, uint32_t core, uint64_t word, uint64_t at)
{
    struct cstate *s = &cs->cst[core];
    uint32_t i = pend_slot(word);
    s->pend[i].word = word;
    s->pend[i].time = at;
    if (at > s->pend_max) s->pend_max = at;
}

/* Stall so that a read at `now` of `word` (stall so far `stall`) sees an update that
 * reaches this core's L1 later; the update is then seen. */
static inline uint64_t pend_wait(struct cachesys *cs, uint32_t core, uint64_t word, uint64_t now,
                                 uint64_t stall)
{
    struct cstate *s = &cs->cst[core];
    if (now + stall >= s->pend_max) return stall;
    uint32_t i = pend_slot(word);
    if (s->pend[i].word != word) return stall;
    s->pend[i].word = ~(uint64_t)0;
    uint64_t at = s->pend[i].time;
    if (at <= now + stall) return stall;
    core_count(cs, core, CS_C_DATA_WAIT, at - now - stall);
    return at - now;
}

/* ---- L2 and directory ---- */

static inline struct l2way *l2_set(struct cachesys *cs, uint32_t cl, uint32_t local_line)
{
    return cs->l2 + cl * cs->l2_per_cluster + (size_t)(local_line & cs->l2_set_mask) * cs->l2_ways;
}

static inline uint64_t line_addr(const struct cachesys *cs, uint32_t cl, uint32_t local_line)
{
    uint32_t cxy = ((uint32_t)cs->cl_x[cl] << 4) | cs->cl_y[cl];
    return ((uint64_t)cxy << (32 - cs->line_shift)) | local_line;
}

/* Invalidates every L1 copy of line la (home cl) except copy `keep`, which is no copy id
 * when ~0u. Counter mode: a broadcast, and a search of every L1 for the e->cnt copies. List
 * mode: one INVAL per named copy. Returns the number of copies invalidated. */
static uint32_t invalidate_copies(struct cachesys *cs, uint32_t cl, struct l2way *e, uint64_t la,
                                  uint32_t keep)
{
    uint32_t n = 0, cnt = e->cnt & DIR_COUNT;
    if (e->cnt & DIR_COUNTER) {
        broadcast(cs, cl);
        uint32_t left = cnt;
        /* the kept copy, if present, is one of the cnt: find it without dropping it */
        if (keep != ~0u) {
            const uint64_t *set = l1_set(cs, keep, la);
            if (l1_find(set, cs->l1[keep & 1].ways, la) >= 0) left--;
        }
        for (uint32_t copy = 0; left && copy < 2 * cs->ncores; copy++) {
            if (copy == keep || !l1_drop(cs, copy, la)) continue;
            left--;
            n++;
            packet(cs, cl, cs->core_cluster[copy >> 1], cl, CS_FLITS_ACK);
        }
    } else {
        for (uint32_t i = 0; i < cnt; i++) {
            uint32_t copy = e->ids[i];
            if (copy == keep) continue;
            l1_drop(cs, copy, la);
            n++;
            uint32_t cc = cs->core_cluster[copy >> 1];
            packet(cs, cl, cl, cc, CS_FLITS_INVAL);
            packet(cs, cl, cc, cl, CS_FLITS_ACK);
        }
    }
    count(cs, cl, CS_K_INVALIDATIONS, n);
    return n;
}

/* Home L2 access of local line ll in cluster cl: moves the line to the front of its set,
 * filling it (and evicting the LRU way, invalidating its L1 copies) on a miss. Returns the
 * way, now way 0. */
static struct l2way *l2_access(struct cachesys *cs, uint32_t cl, uint32_t ll, int *miss)
{
    struct l2way *set = l2_set(cs, cl, ll);
    uint32_t ways = cs->l2_ways, w = 0;
    count(cs, cl, CS_K_L2_ACCESSES, 1);
    while (w < ways && set[w].line != ll) w++;
    struct l2way e;
    if (w < ways) {
        *miss = 0;
        e = set[w];
    } else {
        *miss = 1;
        count(cs, cl, CS_K_L2_MISSES, 1);
        w = ways - 1;
        struct l2way *v = &set[w];
        if (v->line != L2_INVALID && (v->cnt & DIR_COUNT))
            invalidate_copies(cs, cl, v, line_addr(cs, cl, v->line), ~0u);
        memset(&e, 0xFF, sizeof e);
        e.line = ll;
        e.cnt = 0;
        e.wtime = 0;
    }
    for (; w > 0; w--) set[w] = set[w - 1];
    set[0] = e;
    return &set[0];
}

/* The directory entry of a line the L2 holds (no LRU change), NULL if absent. */
static struct l2way *l2_probe(struct cachesys *cs, uint32_t cl, uint32_t ll)
{
    struct l2way *set = l2_set(cs, cl, ll);
    for (uint32_t w = 0; w < cs->l2_ways; w++)
        if (set[w].line == ll) return &set[w];
    return NULL;
}

static void dir_add(struct l2way *e, uint32_t copy)
{
    uint32_t cnt = e->cnt & DIR_COUNT;
    if (e->cnt & DIR_COUNTER) e->cnt = (uint16_t)(DIR_COUNTER | (cnt + 1));
    else if (cnt < CS_DIR_IDS) { e->ids[cnt] = (uint16_t)copy; e->cnt = (uint16_t)(cnt + 1); }
    else e->cnt = (uint16_t)(DIR_COUNTER | (cnt + 1));
}

static void dir_remove(struct l2way *e, uint32_t copy)
{
    uint32_t cnt = e->cnt & DIR_COUNT;
    if (!cnt) return;           /* cannot happen while the L2 is inclusive */
    if (e->cnt & DIR_COUNTER) {
        e->cnt = (uint16_t)(cnt == 1 ? 0 : (DIR_COUNTER | (cnt - 1)));
        return;
    }
    for (uint32_t i = 0; i < cnt; i++)
        if (e->ids[i] == copy) {
            e->ids[i] = e->ids[cnt - 1];
            e->ids[cnt - 1] = 0xFFFF;
            e->cnt = (uint16_t)(cnt - 1);
            return;
        }
}

/* A read at the home that is ready at `ready` waits for the last write of its word by
 * another core to be done there. */
static inline uint64_t after_write(struct cachesys *cs, const struct l2way *e, uint32_t core,
                                   uint32_t word, uint64_t ready)
{
    if (e->wcore != NO_WRITER && e->wcore != core && e->wword == word && e->wtime > ready) {
        core_count(cs, core, CS_C_DATA_WAIT, e->wtime - ready);
        return e->wtime;
    }
    return ready;
}

/* Coherence of a write of `words` at word `word` by `core` to entry e of line la at home cl,
 * done at the home at `ready`: MULTI_UPDATE to each other named copy (each then sees the word
 * from the update's arrival), or BROADCAST_INVAL in counter mode. Returns when the last
 * acknowledgement is back at the home. */
static uint64_t write_coherence(struct cachesys *cs, uint32_t core, uint32_t cl, struct l2way *e,
                                uint64_t la, uint32_t word, uint32_t words, uint64_t ready)
{
    uint32_t cnt = e->cnt & DIR_COUNT, writer = core * 2;
    uint64_t last = ready;
    e->wcore = (uint16_t)core;
    e->wword = (uint16_t)word;
    e->wtime = ready;
    if (!cnt) return last;
    if (e->cnt & DIR_COUNTER) {
        uint32_t n = invalidate_copies(cs, cl, e, la, writer);
        int kept = cnt > n;     /* the writer's own copy survives */
        e->cnt = (uint16_t)kept;
        e->ids[0] = (uint16_t)(kept ? writer : 0xFFFF);
        e->ids[1] = e->ids[2] = 0xFFFF;
        if (n) {                /* every cluster is reached, every copy acknowledges */
            const struct cs_timing *T = &cs->t;
            uint32_t d = cs->maxdist[cl];
            uint32_t way = T->net_local + (d ? T->net_exit + T->hop * d : 0);
            last = ready + 2 * way + flit_cycles(cs, CS_FLITS_BCAST) + flit_cycles(cs, CS_FLITS_ACK);
        }
        return last;
    }
    uint32_t n = 0;
    uint64_t wordaddr = (la << (cs->line_shift - 2)) | word;
    for (uint32_t i = 0; i < cnt; i++) {
        uint32_t copy = e->ids[i];
        if (copy == writer) continue;
        n++;
        uint32_t cc = cs->core_cluster[copy >> 1];
        packet(cs, cl, cl, cc, CS_FLITS_UPDT + words);
        packet(cs, cl, cc, cl, CS_FLITS_ACK);
        uint64_t at = transfer(cs, core, cl, cc, CS_FLITS_UPDT + words, ready);
        if (!(copy & 1)) pend_add(cs, copy >> 1, wordaddr, at);
        last = max64(last, transfer(cs, core, cc, cl, CS_FLITS_ACK, at));
    }
    count(cs, cl, CS_K_UPDATES, n);
    return last;
}

/* ---- accesses ---- */

/* READ / FETCH that missed in the L1 (copy = core * 2 + is_fetch); returns the stall. */
static uint64_t l1_miss(struct cachesys *cs, uint32_t copy, uint64_t la, uint32_t home,
                        uint32_t ll, uint32_t word, uint64_t *set, uint64_t now)
{
    uint32_t core = copy >> 1, me = cs->core_cluster[core];
    int miss;
    count(cs, home, me == home ? CS_K_LOCAL_READS : CS_K_REMOTE_READS, 1);
    packet(cs, home, me, home, CS_FLITS_CMD);
    packet(cs, home, home, me, CS_FLITS_RSP + cs->line_words);
    struct l2way *e = l2_access(cs, home, ll, &miss);
    /* the L2 eviction came first: it may have emptied a way of this very set */
    uint32_t ways = cs->l1[copy & 1].ways;
    uint64_t victim = set[ways - 1];
    if (victim != L1_INVALID) {
        uint32_t vcxy = (uint32_t)(victim >> (32 - cs->line_shift));
        uint32_t vhome = (uint32_t)cs->cxy_index[vcxy];
        uint32_t vll = (uint32_t)victim & (uint32_t)((1ull << (32 - cs->line_shift)) - 1);
        count(cs, vhome, CS_K_CLEANUPS, 1);
        packet(cs, vhome, me, vhome, CS_FLITS_CLEANUP);
        packet(cs, vhome, vhome, me, CS_FLITS_ACK);
        struct l2way *ve = l2_probe(cs, vhome, vll);
        if (ve) dir_remove(ve, copy);
    }
    for (uint32_t w = ways - 1; w > 0; w--) set[w] = set[w - 1];
    set[0] = la;
    dir_add(e, copy);
    uint64_t arrive = transfer(cs, core, me, home, CS_FLITS_CMD, now);
    uint64_t ready = home_service(cs, core, home, arrive, cs->t.l2_line_occupancy, miss);
    if (!(copy & 1)) ready = after_write(cs, e, core, word, ready);
    return transfer(cs, core, home, me, CS_FLITS_RSP + cs->line_words, ready) - now;
}

/* A write-buffer entry for a store to `block` at time `now`: merged into the newest entry if
 * that one holds the same block and is still pending, else a free entry (the one that
 * completed first; if none is free, waiting for the first to complete). Returns when the new
 * entry leaves, or ~0 if merged. */
static uint64_t wb_take(struct cachesys *cs, uint32_t core, uint64_t block, uint64_t now,
                        uint64_t *stall)
{
    struct cstate *s = &cs->cst[core];
    *stall = 0;
    if (block == s->wb_block && s->wb_done[s->wb_newest] > now) {
        core_count(cs, core, CS_C_WB_MERGED, 1);
        return ~(uint64_t)0;
    }
    uint32_t slot = 0;              /* a free entry, else the first to complete */
    for (uint32_t i = 1; i < cs->t.wb_entries; i++)
        if (s->wb_done[i] < s->wb_done[slot]) slot = i;
    uint64_t t = now;
    if (s->wb_done[slot] > now) {
        *stall = s->wb_done[slot] - now;
        core_count(cs, core, CS_C_WB_FULL, *stall);
        t = s->wb_done[slot];
    }
    s->wb_newest = slot;
    s->wb_block = block;
    return t;
}

/* WRITE (a store through the write buffer) or SC. */
static uint64_t write_access(struct cachesys *cs, uint32_t core, uint64_t pa, uint32_t words,
                             int sc, uint64_t now)
{
    uint32_t home = (uint32_t)cs->cxy_index[pa >> 32], me = cs->core_cluster[core];
    uint64_t la = pa >> cs->line_shift;
    uint32_t ll = (uint32_t)pa >> cs->line_shift;
    uint32_t word = ((uint32_t)pa >> 2) & (cs->line_words - 1);
    uint64_t *cc = cs->ccnt + (size_t)core * CS_CORE_NCNT;
    struct cstate *s = &cs->cst[core];
    uint64_t stall = 0, t = now;
    if (!sc) {   /* write-through, no allocate: the L1 copy, if any, updated */
        const struct l1geo *c = &cs->l1[0];
        uint64_t *set = c->tags + core * c->per_core + (size_t)((uint32_t)la & c->set_mask) * c->ways;
        int w = l1_find(set, c->ways, la);
        if (cs->counting) {
            cc[CS_C_L1D_ACCESSES]++;
            if (w < 0) cc[CS_C_L1D_MISSES]++;
        }
        if (w > 0) l1_to_front(set, w);
        t = wb_take(cs, core, pa >> cs->wb_shift, now, &stall);
        if (t == ~(uint64_t)0) return 0;
    } else {     /* an SC waits for the stores before it */
        for (uint32_t i = 0; i < cs->t.wb_entries; i++) t = max64(t, s->wb_done[i]);
    }
    int miss;
    /* an entry leaves whole, with what merged into it; the updates carry the store's words */
    uint32_t cmd = CS_FLITS_CMD + (sc ? words : cs->t.wb_words);
    count(cs, home, me == home ? CS_K_LOCAL_WRITES : CS_K_REMOTE_WRITES, 1);
    if (sc) count(cs, home, CS_K_SCS, 1);
    packet(cs, home, me, home, cmd);
    packet(cs, home, home, me, CS_FLITS_ACK);
    struct l2way *e = l2_access(cs, home, ll, &miss);
    uint64_t arrive = transfer(cs, core, me, home, cmd, t);
    uint64_t ready = home_service(cs, core, home, arrive, cs->t.l2_word_occupancy, miss)
                     + (sc ? 0 : cs->t.write_service);
    uint64_t acked = write_coherence(cs, core, home, e, la, word, words, ready);
    uint64_t done = transfer(cs, core, home, me, CS_FLITS_ACK, acked);
    if (!sc) {
        s->wb_done[s->wb_newest] = done;
        return stall;
    }
    /* TSAR's SC costs about two one-word round trips: the second is charged as the first's
     * latency without the updates it caused */
    uint64_t rt = done - (acked - ready) - t;
    return (done - now) + rt + cs->t.sc_extra;
}

static uint64_t ll_access(struct cachesys *cs, uint32_t core, uint64_t pa, uint64_t now)
{
    uint32_t home = (uint32_t)cs->cxy_index[pa >> 32], me = cs->core_cluster[core];
    uint32_t ll = (uint32_t)pa >> cs->line_shift;
    uint32_t word = ((uint32_t)pa >> 2) & (cs->line_words - 1);
    int miss;
    count(cs, home, me == home ? CS_K_LOCAL_READS : CS_K_REMOTE_READS, 1);
    count(cs, home, CS_K_LLS, 1);
    packet(cs, home, me, home, CS_FLITS_CMD);
    packet(cs, home, home, me, CS_FLITS_RSP + 1);
    struct l2way *e = l2_access(cs, home, ll, &miss);
    uint64_t arrive = transfer(cs, core, me, home, CS_FLITS_CMD, now);
    uint64_t ready = home_service(cs, core, home, arrive, cs->t.l2_word_occupancy, miss);
    ready = after_write(cs, e, core, word, ready);
    return transfer(cs, core, home, me, CS_FLITS_RSP + 1, ready) - now;
}

/* A device register: reads are a round trip to the device's cluster; writes are posted. */
static uint64_t uncached(struct cachesys *cs, uint32_t core, uint32_t home, uint32_t words,
                         int write, uint64_t now)
{
    uint32_t me = cs->core_cluster[core];
    count(cs, home, CS_K_UNCACHED, 1);
    if (cs->counting) {
        uint32_t n = cs->nclusters;
        cs->traffic[(size_t)me * n + home] += CS_FLITS_CMD + (write ? words : 0);
        cs->traffic[(size_t)home * n + me] += write ? CS_FLITS_ACK : CS_FLITS_RSP + words;
    }
    if (write) return 0;
    uint64_t arrive = transfer(cs, core, me, home, CS_FLITS_CMD, now);
    return transfer(cs, core, home, me, CS_FLITS_RSP + words, arrive + cs->t.l2_service) - now;
}

static uint64_t access_one(struct cachesys *cs, uint32_t core, uint64_t pa, uint32_t size,
                           int kind, uint64_t now)
{
    int32_t home_i = (pa >> 40) ? -1 : cs->cxy_index[pa >> 32];
    if (core >= cs->ncores || home_i < 0) { cs->stray++; return 0; }
    uint32_t home = (uint32_t)home_i, local = (uint32_t)pa;
    uint32_t words = (size + 3) >> 2;
    uint64_t *cc = cs->ccnt + (size_t)core * CS_CORE_NCNT;
    uint64_t la = pa >> cs->line_shift;
    uint32_t ll = local >> cs->line_shift;
    uint32_t word = (local >> 2) & (cs->line_words - 1);
    uint64_t stall;
    if (local >= cs->uncached_from)
        kind = kind == CS_WRITE || kind == CS_SC ? -1 : -2;
    switch (kind) {
    case CS_READ:
    case CS_FETCH: {
        uint32_t t = kind == CS_FETCH;          /* 0 data, 1 instruction */
        const struct l1geo *c = &cs->l1[t];
        uint64_t *set = c->tags + core * c->per_core + (size_t)((uint32_t)la & c->set_mask) * c->ways;
        int w = set[0] == la ? 0 : l1_find(set, c->ways, la);
        if (cs->counting) cc[t ? CS_C_L1I_ACCESSES : CS_C_L1D_ACCESSES]++;
        if (w >= 0) {
            if (w) l1_to_front(set, w);
            stall = cs->t.l1_hit;
        } else {
            if (cs->counting) cc[t ? CS_C_L1I_MISSES : CS_C_L1D_MISSES]++;
            stall = l1_miss(cs, core * 2 + t, la, home, ll, word, set, now);
        }
        if (!t) stall = pend_wait(cs, core, pa >> 2, now, stall);
        break;
    }
    case CS_WRITE:
    case CS_SC:
        stall = write_access(cs, core, pa, words, kind == CS_SC, now);
        break;
    case CS_LL:
        stall = ll_access(cs, core, pa, now);
        break;
    case -1:
    case -2:
        stall = uncached(cs, core, home, words, kind == -1, now);
        break;
    default:
        cs->stray++;
        return 0;
    }
    if (cs->counting) cc[CS_C_STALL] += stall;
    return stall;
}

int cachesim_contended(struct cachesys *cs, int core)
{
    return (uint32_t)core < cs->ncores && cs->cst[core].contended;
}

uint64_t cachesim_access(struct cachesys *cs, int core, uint64_t pa, uint32_t size, int kind,
                         uint64_t now)
{
    if (cs->serialize)
        while (atomic_flag_test_and_set_explicit(&cs->lock, memory_order_acquire))
            ;
    cs->queued = 0;
    uint64_t stall = access_one(cs, (uint32_t)core, pa, size, kind, now);
    if ((uint32_t)core < cs->ncores)
        cs->cst[core].contended = stall >= CS_BIN && cs->queued >= CS_BIN;
    if (cs->serialize) atomic_flag_clear_explicit(&cs->lock, memory_order_release);
    return stall;
}

uint64_t cachesim_access_range(struct cachesys *cs, int core, uint64_t pa, uint64_t len,
                               int kind, uint64_t now)
{
    /* reads a line at a time; writes a write-buffer entry at a time, each entry full */
    uint64_t step = kind == CS_WRITE ? 4ull * cs->t.wb_words : 1ull << cs->line_shift;
    uint64_t total = 0;
    uint32_t size = kind == CS_WRITE ? (uint32_t)step : 4;
    for (uint64_t a = pa & ~(step - 1); a < pa + len; a += step) {
        uint64_t s = cachesim_access(cs, core, a, size, kind, now + total);
        total += s + 1;
    }
    return total;
}

uint64_t cachesim_run_trace(struct cachesys *cs, size_t n, const int32_t *core,
                            const uint64_t *pa, const uint8_t *size, const uint8_t *kind)
{
    uint64_t total = 0;
    uint64_t *clock = calloc(cs->ncores, sizeof *clock);
    if (!clock) return 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)core[i];
        uint64_t now = c < cs->ncores ? clock[c] : 0;
        uint64_t s = cachesim_access(cs, core[i], pa[i], size[i], kind[i], now);
        if (c < cs->ncores) clock[c] += 1 + s;
        total += s;
    }
    free(clock);
    return total;
}

void cachesim_l2_inval(struct cachesys *cs, uint64_t pa, uint64_t len)
{
    uint64_t line = 1ull << cs->line_shift;
    for (uint64_t a = pa & ~(line - 1); a < pa + len; a += line) {
        int32_t cl = (a >> 40) ? -1 : cs->cxy_index[a >> 32];
        if (cl < 0) continue;
        uint32_t ll = (uint32_t)a >> cs->line_shift;
        struct l2way *e = l2_probe(cs, (uint32_t)cl, ll);
        if (!e) continue;
        if (e->cnt & DIR_COUNT)
            invalidate_copies(cs, (uint32_t)cl, e, a >> cs->line_shift, ~0u);
        /* move the way to the back of its set, invalid */
        struct l2way *set = l2_set(cs, (uint32_t)cl, ll);
        for (size_t w = (size_t)(e - set); w + 1 < cs->l2_ways; w++) set[w] = set[w + 1];
        memset(&set[cs->l2_ways - 1], 0xFF, sizeof *set);
    }
}
