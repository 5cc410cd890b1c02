"""The kernel's IOC driver: a BlockDevice (kernel/devices/blockdev.py) over the emulated IOC.

The IOC sits in the I/O cluster (docs/TSAR.md, "IOC"). A transfer is programmed through its
registers (BUFFER, BUFFER_EXT, LBA, COUNT, then OP) with the machine's physical bus, exactly as
ALMOS's driver does; the data moves by DMA between the disk and a bounce buffer of frames the
kernel owns in the I/O cluster, and the driver copies it to or from the caller (a copy the
cache model sees). The model completes a transfer at once and raises its completion interrupt;
reading STATUS tells the outcome and acknowledges the interrupt, so the driver polls STATUS
right after starting.

The DMA goes behind the caches: before the device reads the buffer, the I/O cluster's memory
cache is told to write it back (MMC SYNC); after the device wrote it, to drop its lines
(MMC INVAL), so the driver's copy misses and fetches what the disk sent (docs/TSAR.md, "MMC").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from almos.emulator.bus import SEG_IOC, SEG_MMC
from almos.emulator.cache import Kind
from almos.emulator.devices.ioc import (
    IOC_BLOCK_SIZE,
    IOC_BUFFER,
    IOC_BUFFER_EXT,
    IOC_COUNT,
    IOC_IRQ_ENABLE,
    IOC_LBA,
    IOC_OP,
    IOC_SIZE,
    IOC_STATUS,
    OP_READ,
    OP_WRITE,
    STATUS_READ_SUCCESS,
    STATUS_WRITE_SUCCESS,
)
from almos.emulator.devices.mmc import (
    CMD_INVAL,
    CMD_SYNC,
    MMC_ADDR_HI,
    MMC_ADDR_LO,
    MMC_BUF_LENGTH,
    MMC_CMD_TYPE,
)
from almos.kernel.devices.blockdev import BLOCK_SIZE, BlockDeviceError, check_range
from almos.kernel.mm.ppm import PAGE_SIZE

if TYPE_CHECKING:
    from almos.kernel.kern.kernel import Kernel

BOUNCE_ORDER = 6                              # 2^6 pages = 256 KiB of DMA buffer
BOUNCE_BYTES = PAGE_SIZE << BOUNCE_ORDER
BOUNCE_BLOCKS = BOUNCE_BYTES // BLOCK_SIZE
REG_BYTES = 4                                 # IOC registers are 32-bit words
LOW32 = 0xFFFF_FFFF


class IocError(BlockDeviceError):
    """The IOC reported a failed transfer (or there is no disk)."""


class IocBlockDevice:
    """Blocks of the disk behind the IOC, read and written by DMA through a bounce buffer."""

    def __init__(self, k: Kernel) -> None:
        self.k = k
        self.bus = k.machine.bus
        self.mem = k.machine.memory
        self.io_cxy = k.topo.io_cxy
        self.base = (self.io_cxy << 32) | SEG_IOC
        self.mmc = (self.io_cxy << 32) | SEG_MMC      # the bounce buffer's memory cache
        self.block_size = self._reg_read(IOC_BLOCK_SIZE)
        self.nblocks = self._reg_read(IOC_SIZE)
        if self.block_size != BLOCK_SIZE:
            raise IocError(f"IOC block size {self.block_size}, expected {BLOCK_SIZE}")
        bounce = k.alloc_frames(self.io_cxy, BOUNCE_ORDER, exact=True)
        if bounce is None:
            raise IocError("no memory in the I/O cluster for the IOC bounce buffer")
        self.bounce = bounce
        self._reg_write(IOC_IRQ_ENABLE, 1)
        self.transfers = 0

    def _reg_read(self, reg: int) -> int:
        return self.bus.read32(self.base + reg * REG_BYTES)

    def _reg_write(self, reg: int, value: int) -> None:
        self.bus.write32(self.base + reg * REG_BYTES, value)

    def _mmc(self, cmd: int, length: int) -> None:
        """A memory-cache command on the first `length` bytes of the bounce buffer."""
        for reg, value in ((MMC_ADDR_LO, self.bounce & LOW32), (MMC_ADDR_HI, self.bounce >> 32),
                           (MMC_BUF_LENGTH, length), (MMC_CMD_TYPE, cmd)):
            self.bus.write32(self.mmc + reg * REG_BYTES, value)

    def _transfer(self, op: int, lba: int, count: int) -> None:
        """One DMA transfer of count blocks between the disk and the bounce buffer."""
        if op == OP_WRITE:
            self._mmc(CMD_SYNC, count * BLOCK_SIZE)
        self._reg_write(IOC_BUFFER, self.bounce & LOW32)
        self._reg_write(IOC_BUFFER_EXT, self.bounce >> 32)
        self._reg_write(IOC_LBA, lba)
        self._reg_write(IOC_COUNT, count)
        self._reg_write(IOC_OP, op)
        status = self._reg_read(IOC_STATUS)           # the outcome; acknowledges the IRQ
        self.transfers += 1
        if op == OP_READ:
            self._mmc(CMD_INVAL, count * BLOCK_SIZE)
        want = STATUS_READ_SUCCESS if op == OP_READ else STATUS_WRITE_SUCCESS
        if status != want:
            kind = "read" if op == OP_READ else "write"
            raise IocError(f"IOC {kind} of blocks {lba}..{lba + count - 1} failed "
                           f"(status {status})")

    def read_blocks(self, lba: int, count: int) -> bytes:
        check_range(self, lba, count)
        out = bytearray()
        while count > 0:
            n = min(count, BOUNCE_BLOCKS)
            self._transfer(OP_READ, lba, n)
            out += self.mem.read(self.bounce, n * BLOCK_SIZE)
            self.k.ktime.copy(self.bounce, n * BLOCK_SIZE, Kind.READ)
            lba += n
            count -= n
        return bytes(out)

    def write_blocks(self, lba: int, data: bytes) -> None:
        if len(data) % BLOCK_SIZE:
            raise BlockDeviceError(f"write of {len(data)} bytes is not whole blocks")
        check_range(self, lba, len(data) // BLOCK_SIZE)
        view = memoryview(data)
        while view:
            chunk = view[:BOUNCE_BYTES]
            self.mem.write(self.bounce, chunk)
            self.k.ktime.copy(self.bounce, len(chunk), Kind.WRITE)
            self._transfer(OP_WRITE, lba, len(chunk) // BLOCK_SIZE)
            lba += len(chunk) // BLOCK_SIZE
            view = view[BOUNCE_BYTES:]

    def flush(self) -> None:
        """Completed writes are in the image file already; power-off makes them durable."""

    def power_off(self) -> None:
        """Make the image file durable (the host's fsync) and close it."""
        self.k.machine.ioc.close()
