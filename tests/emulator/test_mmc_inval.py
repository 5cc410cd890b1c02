"""The MMC's INVAL command (emulator/devices/mmc.py) drops the memory cache's lines of a buffer
and their L1 copies in the cache model, for the lines its cluster is the home of; SYNC and
NOP change nothing. Programmed through the physical bus, as a driver does."""

from __future__ import annotations

from almos.emulator.bus import SEG_MMC
from almos.emulator.cache import CacheConfig, CacheSystem
from almos.emulator.devices.mmc import (
    CMD_INVAL,
    CMD_NOP,
    CMD_SYNC,
    MMC_ADDR_HI,
    MMC_ADDR_LO,
    MMC_BUF_LENGTH,
    MMC_CMD_TYPE,
)
from almos.emulator.machine import Machine
from almos.emulator.topology import load_topology

LINE = 64
REMOTE = 0x01                      # the second cluster of a 1x2 mesh


def _machine() -> Machine:
    m = Machine(load_topology("1x2x1"))
    t = m.topology
    m.attach_cache(CacheSystem(CacheConfig(), t.x_size, t.y_size, t.cores_per_cluster,
                               t.ncores), 1)
    return m


def _command(m: Machine, cxy: int, cmd: int, pa: int, length: int) -> int:
    base = (cxy << 32) | SEG_MMC
    for reg, value in ((MMC_ADDR_LO, pa & 0xFFFF_FFFF), (MMC_ADDR_HI, pa >> 32),
                       (MMC_BUF_LENGTH, length), (MMC_CMD_TYPE, cmd)):
        m.bus.write32(base + 4 * reg, value)
    return m.bus.read32(base + 4 * MMC_CMD_TYPE)


def _l2_misses(m: Machine, cxy: int) -> int:
    return m.cache.memc(cxy)["l2"]["misses"]


def test_inval_drops_the_lines_and_their_copies() -> None:
    m = _machine()
    pa = 0x2000
    for i in range(4):                                  # four lines in core 0's L1 and the L2
        m.cache.access(0, pa + i * LINE, now=100 * i)
    misses = _l2_misses(m, 0)
    assert _command(m, 0, CMD_INVAL, pa + LINE, 2 * LINE) == CMD_NOP    # done at once
    assert m.cache.memc(0)["invalidations"] == 2        # the L1 copies of lines 1 and 2
    for i in range(4):
        m.cache.access(0, pa + i * LINE, now=1000 + 100 * i)
    assert _l2_misses(m, 0) == misses + 2               # lines 1 and 2 come from memory again


def test_sync_nop_and_other_clusters_lines_change_nothing() -> None:
    m = _machine()
    remote = (REMOTE << 32) | 0x2000
    m.cache.access(0, 0x2000, now=0)
    m.cache.access(0, remote, now=100)
    _command(m, 0, CMD_SYNC, 0x2000, LINE)
    _command(m, 0, CMD_NOP, 0x2000, LINE)
    _command(m, 0, CMD_INVAL, remote, LINE)             # not cluster 0's memory: not its lines
    _command(m, 0, CMD_INVAL, 0x2000, 0)                # an empty buffer
    assert m.cache.memc(0)["invalidations"] == m.cache.memc(REMOTE)["invalidations"] == 0
    misses = _l2_misses(m, 0) + _l2_misses(m, REMOTE)
    m.cache.access(0, 0x2000, now=1000)
    m.cache.access(0, remote, now=1100)
    assert _l2_misses(m, 0) + _l2_misses(m, REMOTE) == misses
    _command(m, REMOTE, CMD_INVAL, remote, LINE)        # its home cluster's MMC does it
    assert m.cache.memc(REMOTE)["invalidations"] == 1
