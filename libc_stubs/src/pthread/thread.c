/*
 * thread.c: thread life cycle: pthread_create, join, detach, exit, self, the
 * attributes, thread-specific data (keys) and pthread_once.
 *
 * Each thread has a TLS block (libc.h) that pthread_create allocates and hands to
 * the kernel as attr->tls; the start routine returns to __thread_return (crt/),
 * which calls pthread_exit. Who frees a block is settled by a compare-and-swap on
 * its state: a detached thread frees its own as it exits, a joined one is freed by
 * the joiner, and pthread_detach frees the block of a thread that already exited.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "libc.h"
#include "syscall.h"

#define ONCE_RUNNING 1
#define ONCE_DONE 2

extern void __thread_return(void);

static struct __tls *threads;   /* blocks of the threads pthread_create made */
static volatile int threads_lock;

unsigned __thread_id(void)
{
    struct __tls *t = __tls();
    if (!t->tid) {
        int err;
        t->tid = (unsigned)__syscall0(SYS_GETTID, &err);
    }
    return t->tid;
}

pthread_t pthread_self(void)
{
    return __thread_id();
}

int pthread_equal(pthread_t a, pthread_t b)
{
    return a == b;
}

/* The block of thread `tid`, removed from the list. Call with threads_lock held. */
static struct __tls *unlink_thread(pthread_t tid)
{
    for (struct __tls **p = &threads; *p; p = &(*p)->next)
        if ((*p)->tid == tid) {
            struct __tls *t = *p;
            *p = t->next;
            return t;
        }
    return NULL;
}

int pthread_create(pthread_t *restrict thread, const pthread_attr_t *restrict attr,
                   void *(*start)(void *), void *restrict arg)
{
    void *mem = malloc(__tls_block_size());
    if (!mem)
        return EAGAIN;
    uintptr_t tp = __tls_init(mem, mem);
    struct __tls *t = (struct __tls *)(tp - TLS_TP_OFFSET) - 1;
    int detached = attr && attr->__detachstate == PTHREAD_CREATE_DETACHED;

    struct almos_thread_attr ka = {
        .flags = detached ? ALMOS_THREAD_DETACHED : 0,
        .cpuid = attr && attr->__cpuid_set ? attr->__cpuid : -1,
        .stack_size = attr ? (uint32_t)attr->__stacksize : 0,
        .stack_addr = attr ? (uint32_t)(uintptr_t)attr->__stackaddr : 0,
        .exit_ra = (uint32_t)(uintptr_t)__thread_return,
        .tls = (uint32_t)tp,
    };
    t->state = detached ? THREAD_DETACHED : THREAD_RUNNING;

    /*
     * The list lock is held across CREATE so that nobody (the new thread exiting, a
     * join or detach) looks the thread up before its id is recorded.
     */
    int err;
    pthread_t tid;
    __lock(&threads_lock);
    __syscall4(SYS_CREATE, (long)&tid, (long)&ka, (long)start, (long)arg, &err);
    if (!err) {
        t->tid = tid;
        t->next = threads;
        threads = t;
    }
    __unlock(&threads_lock);
    if (err) {
        free(mem);
        return err;
    }
    *thread = tid;
    return 0;
}

int pthread_join(pthread_t tid, void **ret)
{
    int err;
    __syscall2(SYS_JOIN, tid, ret, &err);
    if (err)
        return err;
    __lock(&threads_lock);
    struct __tls *t = unlink_thread(tid);
    __unlock(&threads_lock);
    if (t)
        free(t->alloc);
    return 0;
}

int pthread_detach(pthread_t tid)
{
    int err;
    __syscall1(SYS_DETACH, tid, &err);
    if (err)
        return err;
    __lock(&threads_lock);
    struct __tls *t = NULL;
    for (struct __tls *p = threads; p; p = p->next)
        if (p->tid == tid)
            t = p;
    if (t && __cas(&t->state, THREAD_RUNNING, THREAD_DETACHED) == THREAD_EXITED)
        unlink_thread(tid);     /* it has exited already: its block is ours to free */
    else
        t = NULL;
    __unlock(&threads_lock);
    if (t)
        free(t->alloc);
    return 0;
}

/* Key slots: in use, with a destructor. The values live in each thread's block. */
static struct {
    int used;
    void (*dtor)(void *);
} keys[PTHREAD_KEYS_MAX];
static volatile int keys_lock;

static void run_destructors(struct __tls *t)
{
    for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
        int again = 0;
        for (int k = 0; k < PTHREAD_KEYS_MAX; k++) {
            void *v = t->keys[k];
            void (*dtor)(void *) = keys[k].used ? keys[k].dtor : NULL;
            if (v && dtor) {
                t->keys[k] = NULL;
                dtor(v);
                again = 1;
            }
        }
        if (!again)
            break;
    }
}

_Noreturn void pthread_exit(void *ret)
{
    struct __tls *t = __tls();
    int err;
    run_destructors(t);
    fflush(stdout);             /* the last thread's exit ends the process */
    if (t->alloc) {             /* not the main thread */
        __lock(&threads_lock);
        if (__cas(&t->state, THREAD_RUNNING, THREAD_EXITED) == THREAD_DETACHED) {
            unlink_thread(t->tid);
            __unlock(&threads_lock);
            free(t->alloc);     /* nothing below touches the block */
        } else {
            __unlock(&threads_lock);
        }
    }
    for (;;)
        __syscall1(SYS_THREAD_EXIT, ret, &err);
}

int pthread_yield(void)
{
    int err;
    __syscall0(SYS_YIELD, &err);
    return 0;
}

int pthread_attr_init(pthread_attr_t *a)
{
    memset(a, 0, sizeof *a);
    a->__cpuid = -1;
    return 0;
}

int pthread_attr_destroy(pthread_attr_t *a)
{
    return 0;
}

int pthread_attr_setdetachstate(pthread_attr_t *a, int state)
{
    if (state != PTHREAD_CREATE_JOINABLE && state != PTHREAD_CREATE_DETACHED)
        return EINVAL;
    a->__detachstate = state;
    return 0;
}

int pthread_attr_getdetachstate(const pthread_attr_t *a, int *state)
{
    *state = a->__detachstate;
    return 0;
}

int pthread_attr_setstacksize(pthread_attr_t *a, size_t size)
{
    if (size < PTHREAD_STACK_MIN)
        return EINVAL;
    a->__stacksize = size;
    return 0;
}

int pthread_attr_getstacksize(const pthread_attr_t *restrict a, size_t *restrict size)
{
    *size = a->__stacksize ? a->__stacksize : 256 * 1024;     /* the kernel's default */
    return 0;
}

int pthread_attr_setstack(pthread_attr_t *a, void *addr, size_t size)
{
    if (size < PTHREAD_STACK_MIN)
        return EINVAL;
    a->__stackaddr = addr;
    a->__stacksize = size;
    return 0;
}

int pthread_attr_getstack(const pthread_attr_t *restrict a, void **restrict addr,
                          size_t *restrict size)
{
    *addr = a->__stackaddr;
    *size = a->__stacksize;
    return 0;
}

int pthread_attr_setscope(pthread_attr_t *a, int scope)
{
    return 0;
}

int __pthread_attr_setcpuid_np(pthread_attr_t *a, int cpuid, int *old)
{
    if (cpuid < -1)
        return EINVAL;
    if (old)
        *old = a->__cpuid_set ? a->__cpuid : -1;
    a->__cpuid_set = cpuid >= 0;
    a->__cpuid = cpuid;
    return 0;
}

int pthread_key_create(pthread_key_t *key, void (*dtor)(void *))
{
    __lock(&keys_lock);
    for (int k = 0; k < PTHREAD_KEYS_MAX; k++)
        if (!keys[k].used) {
            keys[k].used = 1;
            keys[k].dtor = dtor;
            __unlock(&keys_lock);
            *key = (pthread_key_t)k;
            return 0;
        }
    __unlock(&keys_lock);
    return EAGAIN;
}

int pthread_key_delete(pthread_key_t key)
{
    if (key >= PTHREAD_KEYS_MAX || !keys[key].used)
        return EINVAL;
    __lock(&keys_lock);
    keys[key].used = 0;
    keys[key].dtor = NULL;
    __unlock(&keys_lock);
    return 0;
}

void *pthread_getspecific(pthread_key_t key)
{
    return key < PTHREAD_KEYS_MAX ? __tls()->keys[key] : NULL;
}

int pthread_setspecific(pthread_key_t key, const void *value)
{
    if (key >= PTHREAD_KEYS_MAX || !keys[key].used)
        return EINVAL;
    __tls()->keys[key] = (void *)value;
    return 0;
}

int pthread_once(pthread_once_t *once, void (*fn)(void))
{
    if (*(volatile int *)once == ONCE_DONE)
        return 0;
    if (__cas(once, 0, ONCE_RUNNING) == 0) {
        fn();
        __atomic_store_n(once, ONCE_DONE, __ATOMIC_RELEASE);
        return 0;
    }
    while (__atomic_load_n(once, __ATOMIC_ACQUIRE) != ONCE_DONE)
        pthread_yield();
    return 0;
}
