/* munmap as Linux does it: a hole in the middle of a mapping keeps the rest, one call can
 * span several mappings, length 0 is EINVAL, and freed address space is reused (a malloc/
 * free loop of 1 MiB blocks must not exhaust it). Prints nothing address-dependent, so the
 * output is the same under qemu-mipsel. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096

static void *f(void *a) { return a; }

int main(void)
{
    char *p = mmap(0, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 'A', 4 * PAGE);
    int r = munmap(p + PAGE, PAGE);
    printf("munmap middle: %d; pages 0, 2, 3: %c %c %c\n", r, p[0], p[2 * PAGE], p[3 * PAGE]);
    r = munmap(p, 0);
    printf("munmap length 0: %d %s\n", r, r && errno == EINVAL ? "EINVAL" : "?");
    r = munmap(p, 4 * PAGE);                 /* spans the two pieces and the hole */
    printf("munmap over the pieces: %d\n", r);
    for (int i = 0; i < 2000; i++) {
        char *q = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (q == MAP_FAILED) {
            printf("mmap failed at %d\n", i);
            return 1;
        }
        q[0] = 1;
        munmap(q, 1 << 20);
    }
    for (int i = 0; i < 1000; i++) {
        char *q = malloc(1 << 20);
        if (!q) {
            printf("malloc failed at %d\n", i);
            return 1;
        }
        q[0] = 1;
        free(q);
    }
    pthread_t t;
    int e = pthread_create(&t, 0, f, 0);
    printf("pthread_create after the loops: %d\n", e);
    if (!e)
        pthread_join(t, 0);
    return 0;
}
