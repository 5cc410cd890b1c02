"""Vseg lookup (kernel/mm/vmm.py): vsegs are kept sorted and found by binary search; after any
mix of mmap, munmap (whole, front, back, middle) and sbrk, find() gives what a linear scan
gives, for addresses in, around and between the vsegs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from almos.emulator.topology import load_topology
from almos.kernel.libk.errno import SysError
from almos.kernel.mm.vmm import Vmm
from almos.kernel.mm.vseg import Vseg, VsegType
from almos.session import Options, build

PAGE = 0x1000
HEAP_BASE = 0x0100_0000


@pytest.fixture(scope="module")
def kernel():
    machine, kernel = build(Options(load_topology("1x1x1"), cache="off"))
    return kernel


def linear(vmm: Vmm, va: int) -> Vseg | None:
    return next((v for v in vmm.vsegs if v.base <= va < v.end), None)


OPS = st.lists(st.tuples(st.sampled_from(["mmap", "munmap", "sbrk"]),
                         st.integers(1, 6), st.integers(0, 40)), max_size=40)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_find_matches_a_linear_scan(kernel, ops) -> None:
    vmm = Vmm(kernel, 0)
    vmm.add(Vseg(VsegType.CODE, 0x40_0000, 0x40_3000, False, True))
    vmm.set_heap(HEAP_BASE)                  # empty: shares nothing, found by nothing
    maps: list[int] = []
    try:
        for op, pages, pick in ops:
            if op == "mmap":
                maps.append(vmm.mmap_anon(pages * PAGE, True, False, 0))
            elif op == "munmap" and maps:
                base = maps[pick % len(maps)] + (pick % 3) * PAGE
                try:
                    vmm.munmap(base, pages * PAGE)
                except SysError:
                    pass
            elif op == "sbrk":
                try:
                    vmm.sbrk(pages * PAGE if pick % 2 else -pages * PAGE // 2)
                except SysError:                 # below the heap's base
                    pass
        bases = [v.base for v in vmm.vsegs]
        assert bases == sorted(bases)
        probes = {HEAP_BASE, HEAP_BASE - 1, 0x40_0000, 0x40_2FFF, 0x40_3000}
        for v in vmm.vsegs:
            probes |= {v.base - 1, v.base, v.end - 1, v.end}
        for va in probes:
            assert vmm.find(va) is linear(vmm, va), hex(va)
    finally:
        vmm.destroy()


def test_an_empty_vseg_sharing_a_base_hides_nothing(kernel) -> None:
    vmm = Vmm(kernel, 0)
    data = vmm.add(Vseg(VsegType.DATA, HEAP_BASE, HEAP_BASE + 4 * PAGE, True, False))
    vmm.set_heap(HEAP_BASE)                  # empty, at the same base
    assert vmm.find(HEAP_BASE) is data and vmm.find(HEAP_BASE + 4 * PAGE - 1) is data
    assert vmm.find(HEAP_BASE + 4 * PAGE) is None and vmm.find(HEAP_BASE - 1) is None
    vmm.destroy()
