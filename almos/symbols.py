"""Symbols of a guest program, read with pyelftools: the function around an address (the ELF's
symbol table), its source file and line (the DWARF line tables), and a backtrace unwound with
the DWARF call-frame information (.debug_frame, else .eh_frame); no gdb. A program built
without -g has function names only.
"""

from __future__ import annotations

import bisect
import io
from collections.abc import Callable
from dataclasses import dataclass

from elftools.common.exceptions import ELFError
from elftools.dwarf.callframe import FDE, RegisterRule
from elftools.elf.elffile import ELFFile

REG_SP, REG_FP, REG_RA = 29, 30, 31     # MIPS: the registers an unwind follows
CALL_SIZE = 8                           # a return address is the call + its delay slot
MAX_FRAMES = 64


@dataclass(frozen=True)
class Frame:
    pc: int
    function: str | None = None         # None: outside every function symbol
    offset: int = 0
    file: str | None = None             # None: no line information
    line: int = 0

    def __str__(self) -> str:
        where = f"{self.pc:#010x}"
        if self.function is not None:
            where += f" in {self.function}" + (f"+{self.offset:#x}" if self.offset else "")
        if self.file is not None:
            where += f" ({self.file}:{self.line})"
        return where


class Symbols:
    """One program's symbols; the line and frame tables are decoded on first use."""

    def __init__(self, data: bytes) -> None:
        try:
            self._elf = ELFFile(io.BytesIO(data))
            symtab = self._elf.get_section_by_name(".symtab")
            funcs = sorted((s["st_value"], s["st_size"], s.name)
                           for s in (symtab.iter_symbols()  # type: ignore[attr-defined]
                                     if symtab is not None else ())
                           if s["st_info"]["type"] == "STT_FUNC" and s["st_value"])
            self._dwarf = self._elf.get_dwarf_info() if self._elf.has_dwarf_info() else None
        except (ELFError, ValueError, KeyError):
            funcs, self._dwarf = [], None
        self._func_starts = [f[0] for f in funcs]
        self._funcs = funcs
        self._lines: list[tuple[int, str | None, int]] | None = None
        self._fdes: list[tuple[int, int, list[dict]]] | None = None

    # ---- where an address is ----------------------------------------------------------------
    def frame(self, pc: int) -> Frame:
        name, offset = None, 0
        i = bisect.bisect_right(self._func_starts, pc) - 1
        if i >= 0:
            start, size, fname = self._funcs[i]
            if pc < start + max(size, 1):
                name, offset = fname, pc - start
        file, line = self.line(pc)
        return Frame(pc, name, offset, file, line)

    def line(self, pc: int) -> tuple[str | None, int]:
        """(file, line) of the code at pc, or (None, 0)."""
        rows = self._line_rows()
        i = bisect.bisect_right(rows, (pc, "\uffff", 1 << 30)) - 1
        if i < 0 or rows[i][1] is None:
            return None, 0
        return rows[i][1], rows[i][2]

    def _line_rows(self) -> list[tuple[int, str | None, int]]:
        """(address, file, line) rows in address order; file None ends a sequence."""
        if self._lines is not None:
            return self._lines
        rows: list[tuple[int, str | None, int]] = []
        dwarf = self._dwarf
        try:
            for cu in dwarf.iter_CUs() if dwarf is not None else ():
                prog = dwarf.line_program_for_CU(cu)  # type: ignore[union-attr]
                if prog is None:
                    continue
                files = prog["file_entry"]
                base = 0 if prog.header["version"] >= 5 else 1
                for entry in prog.get_entries():
                    st = entry.state
                    if st is None:
                        continue
                    if st.end_sequence:
                        rows.append((st.address, None, 0))
                    elif 0 <= st.file - base < len(files):
                        rows.append((st.address, files[st.file - base].name.decode(
                            errors="replace"), st.line))
        except (ELFError, ValueError, KeyError, AttributeError):
            pass
        rows.sort(key=lambda r: (r[0], r[1] is not None))
        self._lines = rows
        return rows

    # ---- backtrace --------------------------------------------------------------------------
    def backtrace(self, pc: int, regs: dict[int, int],
                  read32: Callable[[int], int | None]) -> list[Frame]:
        """The frames from pc outwards: regs holds sp, fp and ra (REG_*) at pc; read32 reads
        a word of the program's memory (None: unreadable). Stops where the frame information
        ends, at a return address of 0 (the first frame) or after MAX_FRAMES."""
        frames = [self.frame(pc)]
        regs = dict(regs)
        at = pc
        for depth in range(MAX_FRAMES - 1):
            row = self._cfa_row(at)
            if row is None:
                break
            cfa_rule = row["cfa"]
            if cfa_rule.reg not in regs:
                break
            cfa = (regs[cfa_rule.reg] + cfa_rule.offset) & 0xFFFF_FFFF
            new = {REG_SP: cfa}
            for reg in (REG_FP, REG_RA):
                rule = row.get(reg)
                if isinstance(rule, RegisterRule) and rule.type == RegisterRule.OFFSET:
                    value = read32((cfa + rule.arg) & 0xFFFF_FFFF)
                    if value is None:
                        return frames
                    new[reg] = value
                elif reg in regs and (reg != REG_RA or depth == 0):
                    new[reg] = regs[reg]       # not saved: still in its register (a leaf)
            ra = new.get(REG_RA, 0)
            if ra < CALL_SIZE:
                break
            at = ra - CALL_SIZE                  # the call
            frames.append(self.frame(at))
            regs = new
        return frames

    def _cfa_row(self, pc: int) -> dict | None:
        fdes = self._frame_table()
        i = bisect.bisect_right(fdes, (pc, 1 << 33)) - 1
        if i < 0 or not fdes[i][0] <= pc < fdes[i][1]:
            return None
        best = None
        for row in fdes[i][2]:
            if row["pc"] <= pc:
                best = row
        return best

    def _frame_table(self) -> list:
        if self._fdes is not None:
            return self._fdes
        fdes = []
        d = self._dwarf
        try:
            entries = (d.CFI_entries() if d.has_CFI() else d.EH_CFI_entries()
                       if d.has_EH_CFI() else []) if d is not None else []
            for e in entries:
                if isinstance(e, FDE):
                    start = e.header["initial_location"]
                    fdes.append((start, start + e.header["address_range"],
                                 e.get_decoded().table))
        except (ELFError, ValueError, KeyError, AttributeError):
            fdes = []
        fdes.sort(key=lambda f: (f[0], f[1]))
        self._fdes = fdes
        return fdes
