"""Instruction counts stay exact when slices end at a memory access.

Under `--cache timing` a core whose read queued at a busy memory cache ends its slice right
after that access; Unicorn then resumes at the instruction, which runs again. The readers of
progs/yieldcount.c run code whose length does not depend on timing, so each must count the
same instructions under `--cache timing` (many such early ends) as under `--cache off`
(none), and the same as each other.
"""

from __future__ import annotations

import json
from pathlib import Path

from test_run import almos, almos_gcc

READERS = 15                    # and main: a 2x2x4 machine, every core busy


def _readers(tmp_path: Path, exe: Path, cache: str) -> tuple[list[int], dict]:
    out = tmp_path / f"{cache}.json"
    r = almos("run", "-q", "-t", "2x2x4", "-P", "local", "--cache", cache, "--stats", str(out),
              str(exe), str(READERS))
    assert r.returncode == 0, r.stderr
    assert f"yieldcount threads={READERS}" in r.stdout
    stats = json.loads(out.read_text())
    threads = [t for t in stats["threads"] if t["process"] == exe.name]
    main = min(threads, key=lambda t: t["tid"])
    return sorted(t["instructions"] for t in threads if t is not main), stats


def test_reader_instruction_counts_equal_with_and_without_early_slice_ends(tmp_path):
    exe = almos_gcc(tmp_path, "yieldcount")
    off, _ = _readers(tmp_path, exe, "off")
    timed, stats = _readers(tmp_path, exe, "timing")
    assert stats["summary"]["busy_yields"] > 10 * READERS, stats["summary"]
    assert len(off) == READERS and len(set(off)) == 1, off
    assert timed == off
