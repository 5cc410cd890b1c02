"""The scan for long straight-line runs (emulator/codeguard.py): its branch decoder against the
real disassembler on real programs, its runs against a word-by-word reference, and the ranges
a machine hooks (once each, on cores created before and after)."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from almos.emulator.codeguard import GUARD_RUN, PAGE, branch_flags, long_runs, segment_ranges
from almos.emulator.machine import Machine
from almos.emulator.topology import load_topology

ROOT = Path(__file__).resolve().parents[2]
BRANCH_WORDS = [0x03E00008, 0x0320F809, 0x1000FFFF, 0x0C100000, 0x04110005, 0x45000003,
                0x50A00002, 0x0441FFFE]          # jr, jalr, b, jal, bal, bc1f, beql, bgez
PLAIN_WORDS = [0, 0x24840001, 0x8C850000, 0x46020000, 0x0000000D, 0x0000000C, 0x04080001]


def _is_branch(w: int) -> bool:
    op = w >> 26
    if op == 0:
        return w & 0x3F in (8, 9)
    if op == 1:
        return (w >> 16) & 0x1F in (0, 1, 2, 3, 16, 17, 18, 19)
    if op == 0x11:
        return (w >> 21) & 0x1F == 8
    return op in (2, 3, 4, 5, 6, 7, 0x14, 0x15, 0x16, 0x17)


def _reference_runs(base: int, words: list[int]) -> list[tuple[int, int]]:
    """Word by word: a run ends at a branch, a delay slot or a page's end."""
    out, start = [], None
    per_page = PAGE // 4
    for i in range(len(words) + 1):
        stop = i == len(words) or _is_branch(words[i]) or (i and _is_branch(words[i - 1])) \
            or i % per_page == 0
        if stop and start is not None:
            if i - start > GUARD_RUN:
                out.append((base + 4 * start, base + 4 * i))
            start = None
        if i < len(words) and start is None and not _is_branch(words[i]) \
                and not (i and _is_branch(words[i - 1])):
            start = i
    return out


def test_branches_are_the_disassemblers() -> None:
    """Every word of real programs' code: a branch for us exactly when objdump names a branch
    or a jump."""
    subprocess.run(["make", "-C", str(ROOT / "userland")], check=True, capture_output=True)
    for name in ("sh", "fft", "mathprint"):
        exe = ROOT / "userland" / "build" / name
        text = subprocess.run(["mipsel-linux-gnu-objdump", "-d", "-j", ".text", str(exe)],
                              capture_output=True, text=True, check=True).stdout
        insns = re.findall(r"^\s+([0-9a-f]+):\s+([0-9a-f]{8})\s+(\S+)", text, re.M)
        assert len(insns) > 1000
        code = b"".join(struct.pack("<I", int(w, 16)) for _, w, _ in insns)
        flags = branch_flags(code)
        for (addr, word, mnemonic), flag in zip(insns, flags, strict=True):
            want = mnemonic[0] in "bj" and mnemonic != "break"
            assert flag == want, f"{name} {addr}: {word} {mnemonic}"


@settings(max_examples=200, deadline=None, database=None)   # nothing written to the tree
@given(st.lists(st.tuples(st.sampled_from(BRANCH_WORDS + PLAIN_WORDS), st.integers(1, 700)),
                max_size=12),
       st.integers(0, 3))
def test_runs_match_the_reference(pieces: list[tuple[int, int]], page: int) -> None:
    """Runs of a word repeated, so that long runs, page ends and delay slots all occur."""
    words = [w for w, n in pieces for _ in range(n if w in PLAIN_WORDS else 1)]
    base = 0x400000 + page * PAGE
    code = struct.pack(f"<{len(words)}I", *words)
    assert long_runs(base, code) == _reference_runs(base, words)


def test_zero_pages_and_writable_code_are_guarded_whole() -> None:
    base, end = 0x400000, 0x400000 + 64 * PAGE
    code = struct.pack("<2I", 0x03E00008, 0) * (PAGE // 8)      # one page of jr/nop pairs
    assert segment_ranges(base, end, base, code, writable=False) == [(base + PAGE, end)]
    assert segment_ranges(base, end, base, code, writable=True) == [(base, end)]
    assert segment_ranges(base, base + PAGE, base, code, writable=False) == []


def test_each_range_is_hooked_once_on_every_core() -> None:
    m = Machine(load_topology("1x1x2"))
    early = m.core(0)
    m.code_guard.add([(0x401000, 0x402000)])
    m.code_guard.add([(0x401000, 0x402000), (0x401800, 0x403000)])   # again, overlapping
    late = m.core(1)
    assert early.guarded == [(0x401000, 0x402000), (0x402000, 0x403000)]
    assert sorted(late.guarded) == early.guarded
    assert m.code_guard.covers(0x401000, 0x403000)
    assert not m.code_guard.covers(0x401000, 0x403004)
