/* GCC OpenMP (libgomp, static): a parallel reduction and a parallel for (differential
 * test, tests/kernel/test_linux.py). */
#include <omp.h>
#include <stdio.h>

int main(void)
{
    double sum = 0;
    long hits[64] = {0};
#pragma omp parallel for reduction(+:sum) schedule(static)
    for (int i = 1; i <= 200000; i++) {
        sum += 1.0 / ((double)i * i);
        hits[omp_get_thread_num()]++;
    }
    int used = 0;
    for (int i = 0; i < 64; i++)
        used += hits[i] > 0;
    printf("sum %.12f threads>1 %d\n", sum, used > 1);
    return 0;
}
