/*
 * pingpong: two threads pass a token through one shared word; the mean round trip, for a
 * partner core at each mesh distance from cluster (0,0) (TSAR: 68 cycles in one cluster,
 * 84 at 1 hop, 92 at 2 hops, the token homed in (0,0)).
 *
 * Usage: pingpong [-n ROUNDS] [-w WARMUP] [-H MAXHOPS] [-b CORE]
 *   -n  timed round trips per partner (default 200)
 *   -w  round trips before the timing starts (default 8)
 *   -H  farthest partner distance (default: the far corner of the mesh)
 *   -b  one partner core only (default: core 1 for 0 hops, then core 0 of a cluster at
 *       each distance 1 .. MAXHOPS)
 *
 * The token's line is homed in cluster (0,0) (mapped and written by a thread on core 0),
 * a fresh line for each partner (an earlier partner's L1 still holds a copy of its line).
 * Thread A, pinned on core 0, waits for an even value 2i and writes 2i + 1; thread B,
 * pinned on the partner core, waits for 2i + 1 and writes 2i + 2. A times ROUNDS round
 * trips. Prints "pingpong hops=H core=B round_trip=X".
 */
#include "fidelity.h"

#define USAGE "usage: pingpong [-n ROUNDS] [-w WARMUP] [-H MAXHOPS] [-b CORE]\n"
#define DEFAULT_ROUNDS 200
#define DEFAULT_WARMUP 8
#define PING_CORE      0

struct game {
    volatile uint32_t *token;
    long rounds, warmup;
    unsigned long long cycles;      /* of the timed round trips, measured by A */
};

static void *player_a(void *arg)
{
    struct game *g = arg;
    unsigned long long t0 = 0;
    for (long i = 0; i < g->warmup + g->rounds; i++) {
        if (i == g->warmup)
            t0 = util_cycles();
        while (*g->token != (uint32_t)(2 * i))
            ;
        *g->token = (uint32_t)(2 * i + 1);
    }
    while (*g->token != (uint32_t)(2 * (g->warmup + g->rounds)))
        ;
    g->cycles = fid_elapsed(t0);
    return NULL;
}

static void *player_b(void *arg)
{
    struct game *g = arg;
    for (long i = 0; i < g->warmup + g->rounds; i++) {
        while (*g->token != (uint32_t)(2 * i + 1))
            ;
        *g->token = (uint32_t)(2 * i + 2);
    }
    return NULL;
}

static void play(struct fid_machine m, struct game *g, int partner)
{
    *g->token = 0;
    pthread_t a = fid_start(PING_CORE, player_a, g);
    pthread_t b = fid_start(partner, player_b, g);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("pingpong hops=%d core=%d round_trip=%.2f\n", fid_hops(m, partner), partner,
           (double)g->cycles / g->rounds);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct fid_machine m = fid_machine();
    static const char *const names[] = { "-n", "-w", "-H", "-b" };
    long v[] = { DEFAULT_ROUNDS, DEFAULT_WARMUP, fid_max_hops(m), -1 };
    fid_options(argc, argv, names, v, 4, USAGE);
    int ncores = fid_ncores(m);
    if (v[0] < 1 || v[1] < 0 || v[2] < 0 || v[3] < -1 || v[3] >= ncores || v[3] == PING_CORE)
        util_usage(USAGE);
    if (ncores < 2) {
        fprintf(stderr, "pingpong: needs two cores\n");
        return 1;
    }

    struct game g = { .rounds = v[0], .warmup = v[1] };
    /* a line per game: the caches of earlier partners keep copies of theirs */
    int games = (int)v[2] + 2;
    volatile uint32_t *tokens = fid_map_on(PING_CORE, (size_t)games * FID_LINE);
    int game = 0;
    printf("pingpong: %ux%ux%u, %ld round trips\n", m.x, m.y, m.cores, g.rounds);
    g.token = tokens;
    if (v[3] >= 0) {
        play(m, &g, (int)v[3]);
    } else {
        for (int h = 0; h <= v[2] && h <= fid_max_hops(m); h++) {
            int partner = h == 0 ? PING_CORE + 1 : fid_core_at(m, h);
            if (h == 0 && m.cores < 2)
                continue;
            g.token = tokens + (size_t)game++ * (FID_LINE / sizeof *tokens);
            play(m, &g, partner);
        }
    }
    puts("OK");
    return 0;
}
