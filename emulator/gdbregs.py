"""MIPS32 registers as gdb numbers them, read and written on a live Uc or a saved UcContext.

GDB's MIPS32 numbering: 0-31 GPRs, 32 sr, 33 lo, 34 hi, 35 badvaddr, 36 cause, 37 pc,
38-69 f0-f31, 70 fcsr, 71 fir; TARGET_XML is the matching target description (features
org.gnu.gdb.mips.cpu / cp0 / fpu), so gdb needs no `set architecture`. Used by the GDB stub
(emulator/gdbstub.py).
"""

from __future__ import annotations

from typing import Protocol

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


def write_gdb_register(regs: RegisterFile, regno: int, value: int) -> bool:
    """Set register regno (GDB numbering); writes to r0 and to unmodelled registers are
    accepted and ignored. False for a register number gdb does not have."""
    if not 0 <= regno < NUM_REGS:
        return False
    uc_reg = _UC_REG[regno]
    if uc_reg is None or regno == 0:
        return True
    value &= _FPR_LOW
    if REG_F0 <= regno < REG_F0 + NUM_FPRS:
        value |= regs.reg_read(uc_reg) & ~_FPR_LOW
    regs.reg_write(uc_reg, value)
    return True


def reg_hex(value: int | None) -> str:
    if value is None:
        return "x" * (REG_BYTES * 2)
    return (value & 0xFFFF_FFFF).to_bytes(REG_BYTES, "little").hex()

