/* limits: programs that would keep `almos run` alive, for tests/kernel/test_limits.py.
 *
 *   limits sleep SECONDS    sleep, then say so
 *   limits spin             loop forever
 *   limits read             wait for a line of stdin, then say so
 *   limits orphan           fork a child that sleeps forever, say so and exit
 *   limits tickless         sleep on core 1 while two threads pinned there need preemption:
 *                           the idle core's postponed tick must come back
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int flag;

static void *sleeper(void *arg)
{
    (void)arg;
    sleep(100);
    return NULL;
}

static void *waiter(void *arg)
{
    (void)arg;
    while (!flag)
        ;                                   /* needs the other thread to run: preemption */
    return NULL;
}

static void *setter(void *arg)
{
    (void)arg;
    flag = 1;
    return NULL;
}

static pthread_t on_core(int core, void *(*fn)(void *))
{
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setcpuid_np(&attr, core);
    pthread_create(&t, &attr, fn, NULL);
    return t;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "sleep")) {
        unsigned s = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
        sleep(s);
        printf("slept %u\n", s);
    } else if (!strcmp(what, "spin")) {
        for (;;)
            flag++;
    } else if (!strcmp(what, "read")) {
        char line[64];
        if (fgets(line, sizeof line, stdin))
            printf("read %s", line);
    } else if (!strcmp(what, "orphan")) {
        if (fork() == 0)
            for (;;)
                sleep(1000);
        printf("parent done\n");
    } else if (!strcmp(what, "tickless")) {
        pthread_t s = on_core(1, sleeper);
        usleep(1000);                       /* core 1 is idle now, until the sleeper wakes */
        pthread_t w = on_core(1, waiter);
        pthread_t t = on_core(1, setter);
        pthread_join(w, NULL);
        pthread_join(t, NULL);
        printf("preempted\n");
        (void)s;
    } else {
        return 2;
    }
    return 0;
}
