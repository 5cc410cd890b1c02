"""Several cores on shared memory: an LL/SC counter incremented by 4 cores reaches the exact
sum, in one cluster (MMU off, the cluster's RAM is shared) and across 4 clusters (MMU on, the
page tables of every core map the same physical page); and the run is deterministic.
"""

from __future__ import annotations

import struct

import pytest

from almos.emulator import mmu

ITER = 1000                   # progs/counter.c
LOG_BASE = 64
SHARED_LOCAL = 0x0020_0000    # MMU off: the shared words at this local address of the cluster
SHARED_VA = 0x1000_0000       # MMU on: this virtual address ...
SHARED_PA = 0x00_0020_0000    # ... is this physical page of cluster 0 for every core
SHARED_PAGES = 16             # counter, failure counts and the log (64 + 4000 words)


def read_shared(m, base: int, ncores: int) -> tuple[int, list[int], list[int]]:
    counter = m.memory.read32(base)
    fails = [m.memory.read32(base + 4 * (16 + i)) for i in range(ncores)]
    n = ncores * ITER
    log = list(struct.unpack(f"<{n}I", m.memory.read(base + 4 * LOG_BASE, 4 * n)))
    return counter, fails, log


def run_one_cluster(bare, quantum: int):
    gids = [0, 1, 2, 3]
    m, bm = bare("counter", "1x1x4", gids, {g: {"a3": SHARED_LOCAL} for g in gids},
                 quantum=quantum)
    codes = bm.run()
    assert bm.traps == {}
    assert codes == {g: g for g in gids}
    return m


@pytest.mark.parametrize("quantum", [7, 97, 20_000])
def test_llsc_counter_one_cluster(bare, quantum):
    m = run_one_cluster(bare, quantum)
    counter, fails, log = read_shared(m, SHARED_LOCAL, 4)
    assert counter == 4 * ITER
    assert sorted(set(log)) == [1, 2, 3, 4]
    assert [log.count(g + 1) for g in range(4)] == [ITER] * 4
    if quantum < 100:
        # slices this short end between LL and SC: some SCs failed and were retried, and the
        # increments of the 4 cores are interleaved
        assert sum(fails) > 0
        assert sum(a != b for a, b in zip(log, log[1:], strict=False)) > 40


def test_llsc_counter_across_clusters_with_mmu(bare, page_tables):
    """4 cores in 4 clusters, each with its own page tables in its own cluster: code and stack
    local (2 MiB pages), the shared words the same physical pages of cluster 0 (4 KiB pages)."""
    gids = [0, 1, 2, 3]
    m, bm = bare("counter", "2x2x1", gids, {g: {"a3": SHARED_VA} for g in gids}, quantum=53)
    ram = m.topology.ram_per_cluster
    tables = {}
    for g in gids:
        core = m.core(g)
        base = core.cxy << 32
        pt = page_tables(m.memory, base | 0x0100_0000, base | 0x0100_2000)
        pt.map_program(core.cxy, ram)
        for i in range(SHARED_PAGES):
            pt.map_small(SHARED_VA + i * 4096, SHARED_PA + i * 4096,
                         mmu.PTE_C | mmu.PTE_W)
        core.ptpr = pt.ptpr
        core.mmu_on = True
        tables[g] = pt
    assert sorted(m.core(g).cxy for g in gids) == [0x00, 0x01, 0x10, 0x11]
    codes = bm.run()
    assert bm.traps == {}
    assert codes == {g: g for g in gids}
    counter, fails, log = read_shared(m, SHARED_PA, 4)
    assert counter == 4 * ITER
    assert [log.count(g + 1) for g in range(4)] == [ITER] * 4
    assert sum(fails) > 0
    # nothing was written at that local address of the other clusters
    for g in gids[1:]:
        assert m.memory.read32((m.core(g).cxy << 32) | 0x0020_0000) == 0
    # the walker marked the shared page local (L) for cluster 0's core, remote (R) elsewhere,
    # and dirty for all
    for g, pt in tables.items():
        f = pt.flags2(SHARED_VA)
        assert f & mmu.PTE_D
        assert bool(f & mmu.PTE_L) == (m.core(g).cxy == 0)
        assert bool(f & mmu.PTE_R) == (m.core(g).cxy != 0)


def test_same_program_same_interleaving(bare):
    """Two runs of the same 4-core program: same log of who incremented when, same cycles."""
    runs = []
    for _ in range(2):
        m = run_one_cluster(bare, 61)
        counter, fails, log = read_shared(m, SHARED_LOCAL, 4)
        runs.append((log, fails, [m.core(g).cycles for g in range(4)],
                     [m.core(g).instructions for g in range(4)], m.slices))
    assert runs[0] == runs[1]
    log = runs[0][0]
    assert sum(a != b for a, b in zip(log, log[1:], strict=False)) > 40, "not interleaved"


@pytest.mark.parametrize("quantum", [3, 7, 97])
def test_instruction_count_does_not_depend_on_slicing(bare, quantum):
    """A slice that ends at a block boundary counts only the blocks that ran: a program's
    counters are those of an unsliced run, and a quantum shorter than a block still progresses.
    """
    counts = []
    for q in (10**9, quantum):
        m, bm = bare("spin", regs={0: {"a3": 5000}}, quantum=q)
        assert bm.run() == {0: 7}
        counts.append((m.core(0).instructions, m.core(0).cycles))
    assert counts[0] == counts[1]
    assert counts[0][0] > 5000 * 3
    # and 4 cores sharing a counter make progress with slices shorter than a block
    m = run_one_cluster(bare, 2)
    assert read_shared(m, SHARED_LOCAL, 4)[0] == 4 * ITER
