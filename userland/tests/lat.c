/*
 * lat: load, LL and LL/SC latencies seen from core 0, to data homed 0, 1, 2 ... mesh hops
 * away (TSAR's reference table: L1 hit 1, L2 hit 34 / 50 / 56, LL 18 / 34 / 40,
 * LL + ADDIU + SC 62 / 112 / 130 cycles).
 *
 * Usage: lat [-n LINES] [-r ROUNDS] [-H MAXHOPS]
 *   -n  lines of the L2 pointer chase (default 1024: 64 KiB, four times the L1, a quarter
 *       of the L2)
 *   -r  timed passes over it (default 2); the other loops scale with it
 *   -H  farthest distance measured (default: the far corner of the mesh)
 *
 * For each distance h, a thread pinned on core 0 of a cluster h hops from (0,0) maps and
 * writes the data (so that it is homed there), then a thread pinned on core 0 measures:
 *   l1_hit  a pointer chase around L1_LINES lines, after one pass that loads them;
 *   l2_hit  a pointer chase around LINES lines in a random order, after one warm pass
 *           (every load misses the L1: LRU over more lines than it holds, and hits the
 *           home L2);
 *   ll      LL of one word, again and again;
 *   llsc    LL, ADDIU, SC incrementing one word (each SC must succeed).
 * Loops are unrolled UNROLL times: the loop's own instructions add ~3 / UNROLL cycles.
 * Prints "NAME hops=H core=C cycles_per_access=X" (llsc: per LL + ADDIU + SC).
 */
#include "fidelity.h"

#define USAGE "usage: lat [-n LINES] [-r ROUNDS] [-H MAXHOPS]\n"
#define DEFAULT_LINES  1024
#define DEFAULT_ROUNDS 2
#define L1_LINES       32       /* a chase that stays in the L1 */
#define L1_PASSES      32       /* timed passes over it, per round */
#define LL_COUNT       512      /* LLs and LL/SC triples, per round */
#define UNROLL         32
#define MAX_LINES      (1 << 16)

struct target {
    void **chase;               /* LINES lines, each pointing to the next, in a random cycle */
    void **small;               /* L1_LINES lines, in order */
    volatile uint32_t *word;    /* the LL/SC word, on its own line */
    long lines, rounds;
    int hops, core;
};

/* Writes the cycle: line order[i] points to line order[i + 1], the last to the first. */
static void link_lines(void **base, const uint32_t *order, long n)
{
    const long step = FID_LINE / sizeof(void *);
    for (long i = 0; i < n; i++)
        base[order[i] * step] = &base[order[(i + 1) % n] * step];
}

static void *place(void *arg)
{
    struct target *t = arg;
    size_t chase_bytes = (size_t)t->lines * FID_LINE;
    char *mem = fid_map(chase_bytes + (L1_LINES + 1) * FID_LINE);
    t->chase = (void **)mem;
    t->small = (void **)(mem + chase_bytes);
    t->word = (volatile uint32_t *)(mem + chase_bytes + L1_LINES * FID_LINE);

    uint32_t *order = malloc(t->lines * sizeof *order), seed = 12345;
    if (order == NULL) {
        fprintf(stderr, "lat: out of memory\n");
        exit(1);
    }
    for (long i = 0; i < t->lines; i++)
        order[i] = (uint32_t)i;
    for (long i = t->lines - 1; i > 0; i--) {          /* Fisher-Yates */
        long j = util_rand(&seed) % (uint32_t)(i + 1);
        uint32_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    link_lines(t->chase, order, t->lines);
    for (long i = 0; i < L1_LINES; i++)
        order[i] = (uint32_t)i;
    link_lines(t->small, order, L1_LINES);
    free(order);
    return NULL;
}

#define STEP    p = *(void *volatile *)p;
#define STEP8   STEP STEP STEP STEP STEP STEP STEP STEP
#define STEP32  STEP8 STEP8 STEP8 STEP8

/* Cycles per load of `loads` dependent loads (a multiple of UNROLL) starting at start. */
static double chase(void **start, long loads, void ***end)
{
    void **p = start;
    unsigned long long t0 = util_cycles();
    for (long i = 0; i < loads; i += UNROLL) {
        STEP32
    }
    unsigned long long dt = fid_elapsed(t0);
    *end = p;
    return (double)dt / loads;
}

#define LL      asm volatile("ll %0, 0(%1)" : "=&r"(v) : "r"(w) : "memory");
#define LL8     LL LL LL LL LL LL LL LL
#define LLSC    asm volatile("ll %0, 0(%1)\n\taddiu %0, %0, 1\n\tsc %0, 0(%1)" \
                             : "=&r"(v) : "r"(w) : "memory");
#define LLSC8   LLSC LLSC LLSC LLSC LLSC LLSC LLSC LLSC

static double ll_alone(volatile uint32_t *w, long count)
{
    uint32_t v;
    unsigned long long t0 = util_cycles();
    for (long i = 0; i < count; i += UNROLL) {
        LL8 LL8 LL8 LL8
    }
    (void)v;
    return (double)fid_elapsed(t0) / count;
}

/* Cycles per LL + ADDIU + SC; *ok = 0 if an SC failed (the word did not grow by count). */
static double ll_sc(volatile uint32_t *w, long count, int *ok)
{
    uint32_t v, before = *w;
    unsigned long long t0 = util_cycles();
    for (long i = 0; i < count; i += UNROLL) {
        LLSC8 LLSC8 LLSC8 LLSC8
    }
    double per = (double)fid_elapsed(t0) / count;
    (void)v;
    *ok = *w - before == (uint32_t)count;
    return per;
}

static int all_ok = 1;

static void *measure(void *arg)
{
    struct target *t = arg;
    void **end;
    int ok;

    chase(t->small, L1_LINES, &end);                        /* load the lines */
    double l1 = chase(t->small, (long)L1_LINES * L1_PASSES * t->rounds, &end);
    chase(t->chase, t->lines, &end);                        /* warm pass */
    double l2 = chase(end, t->lines * t->rounds, &end);
    double ll = ll_alone(t->word, LL_COUNT * t->rounds);
    double llsc = ll_sc(t->word, LL_COUNT * t->rounds, &ok);
    if (!ok)
        all_ok = 0;
    printf("l1_hit hops=%d core=%d cycles_per_access=%.2f\n", t->hops, t->core, l1);
    printf("l2_hit hops=%d core=%d cycles_per_access=%.2f\n", t->hops, t->core, l2);
    printf("ll hops=%d core=%d cycles_per_access=%.2f\n", t->hops, t->core, ll);
    printf("llsc hops=%d core=%d cycles_per_access=%.2f%s\n", t->hops, t->core, llsc,
           ok ? "" : " sc_failed=1");
    return NULL;
}

int main(int argc, char **argv)
{
    struct fid_machine m = fid_machine();
    long v[] = { DEFAULT_LINES, DEFAULT_ROUNDS, fid_max_hops(m) };
    fid_distance_options(argc, argv, "-n", v, MAX_LINES, UNROLL, USAGE);

    printf("lat: %ux%ux%u, %ld lines, %ld rounds\n", m.x, m.y, m.cores, v[0], v[1]);
    for (int h = 0; h <= v[2] && h <= fid_max_hops(m); h++) {
        struct target t = { .lines = v[0], .rounds = v[1], .hops = h, .core = fid_core_at(m, h) };
        fid_on_core(t.core, place, &t);
        fid_on_core(0, measure, &t);
        fflush(stdout);
    }
    puts(all_ok ? "OK" : "FAILED");
    return all_ok ? 0 : 1;
}
