/*
 * time.c: time from the calling core's cycle counter (CLOCK, ALMOS_CLOCK_HZ per
 * second). There is no real-time clock: CLOCK_REALTIME counts from the machine's
 * start as CLOCK_MONOTONIC does. clock() is the time since the process started;
 * ftime() is ALMOS-MK's FTIME service, the same clock read by the kernel.
 */
#include <errno.h>
#include <sys/time.h>
#include <sys/timeb.h>
#include <time.h>
#include <unistd.h>

#include "libc.h"
#include "syscall.h"

static uint64_t cycles(void)
{
    uint64_t c = 0;
    __sys1(SYS_CLOCK, &c);
    return c;
}

clock_t clock(void)
{
    return (clock_t)((cycles() - __start_cycles) / (ALMOS_CLOCK_HZ / CLOCKS_PER_SEC));
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
    uint64_t c = cycles();
    if (id == CLOCK_PROCESS_CPUTIME_ID || id == CLOCK_THREAD_CPUTIME_ID)
        c -= __start_cycles;
    else if (id != CLOCK_REALTIME && id != CLOCK_MONOTONIC) {
        errno = EINVAL;
        return -1;
    }
    ts->tv_sec = (time_t)(c / ALMOS_CLOCK_HZ);
    ts->tv_nsec = (long)((c % ALMOS_CLOCK_HZ) * (1000000000ULL / ALMOS_CLOCK_HZ));
    return 0;
}

int clock_getres(clockid_t id, struct timespec *ts)
{
    if (ts) {
        ts->tv_sec = 0;
        ts->tv_nsec = (long)(1000000000ULL / ALMOS_CLOCK_HZ);
    }
    return 0;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (tv) {
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
    }
    return 0;
}

time_t time(time_t *t)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (t)
        *t = ts.tv_sec;
    return ts.tv_sec;
}

int ftime(struct timeb *tp)
{
    return (int)__sys1(SYS_FTIME, tp);
}

double difftime(time_t a, time_t b)
{
    return (double)a - (double)b;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    uint64_t us = (uint64_t)req->tv_sec * 1000000u + (uint64_t)req->tv_nsec / 1000;
    if (rem)
        rem->tv_sec = rem->tv_nsec = 0;
    for (; us > 0xFFFFFFF0u; us -= 0xFFFFFFF0u)
        if (usleep(0xFFFFFFF0u) < 0)
            return -1;
    return usleep((useconds_t)us);
}

/* Civil date from days since 1970-01-01 (Howard Hinnant's algorithm, rewritten). */
struct tm *gmtime_r(const time_t *restrict t, struct tm *restrict tm)
{
    long s = *t, days = s / 86400, rem = s % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    tm->tm_hour = (int)(rem / 3600);
    tm->tm_min = (int)(rem % 3600 / 60);
    tm->tm_sec = (int)(rem % 60);
    tm->tm_wday = (int)((days + 4) % 7 + 7) % 7;
    long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    long y = yoe + era * 400 + (m <= 2);
    tm->tm_year = (int)(y - 1900);
    tm->tm_mon = (int)(m - 1);
    tm->tm_mday = (int)d;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    static const int before[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    tm->tm_yday = before[m - 1] + (int)d - 1 + (leap && m > 2);
    tm->tm_isdst = 0;
    tm->tm_gmtoff = 0;
    tm->tm_zone = "UTC";
    return tm;
}

struct tm *gmtime(const time_t *t)
{
    static struct tm tm;
    return gmtime_r(t, &tm);
}

struct tm *localtime_r(const time_t *restrict t, struct tm *restrict tm)
{
    return gmtime_r(t, tm);
}

struct tm *localtime(const time_t *t)
{
    return gmtime(t);
}

time_t mktime(struct tm *tm)
{
    long y = tm->tm_year + 1900L, m = tm->tm_mon + 1;
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    long doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + tm->tm_mday - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long days = era * 146097 + doe - 719468;
    return (time_t)(days * 86400 + tm->tm_hour * 3600L + tm->tm_min * 60L + tm->tm_sec);
}
