/* An unaligned word load through a pointer computed at run time: SIGBUS at that load. */
#include <stdio.h>
int main(int argc, char **argv) { (void)argv; static int words[4]; int *volatile p = (int *)((char *)words + argc); printf("before\n"); fflush(stdout); return *p; }
