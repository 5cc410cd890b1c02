/*
 * sync.c: condition variables, barriers and read-write locks: each operation is one
 * call to the kernel's COND_VAR, BARRIER or RWLOCK service, which keys the object by
 * its address (a zero-filled object needs no INIT, except a barrier's count).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "libc.h"
#include "syscall.h"

static int call(long nr, void *obj, long op, long arg)
{
    int err;
    __syscall3(nr, obj, op, arg, &err);
    return err;
}

int pthread_condattr_init(pthread_condattr_t *a)
{
    memset(a, 0, sizeof *a);
    return 0;
}

int pthread_condattr_destroy(pthread_condattr_t *a)
{
    return 0;
}

int pthread_cond_init(pthread_cond_t *restrict c, const pthread_condattr_t *restrict a)
{
    memset(c, 0, sizeof *c);
    return call(SYS_COND_VAR, c, COND_OP_INIT, 0);
}

int pthread_cond_destroy(pthread_cond_t *c)
{
    return call(SYS_COND_VAR, c, COND_OP_DESTROY, 0);
}

/* The kernel releases the mutex word, sleeps, and returns with it held again. */
int pthread_cond_wait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m)
{
    unsigned owner = m->__owner;
    int count = m->__count;
    int err = call(SYS_COND_VAR, c, COND_OP_WAIT, (long)m);
    m->__owner = owner;         /* recursive kinds: the same owner and depth again */
    m->__count = count;
    return err;
}

int pthread_cond_signal(pthread_cond_t *c)
{
    return call(SYS_COND_VAR, c, COND_OP_SIGNAL, 0);
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
    return call(SYS_COND_VAR, c, COND_OP_BROADCAST, 0);
}

int pthread_barrierattr_init(pthread_barrierattr_t *a)
{
    memset(a, 0, sizeof *a);
    return 0;
}

int pthread_barrierattr_destroy(pthread_barrierattr_t *a)
{
    return 0;
}

int pthread_barrier_init(pthread_barrier_t *restrict b,
                         const pthread_barrierattr_t *restrict a, unsigned count)
{
    if (count == 0)
        return EINVAL;
    memset(b, 0, sizeof *b);
    return call(SYS_BARRIER, b, BARRIER_OP_INIT, count);
}

int pthread_barrier_destroy(pthread_barrier_t *b)
{
    return call(SYS_BARRIER, b, BARRIER_OP_DESTROY, 0);
}

/* Exactly one thread gets PTHREAD_BARRIER_SERIAL_THREAD: $v0 = -1 with $v1 = 0. */
int pthread_barrier_wait(pthread_barrier_t *b)
{
    int err;
    long r = __syscall2(SYS_BARRIER, b, BARRIER_OP_WAIT, &err);
    if (err)
        return err;
    return r == -1 ? PTHREAD_BARRIER_SERIAL_THREAD : 0;
}

int pthread_rwlock_init(pthread_rwlock_t *restrict l, const pthread_rwlockattr_t *restrict a)
{
    memset(l, 0, sizeof *l);
    return call(SYS_RWLOCK, l, RW_OP_INIT, 0);
}

int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
    return call(SYS_RWLOCK, l, RW_OP_DESTROY, 0);
}

int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    return call(SYS_RWLOCK, l, RW_OP_RDLOCK, 0);
}

int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    return call(SYS_RWLOCK, l, RW_OP_WRLOCK, 0);
}

int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    return call(SYS_RWLOCK, l, RW_OP_TRYRDLOCK, 0);
}

int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    return call(SYS_RWLOCK, l, RW_OP_TRYWRLOCK, 0);
}

int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    return call(SYS_RWLOCK, l, RW_OP_UNLOCK, 0);
}
