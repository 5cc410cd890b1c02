"""Clusters of a 16x16x4 machine: code in cluster (15,15) uses its RAM at physical addresses
0xFF_0000_0000 and up (MMU off: a core's data accesses go to its own cluster's window), the
other clusters' RAM stays untouched, and code runs in every one of the 256 clusters.
"""

from __future__ import annotations

import struct

from almos.emulator.topology import cxy_of, load_topology

TOPO = load_topology("16x16x4")


def gid_of(cxy: int, lid: int) -> int:
    return TOPO.cluster_index(cxy) * TOPO.cores_per_cluster + lid

AREA = 0x1000            # progs/cluster.c
AREA_WORDS = 1024
HIGH = 0x03F0_0000


def pattern(gid: int) -> bytes:
    return struct.pack(f"<{AREA_WORDS}I",
                       *(((gid << 20) ^ (i * 0x9E3779B9)) & 0xFFFF_FFFF for i in range(AREA_WORDS)))


def test_cluster_15_15_uses_its_own_window(bare):
    gid = gid_of(cxy_of(15, 15), 2)                # core 2 of cluster (15,15)
    m, bm = bare("cluster", "16x16x4", [gid])
    assert m.core(gid).cxy == 0xFF
    codes = bm.run()
    assert bm.traps == {}
    assert codes == {gid: (gid & 0x3F) << 1}, "the guest's read-back differed"
    # the host sees at PA 0xFF_0000_1000 what the guest wrote at local address 0x1000
    assert m.memory.read(0xFF_0000_0000 | AREA, AREA_WORDS * 4) == pattern(gid)
    assert m.memory.read32(0xFF_0000_0000 | HIGH) == 0xC0FFEE00 | gid
    assert m.bus.read32(0xFF_0000_0000 | AREA) == (gid << 20)
    # only cluster 0xFF's RAM was ever placed in the host window ...
    used = m.memory.chunks_used
    assert used <= 4
    # ... and every other cluster reads as zeros there
    for cxy in m.topology.clusters():
        if cxy != 0xFF:
            assert m.memory.read32((cxy << 32) | AREA) == 0, f"cluster {cxy:#04x} written"
            assert m.memory.read32((cxy << 32) | HIGH) == 0
    # same local address, another cluster: not the same memory
    m.memory.write32(0xFE_0000_0000 | AREA, 0x1234)
    assert m.memory.read32(0xFF_0000_0000 | AREA) == gid << 20


def test_code_runs_in_every_cluster(bare):
    """One core in each of the 256 clusters runs the program on its own cluster's RAM."""
    gids = [gid_of(cxy, cxy & 3) for cxy in TOPO.clusters()]
    m, bm = bare("cluster", "16x16x4", gids)
    codes = bm.run()
    assert bm.traps == {}
    assert codes == {g: (g & 0x3F) << 1 for g in gids}
    for g in gids:
        core = m.core(g)
        base = core.cxy << 32
        assert m.memory.read32(base | AREA) == (g << 20) & 0xFFFF_FFFF
        assert m.memory.read32(base | HIGH) == 0xC0FFEE00 | g
        assert core.instructions > AREA_WORDS * 2
    assert len(m.started_cores()) == 256
