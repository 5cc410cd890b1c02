/* Core index 0 writes 0x5a to the word at $a3 (another cluster's XCU WTI_REG, mapped by the MMU),
 * computes a while longer, and exits with 1; any other core exits with 2 as soon as it runs
 * (it is halted until that IPI wakes it). */
int bm_main(int gid, int idx, int n, volatile unsigned *wti)
{
    if (idx == 0) {
        unsigned x = 0;
        *wti = 0x5a;
        for (unsigned i = 0; i < 20000; i++)
            asm volatile("addu %0, %0, %1" : "+r"(x) : "r"(i));
        return 1 + (x & 0);
    }
    return 2;
}
