/* Waits for a line on stdin (the kernel idles meanwhile), echoes it, exits 5: for the test of
 * gdb's Ctrl-C while every thread is blocked (tests/kernel/test_gdb_kernel.py). */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    char buf[64];
    ssize_t n = read(0, buf, sizeof buf);

    printf("read %d\n", (int)n);
    return 5;
}
