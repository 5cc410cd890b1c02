/* Memory hooks in Unicorn's TLB_VIRTUAL mode receive the window (Unicorn physical) address
 * of an access, block hooks the virtual PC: data goes through window_pa, fetch through pmap.
 *
 * Per-core state shared between Python and the native hooks attached to a Unicorn core.
 * The block hook counts instructions and cycles and ends a slice at its deadline; the memory
 * hook (installed only when a cache model is on) turns each access into a 40-bit physical one
 * and hands it to the cache model. */
#ifndef ALMOS_CORE_H
#define ALMOS_CORE_H
#include <stdint.h>

#define CORE_PMAP_BITS 12               /* 4096-entry open-addressing VA->PA page map */
#define CORE_PMAP_SIZE (1u << CORE_PMAP_BITS)
#define CORE_PMAP_EMPTY 0xFFFFFFFFu
#define MIPS_HFLAG_BMASK 0x87F800u   /* delay-slot bits of QEMU's hflags */
#define CORE_DEC_SIZE 1024              /* decoded blocks: where their LL and SC are */
#define CORE_MOPS 128                   /* memory instructions of a block classified */
#define CORE_MIN_SLICE 256              /* cycles a slice runs before a busy resource ends it */

struct cachesys;

/* The machine's RAM as the native TLB fill sees it (owned by emulator/memory.py). */
typedef struct almos_mem {
    int64_t *chunk_win;          /* cxy * chunks_per_cluster + chunk -> window offset, -1 */
    uint32_t chunks_per_cluster;
    uint64_t ram_size;           /* bytes of RAM per cluster */
    uint8_t *window;             /* host address of window offset 0 */
} almos_mem_t;

/* Unicorn's uc_tlb_entry */
typedef struct almos_tlb_entry {
    uint64_t paddr;
    int perms;
} almos_tlb_entry_t;

typedef struct almos_core {
    uint64_t instructions;   /* retired, counted per translated block entered */
    uint64_t cycles;         /* instructions + stall cycles charged by the cache model */
    uint64_t deadline;       /* the slice ends once cycles >= deadline */
    void *uc;                /* the uc_engine * */
    void (*emu_stop)(void *uc);
    int32_t core_id;         /* global core index, the cache model's core number */
    int32_t cache_mode;      /* 0 off, 1 statistics, 2 timing (stalls added to cycles) */
    struct cachesys *cs;     /* the machine's cache model, or NULL */
    const uint64_t *window_pa; /* Unicorn window chunk (addr >> 20) -> 40-bit PA, ~0 if none */
    uint64_t window_size;    /* memory hooks see window addresses: below this is RAM */
    uint32_t *hflags;        /* QEMU's env->hflags of this core (emulator/ucfix.py) */
    uint32_t block_pc;       /* the last translated block entered: its address and size, */
    uint32_t block_size;     /* where an exception's instruction is (Unicorn's PC is stale) */
    /* the TSAR MMU, as the native TLB fill walks it (mirrors of the Python Core's state) */
    const almos_mem_t *mem;
    uint32_t ptpr, mmu_on, user_mode, cxy, data_ext;
    void *py_core;           /* cffi handle of the Python Core: the slow path */
    uint64_t fast_fills, slow_fills;
    uint32_t pmap_used;
    uint32_t pmap_miss;      /* accesses whose page was not in the map (not modelled) */
    /* Spinning: the same word read with the same value spin_reads times in a row, with no
     * write in between and few instructions between reads, ends the slice (spin_stop) when
     * the machine armed detection for this slice (another core could change the word). */
    uint32_t yield_busy;     /* end the slice when an access meets a busy resource */
    uint64_t busy_yields;    /* slices ended so */
    uint64_t slice_start;    /* cycles when the slice began */
    uint32_t spin_reads;     /* threshold, 0 = never */
    uint32_t spin_armed, spin_stop;
    uint32_t spin_count;
    uint64_t spin_addr;      /* window address of the word read, and its value */
    uint32_t spin_val, spin_size;
    uint64_t spin_instr;     /* instructions at the previous read */
    /* LL and SC: Unicorn reports them as plain reads and writes (an SC as a read, then a
     * write when it succeeds). The block hook looks up which memory instructions of the
     * block entered are LL/SC (decoded once per block) and the memory hook counts them. */
    const uint64_t *mop_kinds; /* 2 bits per memory instruction: 0, 1 LL, 2 SC */
    uint32_t mop_any;        /* the block has an LL or an SC */
    uint32_t mop_idx;
    uint64_t sc_pending;     /* window address of an SC whose write half may follow */
    /* Unicorn restores the exact CPU state (a TB lookup and a re-decode) before it calls a
     * memory hook, unless its skip_sync_pc_on_exit byte is set (emulator/ucfix.py). Our hooks
     * need no PC, so the block hook sets it while `fast_hooks` is on (no Python memory hook,
     * such as a gdb watchpoint, wants the PC), and every stop clears it first: the exit then
     * restores the PC as usual. */
    uint8_t *skip_sync;
    uint32_t fast_hooks;
    /* A slice that ends at a memory access (a spin, a busy resource) ends right after it, and
     * Unicorn resumes at that instruction, which runs again: the block hook's count is taken
     * back for it and what follows it, and its access is not modelled twice (replay). In a
     * delay slot the block completes and the slice ends after the next block's hook, whose
     * count is then dropped (stop_pending). */
    uint32_t mem_seen;       /* memory instructions of the block entered so far */
    uint32_t block_ds;       /* the block entered starts in a delay slot */
    uint32_t stop_pending;
    uint32_t replay_armed, replay_type;
    uint64_t replay_addr;
    uint64_t uncounted;      /* instructions taken back so (statistics) */
    uint32_t dec_gen;        /* bumped to forget every decoded block */
    /* ~100 KiB that only a cache model uses: given when one is attached (core_model_mem),
     * so that thousands of cores without a model stay small */
    struct almos_model_mem *mm;
    /* Atomic SC with several host threads (core.c's sc_hook): QEMU's GPRs, env->lladdr and
     * env->llval (emulator/ucfix.py), and an SC's result waiting for the next instruction */
    uint32_t *gprs, *lladdr, *llval;
    uint32_t sc_post_pc, sc_rt, sc_result;
    uint64_t atomic_scs;     /* SCs done so (statistics) */
    /* Rounds of slices in C (core_run_batch): a Python hook ran for the core (py_touched;
     * a TLB fill whose page fault the kernel served clears it again, emulator/core.py), or
     * another host thread asked it to stop (chain_break): it runs no more in its batch */
    uint32_t py_touched, chain_break;
} almos_core_t;

/* The decoded blocks and the VA -> PA page map of a core with a cache model. */
typedef struct almos_model_mem {
    uint32_t dec_pc[CORE_DEC_SIZE], dec_size[CORE_DEC_SIZE], dec_valid[CORE_DEC_SIZE];
    uint32_t dec_any[CORE_DEC_SIZE];
    uint64_t dec_kinds[CORE_DEC_SIZE][CORE_MOPS / 32];
    uint32_t pmap_vpn[CORE_PMAP_SIZE];
    uint64_t pmap_ppn[CORE_PMAP_SIZE]; /* 28-bit physical page number (40-bit PA >> 12) */
} almos_model_mem_t;

void core_pmap_flush(almos_core_t *c);
/* Give core c the memory its cache-model paths use (owned by the caller, never freed first). */
void core_model_mem(almos_core_t *c, almos_model_mem_t *mm);
/* Which cores among cores[0..n) see a value at their spin word other than the one they spun
 * on: their indices go to changed[], the count is returned. */
int core_watch_scan(almos_core_t **cores, int n, int32_t *changed);
int core_pmap_set(almos_core_t *c, uint32_t vpn, uint64_t ppn);
int64_t core_pmap_get(almos_core_t *c, uint32_t vpn);
uintptr_t core_block_hook_addr(void);
uintptr_t core_mem_hook_addr(void);
uintptr_t core_tlb_fill_addr(void);
uintptr_t core_guard_hook_addr(void);
uintptr_t core_sc_hook_addr(void);
void core_sc_settle(almos_core_t *c);
uint32_t core_cas32(uint8_t *p, uint32_t expected, uint32_t desired);
int core_run_batch(almos_core_t **cores, int n, int32_t *status, uintptr_t emu_start,
                   uintptr_t reg_read, int pc_reg, const uint64_t *limit,
                   volatile uint64_t *published, volatile uint64_t *progress, int nthreads,
                   int self, const volatile uint64_t *queue_min, uint64_t quantum,
                   int max_rounds, uint64_t wait_ns, uint64_t stall_ns);
/* the Python side of a TLB fill (emulator/core.py): page faults, fetches, devices */
int py_tlb_fill(void *py_core, uint64_t vaddr, int type, uint64_t *paddr, int *perms);

#endif
