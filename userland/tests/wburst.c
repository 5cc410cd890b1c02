/*
 * wburst: bursts of stores from core 0 to lines homed 0, 1, 2 ... mesh hops away: what the
 * write-through L1 and its write buffer (TSAR: 4 lines x 4 words) let a core sustain
 * (TSAR: ~2.1 cycles per word to a local line, ~4.3 two hops away).
 *
 * Usage: wburst [-w WORDS] [-r ROUNDS] [-H MAXHOPS]
 *   -w  words per burst (default 1024: 4 KiB, 64 lines; a multiple of 32)
 *   -r  bursts (default 8)
 *   -H  farthest distance measured (default: the far corner of the mesh)
 *
 * A thread pinned on core 0 of a cluster h hops from (0,0) maps and writes the region
 * (homing it there); a thread pinned on core 0 then stores to every word of it, in order,
 * ROUNDS times (unrolled 32 stores a loop; the L1 does not allocate on a write miss, so
 * every store goes to the home). Prints "wburst hops=H core=C cycles_per_word=X".
 */
#include "fidelity.h"

#define USAGE "usage: wburst [-w WORDS] [-r ROUNDS] [-H MAXHOPS]\n"
#define DEFAULT_WORDS  1024
#define DEFAULT_ROUNDS 8
#define UNROLL         32
#define MAX_WORDS      (1 << 20)

struct burst {
    volatile uint32_t *region;
    long words, rounds;
    double per_word;
};

#define ST(k)   w[k] = v;
#define ST8(k)  ST(k) ST(k + 1) ST(k + 2) ST(k + 3) ST(k + 4) ST(k + 5) ST(k + 6) ST(k + 7)

static void *store(void *arg)
{
    struct burst *b = arg;
    unsigned long long t0 = util_cycles();
    for (long r = 0; r < b->rounds; r++) {
        uint32_t v = (uint32_t)r;
        for (volatile uint32_t *w = b->region; w < b->region + b->words; w += UNROLL) {
            ST8(0) ST8(8) ST8(16) ST8(24)
        }
    }
    b->per_word = (double)fid_elapsed(t0) / (b->words * b->rounds);
    return NULL;
}

int main(int argc, char **argv)
{
    struct fid_machine m = fid_machine();
    long v[] = { DEFAULT_WORDS, DEFAULT_ROUNDS, fid_max_hops(m) };
    fid_distance_options(argc, argv, "-w", v, MAX_WORDS, UNROLL, USAGE);

    int ok = 1;
    printf("wburst: %ux%ux%u, %ld words, %ld bursts\n", m.x, m.y, m.cores, v[0], v[1]);
    for (int h = 0; h <= v[2] && h <= fid_max_hops(m); h++) {
        int core = fid_core_at(m, h);
        struct burst b = { .words = v[0], .rounds = v[1] };
        b.region = fid_map_on(core, (size_t)b.words * sizeof(uint32_t));
        fid_on_core(0, store, &b);
        for (long i = 0; i < b.words; i++)
            ok = ok && b.region[i] == (uint32_t)(b.rounds - 1);
        printf("wburst hops=%d core=%d cycles_per_word=%.2f\n", h, core, b.per_word);
        fflush(stdout);
    }
    puts(ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
