/* Null system calls under ALMOS: COUNT getpid (nr 35) round trips, then exit (nr 0). */
#ifndef COUNT
#define COUNT 200000
#endif

void _start(void)
{
    for (int i = 0; i < COUNT; i++) {
        register int v0 asm("$2") = 35;
        asm volatile("syscall" : "+r"(v0) : : "$3", "memory");
    }
    register int v0 asm("$2") = 0;
    register int a0 asm("$4") = 0;
    asm volatile("syscall" : : "r"(v0), "r"(a0));
    for (;;)
        ;
}
