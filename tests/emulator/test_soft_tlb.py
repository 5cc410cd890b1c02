"""The soft TLB sizing policy (emulator/core.py, Core.tlb_policy): a core whose slices keep
refilling Unicorn's soft TLB flushes it, so that QEMU grows it to the working set; a small
program never pays a flush. Counted, not timed."""

from __future__ import annotations

from almos.emulator.core import TLB_GROW_FILLS

PAGES, ROUNDS = 1024, 2000             # progs/pagewalk.c


def fills(core) -> int:
    return core.state.fast_fills + core.state.slow_fills


def expected_sum(pages: int) -> int:
    return (ROUNDS * pages * (pages - 1) // 2) & 0xFF


def test_large_working_set_grows_the_tlb(bare) -> None:
    m, bm = bare("pagewalk", regs={0: {"a3": 1}})
    assert bm.run() == {0: expected_sum(PAGES)}
    core = m.core(0)
    # a 256-entry TLB refills on each of the PAGES * ROUNDS reads: the grown one a few times
    # per page while it grows, then almost never
    assert core.tlb_resizes >= 2
    assert fills(core) < PAGES * ROUNDS // 10


def test_small_program_is_never_flushed(bare) -> None:
    m, bm = bare("pagewalk", regs={0: {"a3": 0}})
    assert bm.run() == {0: expected_sum(4)}
    core = m.core(0)
    assert fills(core) < TLB_GROW_FILLS
    assert core.tlb_resizes == 0 and core.tlb_flushes == 0
