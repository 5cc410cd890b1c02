/* Placeholder interface of the cache model (filled in by the caches work). */
#ifndef ALMOS_CACHESIM_H
#define ALMOS_CACHESIM_H
#include <stdint.h>
enum { CS_READ = 0, CS_WRITE = 1, CS_FETCH = 2, CS_LL = 3, CS_SC = 4 };
struct cachesys;
uint32_t cachesim_access(struct cachesys *cs, int core, uint64_t pa, uint32_t size, int kind);
#endif
