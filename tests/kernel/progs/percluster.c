/* Kernel objects owned by the cluster that created them (tests/kernel/test_percluster.py reads
 * the lines it prints; a core is its global number):
 *   percluster barrier R C...  main initialises a barrier for itself and one thread pinned on
 *                              each core C, and each thread makes its own semaphore (posted
 *                              and taken once); they all meet at the barrier R + 1 times;
 *                              "main G" (main's core), "round N" (main's cycles per round, the
 *                              mean of the last R)
 *   percluster join C          a thread pinned on core C returns 42 and main joins it:
 *                              "main G", "join V"
 *   percluster kill C          a child forked on core C sleeps; main kills it (SIGKILL) and
 *                              waits for it: "main G", "kill R S" (kill's result, the
 *                              child's signal)
 */
#include <almos.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_THREADS 64

static pthread_barrier_t meet;
static int rounds;

static void *member(void *arg)
{
    sem_t own;                  /* made in this thread's cluster */
    sem_init(&own, 0, 0);
    sem_post(&own);
    sem_wait(&own);
    sem_destroy(&own);
    for (int i = 0; i <= rounds; i++)
        pthread_barrier_wait(&meet);
    return arg;
}

static void *answer(void *arg)
{
    return (void *)42;
}

static pthread_t pinned(int cpu, void *(*fn)(void *))
{
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    if (pthread_attr_setcpuid_np(&attr, cpu, NULL) || pthread_create(&t, &attr, fn, 0)) {
        fprintf(stderr, "percluster: no thread on core %d\n", cpu);
        exit(1);
    }
    return t;
}

int main(int argc, char **argv)
{
    int me;
    pthread_attr_getcpuid_np(&me);
    printf("main %d\n", me);
    if (argc >= 4 && !strcmp(argv[1], "barrier") && argc - 3 <= MAX_THREADS) {
        int n = argc - 3;
        pthread_t t[MAX_THREADS];
        rounds = atoi(argv[2]);
        pthread_barrier_init(&meet, NULL, (unsigned)n + 1);
        for (int i = 0; i < n; i++)
            t[i] = pinned(atoi(argv[3 + i]), member);
        pthread_barrier_wait(&meet);           /* everybody is there */
        unsigned long long t0 = get_cycles();
        for (int i = 0; i < rounds; i++)
            pthread_barrier_wait(&meet);
        unsigned long long t1 = get_cycles();
        for (int i = 0; i < n; i++)
            pthread_join(t[i], NULL);
        printf("round %llu\n", (t1 - t0) / (unsigned long long)rounds);
    } else if (argc == 3 && !strcmp(argv[1], "join")) {
        void *v;
        pthread_t t = pinned(atoi(argv[2]), answer);
        pthread_join(t, &v);
        printf("join %ld\n", (long)v);
    } else if (argc == 3 && !strcmp(argv[1], "kill")) {
        int st = 0;
        pthread_attr_setforkcpuid_np(atoi(argv[2]));
        pid_t kid = fork();
        if (kid == 0)
            for (;;)
                sleep(1);
        int r = kill(kid, SIGKILL);
        waitpid(kid, &st, 0);
        printf("kill %d %d\n", r, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    } else {
        fprintf(stderr, "usage: percluster barrier R C... | join C | kill C\n");
        return 2;
    }
    return 0;
}
