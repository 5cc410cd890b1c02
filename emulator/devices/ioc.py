"""IOC: TSAR's block device over a host image file, with DMA and a completion interrupt.

Facts (docs/TSAR.md, "IOC"): BUFFER 0, LBA 1, COUNT 2, OP 3 (NOOP/READ/WRITE), STATUS 4,
IRQ_ENABLE 5, SIZE 6 (blocks), BLOCK_SIZE 7, BUFFER_EXT 8 (bits 39..32 of the buffer). Writing
OP starts a transfer of COUNT blocks between the image and physical memory at
BUFFER_EXT:BUFFER. The model completes it at once; STATUS tells the outcome, and reading
STATUS acknowledges the interrupt. Writes reach the host file (flushed on `sync`).

An image opened for writing is locked while the device holds it (`lock_image`: an exclusive
flock), so that a second machine on the same image is refused instead of corrupting it; the
lock goes with the process, even one killed.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable

from almos.emulator.memory import MemoryError_, PhysicalMemory

IOC_BUFFER = 0
IOC_LBA = 1
IOC_COUNT = 2
IOC_OP = 3
IOC_STATUS = 4
IOC_IRQ_ENABLE = 5
IOC_SIZE = 6
IOC_BLOCK_SIZE = 7
IOC_BUFFER_EXT = 8

OP_NOOP = 0
OP_READ = 1
OP_WRITE = 2

STATUS_IDLE = 0
STATUS_BUSY = 1
STATUS_READ_SUCCESS = 2
STATUS_WRITE_SUCCESS = 3
STATUS_READ_ERROR = 4
STATUS_WRITE_ERROR = 5

BLOCK_SIZE = 512


class ImageLockedError(OSError):
    """Another process holds the disk image (the message is one line for the user)."""


def lock_image(fd: int, path: str) -> None:
    """flock the image opened for writing, without waiting; ImageLockedError if another
    process has it (readers take no lock: they cannot corrupt it)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ImageLockedError(f"{path}: disk image in use by another program (another almos "
                               "on the same image?)") from None


class Ioc:
    name = "ioc"

    def __init__(self, memory: PhysicalMemory, path: str | None,
                 irq: Callable[[bool], None] | None = None, read_only: bool = False) -> None:
        self.memory = memory
        self.irq = irq
        self.path = path
        self.fd = -1
        self.nblocks = 0
        if path is not None:
            self.fd = os.open(path, os.O_RDONLY if read_only else os.O_RDWR)
            try:
                if not read_only:
                    lock_image(self.fd, path)
            except OSError:
                os.close(self.fd)
                raise
            self.nblocks = os.fstat(self.fd).st_size // BLOCK_SIZE
        self.regs = [0] * 9
        self.transfers = 0
        self.blocks_read = 0
        self.blocks_written = 0

    def read(self, offset: int) -> int:
        reg = offset >> 2
        if reg == IOC_STATUS:
            status = self.regs[IOC_STATUS]
            if status not in (STATUS_IDLE, STATUS_BUSY):
                self.regs[IOC_STATUS] = STATUS_IDLE     # acknowledged
                self._irq(False)
            return status
        if reg == IOC_SIZE:
            return self.nblocks
        if reg == IOC_BLOCK_SIZE:
            return BLOCK_SIZE
        return self.regs[reg] if reg < len(self.regs) else 0

    def write(self, offset: int, value: int) -> None:
        reg = offset >> 2
        if reg >= len(self.regs) or reg in (IOC_STATUS, IOC_SIZE, IOC_BLOCK_SIZE):
            return
        self.regs[reg] = value
        if reg == IOC_OP and value in (OP_READ, OP_WRITE):
            self._transfer(value)

    def _transfer(self, op: int) -> None:
        lba, count = self.regs[IOC_LBA], self.regs[IOC_COUNT]
        pa = (self.regs[IOC_BUFFER_EXT] << 32) | self.regs[IOC_BUFFER]
        ok = self.fd >= 0 and lba + count <= self.nblocks
        n = count * BLOCK_SIZE
        if ok and op == OP_READ:
            data = os.pread(self.fd, n, lba * BLOCK_SIZE)
            try:
                self.memory.write(pa, data)
                self.blocks_read += count
            except MemoryError_:       # DMA to a bad address: a device error, not a crash
                ok = False
        elif ok:
            try:
                os.pwrite(self.fd, self.memory.read(pa, n), lba * BLOCK_SIZE)
                self.blocks_written += count
            except (MemoryError_, OSError):    # ... and so is a failed write of the image
                ok = False
        self.transfers += 1
        if op == OP_READ:
            self.regs[IOC_STATUS] = STATUS_READ_SUCCESS if ok else STATUS_READ_ERROR
        else:
            self.regs[IOC_STATUS] = STATUS_WRITE_SUCCESS if ok else STATUS_WRITE_ERROR
        self.regs[IOC_OP] = OP_NOOP
        if self.regs[IOC_IRQ_ENABLE]:
            self._irq(True)

    def _irq(self, level: bool) -> None:
        if self.irq is not None:
            self.irq(level)

    def sync(self) -> None:
        if self.fd >= 0:
            os.fsync(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.fsync(self.fd)
            os.close(self.fd)
            self.fd = -1
