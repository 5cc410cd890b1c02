/* A PROT_NONE mapping: any access faults (SIGSEGV). */
#include <stdio.h>
#include <sys/mman.h>
int main(void) { volatile char *p = mmap(0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); printf("mapped\n"); fflush(stdout); return p[0]; }
