"""Block devices and the buffer cache that file systems sit on.

A file system sees its disk only as a `BlockDevice`: an array of 512-byte blocks read and
written by logical block address (LBA).  `FileBlockDevice` is one over a host image file (tests,
tools); the kernel provides another that drives the emulated IOC disk controller by DMA.

`BlockCache` is, in ALMOS terms, the per-file-system buffer cache: one per mounted file system,
living in the cluster that mounted it (the I/O cluster, where the IOC device is).  It is
write-back: a written block stays dirty in memory until `sync()` or until it is evicted.
Big transfers bypass it, so that streaming a multi-MiB file neither flushes the cache of its
directory and metadata blocks nor costs a Python object per block.  The file system orders its
writes through `write_back(select)` (some dirty blocks now, the rest later) and `on_evict`
(called before a dirty block is written back to make room), see fat32.py, "Crash safety".
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from almos.emulator.devices.ioc import lock_image

BLOCK_SIZE = 512  # bytes per block (one disk sector), the only size ALMOS uses
BytesLike = bytes | bytearray | memoryview   # what a cache write takes


class BlockDeviceError(Exception):
    """An access outside the device, or a transfer that is not whole blocks."""


@runtime_checkable
class BlockDevice(Protocol):
    """What a file system needs from a disk."""

    block_size: int  # bytes per block: BLOCK_SIZE
    nblocks: int  # number of blocks on the device

    def read_blocks(self, lba: int, count: int) -> bytes:
        """Read `count` blocks starting at block `lba`."""
        ...

    def write_blocks(self, lba: int, data: bytes) -> None:
        """Write `data` (a whole number of blocks) starting at block `lba`."""
        ...

    def flush(self) -> None:
        """Make every completed write durable."""
        ...


def check_range(dev: BlockDevice, lba: int, count: int) -> None:
    """Raise BlockDeviceError unless blocks [lba, lba+count) exist on dev."""
    if lba < 0 or count < 0 or lba + count > dev.nblocks:
        raise BlockDeviceError(
            f"blocks {lba}..{lba + count - 1} outside device of {dev.nblocks} blocks")


class FileBlockDevice:
    """A BlockDevice over a host file (a disk image).  A trailing partial block is ignored.

    Opened for writing, the image is locked as the emulated IOC locks it (`lock_image` of
    emulator/devices/ioc.py), so that two writers cannot corrupt it: ImageLockedError (an
    OSError) when another process holds it.
    """

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False) -> None:
        self.path = os.fspath(path)
        self.block_size = BLOCK_SIZE
        self.readonly = readonly
        self._fd = os.open(self.path, os.O_RDONLY if readonly else os.O_RDWR)
        try:
            if not readonly:
                lock_image(self._fd, self.path)
        except OSError:
            os.close(self._fd)
            raise
        self.nblocks = os.fstat(self._fd).st_size // BLOCK_SIZE

    def read_blocks(self, lba: int, count: int) -> bytes:
        check_range(self, lba, count)
        data = os.pread(self._fd, count * BLOCK_SIZE, lba * BLOCK_SIZE)
        if len(data) != count * BLOCK_SIZE:
            raise BlockDeviceError(f"short read at block {lba} of {self.path}")
        return data

    def write_blocks(self, lba: int, data: bytes) -> None:
        if len(data) % BLOCK_SIZE:
            raise BlockDeviceError(f"write of {len(data)} bytes is not whole blocks")
        check_range(self, lba, len(data) // BLOCK_SIZE)
        if self.readonly:
            raise BlockDeviceError(f"{self.path} is opened read-only")
        view = memoryview(data)
        pos = lba * BLOCK_SIZE
        while view:
            done = os.pwrite(self._fd, view, pos)
            view = view[done:]
            pos += done

    def flush(self) -> None:
        if not self.readonly:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> FileBlockDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Buf:
    """One cached block: its bytes and whether they differ from the disk."""

    __slots__ = ("data", "dirty")

    def __init__(self, data: bytes, dirty: bool) -> None:
        self.data = data
        self.dirty = dirty


class BlockCache:
    """Write-back LRU cache of a BlockDevice's blocks (the file system's buffer cache).

    `read` and `write` take block runs.  A run longer than `bypass_blocks` goes straight
    to the device (reads still see dirty cached blocks; writes replace cached copies), so a
    large file transfer is one device call per contiguous run.
    """

    def __init__(self, dev: BlockDevice, capacity_blocks: int = 4096) -> None:
        if capacity_blocks < 1:
            raise ValueError("BlockCache needs room for at least one block")
        self.dev = dev
        # Called with the block's address before a dirty block is written back to make room
        # (the file system writes what must reach the disk before it).
        self.on_evict: Callable[[int], None] | None = None
        self.block_size = dev.block_size
        self.capacity = capacity_blocks
        self.bypass_blocks = max(8, capacity_blocks // 4)
        self._bufs: OrderedDict[int, _Buf] = OrderedDict()  # lba -> block, oldest first
        # Counters, for tests and statistics.
        self.hits = 0
        self.misses = 0
        self.device_reads = 0
        self.device_writes = 0

    def read(self, lba: int, count: int) -> bytes:
        """Read `count` blocks from `lba`, from the cache where present."""
        check_range(self.dev, lba, count)
        bs = self.block_size
        bufs = self._bufs
        if not bufs or count > self.bypass_blocks and not any(
                b in bufs for b in range(lba, lba + count)):
            self.misses += count
            self.device_reads += 1
            data = self.dev.read_blocks(lba, count)
            if count <= self.bypass_blocks:
                self._insert_clean(lba, data)
            return data
        out = bytearray(count * bs)
        i = 0
        while i < count:
            buf = bufs.get(lba + i)
            if buf is not None:
                bufs.move_to_end(lba + i)
                out[i * bs:(i + 1) * bs] = buf.data
                self.hits += 1
                i += 1
                continue
            j = i + 1  # extend the run of missing blocks
            while j < count and lba + j not in bufs:
                j += 1
            data = self.dev.read_blocks(lba + i, j - i)
            self.misses += j - i
            self.device_reads += 1
            out[i * bs:j * bs] = data
            if j - i <= self.bypass_blocks:
                self._insert_clean(lba + i, data)
            i = j
        return bytes(out)

    def write(self, lba: int, data: BytesLike) -> None:
        """Write whole blocks from `lba`: kept dirty in the cache, or written through if big."""
        bs = self.block_size
        if len(data) % bs:
            raise BlockDeviceError(f"write of {len(data)} bytes is not whole blocks")
        count = len(data) // bs
        check_range(self.dev, lba, count)
        bufs = self._bufs
        if count > self.bypass_blocks:
            for b in range(lba, lba + count):  # the cached copies are stale now
                bufs.pop(b, None)
            self.device_writes += 1
            self.dev.write_blocks(lba, bytes(data))
            return
        for i in range(count):
            block = bytes(data[i * bs:(i + 1) * bs])
            buf = bufs.get(lba + i)
            if buf is None:
                bufs[lba + i] = _Buf(block, True)
            else:
                buf.data = block
                buf.dirty = True
                bufs.move_to_end(lba + i)
        self._evict()

    def sync(self) -> None:
        """Write every dirty block, contiguous ones in one call, then flush the device."""
        self.write_back()
        self.dev.flush()

    def write_back(self, select: Callable[[int], bool] | None = None) -> None:
        """Write the dirty blocks (those `select(lba)` accepts, if given), contiguous ones in
        one call, in address order; no flush."""
        dirty = sorted(lba for lba, buf in self._bufs.items()
                       if buf.dirty and (select is None or select(lba)))
        i = 0
        while i < len(dirty):
            j = i + 1
            while j < len(dirty) and dirty[j] == dirty[j - 1] + 1:
                j += 1
            run = b"".join(self._bufs[lba].data for lba in dirty[i:j])
            self.device_writes += 1
            self.dev.write_blocks(dirty[i], run)
            for lba in dirty[i:j]:
                self._bufs[lba].dirty = False
            i = j

    def invalidate(self) -> None:
        """Forget every block; dirty ones must have been synced first."""
        if any(buf.dirty for buf in self._bufs.values()):
            raise BlockDeviceError("BlockCache.invalidate: dirty blocks not synced")
        self._bufs.clear()

    @property
    def ndirty(self) -> int:
        return sum(1 for buf in self._bufs.values() if buf.dirty)

    def __len__(self) -> int:
        return len(self._bufs)

    def _insert_clean(self, lba: int, data: bytes) -> None:
        bs = self.block_size
        for i in range(len(data) // bs):
            self._bufs[lba + i] = _Buf(data[i * bs:(i + 1) * bs], False)
        self._evict()

    def _evict(self) -> None:
        """Drop least recently used blocks beyond capacity, writing back dirty ones."""
        bufs = self._bufs
        while len(bufs) > self.capacity:
            lba, buf = next(iter(bufs.items()))
            if buf.dirty:
                if self.on_evict is not None:
                    self.on_evict(lba)        # may write (and clean) other blocks, not evict
                if buf.dirty:
                    self.device_writes += 1
                    self.dev.write_blocks(lba, buf.data)
            del bufs[lba]
