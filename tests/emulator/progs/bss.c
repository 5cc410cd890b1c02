/* A program whose only data is zero-initialised (.bss): its writable segment has no bytes in
 * the file (and an offset that may lie past the end of the file). Exits with 0x5a if that
 * memory was zero and holds what it wrote. */
static unsigned big[50000] __attribute__((aligned(4096)));

int bm_main(void)
{
    unsigned bad = 0;
    for (unsigned i = 0; i < 50000; i++) {
        bad |= big[i];
        big[i] = i * 3;
    }
    for (unsigned i = 0; i < 50000; i++)
        bad |= big[i] != i * 3;
    return bad ? 1 : 0x5a;
}
