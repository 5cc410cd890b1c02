/* The memory-cache instrumentation counters, read by the program itself: a region of
 * interest around a sweep over an array, then every cluster's counters printed. */
#include <almos.h>
#include <stdio.h>
#include <stdlib.h>

#define WORDS (64 * 1024)

int main(void)
{
    unsigned x, y, n;
    get_config(&x, &y, &n);
    volatile unsigned *a = malloc(WORDS * sizeof *a);
    for (int i = 0; i < WORDS; i++)                 /* first touch: outside the region */
        a[i] = i;
    memc_roi_begin();
    unsigned sum = 0;
    for (int r = 0; r < 4; r++)
        for (int i = 0; i < WORDS; i += 16)         /* one word per 64-byte line */
            sum += a[i];
    memc_roi_end();
    for (unsigned cx = 0; cx < x; cx++)
        for (unsigned cy = 0; cy < y; cy++) {
            struct almos_memc m;
            if (memc_read(cx << 4 | cy, &m))
                return 1;
            printf("cluster %u %u: local_reads %u remote_reads %u local_writes %u "
                   "remote_writes %u cost %llu\n", cx, cy, m.local_reads, m.remote_reads,
                   m.local_writes, m.remote_writes, (unsigned long long)m.cost);
        }
    printf("sum %u\n", sum);
    return 0;
}
