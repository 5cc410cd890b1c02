"""MIPS32 registers as gdb numbers them, read and written on a live Uc or a saved UcContext.

GDB's MIPS32 numbering: 0-31 GPRs, 32 sr, 33 lo, 34 hi, 35 badvaddr, 36 cause, 37 pc,
38-69 f0-f31, 70 fcsr, 71 fir; TARGET_XML is the matching target description (features
org.gnu.gdb.mips.cpu / cp0 / fpu), so gdb needs no `set architecture`. Used by the GDB stub
(emulator/gdbstub.py).

Writes go where the hardware lets them, never into a Unicorn error or warning: r0, badvaddr
and cause (not modelled) and fir (read-only) ignore them; fcsr keeps its read-only bits and
refuses a value that would raise an FP exception at once (see `fcsr_value`).
"""

from __future__ import annotations

from typing import Protocol

from unicorn import UcError
from unicorn import mips_const as M

# GDB's MIPS32 register numbering
NUM_GPRS = 32
REG_SR, REG_LO, REG_HI, REG_BADVADDR, REG_CAUSE, REG_PC = 32, 33, 34, 35, 36, 37
REG_F0 = 38
NUM_FPRS = 32
REG_FCSR, REG_FIR = 70, 71
NUM_REGS = 72
REG_BYTES = 4
_UC_REG: list[int | None] = (
    [M.UC_MIPS_REG_0 + i for i in range(NUM_GPRS)]
    + [M.UC_MIPS_REG_CP0_STATUS, M.UC_MIPS_REG_LO, M.UC_MIPS_REG_HI, None, None,
       M.UC_MIPS_REG_PC]
    + [M.UC_MIPS_REG_F0 + i for i in range(NUM_FPRS)]
    + [M.UC_MIPS_REG_FCSR, M.UC_MIPS_REG_FIR])
_FPR_LOW = 0xFFFF_FFFF            # o32 (FR=0): fN is the low word of Unicorn's 64-bit fpr
_IGNORED_WRITES = frozenset({0, REG_BADVADDR, REG_CAUSE, REG_FIR})

# FCSR as Unicorn's MIPS32 FPU (a 24Kf) has it: bits 18-22 are read-only (zero); the cause
# field (bits 12-17: V Z O U I and E, unimplemented operation) raises an FP exception as soon
# as it is written with a cause whose enable bit (7-11: V Z O U I) is set, or with E, which
# cannot be disabled (MIPS32 FPU architecture, CTC1).
FCSR_WRITABLE = 0xFF83_FFFF
FCSR_CAUSE_SHIFT, FCSR_ENABLE_SHIFT = 12, 7
FCSR_CAUSE_MASK, FCSR_ENABLE_MASK = 0x3F, 0x1F
FCSR_CAUSE_E = 0x20               # in the cause field


def _reg(name: str, regnum: int | None = None, extra: str = "") -> str:
    num = f' regnum="{regnum}"' if regnum is not None else ""
    return f'<reg name="{name}" bitsize="32"{num}{extra}/>'


TARGET_XML = (
    '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd">'
    "<target><architecture>mips</architecture><osabi>none</osabi>"
    '<feature name="org.gnu.gdb.mips.cpu">'
    + "".join(_reg(f"r{i}", i) for i in range(NUM_GPRS))
    + _reg("lo", REG_LO) + _reg("hi", REG_HI) + _reg("pc", REG_PC) + "</feature>"
    '<feature name="org.gnu.gdb.mips.cp0">'
    + _reg("status", REG_SR) + _reg("badvaddr", REG_BADVADDR) + _reg("cause", REG_CAUSE)
    + "</feature>"
    '<feature name="org.gnu.gdb.mips.fpu">'
    + "".join(_reg(f"f{i}", REG_F0 + i, ' type="ieee_single"') for i in range(NUM_FPRS))
    + _reg("fcsr", REG_FCSR, ' group="float"') + _reg("fir", REG_FIR, ' group="float"')
    + "</feature></target>")


# ---- registers in GDB numbering, on a live Uc or a saved UcContext ----------------------------
class RegisterFile(Protocol):
    def reg_read(self, reg_id: int) -> int: ...

    def reg_write(self, reg_id: int, value: int) -> object: ...


def read_gdb_register(regs: RegisterFile, regno: int) -> int | None:
    """Register regno (GDB numbering); None if Unicorn does not model it."""
    uc_reg = _UC_REG[regno] if 0 <= regno < NUM_REGS else None
    if uc_reg is None:
        return None
    value = regs.reg_read(uc_reg)
    return value & _FPR_LOW


def fcsr_value(value: int) -> int | None:
    """What a debugger write of value leaves in FCSR (read-only bits kept at zero), or None
    if writing it would raise an FP exception (an enabled cause, or cause E)."""
    value &= FCSR_WRITABLE
    cause = (value >> FCSR_CAUSE_SHIFT) & FCSR_CAUSE_MASK
    enables = ((value >> FCSR_ENABLE_SHIFT) & FCSR_ENABLE_MASK) | FCSR_CAUSE_E
    return None if cause & enables else value


def can_write_gdb_register(regno: int, value: int) -> bool:
    """False if write_gdb_register(regs, regno, value) would refuse the write."""
    if not 0 <= regno < NUM_REGS:
        return False
    return regno != REG_FCSR or fcsr_value(value) is not None


def write_gdb_register(regs: RegisterFile, regno: int, value: int) -> bool:
    """Set register regno (GDB numbering) to value (32 bits). Writes to r0, to unmodelled
    registers and to fir are accepted and ignored; False (nothing written) for a register
    number gdb does not have, or an FCSR value that would trap."""
    if not can_write_gdb_register(regno, value):
        return False
    uc_reg = _UC_REG[regno]
    if uc_reg is None or regno in _IGNORED_WRITES:
        return True
    value &= _FPR_LOW
    if regno == REG_FCSR:
        value = fcsr_value(value) or 0
    elif REG_F0 <= regno < REG_F0 + NUM_FPRS:
        value |= regs.reg_read(uc_reg) & ~_FPR_LOW
    try:
        regs.reg_write(uc_reg, value)
    except UcError:
        return False                  # refused by this Unicorn: nothing was written
    return True


def reg_hex(value: int | None) -> str:
    if value is None:
        return "x" * (REG_BYTES * 2)
    return (value & 0xFFFF_FFFF).to_bytes(REG_BYTES, "little").hex()

