/*
 * sem.c: unnamed semaphores on the SEMAPHORE service. As POSIX says, these return
 * -1 and set errno on failure (unlike the pthread functions).
 */
#include <errno.h>
#include <semaphore.h>

#include "syscall.h"

static int call(sem_t *s, long op, long arg)
{
    return (int)__sys3(SYS_SEMAPHORE, s, op, arg) < 0 ? -1 : 0;
}

int sem_init(sem_t *s, int pshared, unsigned value)
{
    s->__word = 0;
    return call(s, SEM_OP_INIT, value);
}

int sem_destroy(sem_t *s)
{
    return call(s, SEM_OP_DESTROY, 0);
}

int sem_wait(sem_t *s)
{
    return call(s, SEM_OP_WAIT, 0);
}

int sem_trywait(sem_t *s)
{
    return call(s, SEM_OP_TRYWAIT, 0);
}

int sem_post(sem_t *s)
{
    return call(s, SEM_OP_POST, 0);
}

int sem_getvalue(sem_t *restrict s, int *restrict value)
{
    return call(s, SEM_OP_GETVALUE, (long)value);
}
