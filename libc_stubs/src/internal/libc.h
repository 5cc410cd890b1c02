/*
 * libc.h: what the parts of the library share and programs do not see: the per-thread
 * block behind the thread pointer, the internal lock, stdio's list of open files.
 */
#ifndef _INTERNAL_LIBC_H
#define _INTERNAL_LIBC_H

#include <stddef.h>
#include <stdint.h>

#define LIBC_KEYS_MAX 64        /* PTHREAD_KEYS_MAX */

/*
 * The thread pointer (CP0 UserLocal, read by `rdhwr $3, $29`) follows the MIPS TLS
 * convention, so that gcc's local-exec __thread accesses work: the program's TLS image
 * (.tdata + .tbss) starts at tp - TLS_TP_OFFSET. This block sits just below the image.
 */
#define TLS_TP_OFFSET 0x7000

enum { THREAD_RUNNING, THREAD_DETACHED, THREAD_EXITED };

struct __tls {
    void *alloc;                /* malloc'ed block holding this (NULL: main thread) */
    unsigned tid;               /* kernel thread id, 0 until known (see __thread_id) */
    int errno_val;
    volatile int state;         /* THREAD_*: who frees the block, the thread or a joiner */
    struct __tls *next;         /* list of the threads pthread_create made */
    void *keys[LIBC_KEYS_MAX];  /* pthread_setspecific values */
    uint32_t pad;               /* sizeof is a multiple of 8 */
};

static inline uintptr_t __get_tp(void)
{
    register uintptr_t tp __asm__("$3");
    __asm__ volatile(".set push\n.set mips32r2\nrdhwr $3, $29\n.set pop" : "=r"(tp));
    return tp;
}

static inline struct __tls *__tls(void)
{
    return (struct __tls *)(__get_tp() - TLS_TP_OFFSET) - 1;
}

/* Size and alignment of the block + TLS image of one thread; fills a fresh block. */
size_t __tls_block_size(void);
uintptr_t __tls_init(void *mem, void *alloc);   /* returns the thread pointer */
unsigned __thread_id(void);

/*
 * The internal lock is a word with pthread_mutex_t's protocol (docs/ABI.md): 0 free,
 * 1 held, 2 held with waiters; contention goes to the kernel's MUTEX service.
 */
void __lock(volatile int *l);
void __unlock(volatile int *l);

static inline int __cas(volatile int *p, int old, int new)
{
    __atomic_compare_exchange_n(p, &old, new, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    return old;
}

/* stdio: flush every open stream (exit, pthread_exit). */
void __stdio_flush_all(void);
void __stdio_flush_linebuffered(void);

/* stdlib */
extern char **__environ;
extern char *__progname;
extern uint64_t __start_cycles;
void *__sbrk(intptr_t inc);

#endif
