"""MMC: the memory cache's configuration and instrumentation registers, one per cluster.

Facts (docs/TSAR.md, "MMC"): a configuration block (ADDR_LO, ADDR_HI, BUF_LENGTH, CMD_TYPE
NOP/INVAL/SYNC) and a block of instrumentation counters. The counters come from the cache
model (emulator/cache.py) through the `counters` callable; without a model they read 0.
INVAL drops the lines of [ADDR_HI:ADDR_LO, + BUF_LENGTH) that this memory cache is the home
of (its cluster's RAM), and their L1 copies, through the `inval` callable (a DMA wrote
memory behind the caches); SYNC has nothing to write back (the caches never hold data).
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
ADDR_HI_MASK = 0xFF            # ADDR_HI holds bits 39..32 of the buffer's address

INSTRM_BASE = 0x100 >> 2       # word index of the first instrumentation counter
INSTRM_NAMES = ("local_reads", "remote_reads", "local_writes", "remote_writes",
                "updates", "invalidations", "broadcasts", "cleanups", "cost_lo", "cost_hi")


class Mmc:
    name = "mmc"

    def __init__(self, cxy: int, counters: Callable[[int], dict] | None = None,
                 inval: Callable[[int, int], None] | None = None) -> None:
        self.cxy = cxy
        self.counters = counters
        self.inval = inval               # inval(pa, length): the cache model's L2 INVAL
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
                if value == CMD_INVAL:
                    self._invalidate()
                self.config[MMC_CMD_TYPE] = CMD_NOP      # the model completes it at once

    def _invalidate(self) -> None:
        pa = (self.config[MMC_ADDR_HI] & ADDR_HI_MASK) << 32 | self.config[MMC_ADDR_LO]
        length = self.config[MMC_BUF_LENGTH]
        if self.inval is not None and length and pa >> 32 == self.cxy:
            self.inval(pa, min(length, ((self.cxy + 1) << 32) - pa))
