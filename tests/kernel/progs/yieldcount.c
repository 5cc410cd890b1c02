/*
 * yieldcount: THREADS readers (default 15) sweep lines homed in main's cluster, so their
 * reads queue at that cluster's memory cache and their cores yield in the middle of blocks;
 * then each posts a semaphore and sleeps until main, having waited for all, exits. Nothing
 * a reader runs depends on timing: its instruction count is fixed by its code.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define PAGE 4096
#define LINE 64
#define LINES 16                 /* lines one page apart: one L1 set, more than its ways */
#define ROUNDS 64
#define MAX_THREADS 64

static char *buf;
static sem_t done;
static volatile uint32_t sink[MAX_THREADS];

static void *reader(void *arg)
{
    int t = (int)(intptr_t)arg;
    const char *base = buf + (t % (PAGE / LINE)) * LINE;
    uint32_t sum = 0;
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < LINES; i++)
            sum += *(volatile const uint32_t *)(base + i * PAGE);
    sink[t] = sum;
    sem_post(&done);
    for (;;)
        sleep(1000);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 15;
    if (n < 1 || n > MAX_THREADS) {
        fprintf(stderr, "usage: yieldcount [THREADS <= %d]\n", MAX_THREADS);
        return 2;
    }
    buf = malloc(LINES * PAGE + PAGE);
    buf = (char *)(((uintptr_t)buf + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
    for (int i = 0; i < LINES * PAGE; i += 4)
        *(volatile uint32_t *)(buf + i) = (uint32_t)i;
    sem_init(&done, 0, 0);
    pthread_t tid[MAX_THREADS];
    for (int t = 0; t < n; t++)
        if (pthread_create(&tid[t], NULL, reader, (void *)(intptr_t)t) != 0) {
            fprintf(stderr, "yieldcount: pthread_create failed\n");
            return 1;
        }
    for (int t = 0; t < n; t++)
        sem_wait(&done);
    uint32_t total = 0;
    for (int t = 0; t < n; t++)
        total += sink[t];
    printf("yieldcount threads=%d sum=%u\n", n, total);
    return 0;
}
