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

from almos.emulator.elf import parse_elf
from almos.emulator.topology import load_topology
from almos.kernel.kern.kernel import CLOCK_HZ, PTI_VAL_MAX, TICK, Kernel
from almos.kernel.kern.stats import collect
from almos.session import Options, build

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


@pytest.mark.parametrize(("topology", "seconds"), [("1x1x1", 100000), ("2x2x4", 100)])
def test_idle_time_jumps(limits: str, tmp_path: Path, topology: str, seconds: int) -> None:
    """sleep(100000) used to take hours of host time: a tick every millisecond, each handled
    by the kernel. Now the clock ends where ticking would have left it, in a few ticks (one
    per wake-up, and one per 2^32 cycles the timer register can count)."""
    stats = tmp_path / "s.json"
    r = almos("run", "-t", topology, "--stats", str(stats), limits, "sleep", str(seconds))
    assert (r.returncode, r.stdout, r.stderr) == (0, f"slept {seconds}\n", "")
    summary = json.loads(stats.read_text())["summary"]
    cycles = summary["cycles"]
    chunks = -(-seconds // LIBC_SLEEP_CHUNK)             # each ends on the next tick
    assert seconds * CLOCK_HZ <= cycles < seconds * CLOCK_HZ + chunks * 2 * TICK
    jumps = cycles // (PTI_VAL_MAX - TICK) + 2 * chunks
    assert 0 < summary["ticks"] <= jumps < cycles // TICK // 1000


def _run_inprocess(exe: str, topology: str, argv: list[str]) -> dict:
    machine, kernel = build(Options(load_topology(topology), cache="off"))
    p = kernel.spawn(parse_elf(Path(exe).read_bytes(), exe), argv, [])
    machine.run()
    assert p.exit_status == 0
    return collect(kernel, 1.0, "off")


@pytest.mark.parametrize(("topology", "argv"), [("1x1x1", ["limits", "sleep", "3"]),
                                                ("1x1x2", ["limits", "tickless"])])
def test_idle_jumps_keep_the_cycles_exact(limits: str, topology: str, argv: list[str],
                                          monkeypatch: pytest.MonkeyPatch, capfd) -> None:
    """The same run with every idle tick handled (the kernel's tickless step turned off):
    every core's clock, every thread's cycles and instructions are the same, in fewer ticks.
    (tickless: core 1 gets work while its ticks are postponed; the tick that would have
    passed meanwhile must still preempt the spinning thread at once.)"""
    jumped = _run_inprocess(limits, topology, argv)
    monkeypatch.setattr(Kernel, "_tickless", lambda self, core, s, wake: None)
    stepped = _run_inprocess(limits, topology, argv)
    out = capfd.readouterr().out
    assert out.count(out[:len(out) // 2]) == 2 and out[-1] == "\n"      # said twice
    for key in ("cores", "threads", "processes"):
        assert jumped[key] == stepped[key], key
    assert jumped["summary"]["ticks"] < stepped["summary"]["ticks"]
    if argv[1] == "sleep":
        assert jumped["summary"]["cycles"] > 3 * CLOCK_HZ
        assert jumped["summary"]["ticks"] * 100 < stepped["summary"]["ticks"]


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
