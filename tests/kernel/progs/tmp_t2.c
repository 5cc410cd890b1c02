#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    size_t n = strtoul(argv[1], NULL, 0) << 20;
    int mode = atoi(argv[2]);
    if (mode & 1) { fflush(stdout); if (fork() != 0) { int st; wait(&st); printf("st=%x\n", st); return 0; } }
    char *p = malloc(n);
    printf("p=%p\n", p); fflush(stdout);
    if (mode & 2) memset(p, 1, n); else for (size_t i = 0; i < n; i += 4096) p[i] = 1;
    size_t s = 0;
    for (size_t i = 0; i < n; i += 4096) s += p[i];
    printf("touched %zu\n", s);
    return 0;
}
