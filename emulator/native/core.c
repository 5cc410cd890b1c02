/* Native hooks of an emulated core: the hot path that runs for every translated block
 * (instruction and cycle accounting, end of slice) and, when a cache model is on, for
 * every load and store (virtual to 40-bit physical, then the cache model). */
#define _POSIX_C_SOURCE 200809L      /* clock_gettime, sched_yield under -std=c11 */
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <sched.h>
#include "core.h"
#include "cachesim.h"

#define UC_MEM_READ 16
#define UC_MEM_WRITE 17
#define UC_MEM_FETCH 18
#define UC_PROT_READ 1
#define UC_PROT_WRITE 2
#define UC_PROT_EXEC 4

/* TSAR page-table entry flags and layout (emulator/mmu.py has the same, for Python) */
#define PTE_V 0x80000000u
#define PTE_T 0x40000000u
#define PTE_L 0x20000000u
#define PTE_R 0x10000000u
#define PTE_W 0x04000000u
#define PTE_X 0x02000000u
#define PTE_U 0x01000000u
#define PTE_D 0x00400000u
#define PTPR_SHIFT 13
#define PPN_MASK 0x0FFFFFFFu
#define BIG_PPN_MASK 0x7FFFFu

static inline uint32_t pmap_slot(uint32_t vpn) { return (vpn * 2654435761u) >> (32 - CORE_PMAP_BITS); }

void core_pmap_flush(almos_core_t *c)
{
    if (c->mm) memset(c->mm->pmap_vpn, 0xFF, sizeof c->mm->pmap_vpn);
    c->pmap_used = 0;
    c->dec_gen++;            /* decoded blocks were found through the old translations */
}

void core_model_mem(almos_core_t *c, almos_model_mem_t *mm)
{
    c->mm = mm;
    core_pmap_flush(c);
}

int core_pmap_set(almos_core_t *c, uint32_t vpn, uint64_t ppn)
{
    almos_model_mem_t *m = c->mm;
    if (!m) return 0;
    if (c->pmap_used >= CORE_PMAP_SIZE / 2)
        core_pmap_flush(c);            /* keep probes short; refilled by later TLB fills */
    uint32_t i = pmap_slot(vpn);
    for (;;) {
        if (m->pmap_vpn[i] == vpn) { m->pmap_ppn[i] = ppn; return 0; }
        if (m->pmap_vpn[i] == CORE_PMAP_EMPTY) {
            m->pmap_vpn[i] = vpn; m->pmap_ppn[i] = ppn; c->pmap_used++; return 1;
        }
        i = (i + 1) & (CORE_PMAP_SIZE - 1);
    }
}

int64_t core_pmap_get(almos_core_t *c, uint32_t vpn)
{
    const almos_model_mem_t *m = c->mm;
    if (!m) return -1;
    uint32_t i = pmap_slot(vpn);
    for (;;) {
        uint32_t v = m->pmap_vpn[i];
        if (v == vpn) return (int64_t)m->pmap_ppn[i];
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

/* Host address of RAM physical address pa, or NULL (see host_of below). */
static inline uint8_t *host_of(const almos_mem_t *m, uint64_t pa);

/* MIPS32 major opcodes of the loads and stores Unicorn's memory hooks report (cache and
 * pref report nothing), and of LL and SC. */
static inline int is_mem_opcode(uint32_t op)
{
    return (op >= 0x20 && op <= 0x26) || (op >= 0x28 && op <= 0x2B) || op == 0x2E
           || op == 0x30 || op == 0x31 || op == 0x35 || op == 0x38 || op == 0x39 || op == 0x3D;
}

/* The instruction word at va through the page map into *insn; 0 if its code cannot be read
 * (not mapped here, not RAM). */
static inline int code_word(almos_core_t *c, uint32_t va, uint32_t *insn)
{
    int64_t ppn = c->mem ? core_pmap_get(c, va >> 12) : -1;
    const uint8_t *h = ppn < 0 ? NULL : host_of(c->mem, ((uint64_t)ppn << 12) | (va & 0xFFF));
    if (!h) return 0;
    memcpy(insn, h, 4);
    return 1;
}

/* The LL/SC map of the block at va (2 bits per memory instruction) into kinds[]; returns
 * whether it has any (0 too when its code cannot be read). */
static int decode_block(almos_core_t *c, uint32_t va, uint32_t size, uint64_t *kinds)
{
    uint32_t k = 0;
    int any = 0;
    memset(kinds, 0, sizeof(uint64_t) * (CORE_MOPS / 32));
    for (uint32_t off = 0; off < size && k < CORE_MOPS; off += 4) {
        uint32_t insn;
        if (!code_word(c, va + off, &insn)) return 0;
        uint32_t op = insn >> 26;
        if (!is_mem_opcode(op)) continue;
        uint64_t code = op == 0x30 ? 1 : op == 0x38 ? 2 : 0;
        kinds[k / 32] |= code << (2 * (k % 32));
        any |= code != 0;
        k++;
    }
    return any;
}

/* Ends the slice: the exit must restore the exact PC (see skip_sync in core.h). */
static inline void stop(void *uc, almos_core_t *c)
{
    if (c->skip_sync) *c->skip_sync = 0;
    c->emu_stop(uc);
}

static void block_hook(void *uc, uint64_t address, uint32_t size, void *user_data)
{
    almos_core_t *c = (almos_core_t *)user_data;
    uint32_t n = size >> 2;
    /* Stopping from a block hook ends the slice before the block runs: so check the deadline
     * first and count only blocks that will run (a slice always runs at least one block). */
    if (c->cycles >= c->deadline) {
        stop(uc, c);
        return;
    }
    if (c->stop_pending) {          /* a stop asked in the delay slot of the last block */
        c->stop_pending = 0;
        return;
    }
    if (c->fast_hooks) *c->skip_sync = 1;
    c->mem_seen = 0;
    c->block_ds = (*c->hflags & MIPS_HFLAG_BMASK) != 0;
    c->instructions += n;
    c->cycles += n;
    c->block_pc = (uint32_t)address;
    c->block_size = size;
    if (c->cs && c->mm && size) {
        almos_model_mem_t *m = c->mm;
        uint32_t d = ((uint32_t)address >> 2) & (CORE_DEC_SIZE - 1);
        if (m->dec_valid[d] != c->dec_gen || m->dec_pc[d] != (uint32_t)address
            || m->dec_size[d] != size) {
            m->dec_any[d] = (uint32_t)decode_block(c, (uint32_t)address, size, m->dec_kinds[d]);
            m->dec_pc[d] = (uint32_t)address;
            m->dec_size[d] = size;
            m->dec_valid[d] = c->dec_gen;
        }
        c->mop_kinds = m->dec_kinds[d];
        c->mop_any = m->dec_any[d];
        c->mop_idx = 0;
        c->sc_pending = ~(uint64_t)0;
        /* instruction fetch: one access per cache line the block covers */
        uint64_t first = address & ~(uint64_t)63, last = (address + size - 1) & ~(uint64_t)63;
        for (uint64_t va = first; va <= last; va += 64) {
            uint64_t pa;
            if (translate(c, va, &pa)) {
                uint64_t stall = cachesim_access(c->cs, c->core_id, pa, 4, CS_FETCH, c->cycles);
                if (c->cache_mode == 2) c->cycles += stall;
            }
        }
    }
}

/* MIPS32 branches and jumps: the next instruction sits in their delay slot. */
static inline int is_branch(uint32_t insn)
{
    uint32_t op = insn >> 26, rt = (insn >> 16) & 0x1F;
    switch (op) {
    case 0x00: return (insn & 0x3F) == 0x08 || (insn & 0x3F) == 0x09;       /* jr, jalr */
    case 0x01: return rt <= 0x03 || (rt >= 0x10 && rt <= 0x13);            /* REGIMM */
    case 0x11: return ((insn >> 21) & 0x1F) == 0x08;                        /* bc1 */
    default: return (op >= 0x02 && op <= 0x07) || (op >= 0x14 && op <= 0x17);
    }
}

/* Ends the slice at the memory instruction `seen` (0-based) of the block entered last (see
 * mem_seen in core.h). Returns 1 when that instruction will run again. */
static int stop_at(void *uc, almos_core_t *c, uint32_t seen)
{
    stop(uc, c);
    uint32_t n = c->block_size >> 2, k = 0, prev = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t insn;
        if (!code_word(c, c->block_pc + 4 * i, &insn)) return 0;
        if (is_mem_opcode(insn >> 26) && k++ == seen) {
            if (i ? is_branch(prev) : c->block_ds) {
                c->stop_pending = 1;
                return 0;
            }
            c->instructions -= n - i;
            c->cycles -= n - i;
            c->uncounted += n - i;
            return 1;
        }
        prev = insn;
    }
    return 0;
}

/* The kind of this memory access given the LL/SC map of the block (see core.h); -1 for the
 * write half of an SC, already accounted with its read half. */
static inline int access_kind(almos_core_t *c, int type, uint64_t address)
{
    int kind = type == UC_MEM_WRITE ? CS_WRITE : CS_READ;
    if (!c->mop_any) return kind;
    if (c->sc_pending != ~(uint64_t)0) {
        int half = type == UC_MEM_WRITE && address == c->sc_pending;
        c->sc_pending = ~(uint64_t)0;
        c->mop_idx++;
        if (half) return -1;
    }
    uint32_t i = c->mop_idx;
    uint32_t k = i < CORE_MOPS ? (uint32_t)(c->mop_kinds[i / 32] >> (2 * (i % 32))) & 3 : 0;
    if (k == 2) {
        if (type == UC_MEM_WRITE) c->mop_idx++;
        else c->sc_pending = address;
        return CS_SC;
    }
    c->mop_idx++;
    return k == 1 && type != UC_MEM_WRITE ? CS_LL : kind;
}

/* Spin detection on a data read of `size` bytes at window address `address`: sets
 * spin_stop when the core spins. */
static inline void spin_check(almos_core_t *c, uint64_t address, int size)
{
    uint32_t v = 0;
    memcpy(&v, c->mem->window + address, size < 4 ? (size_t)size : 4);
    if (address == c->spin_addr && v == c->spin_val && (uint32_t)size == c->spin_size
        && c->instructions - c->spin_instr <= 64) {
        if (++c->spin_count >= c->spin_reads) {
            c->spin_stop = 1;
            c->spin_armed = 0;
        }
    } else {
        c->spin_addr = address;
        c->spin_val = v;
        c->spin_size = (uint32_t)size;
        c->spin_count = 1;
    }
    c->spin_instr = c->instructions;
}

static void mem_hook(void *uc, int type, uint64_t address, int size, int64_t value, void *user_data)
{
    almos_core_t *c = (almos_core_t *)user_data;
    (void)value;
    /* Unless told not to, Unicorn synced the CPU state for this hook: in a delay slot that
     * leaves stale delay-slot flags behind (see emulator/ucfix.py) */
    if (!c->skip_sync || !*c->skip_sync) *c->hflags &= ~MIPS_HFLAG_BMASK;
    if (!c->cs) return;
    if (address >= c->window_size) {          /* device (MMIO) accesses */
        c->mem_seen++;
        return;
    }
    uint32_t seen = c->mem_seen;
    int kind = access_kind(c, type, address);
    if (kind < 0) return;                     /* the write half of an SC */
    c->mem_seen++;
    if (c->replay_armed) {                    /* the access the last slice ended at */
        c->replay_armed = 0;
        if (address == c->replay_addr && (uint32_t)type == c->replay_type) return;
    }
    if (kind == CS_READ || kind == CS_LL) {
        if (c->spin_armed && c->mem) {
            spin_check(c, address, size);
            if (c->spin_stop) {               /* modelled when it runs again */
                stop_at(uc, c, seen);
                return;
            }
        }
    } else {
        c->spin_count = 0;
    }
    uint64_t base = c->window_pa[address >> 20];
    if (base == ~(uint64_t)0) { c->pmap_miss++; return; }
    uint64_t pa = base | (address & 0xFFFFF);
    uint64_t stall = cachesim_access(c->cs, c->core_id, pa, (uint32_t)size, kind, c->cycles);
    if (c->cache_mode == 2) {
        c->cycles += stall;
        if (c->yield_busy && cachesim_contended(c->cs, c->core_id)
            && c->cycles >= c->slice_start + CORE_MIN_SLICE) {   /* let the others catch up */
            c->busy_yields++;
            if (stop_at(uc, c, seen)) {
                c->replay_armed = 1;
                c->replay_addr = address;
                c->replay_type = (uint32_t)type;
            }
        }
    }
}

int core_watch_scan(almos_core_t **cores, int n, int32_t *changed)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        almos_core_t *c = cores[i];
        uint32_t v = 0;
        if (!c->mem) continue;
        memcpy(&v, c->mem->window + c->spin_addr, c->spin_size < 4 ? c->spin_size : 4);
        if (v != c->spin_val) changed[k++] = i;
    }
    return k;
}

/* Host address of a RAM physical address whose 1 MiB chunk is placed in the window; NULL for
 * anything else (a device, memory not placed yet, no such RAM): the slow path decides. */
static inline uint8_t *host_of(const almos_mem_t *m, uint64_t pa)
{
    uint64_t cxy = pa >> 32;
    uint32_t local = (uint32_t)pa;
    if (cxy > 255 || local >= m->ram_size) return NULL;
    int64_t w = m->chunk_win[cxy * m->chunks_per_cluster + (local >> 20)];
    return w < 0 ? NULL : m->window + w + (local & 0xFFFFF);
}

/* TSAR's two-level walk of va for an access of Unicorn type `type`, as emulator/mmu.py's
 * walk() does it (V, U and W checked, L/R and D set), when everything it touches is placed
 * RAM: the host address of va's page, its 40-bit physical page in *page and the entry's flags
 * (L/R and D included) in *flags; NULL when the Python side must decide (a fault, a device).
 * With several host threads the kernel writes entries meanwhile: the flags word, which holds
 * V, is written last and read first (kernel/mm/vmm.py), and the bits are set atomically. */
static uint8_t *walk(almos_core_t *c, uint64_t va, int type, uint64_t *page, uint32_t *flags)
{
    const almos_mem_t *m = c->mem;
    uint8_t *p1 = host_of(m, ((uint64_t)c->ptpr << PTPR_SHIFT) + (va >> 21) * 4);
    if (!p1) return NULL;
    uint32_t *fp = (uint32_t *)p1, f = __atomic_load_n(fp, __ATOMIC_ACQUIRE);
    if (!(f & PTE_V)) return NULL;
    if (f & PTE_T) {
        uint64_t pt2 = (uint64_t)(f & PPN_MASK) << 12;
        uint8_t *p2 = host_of(m, pt2 + ((va >> 12) & 0x1FF) * 8);
        if (!p2) return NULL;
        fp = (uint32_t *)p2;
        f = __atomic_load_n(&fp[0], __ATOMIC_ACQUIRE);
        if (!(f & PTE_V)) return NULL;
        *page = (uint64_t)(__atomic_load_n(&fp[1], __ATOMIC_RELAXED) & PPN_MASK) << 12;
    } else {
        *page = ((uint64_t)(f & BIG_PPN_MASK) << 21) | (va & 0x1FF000);
    }
    if ((c->user_mode && !(f & PTE_U)) || (type == UC_MEM_WRITE && !(f & PTE_W)))
        return NULL;
    uint8_t *host = host_of(m, *page);
    if (!host) return NULL;
    uint32_t nf = f | ((*page >> 32) == c->cxy ? PTE_L : PTE_R)
                  | (type == UC_MEM_WRITE ? PTE_D : 0);
    if (nf != f) __atomic_fetch_or(fp, nf & ~f, __ATOMIC_RELAXED);
    *flags = nf;
    return host;
}

/* The TLB fill of a data access (walk()). Fetches (which record code frames), faults and
 * everything unusual go to the Python side. */
static bool tlb_fill(void *uc, uint64_t va, int type, almos_tlb_entry_t *e, void *user_data)
{
    almos_core_t *c = (almos_core_t *)user_data;
    const almos_mem_t *m = c->mem;
    uint64_t page;
    uint8_t *host;
    uint32_t perms, flags;
    (void)uc;
    if (type == UC_MEM_FETCH || !m)
        goto slow;
    if (!c->mmu_on) {
        page = ((uint64_t)c->data_ext << 32) | (va & ~(uint64_t)0xFFF);
        if (!(host = host_of(m, page))) goto slow;
        perms = UC_PROT_READ | UC_PROT_WRITE | UC_PROT_EXEC;
    } else {
        if (!(host = walk(c, va, type, &page, &flags))) goto slow;
        perms = UC_PROT_READ | ((flags & PTE_W) && (flags & PTE_D) ? UC_PROT_WRITE : 0)
                | (flags & PTE_X ? UC_PROT_EXEC : 0);
    }
    e->paddr = (uint64_t)(host - m->window);
    e->perms = (int)perms;
    if (c->cs) core_pmap_set(c, (uint32_t)(va >> 12), page >> 12);
    *c->hflags &= ~MIPS_HFLAG_BMASK;       /* see emulator/ucfix.py */
    c->fast_fills++;
    return true;
slow:
    c->slow_fills++;
    {
        uint64_t paddr = 0;
        int p = 0;
        if (!py_tlb_fill(c->py_core, va, type, &paddr, &p)) return false;
        e->paddr = paddr;
        e->perms = p;
        return true;
    }
}

uintptr_t core_tlb_fill_addr(void) { return (uintptr_t)&tlb_fill; }

/* Atomic SC (cores in several host threads; emulator/codeguard.py hooks the code around
 * every SC). Unicorn's SC is a load, a compare and a store, atomic only while one host thread
 * runs guest code. The hook runs before the SC: when the SC's address is the LL's, it does
 * the SC's compare-and-swap itself on the host word (the value the LL loaded against the
 * register's), then gives Unicorn's SC another address to compare, so that it writes
 * nothing and sets rt to 0; the hook on the next instruction puts the SC's result in rt
 * (core_sc_settle does it if the slice ends between the two). An SC in a delay slot, one
 * whose page the walk cannot reach (a fault, copy-on-write), or an unaligned one is left to
 * Unicorn. */
static inline uint8_t *user_word(almos_core_t *c, uint32_t va, int type, int code)
{
    uint64_t page;
    uint32_t flags;
    if (!c->mem) return NULL;
    if (!c->mmu_on)                             /* local addresses of the core's cluster */
        return host_of(c->mem, ((uint64_t)(code ? c->cxy : c->data_ext) << 32) | va);
    uint8_t *host = walk(c, va, type, &page, &flags);
    if (!host || (type == UC_MEM_WRITE && !(flags & PTE_W))) return NULL;
    return host + (va & 0xFFF);
}

void core_sc_settle(almos_core_t *c)
{
    if (c->sc_post_pc) {
        c->gprs[c->sc_rt] = c->sc_result;
        c->sc_post_pc = 0;
    }
}

static void sc_hook(void *uc, uint64_t address, uint32_t size, void *user_data)
{
    almos_core_t *c = (almos_core_t *)user_data;
    uint32_t pc = (uint32_t)address, insn, prev;
    (void)uc;
    (void)size;
    if (c->sc_post_pc == pc)
        core_sc_settle(c);
    c->sc_post_pc = 0;
    const uint8_t *h = user_word(c, pc, UC_MEM_READ, 1);
    if (!h || !c->lladdr) return;
    memcpy(&insn, h, 4);
    if (insn >> 26 != 0x38) return;
    if ((pc & 0xFFF) && (memcpy(&prev, h - 4, 4), is_branch(prev))) return;
    uint32_t rt = (insn >> 16) & 31, base = (insn >> 21) & 31;
    uint32_t addr = c->gprs[base] + (uint32_t)(int32_t)(int16_t)(insn & 0xFFFF);
    if (rt == 0 || (addr & 3) || addr != *c->lladdr) return;
    uint8_t *w = user_word(c, addr, UC_MEM_WRITE, 0);
    if (!w) return;
    uint32_t expected = *c->llval;
    int ok = __atomic_compare_exchange_n((uint32_t *)w, &expected, c->gprs[rt], 0,
                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    if (c->cs) {                           /* the model sees the SC Unicorn now skips */
        uint64_t off = (uint64_t)(w - c->mem->window), base = c->window_pa[off >> 20];
        c->mem_seen++;
        if (c->mop_any) c->mop_idx++;
        if (base != ~(uint64_t)0) {
            uint64_t stall = cachesim_access(c->cs, c->core_id, base | (off & 0xFFFFF), 4,
                                             CS_SC, c->cycles);
            if (c->cache_mode == 2) c->cycles += stall;
        }
    }
    *c->lladdr = addr ^ 1;                 /* Unicorn's SC: no longer the LL's address */
    c->sc_rt = rt;
    c->sc_result = (uint32_t)ok;
    c->sc_post_pc = pc + 4;
    c->atomic_scs++;
}

uintptr_t core_sc_hook_addr(void) { return (uintptr_t)&sc_hook; }

/* Run the prepared slices of cores[0..n) one after the other (emulator/core.py's run_batch),
 * each from its PC until its deadline or a trap, in rounds, up to max_rounds. A core whose
 * slice needs Python (a trap, a Python hook ran for it, a stop asked from elsewhere, a spin,
 * its next timer event limit[i] reached) runs no more in this batch; the others run another
 * slice in each round. A round's slices end a quantum on, but never more than the window
 * past the least clock of the machine (the batch's cores, those out of the rounds included;
 * published[j]: the least clock of the batch host thread j runs, kept up to date by each
 * thread after each round; *queue_min: the run queue's): only the last block of a slice, and
 * the kernel's work in a page fault it served, go further. A slice that ended early to let
 * the others catch up (a busy resource) needs no Python: its core stays in the rounds, within
 * the same window. A core that far ahead sits the round out. When no core may move on: back to Python if a core of this
 * batch holds them back; else it waits for the other threads while they run slices
 * (progress[j]: the slices thread j has run), up to wait_ns in all, and no longer than
 * stall_ns without one of theirs ending. Also back to Python when no core runs on, or
 * another thread asks (chain_break). The first round's slices end at the deadlines Python
 * set, within the same bounds. Unicorn's status of each core's last slice goes to status[]
 * (0 if it ran none); returns the slices run. Called without the GIL: the hooks that need
 * Python take it. */
typedef int (*uc_emu_start_fn)(void *uc, uint64_t begin, uint64_t until, uint64_t timeout,
                               size_t count);
typedef int (*uc_reg_read_fn)(void *uc, int regid, void *value);

#define WINDOW_QUANTA 4

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The least clock of the cores the other host threads run or have queued. */
static uint64_t others_low(volatile uint64_t *published, int nthreads, int self,
                           const volatile uint64_t *queue_min)
{
    uint64_t low = __atomic_load_n(queue_min, __ATOMIC_RELAXED);
    for (int j = 0; j < nthreads; j++) {
        uint64_t t = __atomic_load_n(&published[j], __ATOMIC_RELAXED);
        if (j != self && t < low) low = t;
    }
    return low;
}

/* The slices the other host threads have run so far (they are running, not in Python). */
static uint64_t others_progress(volatile uint64_t *progress, int nthreads, int self)
{
    uint64_t sum = 0;
    for (int j = 0; j < nthreads; j++)
        if (j != self) sum += __atomic_load_n(&progress[j], __ATOMIC_RELAXED);
    return sum;
}

int core_run_batch(almos_core_t **cores, int n, int32_t *status, uintptr_t emu_start,
                   uintptr_t reg_read, int pc_reg, const uint64_t *limit,
                   volatile uint64_t *published, volatile uint64_t *progress, int nthreads,
                   int self, const volatile uint64_t *queue_min, uint64_t quantum,
                   int max_rounds, uint64_t wait_ns, uint64_t stall_ns)
{
    uc_emu_start_fn start = (uc_emu_start_fn)emu_start;
    uc_reg_read_fn read = (uc_reg_read_fn)reg_read;
    uint8_t done[256];                          /* (batches are at most 64 cores) */
    uint8_t runs[256];                          /* it runs a slice in the next round */
    uint64_t cap[256];                          /* where its next slice ends at the latest */
    uint64_t window = WINDOW_QUANTA * quantum;  /* how far ahead of the least clock */
    uint64_t mine = ~(uint64_t)0;               /* the least clock of the batch's cores */
    int active = n, rounds = 0, slices = 0;
    memset(done, 0, sizeof done);
    for (int i = 0; i < n; i++) {
        status[i] = 0;
        cap[i] = cores[i]->deadline;            /* (the first round: Python's deadlines) */
        if (cores[i]->cycles < mine) mine = cores[i]->cycles;
    }
    for (;;) {
        uint64_t t0 = 0, t_moved = 0, last = 0;
        for (;;) {                              /* this round's deadlines, once they move on */
            uint64_t others = others_low(published, nthreads, self, queue_min);
            uint64_t low = mine < others ? mine : others;
            int moves = 0, could = 0;           /* could: it would, were the others ahead */
            for (int i = 0; i < n; i++) {
                almos_core_t *c = cores[i];
                if (done[i]) continue;
                if (c->chain_break) return slices;
                /* its timer is due (the first round's deadline, Python's, already ends at
                 * it, at least a block on) */
                if (rounds && limit[i] <= c->cycles) {
                    done[i] = 1;
                    active--;
                    continue;
                }
                uint64_t d = cap[i];
                if (low + window < d) d = low + window;
                if (rounds && limit[i] < d) d = limit[i];
                if (mine + window > c->cycles) could = 1;
                runs[i] = d > c->cycles;        /* (too far ahead: it sits this round out) */
                if (runs[i]) {
                    moves = 1;
                    c->deadline = d;
                    c->slice_start = c->cycles;
                    c->stop_pending = 0;
                    c->spin_count = 0;
                    /* a stop asked from another thread meanwhile (Core.stop_soon: chain_break
                     * first, then deadline 0) is not overwritten */
                    __atomic_thread_fence(__ATOMIC_SEQ_CST);
                    if (__atomic_load_n(&c->chain_break, __ATOMIC_RELAXED)) return slices;
                }
            }
            if (!active) return slices;
            if (moves) break;
            /* no core may move on: if a core of this batch that waits for Python holds them
             * back, back to Python; if the other threads' cores do, wait while they run
             * slices (not for a thread stuck in Python) */
            if (!could) return slices;
            uint64_t now = now_ns(), seen = others_progress(progress, nthreads, self);
            if (!t0) {
                t0 = t_moved = now;
                last = seen;
            } else if (seen != last) {
                t_moved = now;
                last = seen;
            }
            if (now - t0 > wait_ns || now - t_moved > stall_ns) return slices;
            sched_yield();
        }
        mine = ~(uint64_t)0;
        for (int i = 0; i < n; i++) {
            almos_core_t *c = cores[i];
            if (!done[i] && runs[i]) {
                uint64_t pc = 0, yields = c->busy_yields;
                read(c->uc, pc_reg, &pc);
                status[i] = start(c->uc, (uint32_t)pc, 0, 0, 0);
                core_sc_settle(c);
                slices++;
                __atomic_fetch_add(&progress[self], 1, __ATOMIC_RELAXED);
                /* A Python hook may have changed what the core must run next (a system
                 * call that blocked its thread stops the slice, maybe past its deadline, and
                 * leaves the switch to the slice's end): Python has to see it first. A slice
                 * that ended early to let the others catch up (a busy resource, mem_hook)
                 * needs nothing from Python: the core goes on within the window */
                if (status[i] != 0 || c->py_touched || c->chain_break || c->spin_stop
                    || (c->cycles < c->deadline && c->busy_yields == yields)) {
                    done[i] = 1;                /* it runs no more in this batch */
                    active--;
                }
            }
            cap[i] = c->cycles + quantum;
            /* (a core out of the rounds still holds the others back: its clock stays where
             * Python will take it up, and no clock may get further than the window ahead) */
            if (c->cycles < mine) mine = c->cycles;
        }
        __atomic_store_n(&published[self], mine, __ATOMIC_RELAXED);
        rounds++;
        if (!active || rounds >= max_rounds) return slices;
    }
}

/* A host compare-and-swap of the 32-bit word at host address p: the value it held. */
uint32_t core_cas32(uint8_t *p, uint32_t expected, uint32_t desired)
{
    __atomic_compare_exchange_n((uint32_t *)p, &expected, desired, 0, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
    return expected;
}

/* The code hook of guarded ranges (emulator/codeguard.py): it does nothing, but Unicorn adds
 * a dozen TCG ops to each hooked instruction, which cuts a long straight-line run into blocks
 * its code generator survives. A stop asked meanwhile (a memory hook) still ends the block
 * right after the load or store that asked, as without it. */
static void guard_hook(void *uc, uint64_t address, uint32_t size, void *user_data)
{
    (void)uc;
    (void)address;
    (void)size;
    (void)user_data;
}

uintptr_t core_guard_hook_addr(void) { return (uintptr_t)&guard_hook; }
uintptr_t core_block_hook_addr(void) { return (uintptr_t)&block_hook; }
uintptr_t core_mem_hook_addr(void) { return (uintptr_t)&mem_hook; }
