/* How long sleep, usleep and nanosleep take, on the cycle counter (get_cycles) and on
 * clock_gettime(CLOCK_MONOTONIC): one line per call, "NAME asked NS cycles C clock NS". */
#include <almos.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void report(const char *name, long long asked_ns, unsigned long long c0, long long t0)
{
    unsigned long long cycles = get_cycles() - c0;
    long long ns = now_ns() - t0;
    printf("%s asked %lld cycles %llu clock %lld\n", name, asked_ns, cycles, ns);
}

int main(void)
{
    unsigned long long c0;
    long long t0;
    struct timespec ts = {0, 250000000};

    c0 = get_cycles(), t0 = now_ns();
    sleep(1);
    report("sleep", 1000000000LL, c0, t0);
    c0 = get_cycles(), t0 = now_ns();
    usleep(20000);
    report("usleep", 20000000LL, c0, t0);
    c0 = get_cycles(), t0 = now_ns();
    nanosleep(&ts, NULL);
    report("nanosleep", 250000000LL, c0, t0);
    printf("hz %u\n", (unsigned)ALMOS_CLOCK_HZ);
    return 0;
}
