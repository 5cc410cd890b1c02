"""Fixtures of the machine tests: the bare-metal programs in progs/, a runner that loads one on
chosen cores of a machine, and a builder of TSAR page tables in guest memory.

The programs start at progs/start.S, which calls `bm_main(a0, a1, a2, a3)` with the registers
the loader set (emulator.baremetal: gid, index, number of cores; a test may set any of them)
and exits with its result through the o32 exit system call.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from almos.emulator import mmu
from almos.emulator.baremetal import BareMetal
from almos.emulator.elf import Elf, parse_elf
from almos.emulator.machine import Machine
from almos.emulator.memory import PhysicalMemory
from almos.emulator.topology import load_topology

PROGS = Path(__file__).resolve().parent / "progs"
BIG = 1 << mmu.BIG_PAGE_SHIFT
SMALL = 1 << mmu.SMALL_PAGE_SHIFT
WATCHDOG_SECONDS = 30.0       # a run that takes longer is a hung machine: stop it, fail the test


@pytest.fixture(scope="session")
def prog(mips_cc: Callable[..., Path]) -> Callable[[str], Path]:
    """prog(name) -> path of progs/<name>.c built bare-metal with progs/start.S."""

    def build(name: str) -> Path:
        return mips_cc([PROGS / "start.S", PROGS / f"{name}.c"], name)

    return build


def load_elf(path: Path) -> Elf:
    return parse_elf(path.read_bytes(), path.name)


@pytest.fixture
def bare(prog: Callable[[str], Path]) -> Iterator[Callable[..., tuple[Machine, BareMetal]]]:
    """bare(name, topology, gids, regs={gid: {reg: value}}, **machine_kwargs) -> (machine, bm).

    Builds a machine, loads progs/<name> on the cores `gids` (MMU off) and sets the extra
    registers; the caller runs it (`bm.run()`). Machines are released after the test.
    """
    made: list[Machine] = []

    def make(name: str, topology: str = "1x1x1", gids: Sequence[int] = (0,),
             regs: dict[int, dict[str, int]] | None = None,
             **kwargs) -> tuple[Machine, BareMetal]:
        m = Machine(load_topology(topology), **kwargs)
        made.append(m)
        bm = BareMetal(m, load_elf(prog(name)), list(gids))
        bm.run = lambda: guarded_run(m, bm)          # type: ignore[method-assign]
        for gid, values in (regs or {}).items():
            for reg, value in values.items():
                m.core(gid).set_reg(reg, value)
        return m, bm

    yield make
    made.clear()
    gc.collect()           # Unicorn instances hold large reservations: free them now


def guarded_run(m: Machine, bm: BareMetal, seconds: float = WATCHDOG_SECONDS) -> dict[int, int]:
    """bm.run(), but a machine still running after `seconds` is powered off (the test then
    fails on the missing exit codes instead of hanging)."""
    timer = threading.Timer(seconds, m.power_off)
    timer.start()
    try:
        m.run()
    finally:
        timer.cancel()
    return bm.exit_codes


class PageTables:
    """A TSAR two-level page table built from Python in guest RAM (docs/TSAR.md, "MMU").

    PT1 at `pt1_pa` (8 KiB aligned); PT2s are taken one 4 KiB page at a time from `pool_pa` up.
    """

    def __init__(self, memory: PhysicalMemory, pt1_pa: int, pool_pa: int) -> None:
        assert pt1_pa % mmu.PT1_SIZE == 0 and pool_pa % SMALL == 0
        self.mem = memory
        self.pt1 = pt1_pa
        self.pool = pool_pa
        memory.fill(pt1_pa, mmu.PT1_SIZE)

    @property
    def ptpr(self) -> int:
        return self.pt1 >> mmu.PTPR_SHIFT

    def pte1_pa(self, va: int) -> int:
        return self.pt1 + mmu.ix1(va) * 4

    def pte2_pa(self, va: int) -> int:
        pte1 = self.mem.read32(self.pte1_pa(va))
        assert pte1 & mmu.PTE_V and pte1 & mmu.PTE_T, f"no PT2 for {va:#x}"
        return ((pte1 & mmu.PT2_PPN_MASK) << mmu.SMALL_PAGE_SHIFT) + mmu.ix2(va) * 8

    def map_big(self, va: int, pa: int, flags: int) -> None:
        assert va % BIG == 0 and pa % BIG == 0
        self.mem.write32(self.pte1_pa(va), mmu.PTE_V | flags | (pa >> mmu.BIG_PAGE_SHIFT))

    def map_small(self, va: int, pa: int, flags: int) -> None:
        assert va % SMALL == 0 and pa % SMALL == 0
        pte1 = self.mem.read32(self.pte1_pa(va))
        if not pte1 & mmu.PTE_V:
            pt2, self.pool = self.pool, self.pool + mmu.PT2_SIZE
            self.mem.fill(pt2, mmu.PT2_SIZE)
            self.mem.write32(self.pte1_pa(va),
                             mmu.PTE_V | mmu.PTE_T | (pt2 >> mmu.SMALL_PAGE_SHIFT))
        pte2 = self.pte2_pa(va)
        self.mem.write32(pte2, mmu.PTE_V | flags)
        self.mem.write32(pte2 + 4, pa >> mmu.SMALL_PAGE_SHIFT)

    def unmap_small(self, va: int) -> None:
        self.mem.write32(self.pte2_pa(va), 0)

    def map_program(self, cxy: int, ram: int, extra: int = 0) -> None:
        """Map what a bare-metal run uses in cluster cxy as with the MMU off (va = local
        address): the 2 MiB page of the program (0x400000) and the one under the top of RAM
        (the stacks), with the `extra` flags (PTE_U for a program run in user mode)."""
        rwx = mmu.PTE_C | mmu.PTE_W | mmu.PTE_X | extra
        base = cxy << 32
        self.map_big(0x0040_0000, base | 0x0040_0000, rwx)
        top = (ram - 1) & ~(BIG - 1)
        self.map_big(top, base | top, rwx)

    def flags1(self, va: int) -> int:
        return self.mem.read32(self.pte1_pa(va))

    def flags2(self, va: int) -> int:
        return self.mem.read32(self.pte2_pa(va))


@pytest.fixture
def page_tables() -> type[PageTables]:
    return PageTables
