/* Multiply, divide, HI/LO, multiply-accumulate, count leading zeros/ones, LL/SC. */
#include "bm.h"

static volatile unsigned in[] = {
    0, 1, 3, 7, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff9,
    0x12345678, 0xdeadbeef, 0x0000ffff, 0x00010001,
};
#define NIN (sizeof in / sizeof in[0])
static volatile unsigned word = 41;

static unsigned hi_lo(const char *op, unsigned a, unsigned b, unsigned hi0, unsigned lo0)
{
    unsigned hi, lo;
    if (op[1] == 'a' && op[4] == 0)
        asm("mthi %2\n mtlo %3\n madd %4, %5\n mfhi %0\n mflo %1"
            : "=&r"(hi), "=&r"(lo) : "r"(hi0), "r"(lo0), "r"(a), "r"(b) : "hi", "lo");
    else if (op[1] == 'a')
        asm("mthi %2\n mtlo %3\n maddu %4, %5\n mfhi %0\n mflo %1"
            : "=&r"(hi), "=&r"(lo) : "r"(hi0), "r"(lo0), "r"(a), "r"(b) : "hi", "lo");
    else if (op[4] == 0)
        asm("mthi %2\n mtlo %3\n msub %4, %5\n mfhi %0\n mflo %1"
            : "=&r"(hi), "=&r"(lo) : "r"(hi0), "r"(lo0), "r"(a), "r"(b) : "hi", "lo");
    else
        asm("mthi %2\n mtlo %3\n msubu %4, %5\n mfhi %0\n mflo %1"
            : "=&r"(hi), "=&r"(lo) : "r"(hi0), "r"(lo0), "r"(a), "r"(b) : "hi", "lo");
    bm_out(op, hi);
    bm_out(op, lo);
    return lo;
}

static unsigned ll_sc_add(volatile unsigned *p, unsigned v)
{
    unsigned old, tmp;
    asm volatile(".set push\n.set noreorder\n"
                 "1: ll %0, 0(%2)\n"
                 "addu %1, %0, %3\n"
                 "sc %1, 0(%2)\n"
                 "beqz %1, 1b\n"
                 "nop\n"
                 ".set pop\n"
                 : "=&r"(old), "=&r"(tmp) : "r"(p), "r"(v) : "memory");
    return old;
}

int bm_main(void)
{
    unsigned acc = 0x9e3779b9;
    for (unsigned i = 0; i < NIN; i++) {
        unsigned a = in[i];
        bm_out("clz", __builtin_clz(a | 0) * (a != 0) + 32 * (a == 0));
        unsigned c;
        asm("clz %0, %1" : "=r"(c) : "r"(a));
        bm_out("clz.asm", c);
        asm("clo %0, %1" : "=r"(c) : "r"(a));
        bm_out("clo", c);
        for (unsigned j = 0; j < NIN; j++) {
            unsigned b = in[j];
            long long sp = (long long)(int)a * (int)b;
            unsigned long long up = (unsigned long long)a * b;
            bm_out("mult.hi", (unsigned)(sp >> 32));
            bm_out("mult.lo", (unsigned)sp);
            bm_out("multu.hi", (unsigned)(up >> 32));
            bm_out("multu.lo", (unsigned)up);
            bm_out("mul", a * b);
            if (b != 0) {
                bm_out("divu.q", a / b);
                bm_out("divu.r", a % b);
                if (!((int)a == (int)0x80000000 && (int)b == -1)) {
                    bm_out("div.q", (unsigned)((int)a / (int)b));
                    bm_out("div.r", (unsigned)((int)a % (int)b));
                }
            }
            acc = hi_lo("madd", a, b, acc, acc ^ a);
            acc = hi_lo("maddu", a, b, acc, acc ^ b);
            acc = hi_lo("msub", a, b, acc, ~acc);
            acc = hi_lo("msubu", a, b, acc, acc + a);
        }
    }
    /* LL/SC on one core: an atomic add loop, and an SC with no LL before it fails */
    for (unsigned i = 0; i < NIN; i++)
        bm_out("llsc.old", ll_sc_add(&word, in[i]));
    bm_out("llsc.final", word);
    unsigned ok, v = 5;
    asm volatile("ll %0, 0(%1)\n sc %0, 0(%1)" : "=&r"(ok) : "r"(&word) : "memory");
    bm_out("sc.after.ll", ok);
    asm volatile("sc %0, 0(%1)" : "+r"(v) : "r"(&word) : "memory");
    bm_out("sc.alone", v);
    bm_out("word", word);
    bm_flush();
    return bm_hash & 0x7f;
}
