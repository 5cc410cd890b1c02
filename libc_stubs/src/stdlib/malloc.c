/*
 * malloc.c: the heap allocator, thread safe.
 *
 * Size classes of 16, 24, 32, 48, 64, 96 ... bytes (two per power of two, so at most
 * a third is wasted). A freed block goes on its class's free list and is reused for
 * the same class only; there is no coalescing. New blocks are carved from the break
 * (SBRK), grown in steps of at least SBRK_STEP. Requests of MMAP_MIN bytes or more
 * get their own anonymous mapping (MMAP) and are unmapped on free; when MMAP fails
 * they fall back to the classes. One internal lock protects it all.
 *
 * Every block has an 8-byte header just below the pointer handed out: the class
 * number (or CLASS_MMAP with the mapping's size, or CLASS_ALIGNED with the distance
 * to the real header, for memalign).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "libc.h"

#define HDR 8
#define NCLASSES 56             /* 16 << 27: more than the address space */
#define CLASS_MMAP 0x6d6d6170u
#define CLASS_ALIGNED 0x616c676eu
#define SBRK_STEP (64 * 1024)
#define MMAP_MIN (256 * 1024)
#define PAGE 4096

struct header {
    uint32_t cls;
    uint32_t extra;             /* mapping size, or offset back to the real header */
};

static void *free_list[NCLASSES];
static char *top, *top_end;     /* the part of the break not handed out yet */
static volatile int heap_lock;

static size_t class_size(int c)
{
    return (size_t)(c & 1 ? 24 : 16) << (c >> 1);
}

static int size_class(size_t n)
{
    int c = 0;
    while (class_size(c) < n)
        c++;
    return c;
}

static void *from_break(size_t size)
{
    if ((size_t)(top_end - top) < size) {
        size_t grow = size > SBRK_STEP ? (size + PAGE - 1) & ~(size_t)(PAGE - 1) : SBRK_STEP;
        char *p = __sbrk((intptr_t)grow);
        if (p == (char *)-1)
            return NULL;
        if (p != top_end)       /* someone else moved the break: start afresh */
            top = (char *)(((uintptr_t)p + 7) & ~(uintptr_t)7);
        top_end = p + grow;
        if ((size_t)(top_end - top) < size)
            return NULL;
    }
    void *r = top;
    top += size;
    return r;
}

static void *alloc_mmap(size_t n)
{
    size_t len = (n + HDR + PAGE - 1) & ~(size_t)(PAGE - 1);
    if (len < n)
        return NULL;
    struct header *h = mmap(NULL, len, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h == MAP_FAILED)
        return NULL;
    h->cls = CLASS_MMAP;
    h->extra = (uint32_t)len;
    return h + 1;
}

void *malloc(size_t n)
{
    if (n > SIZE_MAX / 2) {
        errno = ENOMEM;
        return NULL;
    }
    if (n >= MMAP_MIN) {
        int saved = errno;
        void *p = alloc_mmap(n);
        if (p)
            return p;
        errno = saved;
    }
    int c = size_class(n + HDR);
    __lock(&heap_lock);
    struct header *h = free_list[c];
    if (h)
        free_list[c] = *(void **)(h + 1);
    else
        h = from_break(class_size(c));
    __unlock(&heap_lock);
    if (!h) {
        errno = ENOMEM;
        return NULL;
    }
    h->cls = (uint32_t)c;
    h->extra = 0;
    return h + 1;
}

static struct header *header_of(void *p)
{
    struct header *h = (struct header *)p - 1;
    if (h->cls == CLASS_ALIGNED)
        h = (struct header *)((char *)h - h->extra);
    return h;
}

void free(void *p)
{
    if (!p)
        return;
    struct header *h = header_of(p);
    if (h->cls == CLASS_MMAP) {
        munmap(h, h->extra);
        return;
    }
    if (h->cls >= NCLASSES)
        abort();                /* not a block of ours, or a corrupted header */
    __lock(&heap_lock);
    *(void **)(h + 1) = free_list[h->cls];
    free_list[h->cls] = h;
    __unlock(&heap_lock);
}

static size_t usable(void *p, struct header *h)
{
    size_t total = h->cls == CLASS_MMAP ? h->extra : class_size((int)h->cls);
    return total - (size_t)((char *)p - (char *)h);
}

void *calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    size_t have = usable(p, header_of(p));
    if (n <= have && (n >= have / 4 || have < 4096))
        return p;               /* fits, and not much too big */
    void *q = malloc(n);
    if (!q)
        return NULL;
    memcpy(q, p, n < have ? n : have);
    free(p);
    return q;
}

void *memalign(size_t align, size_t n)
{
    if (align <= HDR)
        return malloc(n);
    if (align & (align - 1)) {
        errno = EINVAL;
        return NULL;
    }
    char *p = malloc(n + align + HDR);
    if (!p || ((uintptr_t)p & (align - 1)) == 0)
        return p;
    /* The first aligned address with room for a second header above the real one. */
    char *a = (char *)(((uintptr_t)p + HDR + align - 1) & ~(uintptr_t)(align - 1));
    struct header *h = (struct header *)a - 1;
    h->cls = CLASS_ALIGNED;
    h->extra = (uint32_t)((char *)h - ((char *)p - HDR));
    return a;
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    void *p = memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n)
{
    return memalign(align, n);
}
