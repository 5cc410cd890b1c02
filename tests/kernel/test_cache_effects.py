"""What the cache and mesh model shows a researcher, end to end on real programs: placement
changes remote traffic and cycles, and a parallel benchmark speeds up with cores."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from test_run import PROGS, ROOT, almos, userland


def _run_stats(tmp_path: Path, *args: str) -> tuple[str, dict]:
    stats = tmp_path / "stats.json"
    r = almos("run", "--cache", "timing", "--stats", str(stats), *args)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout, json.loads(stats.read_text())


def test_local_placement_beats_interleave_for_private_sweeps(tmp_path: Path) -> None:
    got = {}
    for policy in ("local", "interleave"):
        _, d = _run_stats(tmp_path, "-t", "2x2x1", "--placement", policy,
                          userland("sweep"), "-p", "4")
        got[policy] = (sum(c["remote_reads"] for c in d["clusters"]), d["summary"]["cycles"])
    (rl, cl), (ri, ci) = got["local"], got["interleave"]
    assert rl * 10 < ri, got                   # remote reads: an order of magnitude fewer
    assert cl < ci, got                        # and fewer cycles


def _fft_cycles(tmp_path: Path, placement: str, threads: int) -> int:
    out, _ = _run_stats(tmp_path, "-t", "2x2x4", "--placement", placement, userland("fft"),
                        "-p", str(threads), "-m", "12")
    return int(re.search(r"cycles: (\d+)", out).group(1))


def test_fft_cycles_fall_as_cores_are_added(tmp_path: Path) -> None:
    """Data interleaved over the clusters: every core added shortens the run."""
    rows = [(p, _fft_cycles(tmp_path, "interleave", p)) for p in (1, 2, 4, 8, 16)]
    base = rows[0][1]
    print("\nfft -m 12 on 2x2x4, cache timing, interleave\ncores  cycles     speedup")
    for p, c in rows:
        print(f"{p:5}  {c:9}  {base / c:6.2f}")
    cycles = [c for _, c in rows]
    assert all(a > b for a, b in zip(cycles, cycles[1:], strict=False)), rows
    assert base / cycles[-1] > 4, rows


def test_stats_json_shape(tmp_path: Path) -> None:
    _, d = _run_stats(tmp_path, "-t", "2x2x4", userland("matmul"), "-p", "4")
    assert d["machine"]["topology"] == "2x2x4" and d["machine"]["cache"] == "timing"
    core = d["cores"][0]
    for key in ("cluster", "core", "instructions", "cycles", "l1i", "l1d"):
        assert key in core
    assert core["l1d"]["accesses"] == core["l1d"]["hits"] + core["l1d"]["misses"] > 0
    cl = d["clusters"][0]
    for key in ("l2", "local_reads", "remote_reads", "local_writes", "remote_writes", "cost",
                "updates", "invalidations", "broadcasts", "cleanups"):
        assert key in cl
    assert len(d["traffic"]) == 4 and all(len(row) == 4 for row in d["traffic"])
    assert {t["process"] for t in d["threads"]} == {"matmul"} and len(d["threads"]) == 4
    # every instruction is some thread's; a core is busy for its threads' cycles, which
    # never exceed its clock; a started core that ran no thread was idle all along
    assert sum(t["instructions"] for t in d["threads"]) == d["summary"]["instructions"]
    ran = {t["gid"] for t in d["threads"]}
    for c in d["cores"]:
        threads_cycles = sum(t["cycles"] for t in d["threads"] if t["gid"] == c["gid"])
        assert c["busy_cycles"] == threads_cycles, c
        assert 0 < c["busy_cycles"] <= c["cycles"] if c["gid"] in ran else c["busy_cycles"] == 0
        assert c["idle_cycles"] == c["cycles"] - c["busy_cycles"], c
    assert len(ran) == 4


def test_stats_tables_on_stderr() -> None:
    r = almos("run", "-t", "2x2x4", "--stats", "-", userland("matmul"), "-p", "4")
    assert r.returncode == 0
    for title in ("== cores", "== clusters", "== threads", "== traffic"):
        assert title in r.stderr


def test_memc_counters_read_by_the_guest(tmp_path: Path) -> None:
    """memc_roi_begin/end around a sweep, memc_read of every cluster (the MMC registers):
    the guest sees exactly what --stats reports, and interleaving spreads the reads."""
    exe = tmp_path / "memc"
    subprocess.run([str(ROOT / "libc_stubs" / "almos-gcc"), "-O2", "-o", str(exe),
                    str(PROGS / "memc.c")], check=True, capture_output=True)
    out, d = _run_stats(tmp_path, "-t", "2x2x1", "--placement", "interleave", str(exe))
    seen = {}
    for line in out.splitlines():
        if line.startswith("cluster "):
            words = line.replace(":", "").split()
            fields = dict(zip(words[3::2], map(int, words[4::2]), strict=True))
            seen[(int(words[1]), int(words[2]))] = fields
    assert len(seen) == 4
    for c in d["clusters"]:
        got = seen[tuple(c["cluster"])]
        for key, value in got.items():
            assert c[key] == value, (c["cluster"], key)
    reads = [g["local_reads"] + g["remote_reads"] for g in seen.values()]
    assert min(reads) >= 4000 and sum(g["remote_reads"] for g in seen.values()) >= 12000
