/*
 * fault_null_thread: a thread dereferences NULL; the whole process must die
 * (SIGSEGV; on ALMOS the kernel kills the process and reports the fault).
 *
 * Usage: fault_null_thread
 * Exit: killed by a signal is the expected outcome; if the fault is missed the
 * program prints FAILED and exits 1.
 */
#include <pthread.h>
#include <stdio.h>

static void *faulting_thread(void *arg)
{
    volatile int *null = (volatile int *)arg;
    printf("thread: writing through NULL\n");
    fflush(stdout);
    *null = 1;
    return (void *)1;
}

int main(void)
{
    pthread_t tid;
    void *ret = NULL;
    if (pthread_create(&tid, NULL, faulting_thread, NULL) != 0) {
        puts("FAILED: pthread_create");
        return 1;
    }
    pthread_join(tid, &ret);
    puts("FAILED: the NULL write did not fault");
    return 1;
}
