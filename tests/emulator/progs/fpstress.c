/* Floating point over many pages: 100 passes over 512 pages from local address a3 (one double
 * read and written a page), a running sum carried through them; the result's bits printed.
 * The same on every core, whatever stops its slices: a core resumed at a stale PC after a
 * stop (emulator/machine.py, stop_core) would redo part of a block and print other bits. */
#include "bm.h"

#define PAGES 512
#define PASSES 100

int bm_main(int gid, int index, int ncores, unsigned base)
{
    (void)gid;
    (void)index;
    (void)ncores;
    double x = 1.0;
    for (int pass = 0; pass < PASSES; pass++)
        for (int p = 0; p < PAGES; p++) {
            volatile double *slot = (volatile double *)(base + p * 4096 + (pass & 7) * 8);
            x = x * 0.999 + (double)p / 3.0 + *slot * 0.5;
            *slot = x;
        }
    union { double d; unsigned long long u; } b = { x };
    bm_out("hi", (unsigned)(b.u >> 32));
    bm_out("lo", (unsigned)b.u);
    bm_flush();
    return 0;
}
