"""A session: build the machine and the kernel from command-line choices, run, report.

Shared by `almos run` and `almos boot`; keeps the CLI thin.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from emulator.cache import CacheConfig, CacheSystem
from emulator.devices.tty import HostConsole
from emulator.machine import Machine
from emulator.topology import Topology
from kernel.kernel import Kernel
from kernel.stats import collect

CACHE_MODES = {"off": 0, "stats": 1, "timing": 2}


@dataclass
class Options:
    topology: Topology
    placement: str = "almos"
    cache: str = "timing"
    stats: str | None = None
    max_instructions: int | None = None


def build(opts: Options, disk: str | None = None) -> tuple[Machine, Kernel]:
    topo = opts.topology
    machine = Machine(topo, disk=disk, console=HostConsole())
    if opts.cache != "off":
        cfg = CacheConfig.from_strings(l1=topo.l1, l2=topo.l2)
        cache = CacheSystem(cfg, topo.x_size, topo.y_size, topo.cores_per_cluster, topo.ncores)
        machine.attach_cache(cache, CACHE_MODES[opts.cache])
    kernel = Kernel(machine, opts.placement)
    kernel.max_instructions = opts.max_instructions
    return machine, kernel


def finish(opts: Options, kernel: Kernel, started: float) -> None:
    if opts.stats is None:
        return
    data = collect(kernel, time.perf_counter() - started, opts.cache)
    if opts.stats == "-":
        from almos.report import render
        sys.stderr.write(render(data))
    else:
        Path(opts.stats).write_text(json.dumps(data, indent=1) + "\n")


def exit_code(status: int | None) -> int:
    """A Linux wait status -> a shell exit status (128 + signal for a killed process)."""
    if status is None:
        return 1
    if status & 0x7F:
        return 128 + (status & 0x7F)
    return (status >> 8) & 0xFF
