/* sys/timeb.h: ftime, ALMOS-MK's FTIME service: the emulated clock in seconds and ms. */
#ifndef _SYS_TIMEB_H
#define _SYS_TIMEB_H
#include <sys/types.h>
struct timeb {
    time_t time;               /* seconds since the machine started */
    unsigned short millitm;
    short timezone, dstflag;   /* always 0: UTC */
};
int ftime(struct timeb *);
#endif
