"""TSAR's MMU: page walks through 2 MiB and 4 KiB pages, the L/R/D bits the walker sets, and
faults (unmapped, write to a read-only page, fetch from a no-execute page, a PTE pointing
nowhere) reaching the trap handler with the right address, access and kind, without ever
crashing the emulator. Guest code (progs/mmu.c) does the accesses; the tables are built from
Python in guest RAM.
"""

from __future__ import annotations

import pytest

from almos.emulator import mmu
from almos.emulator.core import Trap, TrapKind
from almos.emulator.memory import PhysicalMemory
from almos.emulator.mmu import Access, FaultKind, Translation, WalkFault

C, W, X, U = mmu.PTE_C, mmu.PTE_W, mmu.PTE_X, mmu.PTE_U
PT1 = 0x0100_0000
POOL = 0x0100_2000
RW_VA, RW_PA = 0x1000_0000, 0x0030_0000         # 4 KiB, read/write
RO_VA, RO_PA = 0x1000_1000, 0x0030_1000         # 4 KiB, read-only
CODE_VA, CODE_PA = 0x1000_2000, 0x0030_2000     # 4 KiB, executable, holds `return 42`
NOX_VA, NOX_PA = 0x1000_3000, 0x0030_3000       # 4 KiB, read/write, not executable, same code
HOLE_VA = 0x1000_5000                            # PT2 present, PTE2 invalid
BUS_VA = 0x1000_6000                             # PTE2 to a physical page that is not RAM
BIG_VA, BIG_PA = 0x1020_0000, 0x0060_0000       # 2 MiB, read/write
NOMAP_VA = 0x2000_0000                           # no PTE1
KERN_VA, KERN_PA = 0x1000_4000, 0x0030_4000     # 4 KiB, read/write, never U
RETURN_42 = (0x03E0_0008, 0x2402_002A)           # jr $ra ; addiu $v0, $zero, 42

OP_READ, OP_WRITE, OP_CALL, OP_READ_WRITE, OP_READ_IN_DELAY_SLOT = 0, 1, 2, 3, 4


@pytest.fixture
def mmu_run(bare, page_tables):
    """mmu_run(op, addr, value=0, topology='1x1x1', user=False) -> (machine, bm, page tables,
    fault log). With `user`, the core runs in user mode and every page but KERN_VA has U."""

    def run(op: int, addr: int, value: int = 0, topology: str = "1x1x1",
            fix: dict[int, tuple[int, int]] | None = None, user: bool = False):
        m, bm = bare("mmu", topology, [0], {0: {"a0": op, "a1": addr, "a2": value}})
        core = m.core(0)
        pt = page_tables(m.memory, PT1, POOL)
        u = U if user else 0
        pt.map_program(0, m.topology.ram_per_cluster, u)
        pt.map_small(RW_VA, RW_PA, C | W | u)
        pt.map_small(RO_VA, RO_PA, C | u)
        pt.map_small(CODE_VA, CODE_PA, C | X | u)
        pt.map_small(NOX_VA, NOX_PA, C | W | u)
        pt.map_small(KERN_VA, KERN_PA, C | W)
        pt.map_small(BUS_VA, 0x0800_0000, C | W | u)   # 128 MiB: beyond the 64 MiB bank
        pt.map_big(BIG_VA, BIG_PA, C | W | u)
        for pa in (CODE_PA, NOX_PA):
            m.memory.write32(pa, RETURN_42[0])
            m.memory.write32(pa + 4, RETURN_42[1])
        m.memory.write32(RW_PA, 0x1122_3344)
        m.memory.write32(RO_PA, 0x5566_7788)
        m.memory.write32(BIG_PA + 0x10, 0x99AA_BBCC)
        m.memory.write32(KERN_PA + 0x30, 0x7777_0001)
        faults: list[tuple[int, Access, FaultKind]] = []

        def on_page_fault(core_, vaddr, access, kind):
            faults.append((vaddr, access, kind))
            page = vaddr & ~0xFFF
            if fix and page in fix:              # demand paging: map it and retry
                pa, flags = fix.pop(page)
                pt.map_small(page, pa, flags)
                return True
            return False

        bm.on_page_fault = on_page_fault         # type: ignore[method-assign]
        core.ptpr = pt.ptpr
        core.mmu_on = True
        core.user_mode = user
        bm.run()
        return m, bm, pt, faults

    return run


def test_small_page_read_sets_l_not_d(mmu_run):
    m, bm, pt, faults = mmu_run(OP_READ, RW_VA)
    assert bm.exit_codes == {0: OP_READ} and bm.traps == {} and faults == []
    assert bm.output == b"read 11223344\n"
    f = pt.flags2(RW_VA)
    assert f & mmu.PTE_L and not f & mmu.PTE_R and not f & mmu.PTE_D
    assert pt.flags2(RO_VA) & (mmu.PTE_L | mmu.PTE_D) == 0      # not touched


def test_small_page_write_sets_d(mmu_run):
    m, bm, pt, faults = mmu_run(OP_WRITE, RW_VA + 8, 0xCAFE)
    assert bm.exit_codes == {0: OP_WRITE} and faults == []
    assert m.memory.read32(RW_PA + 8) == 0xCAFE
    assert pt.flags2(RW_VA) & (mmu.PTE_L | mmu.PTE_D) == mmu.PTE_L | mmu.PTE_D


def test_read_then_write_same_page(mmu_run):
    """The first read maps the page without write permission (D clear); the write after it must
    come back to the walker, which sets D."""
    m, bm, pt, faults = mmu_run(OP_READ_WRITE, RW_VA, 0xBEEF)
    assert bm.output == b"read 11223344\nwrote 0000beef\n"
    assert m.memory.read32(RW_PA) == 0xBEEF
    assert pt.flags2(RW_VA) & mmu.PTE_D


def test_big_page(mmu_run):
    m, bm, pt, faults = mmu_run(OP_READ_WRITE, BIG_VA + 0x10, 0x1234_5678)
    assert bm.output == b"read 99aabbcc\nwrote 12345678\n"
    assert m.memory.read32(BIG_PA + 0x10) == 0x1234_5678
    f = pt.flags1(BIG_VA)
    assert not f & mmu.PTE_T
    assert f & (mmu.PTE_L | mmu.PTE_D) == mmu.PTE_L | mmu.PTE_D
    # the program's own big page was used for fetches and stack writes
    assert pt.flags1(0x0040_0000) & mmu.PTE_L


def test_big_page_offset_within_2mib(mmu_run):
    """A 2 MiB page maps va bits 20..12 onto the page too, not just the first 4 KiB."""
    m, bm, pt, faults = mmu_run(OP_WRITE, BIG_VA + 0x1F_F00C, 0x77)
    assert m.memory.read32(BIG_PA + 0x1F_F00C) == 0x77


def test_execute_from_x_page(mmu_run):
    m, bm, pt, faults = mmu_run(OP_CALL, CODE_VA)
    assert bm.output == b"called 0000002a\n" and faults == []


def test_remote_page_sets_r(mmu_run):
    """A page of cluster 1 used by a core of cluster 0: R, not L."""
    remote = 0x01_0030_0000
    m, bm, pt, faults = mmu_run(OP_READ, 0x1000_7000, topology="1x2x1",
                                fix={0x1000_7000: (remote, C | W)})
    assert faults == [(0x1000_7000, Access.READ, FaultKind.UNMAPPED)]
    assert bm.exit_codes == {0: OP_READ}
    f = pt.flags2(0x1000_7000)
    assert f & mmu.PTE_R and not f & mmu.PTE_L


@pytest.mark.parametrize("op, va, access, kind", [
    (OP_READ, NOMAP_VA + 0x44, Access.READ, FaultKind.UNMAPPED),
    (OP_WRITE, NOMAP_VA + 0x48, Access.WRITE, FaultKind.UNMAPPED),
    (OP_CALL, NOMAP_VA, Access.FETCH, FaultKind.UNMAPPED),
    (OP_READ, HOLE_VA + 0x10, Access.READ, FaultKind.UNMAPPED),
    (OP_WRITE, RO_VA + 0x20, Access.WRITE, FaultKind.PROTECTION),
    (OP_CALL, NOX_VA, Access.FETCH, FaultKind.PROTECTION),
])
def test_fault_reaches_handler(mmu_run, op, va, access, kind):
    m, bm, pt, faults = mmu_run(op, va, 0xDEAD)
    core = m.core(0)
    assert faults == [(va & ~0xFFF, access, kind)]       # on_page_fault: the page
    trap = bm.traps[0]
    assert trap == core.trap
    assert (trap.kind, trap.vaddr, trap.access, trap.fault) == \
        (TrapKind.PAGE_FAULT, va, access, kind)           # the trap: the exact address
    if access == Access.FETCH:
        assert trap.pc == va
    else:
        assert 0x0040_0000 <= trap.pc < 0x0050_0000      # the load or store in the program
    assert "page fault" in trap.describe()
    assert bm.exit_codes == {0: 139} and bm.output == b""
    if kind == FaultKind.PROTECTION and access == Access.WRITE:
        assert m.memory.read32(RO_PA + 0x20) == 0
        assert not pt.flags2(RO_VA) & mmu.PTE_D


@pytest.mark.parametrize("op, access", [(OP_READ, Access.READ), (OP_WRITE, Access.WRITE),
                                        (OP_READ_WRITE, Access.READ)])
def test_user_mode_cannot_touch_a_supervisor_page(mmu_run, op, access):
    """A page without U faults in user mode (the TLB fill checks U), whatever the access;
    the same page works for the supervisor, and a U page works in user mode."""
    m, bm, pt, faults = mmu_run(op, KERN_VA + 0x30, 0xBAD, user=True)
    assert faults == [(KERN_VA, access, FaultKind.PROTECTION)]
    trap = bm.traps[0]
    assert (trap.kind, trap.vaddr, trap.access, trap.fault) == \
        (TrapKind.PAGE_FAULT, KERN_VA + 0x30, access, FaultKind.PROTECTION)
    assert bm.exit_codes == {0: 139} and bm.output == b""
    assert m.memory.read32(KERN_PA + 0x30) == 0x7777_0001       # nothing written
    m, bm, pt, faults = mmu_run(OP_READ, KERN_VA + 0x30)
    assert faults == [] and bm.output == b"read 77770001\n"
    m, bm, pt, faults = mmu_run(OP_READ_WRITE, RW_VA + 4, 0x55, user=True)
    assert faults == [] and bm.output == b"read 00000000\nwrote 00000055\n"


def test_pte_to_missing_memory_is_a_bus_error(mmu_run):
    m, bm, pt, faults = mmu_run(OP_READ, BUS_VA)
    assert faults == []                    # not a page fault: the handler cannot fix it
    trap = bm.traps[0]
    assert (trap.kind, trap.vaddr, trap.fault) == (TrapKind.BUS_ERROR, BUS_VA, FaultKind.BUS)


def test_demand_paging_in_the_fault_handler(mmu_run):
    """The handler maps the page and returns True: the access is retried and succeeds."""
    va = 0x1000_8000
    m, bm, pt, faults = mmu_run(OP_READ_WRITE, va + 4, 0x4242, fix={va: (RW_PA, C | W)})
    assert faults == [(va, Access.READ, FaultKind.UNMAPPED)]
    assert bm.exit_codes == {0: OP_READ_WRITE}
    assert bm.output == b"read 00000000\nwrote 00004242\n"
    assert m.memory.read32(RW_PA + 4) == 0x4242


def test_resume_after_fault(mmu_run):
    """After a fault ends the slice, the machine still works: map the page, resume the core at
    the trap's PC, and the program finishes."""
    m, bm, pt, faults = mmu_run(OP_READ, NOMAP_VA + 8)
    core = m.core(0)
    trap = bm.traps.pop(0)
    pt.map_small(NOMAP_VA, RW_PA, C)
    core.flush_tlb()
    core.pc = trap.pc
    bm.exit_codes.clear()
    m.wake(core)
    bm.run()
    assert bm.traps == {} and bm.exit_codes == {0: OP_READ}
    assert bm.output == b"read 00000000\n"


def test_fault_in_a_delay_slot(mmu_run, prog):
    """A load in the delay slot of a taken branch faults: the trap is at the load, with its
    address; once the page is mapped, resuming at the trap's PC completes the load *and* the
    branch (the fall-through instruction after the slot would overwrite the result)."""
    m, bm, pt, faults = mmu_run(OP_READ_IN_DELAY_SLOT, NOMAP_VA + 0x124)
    trap = bm.traps.pop(0)
    assert (trap.kind, trap.vaddr, trap.access) == (TrapKind.PAGE_FAULT, NOMAP_VA + 0x124,
                                                     Access.READ)
    core = m.core(0)
    assert m.memory.read32(trap.pc) >> 26 == 0x23            # lw (MMU maps the program 1:1)
    assert m.memory.read32(trap.pc - 4) >> 26 == 0x04        # after a beq
    pt.map_small(NOMAP_VA, RW_PA, C)
    m.memory.write32(RW_PA + 0x124, 0xABCD)
    core.flush_tlb()
    core.pc = trap.pc
    bm.exit_codes.clear()
    m.wake(core)
    bm.run()
    assert bm.exit_codes == {0: OP_READ_IN_DELAY_SLOT}
    assert bm.output == b"read 0000abcd\n"


# ---- the walker alone, on physical memory -----------------------------------------------------

def make_mem() -> PhysicalMemory:
    return PhysicalMemory(4 << 20, [0x00, 0x01])


def test_walk_small_and_big_pages():
    mem = make_mem()
    mem.write32(PT1 // 4 * 0 + 0x2000 + mmu.ix1(0x0040_0000) * 4,
                mmu.PTE_V | W | X | (0x0020_0000 >> 21))                       # big page
    mem.write32(0x2000 + mmu.ix1(0x1000_0000) * 4, mmu.PTE_V | mmu.PTE_T | (0x5000 >> 12))
    mem.write32(0x5000 + mmu.ix2(0x1000_3000) * 8, mmu.PTE_V | W)
    mem.write32(0x5000 + mmu.ix2(0x1000_3000) * 8 + 4, 0x01_0012_3000 >> 12)   # remote
    ptpr = 0x2000 >> mmu.PTPR_SHIFT
    t = mmu.walk(mem, ptpr, 0x0045_6789, Access.FETCH, False, 0)
    assert t == Translation(0x0025_6000, False, True)      # W but not yet D: not writable
    assert mem.read32(0x2000 + 2 * 4) & mmu.PTE_L
    t = mmu.walk(mem, ptpr, 0x1000_3abc, Access.WRITE, False, 0)
    assert t == Translation(0x01_0012_3000, True, False)
    flags = mem.read32(0x5000 + 3 * 8)
    assert flags & mmu.PTE_R and flags & mmu.PTE_D and not flags & mmu.PTE_L
    # now that D is set, a read maps the page writable at once
    assert mmu.walk(mem, ptpr, 0x1000_3000, Access.READ, False, 0).writable
    # user mode needs U
    f = mmu.walk(mem, ptpr, 0x1000_3000, Access.READ, True, 0)
    assert f == WalkFault(FaultKind.PROTECTION, 0x1000_3000, Access.READ)
    f = mmu.walk(mem, ptpr, 0x1000_4000, Access.READ, False, 0)
    assert f == WalkFault(FaultKind.UNMAPPED, 0x1000_4000, Access.READ)
    # a PT1 outside RAM
    f = mmu.walk(mem, 0x10_0000_0000 >> mmu.PTPR_SHIFT, 0, Access.READ, False, 0)
    assert isinstance(f, WalkFault) and f.kind == FaultKind.BUS


def test_trap_describe():
    t = Trap(TrapKind.PAGE_FAULT, 0x400100, 0x2000_0000, Access.WRITE, FaultKind.PROTECTION)
    assert t.describe() == "page fault at pc 0x00400100 (write of 0x20000000, protection)"
