/*
 * hotspot: THREADS cores read distinct lines all homed in one cluster: how the home memory
 * cache holds up (TSAR, readers on cores 0 .. N-1 of a 2x2x4 machine, home (0,0): 40
 * cycles per line for 1 reader, 84 for 4, 155 for 8, 266 for 16).
 *
 * Usage: hotspot [-p THREADS] [-c HOMECORE] [-l LINES] [-r ROUNDS] [--spread]
 *   -p  readers, pinned on cores 0 .. THREADS-1 (default: every core)
 *   -c  a core of the home cluster (default 0)
 *   -l  lines per reader (default 16)
 *   -r  rounds over them (default 8)
 *   --spread  the control: each reader's lines are homed in its own cluster (mapped by the
 *             reader itself), not in the home cluster
 *
 * Every line must miss the L1 and hit the L2 each time it is read, with little memory:
 * reader t reads line (t mod 64) of LINES consecutive pages, so all its lines fall in one
 * set of the L1 (16 KiB, 4 ways of 4 KiB: more lines than ways, read round robin, always
 * miss under LRU) while the home L2 holds them all. Readers start together (a barrier)
 * and each times its own rounds.
 * Prints "hotspot threads=N home=C|own lines=L rounds=R cycles_per_line=X min=A max=B"
 * (mean, fastest and slowest reader).
 */
#include "fidelity.h"

#define USAGE "usage: hotspot [-p THREADS] [-c HOMECORE] [-l LINES] [-r ROUNDS] [--spread]\n"
#define DEFAULT_LINES  16
#define DEFAULT_ROUNDS 8
#define MAX_LINES      4096
#define LINES_PER_PAGE (FID_PAGE / FID_LINE)

struct reader {
    const char *lines;          /* LINES pages; the reader reads one line of each */
    unsigned long long cycles;
};

static struct reader readers[FID_MAX_CORES];
static long nlines, nrounds;
static int spread;

static void *read_lines(void *arg)
{
    struct reader *r = arg;
    int t = (int)(r - readers);
    if (spread)
        r->lines = fid_map((size_t)nlines * FID_PAGE);
    const char *base = r->lines + (t % LINES_PER_PAGE) * FID_LINE;
    uint32_t sum = 0;
    fid_ready();
    unsigned long long t0 = util_cycles();
    for (long k = 0; k < nrounds; k++)
        for (long i = 0; i < nlines; i++)
            sum += *(volatile const uint32_t *)(base + i * FID_PAGE);
    r->cycles = fid_elapsed(t0);
    return (void *)(uintptr_t)sum;
}

int main(int argc, char **argv)
{
    struct fid_machine m = fid_machine();
    int ncores = fid_ncores(m);
    long threads = ncores, home = 0;
    nlines = DEFAULT_LINES;
    nrounds = DEFAULT_ROUNDS;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--spread") == 0)
            spread = 1;
        else if (!util_opt_long(argc, argv, &i, "-p", &threads, USAGE) &&
                 !util_opt_long(argc, argv, &i, "-c", &home, USAGE) &&
                 !util_opt_long(argc, argv, &i, "-l", &nlines, USAGE) &&
                 !util_opt_long(argc, argv, &i, "-r", &nrounds, USAGE))
            util_usage(USAGE);
    }
    if (threads < 1 || threads > ncores || threads > FID_MAX_CORES || home < 0 ||
        home >= ncores || nlines < 1 || nlines > MAX_LINES || nrounds < 1)
        util_usage(USAGE);

    int n = (int)threads;
    if (!spread) {
        char *all = fid_map_on((int)home, (size_t)n * nlines * FID_PAGE);
        for (int t = 0; t < n; t++)
            readers[t].lines = all + (size_t)t * nlines * FID_PAGE;
    }
    fid_run_threads(n, read_lines, readers, sizeof readers[0]);
    char where[24] = "own";
    if (!spread)
        snprintf(where, sizeof where, "%ld", home);
    printf("hotspot threads=%d home=%s lines=%ld rounds=%ld", n, where, nlines, nrounds);
    fid_print_spread(&readers[0].cycles, sizeof readers[0], n, (double)nlines * nrounds, "line");
    puts("OK");
    return 0;
}
