/*
 * kcost: what kernel work costs the calling core: a null system call and a first-touch
 * page fault (the targets: a null system call >= 100 cycles, a fault >= 200).
 *
 * Usage: kcost [-n CALLS] [-f PAGES]
 *   -n  getpid calls (default 2000)
 *   -f  pages first touched (default 64)
 *
 * syscall: getpid (a system call every time) in a loop, cycles per call, wrapper included.
 * fault: an anonymous mapping of PAGES pages, then one store to each page, cycles per page
 * (the fault, the page's zeroing and the store). Runs on core 0.
 * Prints "syscall cycles=X" and "fault cycles=X".
 */
#include <unistd.h>

#include "fidelity.h"

#define USAGE "usage: kcost [-n CALLS] [-f PAGES]\n"
#define DEFAULT_CALLS 2000
#define DEFAULT_PAGES 64
#define MAX_PAGES     (1 << 16)

static long counts[2] = { DEFAULT_CALLS, DEFAULT_PAGES };
static int ok = 1;

static void *measure(void *arg)
{
    (void)arg;
    pid_t pid = getpid();
    unsigned long long t0 = util_cycles();
    for (long i = 0; i < counts[0]; i++)
        ok = ok && getpid() == pid;
    double call = (double)(util_cycles() - t0) / counts[0];

    size_t bytes = (size_t)counts[1] * FID_PAGE;
    char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        ok = 0;
        return NULL;
    }
    t0 = util_cycles();
    for (size_t off = 0; off < bytes; off += FID_PAGE)
        *(volatile char *)(p + off) = 1;
    double fault = (double)(util_cycles() - t0) / counts[1];
    printf("syscall cycles=%.2f\nfault cycles=%.2f\n", call, fault);
    return NULL;
}

int main(int argc, char **argv)
{
    static const char *const names[] = { "-n", "-f" };
    fid_options(argc, argv, names, counts, 2, USAGE);
    if (counts[0] < 1 || counts[1] < 1 || counts[1] > MAX_PAGES)
        util_usage(USAGE);
    fid_on_core(0, measure, NULL);
    puts(ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
