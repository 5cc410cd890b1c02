"""What keeps a run alive, and what ends it: idle time is one jump (a sleeping guest costs no
host time, its clock ends where ticking would have left it), `--max-cycles` and `--timeout`
kill every process in one line, `almos run` ends with its program and `almos boot` with the
shell's exit, whatever still runs (progs/limits.c)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ALMOS_GCC, PROGS, ROOT, Disk

from kernel.kernel import CLOCK_HZ, TICK

ALMOS = [sys.executable, "-m", "almos.cli"]
HANG = 120               # seconds: a run still going then is a hang
LIBC_SLEEP_CHUNK = 4000  # seconds: libc_stubs' sleep() asks the kernel for at most this


@pytest.fixture(scope="module")
def limits(tmp_path_factory) -> str:
    exe = tmp_path_factory.mktemp("limits") / "limits"
    subprocess.run([str(ALMOS_GCC), "-O2", "-Wall", "-o", str(exe), str(PROGS / "limits.c")],
                   check=True, capture_output=True)
    return str(exe)


def almos(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([*ALMOS, *args], input=stdin, capture_output=True, text=True,
                          timeout=HANG, cwd=ROOT)


def killed_line(stderr: str, why: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("almos: ") and why in lines[0], stderr
    assert "killed by SIGKILL" in lines[0]
    return lines[0]


def test_sleeping_costs_no_host_time(limits: str, tmp_path: Path) -> None:
    """sleep(100000) used to take hours of host time (a tick every millisecond)."""
    stats = tmp_path / "s.json"
    r = almos("run", "-t", "1x1x1", "--stats", str(stats), limits, "sleep", "100000")
    assert (r.returncode, r.stdout, r.stderr) == (0, "slept 100000\n", "")
    cycles = json.loads(stats.read_text())["summary"]["cycles"]
    chunks = 100000 // LIBC_SLEEP_CHUNK                  # each ends on the next tick
    assert 100000 * CLOCK_HZ <= cycles < 100000 * CLOCK_HZ + chunks * 2 * TICK


def test_an_idle_core_ticks_again_when_it_gets_work(limits: str) -> None:
    """Core 1 idles until its sleeper wakes in 100 s; two threads then arrive there, one
    spinning until the other runs: only its tick lets the second run."""
    r = almos("run", "-t", "1x1x2", "--max-cycles", str(10 * CLOCK_HZ), limits, "tickless")
    assert (r.returncode, r.stdout, r.stderr) == (0, "preempted\n", "")


@pytest.mark.parametrize("what", [["sleep", "100000"], ["spin"]])
def test_cycle_limit(limits: str, what: list[str]) -> None:
    r = almos("run", "-t", "1x1x1", "--max-cycles", str(CLOCK_HZ), limits, *what)
    assert r.returncode == 137 and r.stdout == ""
    line = killed_line(r.stderr, "cycle limit reached")
    cycles = int(line.split("(")[1].split()[0])
    assert CLOCK_HZ <= cycles < CLOCK_HZ + 2 * TICK


def test_timeout_of_a_busy_guest(limits: str) -> None:
    r = almos("run", "--timeout", "1", limits, "spin")
    assert r.returncode == 137
    killed_line(r.stderr, "time limit reached (1 s of host time)")


def test_timeout_of_a_guest_waiting_for_input(limits: str) -> None:
    """stdin stays open and silent: the guest waits, the host time runs out."""
    p = subprocess.Popen([*ALMOS, "run", "--timeout", "1.5", limits, "read"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, cwd=ROOT)
    try:
        p.wait(timeout=HANG)
    finally:
        p.kill()
        out, err = p.communicate()
    assert p.returncode == 137 and out == ""
    killed_line(err, "time limit reached (1.5 s of host time)")


@pytest.mark.parametrize("opt", [["--timeout", "0"], ["--timeout", "-1"], ["--timeout", "nan"],
                                 ["--timeout", "1e400"], ["--max-cycles", "0"],
                                 ["--max-cycles", "x"]])
def test_bad_limits_are_one_line(limits: str, opt: list[str]) -> None:
    r = almos("run", *opt, limits, "sleep")
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("almos: ")


def test_run_ends_with_its_program(limits: str) -> None:
    """The program exits, its child sleeps forever: the run ends, the child killed."""
    r = almos("run", "-t", "1x1x2", limits, "orphan")
    assert (r.returncode, r.stdout) == (0, "parent done\n")
    line = killed_line(r.stderr, "(limits) ended")
    assert line.count("pid") == 2                       # the program, then its child


def test_shell_exit_powers_off_what_still_runs(disk: Disk, boot, limits: str) -> None:
    disk.put(Path(limits), "/bin/limits")
    r = boot(disk.path, ["limits orphan", "echo back", "exit 5"])
    assert r.rc == 5, r.err
    assert "parent done\n" in r.out and "back\n" in r.out
    line = killed_line(r.err, "(init) ended")
    assert "(limits)" in line
    disk.fsck()
