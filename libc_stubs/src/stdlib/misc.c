/*
 * misc.c: integer arithmetic helpers (abs, div ...) and the pseudo-random generators.
 *
 * rand() is glibc's default generator (the additive feedback of random() with
 * TYPE_3 state, seeded by srand's LCG), so that rand() sequences match glibc's.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "libc.h"

int abs(int x) { return x < 0 ? -x : x; }
long labs(long x) { return x < 0 ? -x : x; }
long long llabs(long long x) { return x < 0 ? -x : x; }
intmax_t imaxabs(intmax_t x) { return x < 0 ? -x : x; }

div_t div(int a, int b) { return (div_t){ a / b, a % b }; }
ldiv_t ldiv(long a, long b) { return (ldiv_t){ a / b, a % b }; }
lldiv_t lldiv(long long a, long long b) { return (lldiv_t){ a / b, a % b }; }

/* The additive generator: r[i] = r[i-3] + r[i-31], output r[i] >> 1. */
#define DEG 31
#define SEP 3
#define WARMUP 310

static int32_t state[DEG];
static int front = SEP, rear = 0;
static int seeded;
static volatile int rand_lock;

static void seed(unsigned s)
{
    state[0] = (int32_t)(s ? s : 1);
    for (int i = 1; i < DEG; i++) {
        /* state[i] = 16807 * state[i-1] % 2147483647, without overflow (Schrage). */
        int32_t hi = state[i - 1] / 127773, lo = state[i - 1] % 127773;
        int32_t word = 16807 * lo - 2836 * hi;
        state[i] = word < 0 ? word + 2147483647 : word;
    }
    front = SEP;
    rear = 0;
    for (int i = 0; i < WARMUP; i++) {
        state[front] = (int32_t)((uint32_t)state[front] + (uint32_t)state[rear]);
        front = (front + 1) % DEG;
        rear = (rear + 1) % DEG;
    }
    seeded = 1;
}

static long next(void)
{
    if (!seeded)
        seed(1);
    uint32_t v = (uint32_t)state[front] + (uint32_t)state[rear];
    state[front] = (int32_t)v;
    front = (front + 1) % DEG;
    rear = (rear + 1) % DEG;
    return (long)(v >> 1);
}

void srandom(unsigned s)
{
    __lock(&rand_lock);
    seed(s);
    __unlock(&rand_lock);
}

long random(void)
{
    __lock(&rand_lock);
    long r = next();
    __unlock(&rand_lock);
    return r;
}

void srand(unsigned s)
{
    srandom(s);
}

int rand(void)
{
    return (int)random();
}

/* POSIX's example generator, as glibc implements rand_r. */
int rand_r(unsigned *seedp)
{
    unsigned next = *seedp;
    int result;
    next = next * 1103515245 + 12345;
    result = (int)(next / 65536) % 2048;
    next = next * 1103515245 + 12345;
    result = (result << 10) ^ (int)((next / 65536) % 1024);
    next = next * 1103515245 + 12345;
    result = (result << 10) ^ (int)((next / 65536) % 1024);
    *seedp = next;
    return result;
}

/* The 48-bit LCG of drand48: x = (a x + c) mod 2^48. */
static uint64_t x48 = 0x1234abcd330eull;

static uint64_t step48(void)
{
    x48 = (x48 * 0x5deece66dull + 0xb) & ((1ull << 48) - 1);
    return x48;
}

void srand48(long s)
{
    x48 = ((uint64_t)(uint32_t)s << 16) | 0x330e;
}

long lrand48(void)
{
    return (long)(step48() >> 17);
}

double drand48(void)
{
    return (double)step48() / (double)(1ull << 48);
}
