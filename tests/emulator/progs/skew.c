/* The core of index 0 makes a system call (an unknown one: ENOSYS) every ~300 instructions, so
 * its slices keep ending for Python; the others only compute. Returns 0. */
#include "bm.h"

#define ROUNDS 20000

int bm_main(int gid, int idx, int n, volatile unsigned *unused)
{
    unsigned v = (unsigned)gid;
    for (int i = 0; i < ROUNDS; i++) {
        if (idx == 0) {
            register long v0 asm("$2") = 4999;
            asm volatile("syscall" : "+r"(v0) : : "$3", "$4", "$5", "$6", "$7", "memory");
        }
        for (int k = 0; k < 100; k++)
            v = v * 1103515245u + 12345u;
    }
    return v == 0x12345678u;       /* (0: keeps the loop from being optimised away) */
}
