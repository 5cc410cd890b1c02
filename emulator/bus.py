"""The physical bus: routes any 40-bit access to the RAM bank or the device that owns it.

Device segments sit at fixed local addresses in a cluster's window, the "LETI" map
(docs/TSAR.md, "Physical addresses and device segments"): XCU 0xF0000000 and MMC 0xF1000000
in every cluster; IOC, FBF, TTY, NIC and PIC in the I/O cluster. A device is any object with
`read(offset) -> int` and `write(offset, value)` on 32-bit words (offset in bytes from its
segment base).
"""

from __future__ import annotations

from typing import Protocol

from almos.emulator.memory import MMIO_BASE, MMIO_SIZE, PAGE_SIZE, PhysicalMemory

SEG_XCU = 0xF000_0000
SEG_MMC = 0xF100_0000
SEG_IOC = 0xF200_0000
SEG_FBF = 0xF300_0000
SEG_TTY = 0xF400_0000
SEG_NIC = 0xF700_0000
SEG_PIC = 0xF900_0000
SEG_SIZE = 0x1000          # every device model here fits in one 4 KiB page
DEVICE_SPACE = 0xF000_0000


class Device(Protocol):
    name: str

    def read(self, offset: int) -> int: ...

    def write(self, offset: int, value: int) -> None: ...


class BusError(RuntimeError):
    """An access to a physical address where nothing answers."""


class Bus:
    """RAM plus device segments, addressed by 40-bit physical address."""

    def __init__(self, memory: PhysicalMemory) -> None:
        self.memory = memory
        self._devices: dict[int, Device] = {}       # segment PA -> device
        self._slots: list[Device] = []              # MMIO window slot -> device
        self._slot_of: dict[int, int] = {}          # segment PA -> slot

    def attach(self, cxy: int, base: int, device: Device) -> None:
        seg = (cxy << 32) | base
        self._devices[seg] = device
        self._slot_of[seg] = len(self._slots)
        self._slots.append(device)
        if len(self._slots) * PAGE_SIZE > MMIO_SIZE:
            raise BusError("too many device segments for the MMIO window")

    def devices(self) -> dict[int, Device]:
        return dict(self._devices)

    def device_at(self, pa: int) -> tuple[Device, int] | None:
        local = pa & 0xFFFF_FFFF
        if local < DEVICE_SPACE:
            return None
        seg = pa & ~(SEG_SIZE - 1)
        dev = self._devices.get(seg)
        return (dev, pa - seg) if dev is not None else None

    # The cores' view: a physical page -> Unicorn window address.
    def window_page(self, pa: int) -> int | None:
        """Unicorn physical address of the 4 KiB page holding pa, or None if nothing is there."""
        if self.memory.is_ram(pa):
            return self.memory.window_offset(pa & ~(PAGE_SIZE - 1))
        slot = self._slot_of.get(pa & ~(SEG_SIZE - 1))
        return None if slot is None else MMIO_BASE + slot * PAGE_SIZE

    def mmio_size(self) -> int:
        return max(PAGE_SIZE, len(self._slots) * PAGE_SIZE)

    def mmio_read(self, window_offset: int) -> int:
        dev = self._slots[window_offset >> 12]
        return dev.read(window_offset & 0xFFC)

    def mmio_write(self, window_offset: int, value: int) -> None:
        dev = self._slots[window_offset >> 12]
        dev.write(window_offset & 0xFFC, value & 0xFFFF_FFFF)

    # The kernel's view (word and bulk access, devices included for words).
    def read32(self, pa: int) -> int:
        if self.memory.is_ram(pa):
            return self.memory.read32(pa)
        hit = self.device_at(pa)
        if hit is None:
            raise BusError(f"bus error: nothing at physical address {pa:#012x}")
        return hit[0].read(hit[1])

    def write32(self, pa: int, value: int) -> None:
        if self.memory.is_ram(pa):
            self.memory.write32(pa, value)
            return
        hit = self.device_at(pa)
        if hit is None:
            raise BusError(f"bus error: nothing at physical address {pa:#012x}")
        hit[0].write(hit[1], value & 0xFFFF_FFFF)

    def read(self, pa: int, n: int) -> bytes:
        return self.memory.read(pa, n)

    def write(self, pa: int, data: bytes | bytearray | memoryview) -> None:
        self.memory.write(pa, data)
