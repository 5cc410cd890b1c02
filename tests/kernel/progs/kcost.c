/* What kernel work costs, as a program sees it through get_cycles() (the tests of
 * tests/kernel/test_kernel_costs.py read the lines it prints):
 *   kcost null N      "null C": cycles of one getpid() round trip, the mean of N in a loop
 *   kcost touch N     "mmap F S" and "heap F S": cycles per page of a store to each of N
 *                     fresh pages of an anonymous mapping (of the heap), the first time (F:
 *                     a page fault each) and the second time (S: the pages are mapped)
 *   kcost create CPU  "create C": cycles of a pthread_create of a thread pinned on core CPU
 */
#include <almos.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

static unsigned long long per_page(volatile char *base, int n, int round)
{
    unsigned long long t0 = get_cycles();
    for (int i = 0; i < n; i++)
        base[(long)i * PAGE] = (char)(i + round);
    return (get_cycles() - t0) / (unsigned long long)n;
}

static void touch(const char *what, char *base, int n)
{
    unsigned long long first = per_page(base, n, 1);
    unsigned long long second = per_page(base, n, 2);
    printf("%s %llu %llu\n", what, first, second);
}

static void *idle(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: kcost null N | touch N | create CPU\n");
        return 2;
    }
    int n = atoi(argv[2]);
    if (!strcmp(argv[1], "null") && n > 0) {
        unsigned long long t0 = get_cycles();
        for (int i = 0; i < n; i++)
            getpid();
        printf("null %llu\n", (get_cycles() - t0) / (unsigned long long)n);
    } else if (!strcmp(argv[1], "touch") && n > 0) {
        char *m = mmap(0, (size_t)n * PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return 1;
        touch("mmap", m, n);
        /* heap pages (below malloc's mmap threshold): skip the page holding the block's
         * header and the last one, which malloc may have written */
        char *h = malloc((size_t)(n + 2) * PAGE);
        if (!h)
            return 1;
        touch("heap", (char *)(((uintptr_t)h + PAGE) & ~(uintptr_t)(PAGE - 1)), n);
    } else if (!strcmp(argv[1], "create")) {
        pthread_attr_t attr;
        pthread_t t;
        pthread_attr_init(&attr);
        pthread_attr_setcpuid_np(&attr, n, NULL);
        unsigned long long t0 = get_cycles();
        int e = pthread_create(&t, &attr, idle, 0);
        unsigned long long t1 = get_cycles();
        if (e)
            return 1;
        pthread_join(t, NULL);
        printf("create %llu\n", t1 - t0);
    } else {
        fprintf(stderr, "kcost: bad arguments\n");
        return 2;
    }
    return 0;
}
