/* A pthread program for the gdb tests (tests/kernel/test_gdb_kernel.py): the tests find lines
 * by their MARK comments. main starts NWORKERS workers, each adds squares to its slot and to
 * a shared total under a mutex; argv[1] == "fault" makes worker 1 store through NULL. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NWORKERS 3

int total;                                 /* written under the mutex */
int slots[NWORKERS];
int crash;
pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int square(int x)
{
    return x * x;                          /* MARK square */
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;               /* MARK worker */
    int sum = 0;
    int i;

    for (i = 0; i < 10; i++)
        sum += square(i + id);             /* MARK loop */
    if (crash && id == 1) {
        int *volatile nowhere = 0;
        *nowhere = sum;                    /* MARK fault */
    }
    slots[id] = sum;
    pthread_mutex_lock(&lock);
    total += sum;                          /* MARK total */
    pthread_mutex_unlock(&lock);
    return 0;
}

int main(int argc, char **argv)
{
    pthread_t th[NWORKERS];
    int i;

    crash = argc > 1 && strcmp(argv[1], "fault") == 0;   /* MARK main */
    for (i = 0; i < NWORKERS; i++)
        pthread_create(&th[i], 0, worker, (void *)(long)i);
    for (i = 0; i < NWORKERS; i++)
        pthread_join(th[i], 0);            /* MARK join */
    printf("total %d\n", total);
    return total % 100;                    /* MARK exit */
}
