/*
 * stdlib.c: integer conversions, qsort and bsearch, div, the random generators,
 * malloc under a deterministic workload, atexit order and the exit status.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct item {
    int key;
    int seq;
};

static int by_key(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

static int by_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void bye1(void) { printf("atexit 1\n"); }
static void bye2(void) { printf("atexit 2 (runs first)\n"); }

int main(void)
{
    static const char *nums[] = { "0", "42", "-42", "+7", "  123abc", "0x1f", "0X1F", "017",
                                  "08", "2147483647", "2147483648", "-2147483648",
                                  "-2147483649", "4294967295", "4294967296",
                                  "9223372036854775807", "9223372036854775808",
                                  "-9223372036854775808", "18446744073709551615",
                                  "18446744073709551616", "", "   ", "-", "z", "0x", "1e5",
                                  "  -0", "zz", "777" };
    static const int bases[] = { 0, 10, 16, 8, 2, 36 };
    for (unsigned i = 0; i < sizeof nums / sizeof *nums; i++)
        for (unsigned b = 0; b < sizeof bases / sizeof *bases; b++) {
            char *e1, *e2, *e3, *e4;
            errno = 0;
            long l = strtol(nums[i], &e1, bases[b]);
            int er1 = errno;
            errno = 0;
            unsigned long ul = strtoul(nums[i], &e2, bases[b]);
            int er2 = errno;
            errno = 0;
            long long ll = strtoll(nums[i], &e3, bases[b]);
            int er3 = errno;
            errno = 0;
            unsigned long long ull = strtoull(nums[i], &e4, bases[b]);
            int er4 = errno;
            printf("\"%s\" base %d: %ld/%d/%d %lu/%d/%d %lld/%d/%d %llu/%d/%d\n", nums[i],
                   bases[b], l, (int)(e1 - nums[i]), er1, ul, (int)(e2 - nums[i]), er2, ll,
                   (int)(e3 - nums[i]), er3, ull, (int)(e4 - nums[i]), er4);
        }
    printf("atoi %d %d %ld %lld\n", atoi("  -17x"), atoi("abc"), atol("99999"),
           atoll("-123456789012"));

    struct item items[200];
    unsigned seed = 12345;
    for (int i = 0; i < 200; i++) {
        items[i].key = rand_r(&seed) % 20;
        items[i].seq = i;
    }
    qsort(items, 200, sizeof items[0], by_key);
    for (int i = 0; i < 200; i++)
        printf("%d:%d%c", items[i].key, items[i].seq, i % 10 == 9 ? '\n' : ' ');

    int big[5000];
    for (int i = 0; i < 5000; i++)
        big[i] = (int)((i * 2654435761u) % 100000);
    qsort(big, 5000, sizeof big[0], by_int);
    long sum = 0;
    int sorted = 1;
    for (int i = 0; i < 5000; i++) {
        sum += big[i] * (long)(i % 7);
        sorted &= i == 0 || big[i - 1] <= big[i];
    }
    printf("big sort: sorted=%d weighted=%ld\n", sorted, sum);
    for (int k = 0; k < 100000; k += 9973) {
        int *hit = bsearch(&k, big, 5000, sizeof big[0], by_int);
        printf("bsearch %d: %s\n", k, hit ? "found" : "missing");
    }
    int key = big[1234];
    printf("bsearch present: %d\n", *(int *)bsearch(&key, big, 5000, sizeof(int), by_int));

    const char *strs[] = { "pear", "apple", "fig", "banana", "apple", "cherry", "" };
    qsort(strs, 7, sizeof strs[0], by_str);
    for (int i = 0; i < 7; i++)
        printf("[%s]", strs[i]);
    printf("\n");

    div_t d = div(-17, 5);
    ldiv_t ld = ldiv(17L, -5L);
    lldiv_t lld = lldiv(-100000000000LL, 7);
    printf("div %d %d %ld %ld %lld %lld abs %d %ld %lld\n", d.quot, d.rem, ld.quot, ld.rem,
           lld.quot, lld.rem, abs(-5), labs(-6L), llabs(-7LL));

    srand(1);
    for (int i = 0; i < 5; i++)
        printf("rand %d\n", rand());
    srand(42);
    for (int i = 0; i < 5; i++)
        printf("rand(42) %d\n", rand());
    seed = 7;
    for (int i = 0; i < 5; i++)
        printf("rand_r %d\n", rand_r(&seed));

    /* malloc: a deterministic mix of sizes, frees and reallocs; check the contents. */
    char *slots[64] = { 0 };
    size_t sizes[64] = { 0 };
    unsigned long check = 0;
    seed = 99;
    for (int step = 0; step < 5000; step++) {
        int s = rand_r(&seed) % 64;
        if (slots[s]) {
            for (size_t i = 0; i < sizes[s]; i++)
                check = check * 31 + (unsigned char)slots[s][i];
            if (step % 3 == 0) {
                size_t n = (size_t)(rand_r(&seed) % 3000) + 1;
                char *p = realloc(slots[s], n);
                if (n > sizes[s])
                    memset(p + sizes[s], (int)(n & 0x7f), n - sizes[s]);
                slots[s] = p;
                sizes[s] = n;
                continue;
            }
            free(slots[s]);
            slots[s] = NULL;
        } else {
            size_t n = (size_t)(rand_r(&seed) % (step % 50 == 0 ? 400000 : 2000)) + 1;
            slots[s] = step % 7 ? malloc(n) : calloc(n, 1);
            if (!slots[s])
                return 99;
            if (step % 7)
                memset(slots[s], s + 'A', n);
            sizes[s] = n;
        }
    }
    printf("malloc checksum %lu\n", check);
    int *z = calloc(1000, sizeof(int));
    int zero = 1;
    for (int i = 0; i < 1000; i++)
        zero &= z[i] == 0;
    printf("calloc zero %d\n", zero);
    free(z);

    atexit(bye1);
    atexit(bye2);
    printf("exiting with 7\n");
    exit(7);
}
