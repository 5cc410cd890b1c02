/*
 * private: every thread sweeps its own private array: the control for hotspot (the same
 * number of readers, the data spread by the placement policy instead of piled in one
 * cluster: under `local` or `almos` each array lives in its reader's cluster).
 *
 * Usage: private [-p THREADS] [-n KIB] [-r ROUNDS]
 *   -p  threads, pinned on cores 0 .. THREADS-1 (default: every core)
 *   -n  array per thread in KiB (default 32: twice the L1, so every sweep misses it)
 *   -r  sweeps over the array (default 4)
 *
 * Each thread maps its array and writes it first (the placement policy decides where its
 * pages go), waits for the others at a barrier, then reads every word ROUNDS times and
 * times that. Prints "private threads=N kib=K rounds=R cycles_per_line=X min=A max=B"
 * (mean, fastest and slowest thread; a line is 16 words).
 */
#include "fidelity.h"

#define USAGE "usage: private [-p THREADS] [-n KIB] [-r ROUNDS]\n"
#define DEFAULT_KIB    32
#define DEFAULT_ROUNDS 4
#define MAX_KIB        (16 * 1024)
#define KIB            1024

struct sweeper {
    unsigned long long cycles;
    uint32_t sum;
};

static struct sweeper sweepers[FID_MAX_CORES];
static size_t words;
static long nrounds;

static void *sweep(void *arg)
{
    struct sweeper *s = arg;
    volatile const uint32_t *a = fid_map(words * sizeof(uint32_t));
    uint32_t sum = 0;
    fid_ready();
    unsigned long long t0 = util_cycles();
    for (long r = 0; r < nrounds; r++)
        for (size_t i = 0; i < words; i++)
            sum += a[i];
    s->cycles = fid_elapsed(t0);
    s->sum = sum;
    return NULL;
}

int main(int argc, char **argv)
{
    struct fid_machine m = fid_machine();
    int ncores = fid_ncores(m);
    static const char *const names[] = { "-p", "-n", "-r" };
    long v[] = { ncores, DEFAULT_KIB, DEFAULT_ROUNDS };
    fid_options(argc, argv, names, v, 3, USAGE);
    if (v[0] < 1 || v[0] > ncores || v[0] > FID_MAX_CORES || v[1] < 1 || v[1] > MAX_KIB ||
        v[2] < 1)
        util_usage(USAGE);
    int n = (int)v[0];
    words = (size_t)v[1] * KIB / sizeof(uint32_t);
    nrounds = v[2];

    fid_run_threads(n, sweep, sweepers, sizeof sweepers[0]);
    int ok = 1;
    for (int t = 0; t < n; t++)
        ok = ok && sweepers[t].sum == 0;
    printf("private threads=%d kib=%ld rounds=%ld", n, v[1], nrounds);
    fid_print_spread(&sweepers[0].cycles, sizeof sweepers[0], n,
                     (double)words * sizeof(uint32_t) / FID_LINE * nrounds, "line");
    puts(ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
