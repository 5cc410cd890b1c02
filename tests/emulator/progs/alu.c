/* Integer ALU and shifts over a set of edge-case operands, results printed in hex. */
#include "bm.h"

static volatile unsigned in[] = {
    0, 1, 2, 5, 31, 32, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe,
    0x12345678, 0xdeadbeef, 0x0000ffff, 0xffff0000, 0x00008000, 0x55aa55aa,
};
#define NIN (sizeof in / sizeof in[0])

static inline unsigned rotr(unsigned x, unsigned n)
{
    return (x >> (n & 31)) | (x << ((32 - n) & 31));
}

int bm_main(void)
{
    for (unsigned i = 0; i < NIN; i++) {
        unsigned a = in[i];
        int sa = (int)a;
        bm_out("sll7", a << 7);
        bm_out("srl13", a >> 13);
        bm_out("sra9", (unsigned)(sa >> 9));
        bm_out("sra31", (unsigned)(sa >> 31));
        bm_out("seb", (unsigned)(int)(signed char)a);
        bm_out("seh", (unsigned)(int)(short)a);
        bm_out("zeb", a & 0xff);
        bm_out("wsbh", ((a & 0x00ff00ff) << 8) | ((a >> 8) & 0x00ff00ff));
        bm_out("bswap", __builtin_bswap32(a));
        bm_out("ext", (a >> 5) & 0x3ff);
        bm_out("not", ~a);
        bm_out("neg", -a);
        bm_out("addiu", a + 0x7fff);
        bm_out("andi", a & 0xf0f0);
        bm_out("ori", a | 0x8001);
        bm_out("xori", a ^ 0xabcd);
        bm_out("slti", sa < -3);
        bm_out("sltiu", a < 0x8000u);
        bm_out("lui", a | 0x12340000);
        for (unsigned j = 0; j < NIN; j++) {
            unsigned b = in[j];
            int sb = (int)b;
            bm_out("addu", a + b);
            bm_out("subu", a - b);
            bm_out("and", a & b);
            bm_out("or", a | b);
            bm_out("xor", a ^ b);
            bm_out("nor", ~(a | b));
            bm_out("slt", sa < sb);
            bm_out("sltu", a < b);
            bm_out("sllv", a << (b & 31));
            bm_out("srlv", a >> (b & 31));
            bm_out("srav", (unsigned)(sa >> (b & 31)));
            bm_out("rotrv", rotr(a, b));
            bm_out("movn", b ? a : 0x1234);
            bm_out("ins", (a & ~0x0ff0u) | ((b & 0xff) << 4));
        }
    }
    bm_flush();
    return bm_hash & 0x7f;
}
