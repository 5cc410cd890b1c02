/* Thread placement, migration and fork placement as a program sees them (the tests of
 * tests/kernel/test_placement.py read the lines it prints; a core is "X Y LID"):
 *   placement local N     "main CORE", then "thread I CORE" for N threads the kernel places,
 *                         all alive together (they wait on a barrier)
 *   placement cpuid C...  "cpuid C GOT": pthread_attr_getcpuid_np in a thread pinned on C
 *   placement migrate C   a child forked on C writes its copy of a buffer and exits; then
 *                         "before G", "migrate R" (pthread_migrate_np's result), "after G
 *                         CORE", "cycles M N" (the migration's cycles, a getpid's), and
 *                         "sum S" of the buffer as the caller wrote it before the move
 *   placement fork C      "fork R F" (setforkcpuid's result, getforkcpuid), the child's
 *                         "child G F" (its core, its inherited fork core), "default F" once
 *                         reset, "bad R1 R2 R3" (a bad core, bad flags, the target flag
 *                         in a new thread, which has no core to target)
 *   placement spin N C    N threads pinned on core C compute; "thread I CORE" (where each
 *                         ended), "cycles T" (the whole run)
 */
#include <almos.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_THREADS 64
#define SPIN_ROUNDS 400000
#define SUM_WORDS 4096

static pthread_barrier_t all_there;
static unsigned cores[MAX_THREADS][2];

static void print_core(const char *what, long i)
{
    unsigned cxy, lid;
    get_core(&cxy, &lid);
    if (i >= 0)
        printf("%s %ld %u %u %u\n", what, i, cxy >> 4, cxy & 15, lid);
    else
        printf("%s %u %u %u\n", what, cxy >> 4, cxy & 15, lid);
}

static void *wait_all(void *arg)
{
    get_core(&cores[(long)arg][0], &cores[(long)arg][1]);
    pthread_barrier_wait(&all_there);
    return arg;
}

static void *target_flag(void *arg)
{
    return (void *)(long)pthread_attr_setforkinfo_np(PT_FORK_TARGET_CPU);
}

static void *report_cpuid(void *arg)
{
    int got = -2;
    int err = pthread_attr_getcpuid_np(&got);
    printf("cpuid %ld %d\n", (long)arg, err ? -err : got);
    return arg;
}

static volatile unsigned spin_sink[MAX_THREADS];

static void *spin(void *arg)
{
    unsigned v = (unsigned)(long)arg;
    for (int i = 0; i < SPIN_ROUNDS; i++)
        v = v * 1103515245u + 12345u;
    spin_sink[(long)arg] = v;
    get_core(&cores[(long)arg][0], &cores[(long)arg][1]);
    return arg;
}

static pthread_t start(void *(*fn)(void *), long i, int cpu)
{
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    if (cpu >= 0)
        pthread_attr_setcpuid_np(&attr, cpu);
    if (pthread_create(&t, &attr, fn, (void *)i)) {
        printf("create failed\n");
        exit(1);
    }
    return t;
}

static int local(int n)
{
    pthread_t t[MAX_THREADS];
    print_core("main", -1);
    pthread_barrier_init(&all_there, NULL, (unsigned)n + 1);
    for (long i = 0; i < n; i++)
        t[i] = start(wait_all, i, -1);
    pthread_barrier_wait(&all_there);
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        printf("thread %d %u %u %u\n", i, cores[i][0] >> 4, cores[i][0] & 15, cores[i][1]);
    }
    return 0;
}

static unsigned buffer_sum(unsigned *buf)
{
    unsigned sum = 0;
    for (unsigned i = 0; i < SUM_WORDS; i++)
        sum += buf[i];
    return sum;
}

static int migrate(int cpu)
{
    pthread_attr_t attr;
    int before = -1, after = -1;
    unsigned *buf = malloc(SUM_WORDS * sizeof *buf);
    for (unsigned i = 0; i < SUM_WORDS; i++)
        buf[i] = i * 3;
    /* the target core runs another address space first (the same addresses, other values) */
    if (pthread_attr_setforkcpuid_np(cpu) == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            for (unsigned i = 0; i < SUM_WORDS; i++)
                buf[i] = i * 7;
            return buffer_sum(buf) == 0;
        }
        waitpid(pid, NULL, 0);
        pthread_attr_setforkinfo_np(PT_FORK_DEFAULT);
    }
    pthread_attr_getcpuid_np(&before);
    printf("before %d\n", before);
    pthread_attr_init(&attr);
    pthread_attr_setcpuid_np(&attr, cpu);
    unsigned long long t0 = get_cycles();
    int r = pthread_migrate_np(&attr);
    unsigned long long t1 = get_cycles();
    getpid();
    unsigned long long t2 = get_cycles();
    getpid();
    unsigned long long t3 = get_cycles();
    printf("migrate %d\n", r);
    pthread_attr_getcpuid_np(&after);
    printf("after %d ", after);
    print_core("core", -1);
    printf("cycles %llu %llu\n", t1 - t0, t3 - t2);
    printf("sum %u\n", buffer_sum(buf));
    return 0;
}

static int fork_place(int cpu)
{
    int got = -2;
    int r = pthread_attr_setforkcpuid_np(cpu);
    pthread_attr_getforkcpuid_np(&got);
    printf("fork %d %d\n", r, got);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int me = -1, inherited = -2;
        pthread_attr_getcpuid_np(&me);
        pthread_attr_getforkcpuid_np(&inherited);
        printf("child %d %d\n", me, inherited);
        return 0;
    }
    int status;
    waitpid(pid, &status, 0);
    pthread_attr_setforkinfo_np(PT_FORK_DEFAULT);
    pthread_attr_getforkcpuid_np(&got);
    printf("default %d\n", got);
    unsigned x, y, n;
    void *fresh;
    get_config(&x, &y, &n);
    pthread_join(start(target_flag, 0, -1), &fresh);
    printf("bad %d %d %ld\n", pthread_attr_setforkcpuid_np((int)(x * y * n)),
           pthread_attr_setforkinfo_np(0x100), (long)fresh);
    return 0;
}

static int spin_pinned(int n, int cpu)
{
    pthread_t t[MAX_THREADS];
    unsigned long long t0 = get_cycles();
    for (long i = 0; i < n; i++)
        t[i] = start(spin, i, cpu);
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        printf("thread %d %u %u %u\n", i, cores[i][0] >> 4, cores[i][0] & 15, cores[i][1]);
    }
    printf("cycles %llu\n", get_cycles() - t0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "local"))
        return local(atoi(argv[2]) % MAX_THREADS);
    if (argc >= 3 && !strcmp(argv[1], "cpuid")) {
        for (int i = 2; i < argc; i++)
            pthread_join(start(report_cpuid, atoi(argv[i]), atoi(argv[i])), NULL);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "migrate"))
        return migrate(atoi(argv[2]));
    if (argc >= 3 && !strcmp(argv[1], "fork"))
        return fork_place(atoi(argv[2]));
    if (argc >= 4 && !strcmp(argv[1], "spin"))
        return spin_pinned(atoi(argv[2]) % MAX_THREADS, atoi(argv[3]));
    fprintf(stderr, "usage: placement local N | cpuid C... | migrate C | fork C | spin N C\n");
    return 2;
}
