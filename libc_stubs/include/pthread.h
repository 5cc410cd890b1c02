/*
 * pthread.h: POSIX threads on the ALMOS services (CREATE, JOIN, MUTEX, COND_VAR ...).
 * Every object is valid when zero-filled, so the static initialisers are all zeros.
 * ALMOS extensions (placement): pthread_attr_setcpuid_np() pins a new thread to a global
 * core id, pthread_migrate_np() moves the caller, the fork attributes place its children.
 */
#ifndef _PTHREAD_H
#define _PTHREAD_H
#include <sched.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

typedef unsigned int pthread_t;
typedef unsigned int pthread_key_t;
typedef int pthread_once_t;
typedef volatile int pthread_spinlock_t;

typedef struct {
    int __detachstate;
    int __cpuid_set;            /* 0: the kernel (DQDT) places the thread */
    int __cpuid;
    size_t __stacksize;
    void *__stackaddr;
    int __reserved[4];
} pthread_attr_t;

typedef struct {
    volatile int __lock;        /* 0 free, 1 held, 2 held with waiters (docs/ABI.md) */
    int __kind;
    unsigned int __owner;       /* recursive and error-checking mutexes only */
    int __count;
    int __reserved[2];
} pthread_mutex_t;
typedef struct { int __kind; int __pshared; } pthread_mutexattr_t;

typedef struct { int __word; int __reserved[11]; } pthread_cond_t;
typedef struct { int __pshared; } pthread_condattr_t;
typedef struct { int __word; int __reserved[4]; } pthread_barrier_t;
typedef struct { int __pshared; } pthread_barrierattr_t;
typedef struct { int __word; int __reserved[7]; } pthread_rwlock_t;
typedef struct { int __pshared; } pthread_rwlockattr_t;

#define PTHREAD_CREATE_JOINABLE 0
#define PTHREAD_CREATE_DETACHED 1
#define PTHREAD_MUTEX_NORMAL 0
#define PTHREAD_MUTEX_RECURSIVE 1
#define PTHREAD_MUTEX_ERRORCHECK 2
#define PTHREAD_MUTEX_DEFAULT PTHREAD_MUTEX_NORMAL
#define PTHREAD_PROCESS_PRIVATE 0
#define PTHREAD_PROCESS_SHARED 1
#define PTHREAD_BARRIER_SERIAL_THREAD (-1)
#define PTHREAD_ONCE_INIT 0
#define PTHREAD_MUTEX_INITIALIZER { 0 }
#define PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP { 0, PTHREAD_MUTEX_RECURSIVE, 0, 0, { 0 } }
#define PTHREAD_COND_INITIALIZER { 0 }
#define PTHREAD_RWLOCK_INITIALIZER { 0 }

int pthread_create(pthread_t *__restrict, const pthread_attr_t *__restrict,
                   void *(*)(void *), void *__restrict);
int pthread_join(pthread_t, void **);
int pthread_detach(pthread_t);
_Noreturn void pthread_exit(void *);
pthread_t pthread_self(void);
int pthread_equal(pthread_t, pthread_t);
int pthread_yield(void);

int pthread_attr_init(pthread_attr_t *);
int pthread_attr_destroy(pthread_attr_t *);
int pthread_attr_setdetachstate(pthread_attr_t *, int);
int pthread_attr_getdetachstate(const pthread_attr_t *, int *);
int pthread_attr_setstacksize(pthread_attr_t *, size_t);
int pthread_attr_getstacksize(const pthread_attr_t *__restrict, size_t *__restrict);
int pthread_attr_setstack(pthread_attr_t *, void *, size_t);
int pthread_attr_getstack(const pthread_attr_t *__restrict, void **__restrict,
                          size_t *__restrict);
int pthread_attr_setscope(pthread_attr_t *, int);

/*
 * ALMOS: run the thread on global core `cpuid` (cluster_index * cores_per_cluster + lid,
 * cluster_index = x * Y_SIZE + y); -1 lets the kernel choose. *old (if not NULL) gets
 * the previous setting. May be called with two arguments (attr, cpuid).
 */
int __pthread_attr_setcpuid_np(pthread_attr_t *, int cpuid, int *old);
#define __PTHREAD_SETCPUID_SEL(a, b, c, n, ...) n
#define pthread_attr_setcpuid_np(...) \
    __PTHREAD_SETCPUID_SEL(__VA_ARGS__, __pthread_attr_setcpuid_np3, \
                           __pthread_attr_setcpuid_np2, )(__VA_ARGS__)
#define __pthread_attr_setcpuid_np3(a, c, o) __pthread_attr_setcpuid_np((a), (c), (o))
#define __pthread_attr_setcpuid_np2(a, c) __pthread_attr_setcpuid_np((a), (c), (int *)0)

/*
 * ALMOS-MK's placement calls (docs/ABI.md, "Placement services"); each returns 0 or an
 * error number. pthread_attr_getcpuid_np: the global core id the caller runs on.
 * pthread_migrate_np: the caller moves to the core set in attr with
 * pthread_attr_setcpuid_np (EINVAL if there is no such core); with no core set (or attr
 * NULL) the kernel moves it to a less loaded core nearby, if it finds one.
 * pthread_attr_setforkcpuid_np: the caller's next forks go to that core (until
 * pthread_attr_setforkinfo_np(PT_FORK_DEFAULT)); pthread_attr_getforkcpuid_np gives it,
 * or -1 when the kernel chooses. A forked child inherits these settings; exec clears them.
 */
#define PT_FORK_DEFAULT 0
#define PT_FORK_WILL_EXEC 0x1       /* accepted, as ALMOS's; it changes nothing here */
#define PT_FORK_TARGET_CPU 0x2
int pthread_attr_getcpuid_np(int *cpu_id);
int pthread_migrate_np(pthread_attr_t *attr);
int pthread_attr_setforkinfo_np(int flags);
int pthread_attr_setforkcpuid_np(int cpu_id);
int pthread_attr_getforkcpuid_np(int *cpu_id);

int pthread_mutex_init(pthread_mutex_t *__restrict, const pthread_mutexattr_t *__restrict);
int pthread_mutex_destroy(pthread_mutex_t *);
int pthread_mutex_lock(pthread_mutex_t *);
int pthread_mutex_trylock(pthread_mutex_t *);
int pthread_mutex_unlock(pthread_mutex_t *);
int pthread_mutexattr_init(pthread_mutexattr_t *);
int pthread_mutexattr_destroy(pthread_mutexattr_t *);
int pthread_mutexattr_settype(pthread_mutexattr_t *, int);
int pthread_mutexattr_gettype(const pthread_mutexattr_t *__restrict, int *__restrict);
int pthread_mutexattr_setpshared(pthread_mutexattr_t *, int);

int pthread_cond_init(pthread_cond_t *__restrict, const pthread_condattr_t *__restrict);
int pthread_cond_destroy(pthread_cond_t *);
int pthread_cond_wait(pthread_cond_t *__restrict, pthread_mutex_t *__restrict);
int pthread_cond_signal(pthread_cond_t *);
int pthread_cond_broadcast(pthread_cond_t *);
int pthread_condattr_init(pthread_condattr_t *);
int pthread_condattr_destroy(pthread_condattr_t *);

int pthread_barrier_init(pthread_barrier_t *__restrict, const pthread_barrierattr_t *__restrict,
                         unsigned);
int pthread_barrier_destroy(pthread_barrier_t *);
int pthread_barrier_wait(pthread_barrier_t *);
int pthread_barrierattr_init(pthread_barrierattr_t *);
int pthread_barrierattr_destroy(pthread_barrierattr_t *);

int pthread_rwlock_init(pthread_rwlock_t *__restrict, const pthread_rwlockattr_t *__restrict);
int pthread_rwlock_destroy(pthread_rwlock_t *);
int pthread_rwlock_rdlock(pthread_rwlock_t *);
int pthread_rwlock_wrlock(pthread_rwlock_t *);
int pthread_rwlock_tryrdlock(pthread_rwlock_t *);
int pthread_rwlock_trywrlock(pthread_rwlock_t *);
int pthread_rwlock_unlock(pthread_rwlock_t *);

int pthread_spin_init(pthread_spinlock_t *, int);
int pthread_spin_destroy(pthread_spinlock_t *);
int pthread_spin_lock(pthread_spinlock_t *);
int pthread_spin_trylock(pthread_spinlock_t *);
int pthread_spin_unlock(pthread_spinlock_t *);

int pthread_key_create(pthread_key_t *, void (*)(void *));
int pthread_key_delete(pthread_key_t);
void *pthread_getspecific(pthread_key_t);
int pthread_setspecific(pthread_key_t, const void *);
int pthread_once(pthread_once_t *, void (*)(void));
#endif
