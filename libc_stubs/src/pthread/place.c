/*
 * place.c: ALMOS-MK's placement calls: the caller's core, migration (MIGRATE) and
 * where the caller's forks go (FORK_PLACE). docs/ABI.md, "Placement services".
 */
#include <errno.h>
#include <pthread.h>

#include "syscall.h"

int pthread_attr_getcpuid_np(int *cpu_id)
{
    unsigned cxy, lid, x_size, y_size, ncores;
    int err;
    if (!cpu_id)
        return EINVAL;
    __syscall3(SYS_GET_CONFIG, &x_size, &y_size, &ncores, &err);
    if (!err)
        __syscall2(SYS_GET_CORE, &cxy, &lid, &err);
    if (err)
        return err;
    /* the global core id: cluster index (x * Y + y) * cores per cluster + lid */
    *cpu_id = (int)(((cxy >> 4) * y_size + (cxy & 15)) * ncores + lid);
    return 0;
}

int pthread_migrate_np(pthread_attr_t *attr)
{
    int err;
    __syscall1(SYS_MIGRATE, attr && attr->__cpuid_set ? attr->__cpuid : -1, &err);
    return err;
}

int pthread_attr_setforkinfo_np(int flags)
{
    int err;
    __syscall2(SYS_FORK_PLACE, FORK_OP_SET_INFO, flags, &err);
    return err;
}

int pthread_attr_setforkcpuid_np(int cpu_id)
{
    int err;
    __syscall2(SYS_FORK_PLACE, FORK_OP_SET_CPU, cpu_id, &err);
    return err;
}

int pthread_attr_getforkcpuid_np(int *cpu_id)
{
    int err;
    if (!cpu_id)
        return EINVAL;
    long cpu = __syscall1(SYS_FORK_PLACE, FORK_OP_GET_CPU, &err);
    if (!err)
        *cpu_id = (int)cpu;
    return err;
}
