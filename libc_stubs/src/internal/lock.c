/*
 * lock.c: the library's internal lock (malloc, stdio, the thread list): the
 * pthread_mutex_t word protocol of docs/ABI.md, without owner or kind.
 * Uncontended: one ll/sc compare-and-swap; contended: the MUTEX service.
 */
#include "libc.h"
#include "syscall.h"

void __lock(volatile int *l)
{
    int err;
    if (__cas(l, 0, 1) == 0)
        return;
    /* The kernel returns once we own the word (or it handed it to us). */
    __syscall2(SYS_MUTEX, l, MUTEX_OP_LOCK, &err);
}

void __unlock(volatile int *l)
{
    int err;
    if (__cas(l, 1, 0) == 1)
        return;
    __syscall2(SYS_MUTEX, l, MUTEX_OP_UNLOCK, &err);
}
