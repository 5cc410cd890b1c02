"""Physical memory: TSAR's 40-bit physical space placed on a compact 32-bit host window.

Every cluster owns a RAM bank at local address 0 of its 4 GiB window (PA = cxy << 32 | local,
docs/TSAR.md, "Physical addresses and device segments"). Unicorn cuts the physical
address a TLB fill returns to 32 bits (docs/UNICORN.md, "The 32-bit physical address cut"),
so the RAM the machine really touches is placed, 1 MiB chunk by chunk and on first use,
into one host buffer mapped at Unicorn physical address 0 of every core: the "window". The
window is reserved, not committed: host memory is taken only for pages written.
"""

from __future__ import annotations

import ctypes
import mmap
import struct

CHUNK_SHIFT = 20
CHUNK_SIZE = 1 << CHUNK_SHIFT
CHUNK_MASK = CHUNK_SIZE - 1
WINDOW_SIZE = 0xE000_0000        # Unicorn physical [0, 3.5 GiB): RAM chunks
MMIO_BASE = 0xE000_0000          # Unicorn physical [3.5 GiB, 3.75 GiB): one 4 KiB page a device
MMIO_SIZE = 0x1000_0000
PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
_MAP_NORESERVE = getattr(mmap, "MAP_NORESERVE", 0x4000)

_U32 = struct.Struct("<I")
_U16 = struct.Struct("<H")
_U64 = struct.Struct("<Q")


class MemoryError_(RuntimeError):
    """The machine ran out of host window or touched RAM it does not have (user-facing)."""


class PhysicalMemory:
    """The RAM banks of every cluster, addressed by 40-bit physical address."""

    def __init__(self, ram_per_cluster: int, valid_cxy: list[int]) -> None:
        if ram_per_cluster % CHUNK_SIZE:
            raise ValueError("RAM per cluster must be a multiple of 1 MiB")
        self.ram_size = ram_per_cluster
        self.chunks_per_cluster = ram_per_cluster >> CHUNK_SHIFT
        self._valid = set(valid_cxy)
        self.window = mmap.mmap(-1, WINDOW_SIZE,
                                flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _MAP_NORESERVE)
        self.view = memoryview(self.window)
        self.host_address = ctypes.addressof(ctypes.c_char.from_buffer(self.window))
        # chunk table: (cxy * chunks_per_cluster + chunk) -> window offset, -1 = not placed yet
        self._table = [-1] * (256 * self.chunks_per_cluster)
        self._next_free = 0
        self.chunks_used = 0
        # the chunk table again, for the native TLB fill (emulator/native/core.c), and the
        # reverse map for the native memory hooks: window chunk -> 40-bit PA of the chunk
        from almos.emulator.native._almos_native import ffi
        self._ctable = ffi.new("int64_t[]", [-1] * len(self._table))
        self.cmem = ffi.new("almos_mem_t *")
        self.cmem.chunk_win = self._ctable
        self.cmem.chunks_per_cluster = self.chunks_per_cluster
        self.cmem.ram_size = ram_per_cluster
        self.cmem.window = ffi.cast("uint8_t *", self.host_address)
        self.window_pa = ffi.new("uint64_t[]", WINDOW_SIZE >> CHUNK_SHIFT)
        ffi.memmove(self.window_pa, b"\xff" * (8 * (WINDOW_SIZE >> CHUNK_SHIFT)),
                    8 * (WINDOW_SIZE >> CHUNK_SHIFT))

    def is_ram(self, pa: int) -> bool:
        return (pa >> 32) in self._valid and (pa & 0xFFFF_FFFF) < self.ram_size

    def window_offset(self, pa: int) -> int:
        """Where a RAM physical address lives in the window, placing its chunk if needed."""
        local = pa & 0xFFFF_FFFF
        cxy = pa >> 32
        if local >= self.ram_size or cxy not in self._valid:
            raise MemoryError_(f"physical address {pa:#012x} is not RAM")
        idx = cxy * self.chunks_per_cluster + (local >> CHUNK_SHIFT)
        base = self._table[idx]
        if base < 0:
            if self._next_free + CHUNK_SIZE > WINDOW_SIZE:
                raise MemoryError_(
                    f"guest RAM in use exceeds the host window ({WINDOW_SIZE >> 20} MiB): "
                    "use fewer clusters or less memory")
            base = self._table[idx] = self._ctable[idx] = self._next_free
            self.window_pa[base >> CHUNK_SHIFT] = pa & ~CHUNK_MASK
            self._next_free += CHUNK_SIZE
            self.chunks_used += 1
        return base + (local & CHUNK_MASK)

    # Bulk and word access, used by the kernel and the devices (DMA). Little endian.
    def read(self, pa: int, n: int) -> bytes:
        out = bytearray()
        while n > 0:
            off = self.window_offset(pa)
            k = min(n, CHUNK_SIZE - (pa & CHUNK_MASK))
            out += self.view[off:off + k]
            pa += k
            n -= k
        return bytes(out)

    def write(self, pa: int, data: bytes | bytearray | memoryview) -> None:
        data = memoryview(data).cast("B")
        i = 0
        while i < len(data):
            off = self.window_offset(pa)
            k = min(len(data) - i, CHUNK_SIZE - (pa & CHUNK_MASK))
            self.view[off:off + k] = data[i:i + k]
            pa += k
            i += k

    def fill(self, pa: int, n: int, byte: int = 0) -> None:
        while n > 0:
            off = self.window_offset(pa)
            k = min(n, CHUNK_SIZE - (pa & CHUNK_MASK))
            self.view[off:off + k] = bytes([byte]) * k
            pa += k
            n -= k

    def read32(self, pa: int) -> int:
        return _U32.unpack_from(self.view, self.window_offset(pa))[0]

    def write32(self, pa: int, value: int) -> None:
        _U32.pack_into(self.view, self.window_offset(pa), value & 0xFFFF_FFFF)

    def cas32(self, pa: int, expected: int, desired: int) -> int:
        """Atomically: the word at pa becomes `desired` if it holds `expected`; the value it
        held (a host compare-and-swap, atomic against cores running in other host threads,
        whose SCs are host compare-and-swaps too)."""
        from almos.emulator.native._almos_native import ffi, lib
        host = ffi.cast("uint8_t *", self.host_address + self.window_offset(pa))
        return int(lib.core_cas32(host, expected & 0xFFFF_FFFF, desired & 0xFFFF_FFFF))

    def read16(self, pa: int) -> int:
        return _U16.unpack_from(self.view, self.window_offset(pa))[0]

    def write16(self, pa: int, value: int) -> None:
        _U16.pack_into(self.view, self.window_offset(pa), value & 0xFFFF)

    def read8(self, pa: int) -> int:
        return self.view[self.window_offset(pa)]

    def write8(self, pa: int, value: int) -> None:
        self.view[self.window_offset(pa)] = value & 0xFF

    def read64(self, pa: int) -> int:
        return _U64.unpack_from(self.view, self.window_offset(pa))[0]
