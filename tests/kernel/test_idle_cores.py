"""Per-slice work follows the active cores: with the same program, a 64-core machine whose
other cores were all started (and are idle, halted) does the same timer look-ups and usage
refreshes as one where only the cores the program needs were started (emulator/machine.py's
heap of waiting cores' timers, kernel usage refreshed for the cores that can have any).
Counted, not timed."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from almos.emulator.core import Core
from almos.emulator.elf import parse_elf
from almos.emulator.machine import Machine
from almos.emulator.topology import load_topology
from almos.session import Options, build


def counting(monkeypatch) -> Counter:
    """Counts of Machine._next_timer calls (the timer look-ups) and Core.cycles reads."""
    calls: Counter = Counter()
    timer, clock = Machine._next_timer, Core.cycles
    monkeypatch.setattr(Machine, "_next_timer",
                        lambda self, core: (calls.update(["timer"]), timer(self, core))[1])
    monkeypatch.setattr(Core, "cycles", property(
        lambda self: (calls.update(["cycles"]), clock.fget(self))[1], clock.fset))
    return calls


def run(programs: dict[str, Path], start_all: bool, calls: Counter) -> tuple[Counter, int]:
    calls.clear()
    machine, kernel = build(Options(load_topology("4x4x4"), cache="off"))
    if start_all:
        for g in range(machine.topology.ncores):
            machine.core(g)
    exe = programs["hello"].parent / "matmul"        # the userland make built
    p = kernel.spawn(parse_elf(exe.read_bytes(), str(exe)), ["matmul", "-p", "1", "-n", "128"],
                     [])
    machine.run()
    assert p.exit_status == 0
    return Counter(calls), machine.slices


# what starting 63 more cores may cost once (each looked at a few times), not per slice
SLACK = {"timer": 16, "cycles": 8 * 64}


@pytest.mark.parametrize("what", ["timer", "cycles"])
def test_idle_started_cores_cost_no_work(programs, monkeypatch, what: str) -> None:
    calls = counting(monkeypatch)
    few, slices = run(programs, False, calls)
    many, slices_many = run(programs, True, calls)
    assert slices_many == slices and slices > 100
    assert many[what] <= few[what] + SLACK[what], (what, few[what], many[what], slices)
