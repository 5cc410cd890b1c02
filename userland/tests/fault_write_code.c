/*
 * fault_write_code: stores into its own code; the code is mapped read-only and
 * executable, so the process must die (SIGSEGV).
 *
 * Usage: fault_write_code
 * Exit: killed by a signal is the expected outcome; otherwise FAILED, status 1.
 */
#include <stdint.h>
#include <stdio.h>

static int victim(int x)
{
    return x + 1;
}

int main(void)
{
    /* volatile: the compiler must emit the store and not reason about it. */
    int (*volatile fn)(int) = victim;
    volatile uint32_t *code = (volatile uint32_t *)(uintptr_t)fn;
    printf("fault_write_code: writing to code at %p\n", (void *)(uintptr_t)code);
    fflush(stdout);
    *code = 0;
    printf("FAILED: the write to code did not fault (victim(1) = %d)\n", fn(1));
    return 1;
}
