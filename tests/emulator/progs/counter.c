/* Several cores increment one shared counter with LL/SC. The counter lives at the address given
 * in $a3 (shared[0]); shared[16 + idx] receives this core's SC failure count and shared[64 + k]
 * the id + 1 of the core whose increment moved the counter from k (the interleaving). */
#include "bm.h"

#define ITER 1000
#define LOG_BASE 64

int bm_main(int gid, int idx, int n, volatile unsigned *shared)
{
    unsigned fails = 0;
    for (int i = 0; i < ITER; i++) {
        unsigned old, tmp;
        for (;;) {
            /* the branch ends the translated block: a slice may end between LL and SC */
            asm volatile(".set push\n.set noreorder\n"
                         "ll %0, 0(%2)\n"
                         "b 1f\n"
                         "addiu %1, %0, 1\n"
                         "1: sc %1, 0(%2)\n"
                         ".set pop\n"
                         : "=&r"(old), "=&r"(tmp) : "r"(shared) : "memory");
            if (tmp)
                break;
            fails++;
        }
        if (old < (unsigned)n * ITER)
            shared[LOG_BASE + old] = gid + 1;
        /* a little work that differs between cores, so they do not run in lockstep */
        for (unsigned k = (i + idx) % 4; k; k--)
            asm volatile("");
    }
    shared[16 + idx] = fails;
    return idx;
}
