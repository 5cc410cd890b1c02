"""cffi builder for the emulator's native hot paths (emulator/native/*.c).

Built at install time (setup.py's cffi_modules) into the extension `emulator.native._almos_native`.
Every .c file in this folder is compiled in; the declarations below are what Python sees.
"""

from pathlib import Path

import cffi

HERE = Path(__file__).resolve().parent

CDEF = """
typedef struct almos_mem {
    int64_t *chunk_win;
    uint32_t chunks_per_cluster;
    uint64_t ram_size;
    uint8_t *window;
} almos_mem_t;

typedef struct almos_core {
    uint64_t instructions;
    uint64_t cycles;
    uint64_t deadline;
    void *uc;
    void (*emu_stop)(void *uc);
    int32_t core_id;
    int32_t cache_mode;
    struct cachesys *cs;
    const uint64_t *window_pa;
    uint64_t window_size;
    uint32_t *hflags;
    uint32_t block_pc;
    uint32_t block_size;
    const almos_mem_t *mem;
    uint32_t ptpr, mmu_on, user_mode, cxy, data_ext;
    void *py_core;
    uint64_t fast_fills, slow_fills;
    uint32_t pmap_used;
    uint32_t pmap_miss;
    uint32_t yield_busy;
    uint64_t busy_yields;
    uint64_t slice_start;
    uint32_t spin_reads;
    uint32_t spin_armed, spin_stop;
    uint32_t spin_count;
    uint64_t spin_addr;
    uint32_t spin_val, spin_size;
    uint8_t *skip_sync;
    uint32_t fast_hooks;
    uint32_t stop_pending;
    uint32_t replay_armed;
    uint64_t uncounted;
    uint32_t *gprs, *lladdr, *llval;
    uint32_t sc_post_pc;
    uint64_t atomic_scs;
    uint32_t py_touched, chain_break;
    ...;
} almos_core_t;

typedef struct almos_model_mem { ...; } almos_model_mem_t;
void core_pmap_flush(almos_core_t *c);
void core_model_mem(almos_core_t *c, almos_model_mem_t *mm);
int core_pmap_set(almos_core_t *c, uint32_t vpn, uint64_t ppn);
int64_t core_pmap_get(almos_core_t *c, uint32_t vpn);
int core_watch_scan(almos_core_t **cores, int n, int32_t *changed);
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
extern "Python+C" int py_tlb_fill(void *py_core, uint64_t vaddr, int type, uint64_t *paddr,
                                  int *perms);
"""

EXTRA_CDEF = HERE / "cachesim.cdef"

ffibuilder = cffi.FFI()
ffibuilder.cdef(CDEF + (EXTRA_CDEF.read_text() if EXTRA_CDEF.exists() else ""))
ffibuilder.set_source(
    "almos.emulator.native._almos_native",
    '#include "core.h"\n#include "cachesim.h"\n',
    sources=[str(p.relative_to(HERE.parent.parent)) for p in sorted(HERE.glob("*.c"))
             if not p.name.startswith("_")],          # _almos_native.c is cffi output
    include_dirs=[str(HERE)],
    extra_compile_args=["-O2", "-std=c11", "-Wall"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=False)
