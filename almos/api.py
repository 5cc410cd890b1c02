"""The Python API (docs/API.md): describe a machine from a preset or parameters, run a program
or boot a disk image on it, get the guest's stdout and stderr and the statistics as objects.

    from almos.api import Machine
    result = Machine("2x2x4").run("userland/build/hello")
    result.stdout, result.status, result.stats.summary.instructions

The `almos` command is a layer on it: `almos run` calls run_program, as Machine.run does.
Every error the user can cause is an AlmosError with a one-line message.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from almos.emulator.config import ConfigError, MachineConfig, load_config, read_input_file
from almos.emulator.devices.tty import HostConsole
from almos.emulator.elf import ElfError, parse_elf
from almos.emulator.memory import MemoryError_
from almos.emulator.timing import TimingParams
from almos.emulator.topology import TopologyError
from almos.kernel.kern.costs import KernelCosts
from almos.kernel.kern.exec import LoadError
from almos.kernel.kern.kernel import Kernel
from almos.kernel.kern.stats import collect
from almos.kernel.mm.placement import POLICIES
from almos.session import (
    GdbError,
    Options,
    StatsError,
    boot,
    build,
    finish,
    machine_status,
    mount,
    run_machine,
)

MAX_PROGRAM = 256 << 20          # bytes of an ELF file; a bigger one is refused unread
PROGRAM_ENV = ["PATH=/bin", "HOME=/"]
CACHE_MODES = ("timing", "stats", "off")


class AlmosError(Exception):
    """Bad input (a topology, a parameter, a program, an image): the message is one line."""


class AlmosRunError(AlmosError):
    """The machine hit a limit of the host while running (out of host memory)."""


def configure(topology: str | None = None, memory: str | None = None, l1: str | None = None,
              l2: str | None = None, settings: Iterable[str] = ()) -> MachineConfig:
    """The machine and its parameters: the defaults, then the preset's (topology: a preset
    name, a preset file PATH.toml or XxYxP; None: the default preset), then settings
    ('timing.NAME=VALUE', 'kernel.NAME=VALUE')."""
    try:
        return load_config(topology, memory, l1, l2, tuple(settings),
                           {"timing": TimingParams(), "kernel": KernelCosts()})
    except TopologyError as e:
        raise AlmosError(str(e)) from None


def run_program(opts: Options, program: str, args: Sequence[str] = (),
                disk: str | None = None) -> int:
    """Run a program file on a fresh machine (disk: a FAT32 image mounted at /); write the
    statistics opts asks for; almos's exit status (the guest's, 128 + signal if killed)."""
    kernel, status, started = _run_program(opts, program, args, disk)
    try:
        finish(opts, kernel, started)
    except StatsError as e:
        raise AlmosError(str(e)) from None
    return status


def _run_program(opts: Options, program: str, args: Sequence[str],
                 disk: str | None) -> tuple[Kernel, int, float]:
    try:
        elf = parse_elf(read_input_file(program, MAX_PROGRAM, "program"), program)
    except (ConfigError, ElfError) as e:
        raise AlmosError(str(e)) from None
    vfs = None
    if disk is None:
        machine, kernel = build(opts)
    else:
        from almos.kernel.kern.boot import BootError
        try:
            machine, kernel, vfs = mount(opts, disk)
        except BootError as e:
            raise AlmosError(str(e)) from None
    started = time.perf_counter()
    try:
        p = kernel.spawn(elf, [program, *args], PROGRAM_ENV)
        started = time.perf_counter()
        run_machine(opts, machine, kernel, p)
    except (GdbError, LoadError) as e:
        raise AlmosError(str(e)) from None
    except MemoryError_ as e:
        raise AlmosRunError(str(e)) from None
    finally:
        if vfs is not None:
            vfs.power_off()
    sys.stdout.flush()
    return kernel, machine_status(machine, p), started


def boot_image(opts: Options, image: str) -> int:
    """Boot a FAT32 image (/bin/init, then the shell on the console); init's exit status."""
    from almos.kernel.kern.boot import BootError
    try:
        return boot(opts, image)
    except (BootError, GdbError, StatsError) as e:
        raise AlmosError(str(e)) from None
    except MemoryError_ as e:
        raise AlmosRunError(str(e)) from None


# ---- results as objects ----------------------------------------------------------------------
class Record:
    """A statistics table as an object: `stats.summary.instructions`, `stats.cores[0].l1d.hits`
    (the keys of the --stats JSON, README "Statistics"); `record["key"]` works too."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        try:
            return _wrap(self._data[name])
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return _wrap(self._data[key])

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def __dir__(self) -> list[str]:
        return sorted(self._data)

    def __repr__(self) -> str:
        return f"Record({', '.join(self._data)})"

    def to_dict(self) -> dict[str, Any]:
        return dict(self._data)


def _wrap(value: Any) -> Any:
    if isinstance(value, Mapping):
        return Record(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class Stats(Record):
    """The statistics of one run: the --stats JSON's tables as attributes."""

    def to_json(self) -> str:
        return json.dumps(self._data, indent=1) + "\n"

    def to_csv(self) -> str:
        from almos import report
        return report.to_csv(dict(self._data))

    def tables(self) -> str:
        """The tables `--stats -` prints (plain text)."""
        from almos import report
        out = io.StringIO()
        report.print_stats(dict(self._data), out)
        return out.getvalue()


@dataclass(frozen=True)
class Result:
    """One run: almos's exit status (the guest's; 128 + signal if killed), what the guest
    wrote on stdout and stderr (with the kernel's `almos:` lines on stderr), the statistics."""

    status: int
    stdout: bytes
    stderr: bytes
    stats: Stats

    @property
    def out(self) -> str:
        return self.stdout.decode(errors="replace")

    @property
    def err(self) -> str:
        return self.stderr.decode(errors="replace")


class Machine:
    """A machine description. Each run() or boot() powers on a fresh machine built from it,
    so runs do not disturb one another."""

    def __init__(self, topology: str | None = None, *, memory: str | None = None,
                 l1: str | None = None, l2: str | None = None,
                 settings: Mapping[str, Any] | Iterable[str] = (), placement: str = "almos",
                 cache: str = "timing", balance: bool = False,
                 max_instructions: int | None = None, trace: Iterable[str] = (),
                 host_threads: int = 1) -> None:
        if isinstance(settings, Mapping):
            settings = [f"{k}={v}" for k, v in settings.items()]
        if placement not in POLICIES:
            raise AlmosError(f"unknown placement '{placement}' (one of "
                             f"{', '.join(sorted(POLICIES))})")
        if cache not in CACHE_MODES:
            raise AlmosError(f"unknown cache mode '{cache}' (one of {', '.join(CACHE_MODES)})")
        if not isinstance(host_threads, int) or not 1 <= host_threads <= 256:
            raise AlmosError(f"bad host_threads {host_threads!r}: from 1 to 256")
        from almos.trace import TraceError, parse_categories
        trace = list(trace)
        try:
            categories = parse_categories(",".join(trace)) if trace else frozenset()
        except TraceError as e:
            raise AlmosError(str(e)) from None
        self.config = configure(topology, memory, l1, l2, settings)
        self._opts = Options(self.config.topology, placement, cache,
                             max_instructions=max_instructions, timing=self.config.timing,
                             costs=self.config.params["kernel"],  # type: ignore[arg-type]
                             balance=balance, quiet=True,
                             trace=categories, host_threads=host_threads)

    @property
    def topology(self):
        """emulator.topology.Topology: the mesh, cores, memory, caches."""
        return self.config.topology

    def run(self, program: str | Path, args: Sequence[str] = (), *,
            input: bytes | str = b"", disk: str | Path | None = None) -> Result:
        """Run a static MIPS32 program (built with almos-gcc); input is its stdin."""
        def go(opts: Options) -> tuple[Kernel, int]:
            kernel, status, _ = _run_program(opts, str(program), [str(a) for a in args],
                                             None if disk is None else str(disk))
            return kernel, status
        return self._captured(go, input)

    def boot(self, image: str | Path, input: bytes | str = b"") -> Result:
        """Boot a FAT32 image: input is what is typed on the console (shell commands)."""
        def go(opts: Options) -> tuple[Kernel, int]:
            kernels: list[Kernel] = []
            status = boot_image(replace(opts, on_kernel=kernels.append), str(image))
            return kernels[0], status
        return self._captured(go, input)

    def _captured(self, go, input: bytes | str) -> Result:
        data = input.encode() if isinstance(input, str) else bytes(input)
        out, err = io.BytesIO(), io.BytesIO()
        with tempfile.TemporaryFile() as stdin:
            stdin.write(data)
            stdin.seek(0)
            opts = replace(self._opts, console=HostConsole(stdin.fileno(), out), stderr=err)
            started = time.perf_counter()
            kernel, status = go(opts)
        stats = Stats(collect(kernel, time.perf_counter() - started, opts.cache))
        return Result(status, out.getvalue(), err.getvalue(), stats)
