/* Writes a pattern that depends on the core's id into low RAM of its own cluster (MMU off:
 * local address = virtual address), and near the top of RAM, then reads both back.
 * Exit status: (gid & 0x3f) << 1, plus 1 if a read-back differed. */
#include "bm.h"

#define AREA ((volatile unsigned *)0x00001000)    /* local address 4 KiB, one page */
#define AREA_WORDS 1024
#define HIGH ((volatile unsigned *)0x03f00000)    /* 63 MiB: near the top of a 64 MiB bank */

static unsigned pattern(unsigned gid, unsigned i)
{
    return (gid << 20) ^ (i * 0x9e3779b9u);
}

int bm_main(int gid, int idx, int n)
{
    int bad = 0;
    for (unsigned i = 0; i < AREA_WORDS; i++)
        AREA[i] = pattern(gid, i);
    HIGH[0] = 0xc0ffee00u | gid;
    for (unsigned i = 0; i < AREA_WORDS; i++)
        bad |= AREA[i] != pattern(gid, i);
    bad |= HIGH[0] != (0xc0ffee00u | gid);
    return ((gid & 0x3f) << 1) | bad;
}
