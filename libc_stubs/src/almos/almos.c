/*
 * almos.c: the ALMOS-specific services of almos.h: mesh geometry, placement, the
 * cycle counter, the process table, the memory-cache instrumentation counters.
 */
#include <almos.h>

#include "syscall.h"

int get_config(unsigned *x_size, unsigned *y_size, unsigned *ncores)
{
    return (int)__sys3(SYS_GET_CONFIG, x_size, y_size, ncores);
}

int get_core(unsigned *cxy, unsigned *lid)
{
    return (int)__sys2(SYS_GET_CORE, cxy, lid);
}

int thread_info(pthread_t tid, unsigned *cxy, unsigned *lid)
{
    return (int)__sys3(SYS_THREAD_INFO, tid, cxy, lid);
}

unsigned long long get_cycles(void)
{
    unsigned long long c = 0;
    __sys1(SYS_CLOCK, &c);
    return c;
}

unsigned almos_gettid(void)
{
    return (unsigned)__sys0(SYS_GETTID);
}

int almos_ps(void)
{
    return (int)__sys0(SYS_PS);
}

int memc_roi_begin(void)
{
    return (int)__sys1(SYS_MEMC, MEMC_OP_ROI_BEGIN);
}

int memc_roi_end(void)
{
    return (int)__sys1(SYS_MEMC, MEMC_OP_ROI_END);
}

int memc_read(unsigned cxy, struct almos_memc *out)
{
    return (int)__sys3(SYS_MEMC, MEMC_OP_READ, cxy, out);
}
