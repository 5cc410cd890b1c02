/* Computes for a while ($a3 iterations of a short loop), then exits with status 7. */
int bm_main(int gid, int idx, int n, unsigned iters)
{
    unsigned x = 1;
    for (unsigned i = 0; i < iters; i++)
        asm volatile("addu %0, %0, %1" : "+r"(x) : "r"(i));
    return 7 + (x & 0);
}
