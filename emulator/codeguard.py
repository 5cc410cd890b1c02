"""Guarded code: the work-around for Unicorn 2.1.4's crash on long straight-line blocks.

Unicorn's MIPS translator leaks one TCG temporary per instruction (QEMU keeps 512, about 140
of them globals), so a translation block of about 374 straight-line instructions or more
overflows the table and the host process dies in the code generator (docs/UNICORN.md, "Long
straight-line blocks"). A block ends at a branch's delay slot, at the end of a 4 KiB page,
or once its TCG ops reach 4,000; a code hook on an instruction adds about a dozen ops, so a
hooked run is cut into blocks of at most about 290 instructions, which translate safely.

So code is scanned when it is loaded: every straight-line run of more than GUARD_RUN
instructions within a page (no branch, no delay slot) gets a native no-op code hook
(emulator/native/core.c's guard_hook) on every core, and so does memory whose contents can
change as the program runs (writable code, anonymous executable mappings). Hooked code runs
2 to 7 times slower, so only what needs a hook gets one; hooks are added, never removed
(a hook only affects blocks translated after it was added: the code is guarded before it
first runs). Ranges are virtual addresses, shared by every process (the hooks belong to the
cores): a range another program needed only slows what runs there.
"""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from almos.emulator.core import Core

PAGE = 0x1000
INSN = 4
GUARD_RUN = 256          # instructions: the longest block left alone (crashes start at ~374)
MERGE_GAP = 256          # bytes: ranges closer than this share one hook
SCAN_LIMIT = 16 << 20    # bytes: a bigger code segment is guarded whole, not scanned

# A MIPS32 branch or jump (its delay slot follows), by its little-endian bytes b0..b3:
# j, jal, beq, bne, blez, bgtz (opcodes 2-7) and their "likely" forms (0x14-0x17); SPECIAL
# (opcode 0) jr, jalr (funct 8, 9); REGIMM (opcode 1) bltz, bgez and their -al, -l forms
# (rt 0-3, 16-19); COP1 (opcode 0x11) bc1f, bc1t (rs 8).
def _table(pred) -> bytes:
    return bytes(int(pred(b)) for b in range(256))


_JUMP_OP = _table(lambda b3: 0x08 <= b3 <= 0x1F or 0x50 <= b3 <= 0x5F)
_SPECIAL = _table(lambda b3: b3 <= 0x03)
_JR_FUNCT = _table(lambda b0: b0 & 0x3F in (8, 9))
_REGIMM = _table(lambda b3: 0x04 <= b3 <= 0x07)
_REGIMM_RT = _table(lambda b2: b2 & 0x1F in (0, 1, 2, 3, 16, 17, 18, 19))
_COP1 = _table(lambda b3: b3 == 0x45)
_BC1_RS = _table(lambda b2: b2 < 0x20)
_LONG_RUN = re.compile(b"(?<!\0)\0{%d,}" % (GUARD_RUN + 1))   # from a run's start


def branch_flags(code: bytes) -> bytes:
    """One byte per word of `code`: 1 for a branch or a jump, else 0 (bitwise on big
    integers, so a whole segment costs a few passes in C)."""
    n = len(code) // INSN
    b0, b2, b3 = (code[i:n * INSN:INSN] for i in (0, 2, 3))

    def bits(column: bytes, table: bytes) -> int:
        return int.from_bytes(column.translate(table), "little")
    flags = bits(b3, _JUMP_OP) | (bits(b3, _SPECIAL) & bits(b0, _JR_FUNCT)) \
        | (bits(b3, _REGIMM) & bits(b2, _REGIMM_RT)) | (bits(b3, _COP1) & bits(b2, _BC1_RS))
    return flags.to_bytes(n, "little")


def long_runs(base: int, code: bytes) -> list[tuple[int, int]]:
    """The straight-line runs of more than GUARD_RUN instructions in `code` loaded at `base`
    (page aligned), as [start, end) addresses: no branch or delay slot in them, none
    crossing a page boundary (a block ends there)."""
    per_page = PAGE // INSN
    out = []
    for m in _LONG_RUN.finditer(branch_flags(code)):
        lo, hi = m.span()
        lo += lo > 0                               # a delay slot: its branch's block
        while lo < hi:
            cut = min(hi, (lo // per_page + 1) * per_page)
            if cut - lo > GUARD_RUN:
                out.append((base + lo * INSN, base + cut * INSN))
            lo = cut
    return out


def segment_ranges(base: int, end: int, file_base: int, data: bytes | memoryview,
                   writable: bool) -> list[tuple[int, int]]:
    """What to guard in executable memory [base, end) (page aligned) that holds `data` at
    file_base and zeros elsewhere (zero words are nops: a page of them is one long run)."""
    if writable or len(data) > SCAN_LIMIT:        # its code may change as it runs
        return [(base, end)]
    data_end = min(end, (file_base + len(data) + PAGE - 1) & ~(PAGE - 1))
    image = bytearray(max(0, data_end - base))
    lo = max(file_base, base)
    image[lo - base:lo - base + len(data)] = data[lo - file_base:data_end - file_base]
    out = long_runs(base, bytes(image))
    if data_end < end:                             # whole pages of zeros
        out.append((max(data_end, base), end))
    return merge(out)


def merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted ranges, those closer than MERGE_GAP joined."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a - out[-1][1] < MERGE_GAP:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


SC_MERGE = 64            # bytes: SC sites closer than this share one atomic-SC hook


def sc_ranges(base: int, code: bytes | memoryview) -> list[tuple[int, int]]:
    """The ranges [sc, sc + 8) of every SC instruction (major opcode 0x38) in `code` loaded
    at `base`, and the instruction after it, merged: where cores running in several host
    threads need the atomic-SC hook (emulator/native/core.c's sc_hook). A data word that
    looks like an SC only costs a hook that finds no SC when it runs."""
    top = bytes(code[3::INSN])
    out = [(base + i * INSN, base + i * INSN + 2 * INSN)
           for i, b in enumerate(top) if b & 0xFC == 0xE0]
    merged: list[tuple[int, int]] = []
    for a, b in out:
        if merged and a - merged[-1][1] < SC_MERGE:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


class CodeGuard:
    """The guarded ranges of a machine, hooked on each of its cores (created or to come);
    with `atomics` (several host threads), the SC sites too."""

    def __init__(self, atomics: bool = False) -> None:
        self.ranges: list[tuple[int, int]] = []    # sorted, disjoint: hooked on every core
        self.atomics = atomics
        self.sc_sites: set[tuple[int, int]] = set()   # atomic-SC hooks on every core
        self._cores: list[Core] = []

    def install(self, core: Core) -> None:
        """A new core: hook every range so far."""
        self._cores.append(core)
        for a, b in self.ranges:
            core.guard_code(a, b)
        for a, b in sorted(self.sc_sites):
            core.atomic_sc(a, b)

    def add_code(self, base: int, code: bytes | memoryview) -> None:
        """Code loaded at base: with `atomics`, hook its SCs on every core."""
        if not self.atomics:
            return
        for r in sc_ranges(base, code):
            if r not in self.sc_sites:
                self.sc_sites.add(r)
                for core in self._cores:
                    core.atomic_sc(*r)

    def add(self, ranges: list[tuple[int, int]]) -> None:
        """Guard these ranges too, on every core (the parts not guarded yet)."""
        for a, b in ranges:
            for lo, hi in self._uncovered(a, b):
                bisect.insort(self.ranges, (lo, hi))
                for core in self._cores:
                    core.guard_code(lo, hi)

    def covers(self, a: int, b: int) -> bool:
        return not self._uncovered(a, b)

    def _uncovered(self, a: int, b: int) -> list[tuple[int, int]]:
        out = []
        for lo, hi in self.ranges:
            if hi <= a or lo >= b:
                continue
            if lo > a:
                out.append((a, lo))
            a = max(a, hi)
            if a >= b:
                break
        if a < b:
            out.append((a, b))
        return out
