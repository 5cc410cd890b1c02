/* TSAR cache model: per-core L1 I/D caches, per-cluster L2 memory caches with the DHCCP
 * directory, and the NoC cost counters (REFERENCE.md section 1, "Caches and coherence",
 * "NoC"). Tags and directory only, no data. cachesim.h states the model's decisions.
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

/* one L2 way: the line's local line number and its directory entry */
struct l2way {
    uint32_t line;              /* (local address) >> line_shift, or L2_INVALID */
    uint16_t cnt;               /* copies (DIR_COUNT bits) | DIR_COUNTER */
    uint16_t ids[CS_DIR_IDS];   /* copy ids in list mode: core * 2 + (instruction copy) */
};

struct l1geo {
    uint32_t set_mask, ways;
    uint64_t *tags;             /* ncores x sets x ways line addresses */
    size_t per_core;            /* sets x ways */
};

struct cachesys {
    struct l1geo l1[2];         /* [0] data, [1] instruction: index = copy id & 1 */
    uint32_t line_shift, line_words;
    uint32_t l2_set_mask, l2_ways;
    size_t l2_per_cluster;
    struct l2way *l2;           /* nclusters x sets x ways */
    struct cs_latencies lat;
    uint32_t ncores, nclusters, mesh_y, uncached_from;
    int counting, serialize;
    atomic_flag lock;
    uint64_t stray;
    int16_t cxy_index[256];     /* cxy -> cluster index, -1 outside the mesh */
    uint8_t cl_x[CS_MAX_MESH * CS_MAX_MESH], cl_y[CS_MAX_MESH * CS_MAX_MESH];
    uint32_t *core_cluster;     /* core -> cluster index */
    uint64_t *ccnt;             /* ncores x CS_CORE_NCNT */
    uint64_t *kcnt;             /* nclusters x CS_CLUSTER_NCNT */
    uint64_t *traffic;          /* nclusters x nclusters */
};

static int is_pow2(uint32_t v) { return v && !(v & (v - 1)); }
static uint32_t log2u(uint32_t v) { uint32_t s = 0; while ((1u << s) < v) s++; return s; }

static int geometry_ok(const struct cs_geometry *g, uint32_t line)
{
    return is_pow2(g->sets) && g->ways >= 1 && g->ways <= CS_MAX_WAYS && g->line == line;
}

struct cachesys *cachesim_new(const struct cs_config *cfg, const int32_t *core_cxy)
{
    uint32_t line = cfg->l2.line;
    if (!is_pow2(line) || line < 4 || line > 4096 || !geometry_ok(&cfg->l1i, line)
        || !geometry_ok(&cfg->l1d, line) || !geometry_ok(&cfg->l2, line)
        || cfg->mesh_x < 1 || cfg->mesh_x > CS_MAX_MESH || cfg->mesh_y < 1
        || cfg->mesh_y > CS_MAX_MESH || cfg->ncores < 1 || cfg->ncores > DIR_COUNT / 2)
        return NULL;
    struct cachesys *cs = calloc(1, sizeof *cs);
    if (!cs) return NULL;
    atomic_flag_clear(&cs->lock);
    cs->line_shift = log2u(line);
    cs->line_words = line / 4;
    cs->lat = cfg->lat;
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
        }
    const struct cs_geometry *g1[2] = { &cfg->l1d, &cfg->l1i };
    int ok = 1;
    for (int t = 0; t < 2; t++) {
        struct l1geo *c = &cs->l1[t];
        c->set_mask = g1[t]->sets - 1;
        c->ways = g1[t]->ways;
        c->per_core = (size_t)g1[t]->sets * g1[t]->ways;
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
    cs->ccnt = calloc((size_t)cs->ncores * CS_CORE_NCNT, sizeof *cs->ccnt);
    cs->kcnt = calloc((size_t)cs->nclusters * CS_CLUSTER_NCNT, sizeof *cs->kcnt);
    cs->traffic = calloc((size_t)cs->nclusters * cs->nclusters, sizeof *cs->traffic);
    if (!ok || !cs->l2 || !cs->core_cluster || !cs->ccnt || !cs->kcnt || !cs->traffic) {
        cachesim_free(cs);
        return NULL;
    }
    for (uint32_t i = 0; i < cs->ncores; i++) {
        int32_t cxy = core_cxy[i];
        if (cxy < 0 || cxy > 255 || cs->cxy_index[cxy] < 0) { cachesim_free(cs); return NULL; }
        cs->core_cluster[i] = (uint32_t)cs->cxy_index[cxy];
    }
    return cs;
}

void cachesim_free(struct cachesys *cs)
{
    if (!cs) return;
    free(cs->l1[0].tags); free(cs->l1[1].tags); free(cs->l2);
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

static inline void count(struct cachesys *cs, uint32_t cluster, int which, uint64_t n)
{
    if (cs->counting) cs->kcnt[cluster * CS_CLUSTER_NCNT + which] += n;
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
 * filling it (and evicting the LRU way, invalidating its L1 copies) on a miss.
 * *inv receives the copies invalidated by the eviction. Returns the way, now way 0. */
static struct l2way *l2_access(struct cachesys *cs, uint32_t cl, uint32_t ll, int *miss,
                               uint32_t *inv)
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
            *inv += invalidate_copies(cs, cl, v, line_addr(cs, cl, v->line), ~0u);
        e.line = ll;
        e.cnt = 0;
        memset(e.ids, 0xFF, sizeof e.ids);
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

/* Coherence of a write of `words` by `writer` (a data copy id) to entry e of line la at home
 * cl: MULTI_UPDATE to each other named copy, or BROADCAST_INVAL in counter mode. Returns the
 * number of messages (updates + invalidations). */
static uint32_t write_coherence(struct cachesys *cs, uint32_t cl, struct l2way *e, uint64_t la,
                                uint32_t writer, uint32_t words)
{
    uint32_t cnt = e->cnt & DIR_COUNT;
    if (!cnt) return 0;
    if (e->cnt & DIR_COUNTER) {
        uint32_t n = invalidate_copies(cs, cl, e, la, writer);
        int kept = cnt > n;     /* the writer's own copy survives */
        e->cnt = (uint16_t)kept;
        e->ids[0] = (uint16_t)(kept ? writer : 0xFFFF);
        e->ids[1] = e->ids[2] = 0xFFFF;
        return n;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < cnt; i++) {
        uint32_t copy = e->ids[i];
        if (copy == writer) continue;
        n++;
        uint32_t cc = cs->core_cluster[copy >> 1];
        packet(cs, cl, cl, cc, CS_FLITS_UPDT + words);
        packet(cs, cl, cc, cl, CS_FLITS_ACK);
    }
    count(cs, cl, CS_K_UPDATES, n);
    return n;
}

/* ---- accesses ---- */

static inline uint32_t round_trip(const struct cachesys *cs, uint32_t d)
{
    return cs->lat.l2_hit + 2 * cs->lat.hop * d;
}

/* READ / FETCH that missed in the L1 (copy = core * 2 + is_fetch). */
static uint32_t l1_miss(struct cachesys *cs, uint32_t copy, uint64_t la, uint32_t home,
                        uint32_t ll, uint64_t *set)
{
    uint32_t me = cs->core_cluster[copy >> 1], d = dist(cs, me, home), inv = 0;
    int miss;
    count(cs, home, me == home ? CS_K_LOCAL_READS : CS_K_REMOTE_READS, 1);
    packet(cs, home, me, home, CS_FLITS_CMD);
    packet(cs, home, home, me, CS_FLITS_RSP + cs->line_words);
    struct l2way *e = l2_access(cs, home, ll, &miss, &inv);
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
    return round_trip(cs, d) + (miss ? cs->lat.mem : 0) + inv * cs->lat.coherence;
}

static uint32_t uncached(struct cachesys *cs, uint32_t me, uint32_t home, uint32_t words,
                         int write)
{
    count(cs, home, CS_K_UNCACHED, 1);
    if (cs->counting) {
        uint32_t n = cs->nclusters;
        cs->traffic[(size_t)me * n + home] += CS_FLITS_CMD + (write ? words : 0);
        cs->traffic[(size_t)home * n + me] += write ? CS_FLITS_ACK : CS_FLITS_RSP + words;
    }
    return write ? cs->lat.write : round_trip(cs, dist(cs, me, home));
}

static uint32_t access_one(struct cachesys *cs, uint32_t core, uint64_t pa, uint32_t size,
                           int kind)
{
    int32_t home_i = (pa >> 40) ? -1 : cs->cxy_index[pa >> 32];
    if (core >= cs->ncores || home_i < 0) { cs->stray++; return 0; }
    uint32_t home = (uint32_t)home_i, local = (uint32_t)pa;
    uint32_t words = (size + 3) >> 2;
    uint64_t *cc = cs->ccnt + (size_t)core * CS_CORE_NCNT;
    uint64_t la = pa >> cs->line_shift;
    uint32_t ll = local >> cs->line_shift;
    uint32_t stall;
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
            stall = cs->lat.l1_hit;
        } else {
            if (cs->counting) cc[t ? CS_C_L1I_MISSES : CS_C_L1D_MISSES]++;
            stall = l1_miss(cs, core * 2 + t, la, home, ll, set);
        }
        break;
    }
    case CS_WRITE:
    case CS_SC: {
        const struct l1geo *c = &cs->l1[0];
        uint64_t *set = c->tags + core * c->per_core + (size_t)((uint32_t)la & c->set_mask) * c->ways;
        int w = l1_find(set, c->ways, la);
        if (kind == CS_WRITE) {   /* write-through, no allocate: the L1 copy, if any, updated */
            if (cs->counting) {
                cc[CS_C_L1D_ACCESSES]++;
                if (w < 0) cc[CS_C_L1D_MISSES]++;
            }
            if (w > 0) l1_to_front(set, w);
        }
        uint32_t me = cs->core_cluster[core], d = dist(cs, me, home), inv = 0;
        int miss;
        count(cs, home, me == home ? CS_K_LOCAL_WRITES : CS_K_REMOTE_WRITES, 1);
        if (kind == CS_SC) count(cs, home, CS_K_SCS, 1);
        packet(cs, home, me, home, CS_FLITS_CMD + words);
        packet(cs, home, home, me, CS_FLITS_ACK);
        struct l2way *e = l2_access(cs, home, ll, &miss, &inv);
        inv += write_coherence(cs, home, e, la, core * 2, words);
        stall = inv * cs->lat.coherence;
        stall += kind == CS_WRITE ? cs->lat.write : round_trip(cs, d) + (miss ? cs->lat.mem : 0);
        break;
    }
    case CS_LL: {
        uint32_t me = cs->core_cluster[core], d = dist(cs, me, home), inv = 0;
        int miss;
        count(cs, home, me == home ? CS_K_LOCAL_READS : CS_K_REMOTE_READS, 1);
        count(cs, home, CS_K_LLS, 1);
        packet(cs, home, me, home, CS_FLITS_CMD);
        packet(cs, home, home, me, CS_FLITS_RSP + 1);
        l2_access(cs, home, ll, &miss, &inv);
        stall = round_trip(cs, d) + (miss ? cs->lat.mem : 0) + inv * cs->lat.coherence;
        break;
    }
    case -1:
    case -2:
        stall = uncached(cs, cs->core_cluster[core], home, words, kind == -1);
        break;
    default:
        cs->stray++;
        return 0;
    }
    if (cs->counting) cc[CS_C_STALL] += stall;
    return stall;
}

uint32_t cachesim_access(struct cachesys *cs, int core, uint64_t pa, uint32_t size, int kind)
{
    if (!cs->serialize) return access_one(cs, (uint32_t)core, pa, size, kind);
    while (atomic_flag_test_and_set_explicit(&cs->lock, memory_order_acquire))
        ;
    uint32_t stall = access_one(cs, (uint32_t)core, pa, size, kind);
    atomic_flag_clear_explicit(&cs->lock, memory_order_release);
    return stall;
}

uint64_t cachesim_run_trace(struct cachesys *cs, size_t n, const int32_t *core,
                            const uint64_t *pa, const uint8_t *size, const uint8_t *kind)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += cachesim_access(cs, core[i], pa[i], size[i], kind[i]);
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
