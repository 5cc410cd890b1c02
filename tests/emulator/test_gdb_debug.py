"""emulator/debug.py in process: breakpoint, watchpoint and step hooks on a bare-metal run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from almos.emulator.debug import CoreDebugger, CoreStop, StopKind, WatchKind, is_branch
from almos.emulator.elf import Elf, parse_elf
from almos.emulator.gdbtarget import BareMetalTarget
from almos.emulator.machine import Machine
from almos.emulator.topology import Topology

CC = "mipsel-linux-gnu-gcc"
CFLAGS = ("-g", "-O0", "-static", "-nostdlib", "-fno-pic", "-mno-abicalls")
PROG = Path(__file__).resolve().parent / "gdbprogs" / "cores.c"
RAM = 8 << 20
OP_SW = 0x2B
CALLS = 10                                # cores.c: calls of square() per core


@pytest.fixture(scope="module")
def elf(tmp_path_factory: pytest.TempPathFactory) -> Elf:
    if shutil.which(CC) is None:
        pytest.fail(f"{CC} not found: run `make debs`")
    exe = tmp_path_factory.mktemp("dbg") / "cores"
    subprocess.run([CC, *CFLAGS, "-o", str(exe), str(PROG)], check=True)
    return parse_elf(exe.read_bytes())


def setup(elf: Elf, gids: list[int]) -> tuple[Machine, BareMetalTarget, CoreDebugger,
                                              list[CoreStop]]:
    machine = Machine(Topology(1, 1, 2, RAM))
    target = BareMetalTarget(machine, elf, gids)
    stops: list[CoreStop] = []
    dbg = CoreDebugger(machine, target.thread_on, stops.append,
                       lambda tid, va: target.translate(tid, va, False))
    return machine, target, dbg, stops


def insn(machine: Machine, va: int) -> int:
    return machine.memory.read32(va)          # MMU off in cluster 0: va = pa


def test_is_branch() -> None:
    assert is_branch(0x1000000E)              # b
    assert is_branch(0x0C100069)              # jal
    assert is_branch(0x03E00008)              # jr ra
    assert is_branch(0x1440FFF0)              # bnez
    assert not is_branch(0x8FC20014)          # lw
    assert not is_branch(0x0000000C)          # syscall


def test_breakpoint_stops_every_core_on_every_call_and_each_runs_through_once(
        elf: Elf) -> None:
    # cores.c: core n calls square(n + i) for i in 0..9. With the breakpoint left in and
    # each stop resumed by a plain continue (resume_from), every core must stop before each
    # of its own calls exactly once: a skip applied to the wrong core, or not at all, or
    # kept too long, changes some core's sequence of arguments.
    machine, target, dbg, stops = setup(elf, [0, 1])
    square = elf.symbols["square"]
    dbg.add_breakpoint(square)
    seen: dict[int, list[int]] = {0: [], 1: []}
    for _ in range(2 * CALLS * 2):            # twice the stops due: a livelock fails, not hangs
        stops.clear()
        if target.run():
            break
        assert len(stops) == 1 and stops[0].kind == StopKind.BREAKPOINT, stops
        core = stops[0].core
        assert core.pc == square and stops[0].tid == core.gid + 1
        seen[core.gid].append(core.reg("a0"))
        dbg.resume_from(stops[0])
    assert seen == {n: [n + i for i in range(CALLS)] for n in (0, 1)}, seen
    assert target.exit_status() == ("exited", 3)


def test_write_watch_stops_before_the_store_with_memory_unchanged(elf: Elf) -> None:
    machine, target, dbg, stops = setup(elf, [0])
    counter = elf.symbols["counter"]
    assert dbg.add_watchpoint(WatchKind.WRITE, counter, 4, 1)
    target.run()
    dbg.settle()
    assert len(stops) == 1 and stops[0].kind == StopKind.WATCHPOINT
    core = stops[0].core
    assert stops[0].data_address == counter
    assert core.pc == stops[0].pc and insn(machine, core.pc) >> 26 == OP_SW
    assert machine.memory.read32(counter) == 0          # put back: not written yet
    dbg.remove_watchpoint(WatchKind.WRITE, counter, 4)
    assert dbg.step(core, 1, insn(machine, core.pc), target.run)
    assert machine.memory.read32(counter) == 1
    assert core.pc == stops[0].pc + 4


def test_step_runs_a_branch_with_its_delay_slot(elf: Elf) -> None:
    machine, target, dbg, stops = setup(elf, [0])
    work = elf.symbols["work"]
    pc = work
    while not is_branch(insn(machine, pc)):
        pc += 4
    dbg.add_breakpoint(pc)
    target.run()
    dbg.remove_breakpoint(pc)
    core = stops[0].core
    branch = insn(machine, pc)
    target_pc = (pc + 4 + ((branch & 0xFFFF) - ((branch & 0x8000) << 1)) * 4) & 0xFFFF_FFFF
    assert dbg.step(core, 1, branch, target.run)
    assert core.pc == target_pc
    assert dbg.step(core, 1, insn(machine, core.pc), target.run)
    assert core.pc == target_pc + 4
