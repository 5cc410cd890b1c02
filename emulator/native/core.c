/* Native hooks of an emulated core: the hot path that runs for every translated block
 * (instruction and cycle accounting, end of slice) and, when a cache model is on, for
 * every load and store (virtual to 40-bit physical, then the cache model). */
#include <string.h>
#include "core.h"
#include "cachesim.h"

#define UC_MEM_READ 16
#define UC_MEM_WRITE 17

static inline uint32_t pmap_slot(uint32_t vpn) { return (vpn * 2654435761u) >> (32 - CORE_PMAP_BITS); }

void core_pmap_flush(almos_core_t *c)
{
    memset(c->pmap_vpn, 0xFF, sizeof c->pmap_vpn);
    c->pmap_used = 0;
}

int core_pmap_set(almos_core_t *c, uint32_t vpn, uint64_t ppn)
{
    if (c->pmap_used >= CORE_PMAP_SIZE / 2)
        core_pmap_flush(c);            /* keep probes short; refilled by later TLB fills */
    uint32_t i = pmap_slot(vpn);
    for (;;) {
        if (c->pmap_vpn[i] == vpn) { c->pmap_ppn[i] = ppn; return 0; }
        if (c->pmap_vpn[i] == CORE_PMAP_EMPTY) {
            c->pmap_vpn[i] = vpn; c->pmap_ppn[i] = ppn; c->pmap_used++; return 1;
        }
        i = (i + 1) & (CORE_PMAP_SIZE - 1);
    }
}

int64_t core_pmap_get(almos_core_t *c, uint32_t vpn)
{
    uint32_t i = pmap_slot(vpn);
    for (;;) {
        uint32_t v = c->pmap_vpn[i];
        if (v == vpn) return (int64_t)c->pmap_ppn[i];
        if (v == CORE_PMAP_EMPTY) return -1;
        i = (i + 1) & (CORE_PMAP_SIZE - 1);
    }
}

static inline int translate(almos_core_t *c, uint64_t va, uint64_t *pa)
{
    int64_t ppn = core_pmap_get(c, (uint32_t)(va >> 12));
    if (ppn < 0) { c->pmap_miss++; return 0; }
    *pa = ((uint64_t)ppn << 12) | (va & 0xFFF);
    return 1;
}

static void block_hook(void *uc, uint64_t address, uint32_t size, void *user_data)
{
    almos_core_t *c = (almos_core_t *)user_data;
    uint32_t n = size >> 2;
    /* Stopping from a block hook ends the slice before the block runs: so check the deadline
     * first and count only blocks that will run (a slice always runs at least one block). */
    if (c->cycles >= c->deadline) {
        c->emu_stop(uc);
        return;
    }
    c->instructions += n;
    c->cycles += n;
    c->block_pc = (uint32_t)address;
    c->block_size = size;
    if (c->cs && size) {
        /* instruction fetch: one access per cache line the block covers */
        uint64_t first = address & ~(uint64_t)63, last = (address + size - 1) & ~(uint64_t)63;
        for (uint64_t va = first; va <= last; va += 64) {
            uint64_t pa;
            if (translate(c, va, &pa)) {
                uint32_t stall = cachesim_access(c->cs, c->core_id, pa, 4, CS_FETCH);
                if (c->cache_mode == 2) c->cycles += stall;
            }
        }
    }
}

static void mem_hook(void *uc, int type, uint64_t address, int size, int64_t value, void *user_data)
{
    almos_core_t *c = (almos_core_t *)user_data;
    (void)uc; (void)value;
    /* Unicorn synced the CPU state for this hook: in a delay slot that leaves stale
     * delay-slot flags behind (see emulator/ucfix.py) */
    *c->hflags &= ~MIPS_HFLAG_BMASK;
    if (!c->cs || address >= c->window_size) return;       /* device (MMIO) accesses */
    uint64_t base = c->window_pa[address >> 20];
    if (base == ~(uint64_t)0) { c->pmap_miss++; return; }
    uint64_t pa = base | (address & 0xFFFFF);
    uint32_t stall = cachesim_access(c->cs, c->core_id, pa, (uint32_t)size,
                                     type == UC_MEM_WRITE ? CS_WRITE : CS_READ);
    if (c->cache_mode == 2) c->cycles += stall;
}

uintptr_t core_block_hook_addr(void) { return (uintptr_t)&block_hook; }
uintptr_t core_mem_hook_addr(void) { return (uintptr_t)&mem_hook; }
