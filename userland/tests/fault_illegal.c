/*
 * fault_illegal: executes a reserved instruction; the process must die (SIGILL).
 *
 * Usage: fault_illegal
 * The word 0xffffffff has major opcode 0x3f, which MIPS32 (release 1 and 2)
 * leaves reserved (it is SD only on MIPS64): a Reserved Instruction exception.
 * Exit: killed by a signal is the expected outcome; otherwise FAILED, status 1.
 */
#include <stdio.h>

#define RESERVED_INSTRUCTION ".word 0xffffffff"

int main(void)
{
    printf("fault_illegal: executing a reserved instruction\n");
    fflush(stdout);
    __asm__ volatile(RESERVED_INSTRUCTION);
    puts("FAILED: the reserved instruction did not trap");
    return 1;
}
