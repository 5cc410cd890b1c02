/*
 * qsort.c: qsort and bsearch.
 *
 * qsort is a stable merge sort (insertion sort on short runs), like glibc's, so that
 * elements that compare equal come out in the same order on both. If the scratch
 * buffer cannot be allocated it falls back to heapsort, which is not stable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RUN 8
#define STACK_SCRATCH 1024

typedef int (*cmp_fn)(const void *, const void *);

static void swap(char *a, char *b, size_t size)
{
    while (size--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

static void insertion(char *base, size_t n, size_t size, cmp_fn cmp)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cmp(base + (j - 1) * size, base + j * size) > 0; j--)
            swap(base + (j - 1) * size, base + j * size, size);
}

static void merge_sort(char *base, size_t n, size_t size, cmp_fn cmp, char *tmp)
{
    if (n <= RUN) {
        insertion(base, n, size, cmp);
        return;
    }
    size_t half = n / 2;
    char *mid = base + half * size, *end = base + n * size;
    merge_sort(base, half, size, cmp, tmp);
    merge_sort(mid, n - half, size, cmp, tmp);
    if (cmp(mid - size, mid) <= 0)
        return;                 /* already in order */
    memcpy(tmp, base, half * size);     /* merge the left copy with the right half */
    char *l = tmp, *lend = tmp + half * size, *r = mid, *out = base;
    while (l < lend && r < end) {
        if (cmp(r, l) < 0) {    /* strictly less: equal elements keep their order */
            memcpy(out, r, size);
            r += size;
        } else {
            memcpy(out, l, size);
            l += size;
        }
        out += size;
    }
    memcpy(out, l, (size_t)(lend - l));
}

static void sift(char *base, size_t root, size_t n, size_t size, cmp_fn cmp)
{
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && cmp(base + child * size, base + (child + 1) * size) < 0)
            child++;
        if (cmp(base + root * size, base + child * size) >= 0)
            return;
        swap(base + root * size, base + child * size, size);
    }
}

static void heap_sort(char *base, size_t n, size_t size, cmp_fn cmp)
{
    for (size_t i = n / 2; i-- > 0;)
        sift(base, i, n, size, cmp);
    for (size_t i = n; i-- > 1;) {
        swap(base, base + i * size, size);
        sift(base, 0, i, size, cmp);
    }
}

void qsort(void *base, size_t n, size_t size, cmp_fn cmp)
{
    char stack_tmp[STACK_SCRATCH];
    if (n < 2 || size == 0)
        return;
    size_t need = (n / 2 + 1) * size;
    if (need <= sizeof stack_tmp) {
        merge_sort(base, n, size, cmp, stack_tmp);
        return;
    }
    char *tmp = n <= SIZE_MAX / size ? malloc(need) : NULL;
    if (!tmp) {
        heap_sort(base, n, size, cmp);
        return;
    }
    merge_sort(base, n, size, cmp, tmp);
    free(tmp);
}

void *bsearch(const void *key, const void *base, size_t n, size_t size, cmp_fn cmp)
{
    const char *lo = base;
    while (n > 0) {
        const char *mid = lo + (n / 2) * size;
        int c = cmp(key, mid);
        if (c == 0)
            return (void *)mid;
        if (c > 0) {
            lo = mid + size;
            n -= n / 2 + 1;
        } else {
            n /= 2;
        }
    }
    return NULL;
}
