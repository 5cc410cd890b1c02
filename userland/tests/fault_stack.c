/*
 * fault_stack: unbounded recursion until the main stack overflows; the process
 * must die (SIGSEGV) when the stack runs into unmapped memory.
 *
 * Usage: fault_stack
 * Exit: killed by a signal is the expected outcome; otherwise FAILED, status 1.
 */
#include <stdio.h>

#define FRAME_BYTES 1024        /* stack used by every call, so the overflow comes fast */

/* A depth never reached; volatile so the compiler cannot see the recursion is endless. */
static volatile unsigned long never = ~0ul;

static unsigned long recurse(unsigned long depth)
{
    volatile char frame[FRAME_BYTES];
    frame[0] = (char)depth;
    frame[FRAME_BYTES - 1] = (char)(depth >> 8);
    if (depth == never)
        return 0;
    /* The use of the result after the call keeps it from being a tail call. */
    return recurse(depth + 1) + frame[0] + frame[FRAME_BYTES - 1];
}

int main(void)
{
    printf("fault_stack: recursing\n");
    fflush(stdout);
    unsigned long r = recurse(0);
    printf("FAILED: recursion returned %lu\n", r);
    return 1;
}
