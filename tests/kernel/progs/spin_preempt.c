/* Two threads on one core, each spinning on a word only the other writes: main waits for
 * the thread to start, the thread waits for main's answer. Whichever runs first spins until
 * the timer tick takes the core from it; without preemption the program never ends. */
#include <pthread.h>
#include <stdio.h>

static volatile int started, answered;

static void *partner(void *arg)
{
    (void)arg;
    started = 1;
    while (!answered)
        ;
    return NULL;
}

int main(void)
{
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    if (pthread_attr_setcpuid_np(&attr, 0) != 0 || pthread_create(&t, &attr, partner, NULL)) {
        printf("cannot create the partner on core 0\n");
        return 1;
    }
    while (!started)
        ;
    answered = 1;
    pthread_join(t, NULL);
    printf("both spins ended\n");
    return 0;
}
