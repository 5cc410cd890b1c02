"""A session: build the machine and the kernel from command-line choices, run, report.

Shared by `almos run` and `almos boot`; keeps the CLI thin.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from emulator.cache import CacheConfig, CacheSystem
from emulator.devices.tty import HostConsole
from emulator.machine import Machine
from emulator.timing import TimingParams
from emulator.topology import Topology
from kernel.costs import KernelCosts
from kernel.kernel import Kernel
from kernel.process import Process
from kernel.stats import collect

CACHE_MODES = {"off": 0, "stats": 1, "timing": 2}


@dataclass
class Options:
    topology: Topology
    placement: str = "almos"
    cache: str = "timing"
    stats: str | None = None
    max_instructions: int | None = None
    max_cycles: int | None = None       # --max-cycles: kill everything at this clock
    timeout: float | None = None        # --timeout: ... after these seconds of host time
    gdb_port: int | None = None         # --gdb PORT: run under the GDB stub (kernel/debug.py)
    gdb_wait: bool = False              # --gdb-wait: start only once gdb has connected
    timing: TimingParams = field(default_factory=TimingParams)   # the hardware's costs
    costs: KernelCosts = field(default_factory=KernelCosts)      # the kernel's costs


def build(opts: Options, disk: str | None = None) -> tuple[Machine, Kernel]:
    topo, timing = opts.topology, opts.timing
    machine = Machine(topo, disk=disk, console=HostConsole(), timing=timing)
    if opts.cache != "off":
        cfg = CacheConfig.from_strings(l1=topo.l1, l2=topo.l2, timing=timing)
        cache = CacheSystem(cfg, topo.x_size, topo.y_size, topo.cores_per_cluster, topo.ncores)
        machine.attach_cache(cache, CACHE_MODES[opts.cache])
    kernel = Kernel(machine, opts.placement, costs=opts.costs)
    kernel.max_instructions = opts.max_instructions
    kernel.max_cycles = opts.max_cycles
    kernel.timeout = opts.timeout
    return machine, kernel


class StatsError(Exception):
    """The statistics cannot be written; the message is one line."""


class GdbError(Exception):
    """The GDB stub cannot listen on the port asked for; the message is one line."""


def run_machine(opts: Options, machine: Machine, kernel: Kernel,
                process: Process | None = None) -> None:
    """Run the machine to its end; with --gdb, under the GDB stub (gdb may attach any time,
    with --gdb-wait before anything runs). process: the program (its exit status goes to gdb)."""
    if opts.timeout is not None:
        kernel.deadline = time.monotonic() + opts.timeout
    if opts.gdb_port is None:
        machine.run()
        return
    from emulator.gdbstub import LOCALHOST, GdbServer
    from kernel.debug import KernelTarget
    target = KernelTarget(kernel, process)
    try:
        server = GdbServer(target, opts.gdb_port)
    except OSError as e:
        raise GdbError(f"gdb stub: cannot listen on {LOCALHOST}:{opts.gdb_port}: "
                       f"{e.strerror or e}") from None
    print(f"almos: gdb stub listening on {LOCALHOST}:{server.port}", file=sys.stderr,
          flush=True)
    server.serve(wait=opts.gdb_wait)


def finish(opts: Options, kernel: Kernel, started: float) -> None:
    if opts.stats is None:
        return
    data = collect(kernel, time.perf_counter() - started, opts.cache)
    if opts.stats == "-":
        from almos.report import render
        sys.stderr.write(render(data))
    else:
        try:
            Path(opts.stats).write_text(json.dumps(data, indent=1) + "\n")
        except OSError as e:
            raise StatsError(f"cannot write statistics to {opts.stats}: {e.strerror}") from None


def exit_code(status: int | None) -> int:
    """A Linux wait status -> a shell exit status (128 + signal for a killed process)."""
    if status is None:
        return 1
    if status & 0x7F:
        return 128 + (status & 0x7F)
    return (status >> 8) & 0xFF
