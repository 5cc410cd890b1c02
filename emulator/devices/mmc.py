"""MMC: the memory cache's configuration and instrumentation registers, one per cluster.

Facts (docs/TSAR.md, "MMC"): a configuration block (ADDR_LO, ADDR_HI, BUF_LENGTH, CMD_TYPE
NOP/INVAL/SYNC) and a block of instrumentation counters. The counters come from the cache
model (emulator/cache.py) through the `counters` callable; without a model they read 0.
"""

from __future__ import annotations

from collections.abc import Callable

MMC_ADDR_LO = 0
MMC_ADDR_HI = 1
MMC_BUF_LENGTH = 2
MMC_CMD_TYPE = 3
CMD_NOP = 0
CMD_INVAL = 1
CMD_SYNC = 2

INSTRM_BASE = 0x100 >> 2       # word index of the first instrumentation counter
INSTRM_NAMES = ("local_reads", "remote_reads", "local_writes", "remote_writes",
                "updates", "invalidations", "broadcasts", "cleanups", "cost_lo", "cost_hi")


class Mmc:
    name = "mmc"

    def __init__(self, cxy: int, counters: Callable[[int], dict] | None = None) -> None:
        self.cxy = cxy
        self.counters = counters
        self.config = [0, 0, 0, 0]

    def read(self, offset: int) -> int:
        word = offset >> 2
        if word < len(self.config):
            return self.config[word]
        i = word - INSTRM_BASE
        if 0 <= i < len(INSTRM_NAMES):
            c = self.counters(self.cxy) if self.counters else {}
            cost = c.get("cost", 0)
            name = INSTRM_NAMES[i]
            if name == "cost_lo":
                return cost & 0xFFFF_FFFF
            if name == "cost_hi":
                return (cost >> 32) & 0xFFFF_FFFF
            return c.get(name, 0) & 0xFFFF_FFFF
        return 0

    def write(self, offset: int, value: int) -> None:
        word = offset >> 2
        if word < len(self.config):
            self.config[word] = value
            if word == MMC_CMD_TYPE:
                self.config[MMC_CMD_TYPE] = CMD_NOP      # a write-through L2 model: done at once
