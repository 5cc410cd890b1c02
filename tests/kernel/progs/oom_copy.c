/* oom_copy: the kernel runs out of memory while copying to or from user memory, then the
 * program faults (tests/kernel/test_wrong_answers.py).
 *
 *   oom_copy copy A B    B MiB of heap touched, then write() from A MiB of untouched mmap'd
 *                        memory: the kernel's copy finds no frame (EFAULT); the mapping goes,
 *                        then a NULL store: SIGSEGV, not "out of memory"
 *   oom_copy touch A B   the same, but the program touches the A MiB itself: out of memory
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    size_t ma = (size_t)atoi(argv[2]) << 20, mb = (size_t)atoi(argv[3]) << 20;
    char *b = malloc(mb);
    char *a = mmap(0, ma, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!b || a == MAP_FAILED) {
        printf("no memory\n");
        return 1;
    }
    memset(b, 1, mb);
    if (!strcmp(argv[1], "touch"))
        memset(a, 1, ma);
    long r = write(1, a, ma);
    munmap(a, ma);
    printf("write %ld %d\n", r, b[mb - 1]);
    fflush(stdout);
    *(volatile int *)0 = 1;
    return 0;
}
