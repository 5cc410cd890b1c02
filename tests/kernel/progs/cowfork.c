/* Copy-on-write fork and MAP_SHARED across fork.
 *   cowfork private   parent and child write the same global, heap buffer, stack variable
 *                     and private mapping after fork, in turn (a pipe orders them): each
 *                     keeps its own values
 *   cowfork buffer MiB [touch]   the parent fills a MiB buffer, forks; the child reads it
 *                     all (with "touch": writes it all) and exits; the parent checks its own
 *   cowfork threads   4 threads (spread over the clusters) read a buffer, the main thread
 *                     forks and reads it; each thread then writes its own page (copies, as
 *                     the child still holds the pages), which the main thread must see; the
 *                     child must still see the bytes of the fork, then overwrites them
 *   cowfork shared    a MAP_SHARED | MAP_ANONYMOUS mapping of 3 pages, page 0 touched before
 *                     fork, 1 and 2 not: the child's writes to pages 0 and 2 are the parent's,
 *                     the parent's write to page 1 is the child's
 * Prints "ok" lines; any mismatch prints "BAD" and exits 1.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define MIB (1u << 20)

static int global = 1;

static void check(int cond, const char *what)
{
    if (!cond) {
        printf("BAD %s\n", what);
        exit(1);
    }
}

static void wait_for(int fd)
{
    char c;
    check(read(fd, &c, 1) == 1, "pipe read");
}

static int reap(pid_t pid)
{
    int status;
    check(waitpid(pid, &status, 0) == pid, "waitpid");
    return status;
}

static int private_writes(void)
{
    int to_child[2], to_parent[2];
    volatile int local = 10;
    char *heap = malloc(3 * PAGE);
    char *map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check(heap != NULL && map != MAP_FAILED, "alloc");
    memset(heap, 'p', 3 * PAGE);
    map[0] = 'm';
    check(pipe(to_child) == 0 && pipe(to_parent) == 0, "pipe");
    fflush(stdout);
    pid_t pid = fork();
    check(pid >= 0, "fork");
    if (pid == 0) {
        /* the parent writes first; the child must still see the values of the fork */
        wait_for(to_child[0]);
        check(global == 1 && local == 10 && heap[PAGE] == 'p' && map[0] == 'm',
              "child sees the parent's writes made after fork");
        global = 3, local = 30, heap[PAGE] = 'c', map[0] = 'C';
        check(write(to_parent[1], "x", 1) == 1, "pipe write");
        printf("child ok %d %d %c %c\n", global, local, heap[PAGE], map[0]);
        exit(0);
    }
    global = 2, local = 20, heap[PAGE] = 'P', map[0] = 'M';
    check(write(to_child[1], "x", 1) == 1, "pipe write");
    wait_for(to_parent[0]);
    check(global == 2 && local == 20 && heap[PAGE] == 'P' && map[0] == 'M',
          "parent sees the child's writes");
    check(reap(pid) == 0, "child status");
    printf("parent ok %d %d %c %c\n", global, local, heap[PAGE], map[0]);
    return 0;
}

static int buffer(size_t mib, int touch)
{
    size_t n = mib * MIB;
    unsigned *buf = malloc(n);
    check(buf != NULL, "malloc");
    for (size_t i = 0; i < n / 4; i++)
        buf[i] = (unsigned)i * 2654435761u;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        printf("fork failed\n");
        return 1;
    }
    if (pid == 0) {
        unsigned sum = 0;
        for (size_t i = 0; i < n / 4; i++) {
            sum += buf[i] ^ (unsigned)i * 2654435761u;
            if (touch)
                buf[i] = 0;
        }
        printf("child read %s\n", sum == 0 ? "ok" : "BAD");
        exit(sum != 0);
    }
    check(reap(pid) == 0, "child status");
    for (size_t i = 0; i < n / 4; i++)
        check(buf[i] == (unsigned)i * 2654435761u, "parent's buffer after the child");
    printf("parent ok\n");
    return 0;
}

#define THREADS 4
static char *tbuf;
static pthread_barrier_t forked, touched;

static void *worker(void *arg)
{
    long i = (long)arg;
    check(tbuf[i * PAGE] == 'p', "thread reads before fork");
    pthread_barrier_wait(&touched);
    pthread_barrier_wait(&forked);
    for (int j = 0; j < THREADS; j++)
        check(tbuf[j * PAGE + 1] == 'p', "thread sees the parent's bytes after fork");
    tbuf[i * PAGE] = 'A' + i;
    return NULL;
}

static int threads(void)
{
    pthread_t t[THREADS];
    int to_child[2];
    tbuf = malloc(THREADS * PAGE);
    check(tbuf != NULL && pipe(to_child) == 0, "malloc, pipe");
    memset(tbuf, 'p', THREADS * PAGE);
    pthread_barrier_init(&forked, NULL, THREADS + 1);
    pthread_barrier_init(&touched, NULL, THREADS + 1);
    for (long i = 0; i < THREADS; i++)
        check(pthread_create(&t[i], NULL, worker, (void *)i) == 0, "pthread_create");
    pthread_barrier_wait(&touched);
    fflush(stdout);
    pid_t pid = fork();
    check(pid >= 0, "fork");
    if (pid == 0) {                     /* holds the pages while the threads write */
        wait_for(to_child[0]);
        for (int i = 0; i < THREADS * PAGE; i++)
            check(tbuf[i] == 'p', "child keeps the bytes of the fork");
        memset(tbuf, 'c', THREADS * PAGE);
        exit(tbuf[0] == 'c' ? 0 : 1);
    }
    unsigned sum = 0;
    for (int i = 0; i < THREADS; i++)   /* translations of the shared pages in this core */
        sum += tbuf[i * PAGE];
    check(sum == THREADS * 'p', "main reads after fork");
    pthread_barrier_wait(&forked);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        check(tbuf[i * PAGE] == 'A' + i && tbuf[i * PAGE + 1] == 'p', "threads' writes");
    check(write(to_child[1], "x", 1) == 1, "pipe write");
    check(reap(pid) == 0, "child status");
    for (int i = 0; i < THREADS; i++)
        check(tbuf[i * PAGE] == 'A' + i && tbuf[i * PAGE + 1] == 'p', "the child's writes");
    printf("threads ok\n");
    return 0;
}

static int shared(void)
{
    int to_child[2];
    char *m = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    check(m != MAP_FAILED, "mmap");
    m[0] = 'a';
    check(pipe(to_child) == 0, "pipe");
    fflush(stdout);
    pid_t pid = fork();
    check(pid >= 0, "fork");
    if (pid == 0) {
        check(m[0] == 'a', "child sees page 0");
        m[0] = 'b';
        m[2 * PAGE] = 'c';
        wait_for(to_child[0]);
        check(m[PAGE] == 'd', "child sees the parent's write after fork");
        exit(0);
    }
    m[PAGE] = 'd';
    check(write(to_child[1], "x", 1) == 1, "pipe write");
    check(reap(pid) == 0, "child status");
    check(m[0] == 'b' && m[2 * PAGE] == 'c', "parent sees the child's writes");
    check(munmap(m, 3 * PAGE) == 0, "munmap");
    printf("shared ok\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "private") == 0)
        return private_writes();
    if (argc >= 3 && strcmp(argv[1], "buffer") == 0)
        return buffer(strtoul(argv[2], NULL, 0), argc > 3);
    if (argc >= 2 && strcmp(argv[1], "threads") == 0)
        return threads();
    if (argc >= 2 && strcmp(argv[1], "shared") == 0)
        return shared();
    return 9;
}
