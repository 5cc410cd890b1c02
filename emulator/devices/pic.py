"""PIC: routes the I/O cluster's device interrupt lines to XCUs as write-triggered interrupts.

Facts (docs/TSAR.md, "PIC"): for each input line, 4 words: ADDRESS 0 (bits 31..0 of the
target WTI_REG), EXTEND 1 (bits 39..32), STATUS 2 (line level), MASK 3 (1 = disabled). On a
rising edge of an enabled line the PIC writes the line number + 1 to the target address.
"""

from __future__ import annotations

from collections.abc import Callable

PIC_ADDRESS = 0
PIC_EXTEND = 1
PIC_STATUS = 2
PIC_MASK = 3
PIC_SPAN = 4
PIC_INPUTS = 32

# Input lines of the I/O cluster's devices.
IRQ_IOC = 0
IRQ_TTY_BASE = 8          # TTY channel c raises line IRQ_TTY_BASE + c


class Pic:
    name = "pic"

    def __init__(self, write_pa: Callable[[int, int], None]) -> None:
        self._write = write_pa
        self.regs = [[0, 0, 0, 0] for _ in range(PIC_INPUTS)]

    def read(self, offset: int) -> int:
        line, reg = divmod(offset >> 2, PIC_SPAN)
        return self.regs[line][reg] if line < PIC_INPUTS else 0

    def write(self, offset: int, value: int) -> None:
        line, reg = divmod(offset >> 2, PIC_SPAN)
        if line < PIC_INPUTS and reg != PIC_STATUS:
            self.regs[line][reg] = value

    def set_line(self, line: int, level: bool) -> None:
        r = self.regs[line]
        rising = level and not r[PIC_STATUS]
        r[PIC_STATUS] = int(level)
        if rising and not r[PIC_MASK] and (r[PIC_ADDRESS] or r[PIC_EXTEND]):
            self._write((r[PIC_EXTEND] << 32) | r[PIC_ADDRESS], line + 1)
