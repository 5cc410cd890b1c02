/* One memory operation through the MMU, chosen by the loader's registers:
 * op 0 reads the word at addr, 1 writes value there, 2 calls the code at addr,
 * 3 reads addr then writes value there, 4 reads addr in the delay slot of a taken branch.
 * Prints what it saw. */
#include "bm.h"

int bm_main(int op, unsigned addr, unsigned value)
{
    volatile unsigned *p = (volatile unsigned *)addr;
    switch (op) {
    case 0:
        bm_kv("read", *p);
        break;
    case 1:
        *p = value;
        bm_kv("wrote", value);
        break;
    case 2:
        bm_kv("called", ((unsigned (*)(void))addr)());
        break;
    case 4: {
        unsigned v;
        asm volatile(".set push\n.set noreorder\n"
                     "beq $0, $0, 1f\n"
                     "lw %0, 0(%1)\n"
                     "li %0, 0xdead\n"             /* skipped: the branch is taken */
                     "1:\n"
                     ".set pop\n"
                     : "=r"(v) : "r"(p) : "memory");
        bm_kv("read", v);
        break;
    }
    case 3:
        bm_kv("read", *p);
        *p = value;
        bm_kv("wrote", *p);
        break;
    }
    bm_flush();
    return op;
}
