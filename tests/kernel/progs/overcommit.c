/* Overcommit as Linux: malloc reserves address space, pages come at their first touch.
 *   overcommit big MiB   malloc MiB (more than the machine has), touch its first, middle and
 *                        last pages, check them, print "big ok"
 *   overcommit hog MiB   a child mallocs MiB and fills the pages one by one through a system
 *                        call (getcwd writes into each): it must fail with ENOMEM; a second
 *                        child memsets them: it must be killed (SIGKILL); the parent, which
 *                        watched both, then allocates and touches 1 MiB and prints "parent ok"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1u << 20)
#define PAGE 4096u

static int big(size_t mib)
{
    size_t n = mib * MIB;
    char *p = malloc(n);
    if (p == NULL) {
        printf("malloc(%zu MiB) = NULL errno %d\n", mib, errno);
        return 1;
    }
    p[0] = 1;
    p[n / 2] = 2;
    p[n - 1] = 3;
    if (p[0] != 1 || p[n / 2] != 2 || p[n - 1] != 3 || p[PAGE] != 0)
        return 2;
    printf("big ok\n");
    return 0;
}

static void by_syscall(size_t n)
{
    errno = 0;                          /* its page copied (copy on write) while memory lasts */
    char *p = malloc(n);
    if (p == NULL)
        exit(10);
    for (size_t off = 0; off < n; off += PAGE) {
        if (getcwd(p + off, 64) == NULL) {
            int err = errno;
            free(p);                    /* printf needs a page of its own (copy on write) */
            errno = err;
            printf("getcwd %s after %zu MiB\n", errno == ENOMEM ? "ENOMEM" : "?", off / MIB);
            fflush(stdout);
            exit(3);
        }
    }
    exit(11);
}

static void by_touch(size_t n)
{
    char *p = malloc(n);
    if (p == NULL)
        exit(10);
    memset(p, 1, n);
    printf("memset done %p\n", (void *)p);  /* p used: the stores are not dead */
    exit(11);
}

static int hog(size_t mib)
{
    void (*kinds[2])(size_t) = { by_syscall, by_touch };
    for (int i = 0; i < 2; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
            kinds[i](mib * MIB);
        int status;
        if (waitpid(pid, &status, 0) != pid)
            return 4;
        if (WIFSIGNALED(status))
            printf("child %d killed by signal %d\n", i, WTERMSIG(status));
        else
            printf("child %d exit %d\n", i, WEXITSTATUS(status));
    }
    char *q = malloc(MIB);
    memset(q, 7, MIB);
    printf("parent %s\n", q[MIB - 1] == 7 ? "ok" : "bad");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 9;
    size_t mib = strtoul(argv[2], NULL, 0);
    return strcmp(argv[1], "big") == 0 ? big(mib) : hog(mib);
}
