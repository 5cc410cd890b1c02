/* ALMOS's page placement services as a program sees them (tests/kernel/test_mcntl.py reads
 * the lines it prints; clusters are printed as their cxy, in decimal):
 *   mcntl where     a thread pinned on the first core of every cluster touches a stack, a
 *                   heap and an mmap page: "thread CXY stack S heap H mmap M"; once they are
 *                   joined, main reads their heap pages and asks again: "later CXY H"
 *   mcntl migrate   a thread on the first cluster fills three pages; main advises
 *                   MADV_MIGRATE on the first two; a thread on the last cluster touches the
 *                   third, then the first: "migrate before A after B data OK touch T copyin C
 *                   again G other O" (cycles of its stores: the migrating touch, the first
 *                   touch of a page mapped in another cluster, a mapped page; O: the cluster
 *                   of the advised page nobody touched again)
 *   mcntl move      a page touched on the first cluster is moved to the last with MCNTL_MOVE:
 *                   "move before A after B data OK"
 *   mcntl dontneed  "dontneed mmap Z heap Z data V gone E": Z 1 if the pages read back as
 *                   zeros, V the initialised datum read back, E the errno of mcntl on the
 *                   dropped page
 *   mcntl willneed  a thread on the last cluster: "willneed home CXY page P touch W fresh F"
 *                   (cycles per page of stores to PAGES pages after MADV_WILLNEED, and to as
 *                   many fresh pages)
 *   mcntl errors    "NAME ERRNO" for each bad call (0: it succeeded), then "alive"
 */
#include <almos.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096
#define PAGES 16
#define PATTERN 0x5a
#define DATUM 1234
#define MAX_CLUSTERS 256

static unsigned xs, ys, per_cluster;
static int data_page[PAGE / sizeof(int)] __attribute__((aligned(PAGE))) = { DATUM };

static unsigned where(void *p)
{
    minfo_t info;
    if (mcntl(MCNTL_READ, p, 1, &info) != 0) {
        printf("mcntl(%p): errno %d\n", p, errno);
        exit(1);
    }
    return info.mi_cid;
}

static unsigned my_cluster(void)
{
    unsigned cxy, lid;
    get_core(&cxy, &lid);
    return cxy;
}

static void *map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        printf("mmap: errno %d\n", errno);
        exit(1);
    }
    return p;
}

static char *page_in(char *block)
{
    return (char *)(((uintptr_t)block + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
}

/* Runs fn(arg) on the first core of cluster index c (x * ys + y) and waits for it. */
static void on_cluster(unsigned c, void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setcpuid_np(&attr, (int)(c * per_cluster), NULL);
    if (pthread_create(&t, &attr, fn, arg) != 0) {
        printf("pthread_create failed\n");
        exit(1);
    }
    pthread_join(t, NULL);
}

static unsigned long long store(volatile char *p, char v)
{
    unsigned long long t0 = get_cycles();
    *p = v;
    return get_cycles() - t0;
}

/* ---- where ---------------------------------------------------------------------------- */
struct toucher {
    pthread_t tid;
    unsigned cxy;
    char *heap;
    char *heap_page;
};

static void *touch_three(void *arg)
{
    struct toucher *t = arg;
    volatile char frame[64];
    frame[0] = 1;
    t->cxy = my_cluster();
    t->heap = malloc(2 * PAGE);
    t->heap_page = page_in(t->heap);
    t->heap_page[0] = 1;
    char *m = map(PAGE);
    m[0] = 1;
    printf("thread %u stack %u heap %u mmap %u\n", t->cxy, where((void *)frame),
           where(t->heap_page), where(m));
    return NULL;
}

static int cmd_where(void)
{
    static struct toucher t[MAX_CLUSTERS];
    unsigned n = xs * ys;
    for (unsigned c = 0; c < n; c++) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setcpuid_np(&attr, (int)(c * per_cluster), NULL);
        if (pthread_create(&t[c].tid, &attr, touch_three, &t[c]) != 0)
            return 1;
    }
    for (unsigned c = 0; c < n; c++)
        pthread_join(t[c].tid, NULL);
    for (unsigned c = 0; c < n; c++) {
        volatile char sink = t[c].heap_page[0];
        (void)sink;
        printf("later %u %u\n", t[c].cxy, where(t[c].heap_page));
    }
    return 0;
}

/* ---- migrate and move ------------------------------------------------------------------ */
static char *pages;
static unsigned long long touch_cycles, copyin_cycles, again_cycles;

static void *fill(void *arg)
{
    memset(pages, PATTERN, 3 * PAGE);
    return arg;
}

static void *touch_advised(void *arg)
{
    copyin_cycles = store(pages + 2 * PAGE + 8, PATTERN);   /* mapped, in another cluster */
    touch_cycles = store(pages + 8, PATTERN);        /* the first touch since MADV_MIGRATE */
    again_cycles = store(pages + 16, PATTERN);
    return arg;
}

static int intact(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] != PATTERN)
            return 0;
    return 1;
}

static int cmd_migrate(void)
{
    unsigned last = xs * ys - 1;
    pages = map(3 * PAGE);
    on_cluster(0, fill, NULL);
    unsigned before = where(pages);
    if (madvise(pages, 2 * PAGE, MADV_MIGRATE) != 0)
        return 1;
    on_cluster(last, touch_advised, NULL);
    printf("migrate before %u after %u data %s touch %llu copyin %llu again %llu other %u\n",
           before, where(pages), intact(pages, 3 * PAGE) ? "OK" : "BAD", touch_cycles,
           copyin_cycles, again_cycles, where(pages + PAGE));
    return 0;
}

static int cmd_move(void)
{
    pages = map(3 * PAGE);
    on_cluster(0, fill, NULL);
    unsigned before = where(pages);
    minfo_t to = { .mi_cid = 0 };
    to.mi_cid = (xs - 1) << 4 | (ys - 1);
    if (mcntl(MCNTL_MOVE, pages, 3, &to) != 0) {
        printf("MCNTL_MOVE: errno %d\n", errno);
        return 1;
    }
    printf("move before %u after %u data %s\n", before, where(pages + PAGE),
           intact(pages, 3 * PAGE) ? "OK" : "BAD");
    return 0;
}

/* ---- dontneed and willneed -------------------------------------------------------------- */
static int zeros(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static int cmd_dontneed(void)
{
    char *m = map(2 * PAGE);
    memset(m, PATTERN, 2 * PAGE);
    char *h = page_in(malloc(3 * PAGE));
    memset(h, PATTERN, PAGE);
    data_page[0] = 99;
    if (madvise(m, 2 * PAGE, MADV_DONTNEED) || madvise(h, PAGE, MADV_DONTNEED) ||
        madvise(data_page, PAGE, MADV_DONTNEED))
        return 1;
    minfo_t info;
    int gone = mcntl(MCNTL_READ, m, 1, &info) == 0 ? 0 : errno;
    printf("dontneed mmap %d heap %d data %d gone %d\n", zeros(m, 2 * PAGE), zeros(h, PAGE),
           data_page[0], gone);
    return 0;
}

static unsigned long long per_page(char *p)
{
    unsigned long long t0 = get_cycles();
    for (int i = 0; i < PAGES; i++)
        p[i * PAGE] = 1;
    return (get_cycles() - t0) / PAGES;
}

static void *willneed(void *arg)
{
    char *advised = map(PAGES * PAGE), *fresh = map(PAGES * PAGE);
    if (madvise(advised, PAGES * PAGE, MADV_WILLNEED) != 0) {
        printf("MADV_WILLNEED: errno %d\n", errno);
        exit(1);
    }
    unsigned page = where(advised + PAGE);          /* present: no ENOENT */
    unsigned long long w = per_page(advised), f = per_page(fresh);
    printf("willneed home %u page %u touch %llu fresh %llu\n", my_cluster(), page, w, f);
    return arg;
}

/* ---- errors ------------------------------------------------------------------------------ */
#define TRY(name, call) printf("%s %d\n", name, (call) == 0 ? 0 : errno)

static int cmd_errors(void)
{
    char *m = map(2 * PAGE);
    minfo_t info, far = { .mi_cid = 0xff };
    m[0] = 1;
    TRY("read_unmapped", mcntl(MCNTL_READ, (void *)0x3000, 1, &info));
    TRY("read_kernel", mcntl(MCNTL_READ, (void *)0x80001000, 1, &info));
    TRY("read_untouched", mcntl(MCNTL_READ, m + PAGE, 1, &info));
    TRY("read_null_info", mcntl(MCNTL_READ, m, 1, NULL));
    TRY("read_bad_info", mcntl(MCNTL_READ, m, 1, (minfo_t *)0x3000));
    TRY("bad_op", mcntl(7, m, 1, &info));
    TRY("negative_op", mcntl(-1, m, 1, &info));
    TRY("iflush", mcntl(MCNTL_L1_iFLUSH, m, 1, &info));
    TRY("move_bad_cluster", mcntl(MCNTL_MOVE, m, 1, &far));
    TRY("move_unmapped", mcntl(MCNTL_MOVE, (void *)0x3000, 1, &info));
    TRY("move_huge", mcntl(MCNTL_MOVE, m, 0xffffffffu, &info));
    TRY("move_null_info", mcntl(MCNTL_MOVE, m, 1, NULL));
    TRY("advice_bad", madvise(m, PAGE, 6));
    TRY("advice_negative", madvise(m, PAGE, -1));
    TRY("advise_unaligned", madvise(m + 1, PAGE, MADV_DONTNEED));
    TRY("advise_unmapped", madvise((void *)0x3000, PAGE, MADV_WILLNEED));
    TRY("advise_past_end", madvise(m, 3 * PAGE, MADV_MIGRATE));
    TRY("advise_wrap", madvise(m, 0xfffff000u, MADV_DONTNEED));
    TRY("advise_kernel", madvise((void *)0x80000000, PAGE, MADV_DONTNEED));
    TRY("advise_empty", madvise(m, 0, MADV_DONTNEED));
    TRY("advise_normal", madvise(m, PAGE, MADV_NORMAL));
    TRY("advise_sequential", madvise(m, 2 * PAGE, MADV_SEQUENTIAL));
    printf("alive %d\n", m[0]);
    return 0;
}

int main(int argc, char **argv)
{
    get_config(&xs, &ys, &per_cluster);
    if (argc != 2 || xs * ys > MAX_CLUSTERS) {
        fprintf(stderr, "usage: mcntl where|migrate|move|dontneed|willneed|errors\n");
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "where"))
        return cmd_where();
    if (!strcmp(cmd, "migrate"))
        return cmd_migrate();
    if (!strcmp(cmd, "move"))
        return cmd_move();
    if (!strcmp(cmd, "dontneed"))
        return cmd_dontneed();
    if (!strcmp(cmd, "willneed")) {
        on_cluster(xs * ys - 1, willneed, NULL);
        return 0;
    }
    if (!strcmp(cmd, "errors"))
        return cmd_errors();
    fprintf(stderr, "mcntl: unknown command %s\n", cmd);
    return 2;
}
