/*
 * pinned: threads pinned to chosen cores with pthread_attr_setcpuid_np report
 * where they actually ran.
 *
 * Usage: pinned [CORE...]
 *   CORE: global core numbers (cluster_index * cores_per_cluster + lid, with
 *   cluster_index = x * Y_SIZE + y); default: every core of the machine.
 *
 * One line per thread: "thread I: asked core A, ran on cxy C lid L core G ok"
 * (or "WRONG"). Ends with OK (exit 0) if every thread ran where it was asked,
 * else FAILED (exit 1). Off ALMOS there is no pinning: the lines only show the
 * request, and the program prints OK.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

#define MAX_PINNED 1024

struct pinned {
    pthread_t tid;
    int asked;                  /* requested global core */
    int pin_error;              /* what pthread_attr_setcpuid_np said */
    unsigned cxy, lid;          /* where the thread ran */
};

static struct pinned threads[MAX_PINNED];

static void *report(void *arg)
{
    struct pinned *p = arg;
    util_core(&p->cxy, &p->lid);
    return NULL;
}

int main(int argc, char **argv)
{
    unsigned x_size, y_size, per_cluster;
    util_config(&x_size, &y_size, &per_cluster);
    int total = (int)(x_size * y_size * per_cluster);

    int n = 0;
    if (argc > 1) {
        for (int i = 1; i < argc && n < MAX_PINNED; i++)
            threads[n++].asked = atoi(argv[i]);
    } else {
        for (int c = 0; c < total && n < MAX_PINNED; c++)
            threads[n++].asked = c;
    }
    printf("pinned: %ux%u clusters of %u cores, %d threads\n", x_size, y_size, per_cluster, n);

    int pinning = 1;
    for (int i = 0; i < n; i++) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        threads[i].pin_error = util_attr_setcore(&attr, threads[i].asked);
        if (threads[i].pin_error == ENOSYS)
            pinning = 0;
        if (pthread_create(&threads[i].tid, &attr, report, &threads[i]) != 0) {
            printf("thread %d: cannot create on core %d\nFAILED\n", i, threads[i].asked);
            return 1;
        }
        pthread_attr_destroy(&attr);
    }
    int wrong = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(threads[i].tid, NULL);
        unsigned core = util_global_core(threads[i].cxy, threads[i].lid);
        int ok = threads[i].pin_error == ENOSYS ||
                 (threads[i].pin_error == 0 && (int)core == threads[i].asked);
        wrong += !ok;
        printf("thread %d: asked core %d, ran on cxy %u lid %u core %u %s\n", i,
               threads[i].asked, threads[i].cxy, threads[i].lid, core, ok ? "ok" : "WRONG");
    }
    if (!pinning)
        printf("(no thread pinning on this system)\n");
    puts(wrong ? "FAILED" : "OK");
    return wrong ? 1 : 0;
}
