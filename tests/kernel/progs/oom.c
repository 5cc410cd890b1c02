/* Out of memory: malloc ever larger blocks and touch them. Memory is overcommitted (as
 * Linux): malloc succeeds, the touch no cluster can back kills the process (SIGKILL, out of
 * memory), never the machine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    size_t total = 0;
    for (size_t size = 1 << 20;; size *= 2) {
        char *p = malloc(size);
        if (p == NULL) {
            printf("malloc(%zu) = NULL errno %s\n", size, errno == ENOMEM ? "ENOMEM" : "?");
            break;
        }
        memset(p, 1, size);
        total += size;
    }
    printf("got %zu MiB\n", total >> 20);
    return 0;
}
