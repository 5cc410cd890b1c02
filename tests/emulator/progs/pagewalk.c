/* A working set larger than Unicorn's initial soft TLB (256 entries): one word of each of
 * PAGES pages read in turn, ROUNDS times (tests/emulator/test_soft_tlb.py). With $a3 = 0 it
 * touches only 4 pages: a small program. Exits with the low byte of the sum. */
#include "bm.h"

#define PAGES 1024
#define ROUNDS 2000
#define WORDS_PER_PAGE 1024

static int arr[PAGES * WORDS_PER_PAGE];

int bm_main(int gid, int idx, int n, int big)
{
    int pages = big ? PAGES : 4;
    int s = 0;
    (void)gid; (void)idx; (void)n;
    for (int p = 0; p < pages; p++)
        arr[p * WORDS_PER_PAGE] = p;
    for (int r = 0; r < ROUNDS; r++)
        for (int p = 0; p < pages; p++)
            s += ((volatile int *)arr)[p * WORDS_PER_PAGE];
    return s & 0xff;
}
