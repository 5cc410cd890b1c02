"""--host-threads N: the cores run in several host threads (emulator/machine.py).

What N > 1 must keep: each program's results (atomics stay atomic across host threads, the
kernel's mutex word too, floating point is not disturbed by stops asked from another
thread), its faults and exit statuses, and the statistics; --host-threads 1 keeps exact
repeatability (tests/kernel/test_run.py::test_runs_are_deterministic). Every run here uses
cores of different clusters, which run at the same time in different host threads.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_run import almos, almos_gcc, userland


def _stats(path: Path) -> dict:
    return json.loads(path.read_text())


def test_atomics_stay_atomic_across_host_threads(tmp_path: Path) -> None:
    exe = almos_gcc(tmp_path, "atomic_add")
    stats = tmp_path / "s.json"
    r = almos("run", "-q", "-j", "2", "-t", "2x1x1", "--cache", "off", "--stats", str(stats),
              str(exe), "2", "100000")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.split() == ["count", "200000", "expected", "200000"]
    s = _stats(stats)
    assert s["machine"]["host_threads"] == 2
    per_thread = s["summary"]["slices_per_host_thread"]
    assert len(per_thread) == 2 and all(n > 0 for n in per_thread), per_thread
    assert s["summary"]["atomic_scs"] >= 200000      # every increment's SC, done atomically


@pytest.mark.parametrize("cache", ["off", "timing"])
def test_floating_point_unchanged_by_host_threads(tmp_path: Path, cache: str) -> None:
    exe = almos_gcc(tmp_path, "fpcheck")
    for _ in range(3):
        r = almos("run", "-q", "-j", "2", "-t", "2x1x1", "--cache", cache, str(exe), "2")
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.splitlines() == [f"round {i} bad 0" for i in range(4)]


def test_mutexes_and_spin_locks_exact(tmp_path: Path) -> None:
    exe = almos_gcc(tmp_path, "llsc_counter")
    r = almos("run", "-q", "-j", "2", "-t", "2x2x4", "--cache", "off", str(exe), "8")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.split() == ["spin", "24000", "mutex", "24000", "expected", "24000"]


@pytest.mark.parametrize("bench,args", [("fft", ["-m", "10", "-p", "16"]),
                                        ("sort", ["-p", "16"]), ("kmeans", ["-p", "16"])])
def test_benchmarks_give_the_same_output(bench: str, args: list[str]) -> None:
    def out(threads: str) -> list[str]:
        r = almos("run", "-q", "-j", threads, "-t", "4x4x4", "--cache", "off",
                  userland(bench), *args)
        assert r.returncode == 0, r.stdout + r.stderr
        return [line for line in r.stdout.splitlines() if not line.startswith("cycles")]
    assert out("2") == out("1")


def test_a_fault_kills_the_process() -> None:
    r = almos("run", "-q", "-j", "2", "-t", "2x2x4", userland("fault_null_thread"))
    assert r.returncode == 139
    assert "killed by SIGSEGV" in r.stderr and "write of 0x00000000" in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_thread_count_is_one_line() -> None:
    for bad in ("0", "257", "two"):
        r = almos("run", "-j", bad, userland("hello"))
        assert r.returncode == 2
        assert len(r.stderr.strip().splitlines()) == 1 and "--host-threads" in r.stderr


def test_barriers_hold_with_short_slices(tmp_path: Path) -> None:
    """A barrier call that blocks its thread may end the core's slice past its deadline; the
    core must not go on running that thread in C (emulator/native/core.c's rounds)."""
    exe = almos_gcc(tmp_path, "barrier_check")
    for _ in range(2):
        r = almos("run", "-q", "-j", "2", "-t", "2x2x1", "--cache", "off", "--quantum", "200",
                  str(exe), "4")
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.split() == ["early", "0"]
