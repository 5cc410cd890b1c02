/* crashdeep: prints a line, then reads through a null pointer three calls deep (for the
 * fault report's function, file:line and backtrace, tests/kernel/test_trace.py). */
#include <stdio.h>

static int *nowhere;

__attribute__((noinline)) int crash(int depth)
{
    if (depth > 0)
        return crash(depth - 1) + 1;
    return *nowhere;                    /* line 11: the fault */
}

int main(int argc, char **argv)
{
    printf("about to crash\n");
    return crash(argc + 1);             /* line 17: the call from main */
}
