/* almos_clock.h: the frequency of the emulated cores' cycle counter (CLOCK service). */
#ifndef _ALMOS_CLOCK_H
#define _ALMOS_CLOCK_H
#define ALMOS_CLOCK_HZ 100000000ULL
#endif
