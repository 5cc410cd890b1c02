/*
 * mutex.c: mutexes and spin locks.
 *
 * The mutex word follows docs/ABI.md: 0 free, 1 held, 2 held with waiters possible.
 * lock: compare-and-swap 0 -> 1 (ll/sc), else the MUTEX LOCK service, which returns
 * once the caller owns the mutex. unlock: 1 -> 0, else MUTEX UNLOCK, which hands the
 * mutex to a waiter. Recursive and error-checking kinds add an owner and a count.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "libc.h"
#include "syscall.h"

#define SPINS_BEFORE_YIELD 100

int pthread_mutexattr_init(pthread_mutexattr_t *a)
{
    memset(a, 0, sizeof *a);
    return 0;
}

int pthread_mutexattr_destroy(pthread_mutexattr_t *a)
{
    return 0;
}

int pthread_mutexattr_settype(pthread_mutexattr_t *a, int kind)
{
    if (kind < PTHREAD_MUTEX_NORMAL || kind > PTHREAD_MUTEX_ERRORCHECK)
        return EINVAL;
    a->__kind = kind;
    return 0;
}

int pthread_mutexattr_gettype(const pthread_mutexattr_t *restrict a, int *restrict kind)
{
    *kind = a->__kind;
    return 0;
}

int pthread_mutexattr_setpshared(pthread_mutexattr_t *a, int pshared)
{
    return pshared == PTHREAD_PROCESS_PRIVATE ? 0 : ENOTSUP;
}

int pthread_mutex_init(pthread_mutex_t *restrict m, const pthread_mutexattr_t *restrict a)
{
    memset(m, 0, sizeof *m);    /* INIT is optional: a zero mutex is initialised */
    m->__kind = a ? a->__kind : PTHREAD_MUTEX_NORMAL;
    return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
    int err;
    if (m->__lock)
        return EBUSY;
    __syscall2(SYS_MUTEX, m, MUTEX_OP_DESTROY, &err);
    return 0;
}

static int lock_word(pthread_mutex_t *m)
{
    int err = 0;
    if (__cas(&m->__lock, 0, 1) != 0)
        __syscall2(SYS_MUTEX, m, MUTEX_OP_LOCK, &err);
    return err;
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
    if (m->__kind == PTHREAD_MUTEX_NORMAL)
        return lock_word(m);
    unsigned me = __thread_id();
    if (m->__owner == me) {
        if (m->__kind == PTHREAD_MUTEX_ERRORCHECK)
            return EDEADLK;
        m->__count++;
        return 0;
    }
    int err = lock_word(m);
    if (!err) {
        m->__owner = me;
        m->__count = 1;
    }
    return err;
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
    if (m->__kind != PTHREAD_MUTEX_NORMAL) {
        unsigned me = __thread_id();
        if (m->__owner == me) {
            if (m->__kind == PTHREAD_MUTEX_ERRORCHECK)
                return EBUSY;
            m->__count++;
            return 0;
        }
        if (__cas(&m->__lock, 0, 1) != 0)
            return EBUSY;
        m->__owner = me;
        m->__count = 1;
        return 0;
    }
    return __cas(&m->__lock, 0, 1) == 0 ? 0 : EBUSY;
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
    int err = 0;
    if (m->__kind != PTHREAD_MUTEX_NORMAL) {
        if (m->__owner != __thread_id())
            return EPERM;
        if (--m->__count > 0)
            return 0;
        m->__owner = 0;
    }
    if (__cas(&m->__lock, 1, 0) != 1)
        __syscall2(SYS_MUTEX, m, MUTEX_OP_UNLOCK, &err);
    return err;
}

int pthread_spin_init(pthread_spinlock_t *s, int pshared)
{
    *s = 0;
    return 0;
}

int pthread_spin_destroy(pthread_spinlock_t *s)
{
    return 0;
}

int pthread_spin_lock(pthread_spinlock_t *s)
{
    for (int spins = 0; __cas(s, 0, 1) != 0; spins++) {
        while (*s) {
            /* The holder may be waiting for our core: let it run now and then. */
            if (++spins % SPINS_BEFORE_YIELD == 0)
                pthread_yield();
        }
    }
    return 0;
}

int pthread_spin_trylock(pthread_spinlock_t *s)
{
    return __cas(s, 0, 1) == 0 ? 0 : EBUSY;
}

int pthread_spin_unlock(pthread_spinlock_t *s)
{
    __atomic_store_n(s, 0, __ATOMIC_RELEASE);
    return 0;
}
