/* glibc stdio and libm: formatted output, strings, qsort, math functions (differential
 * test against qemu-mipsel, tests/kernel/test_linux.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(int argc, char **argv)
{
    int v[16];
    for (int i = 0; i < 16; i++)
        v[i] = (i * 7919) % 31 - 15;
    qsort(v, 16, sizeof v[0], cmp);
    for (int i = 0; i < 16; i++)
        printf("%d%c", v[i], i == 15 ? '\n' : ' ');
    for (double x = 0.25; x < 4; x *= 1.7)
        printf("x=%.4f sin=%.9f exp=%.9g log=%.9f sqrt=%.9f pow=%.6e\n", x, sin(x), exp(x),
               log(x), sqrt(x), pow(x, 3.3));
    char *s = malloc(100);
    snprintf(s, 100, "%s-%08x-%5.2f-%lld", argc > 1 ? argv[1] : "none", 0xBEEFu, M_PI,
             123456789012345LL);
    puts(s);
    printf("strtod %.10g, atoi %d, strlen %zu\n", strtod("2.718281828", NULL), atoi("-42"),
           strlen(s));
    fprintf(stderr, "to stderr\n");
    free(s);
    return argc > 2 ? 5 : 0;
}
