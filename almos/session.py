"""A session: build the machine and the kernel from command-line choices, run, report.

Shared by `almos run` and `almos boot`; keeps the CLI thin.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from almos.emulator.cache import CacheConfig, CacheSystem
from almos.emulator.devices.ioc import ImageLockedError
from almos.emulator.devices.tty import HostConsole
from almos.emulator.machine import Machine
from almos.emulator.timing import TimingParams
from almos.emulator.topology import Topology
from almos.kernel.fs.vfs import Vfs
from almos.kernel.kern.boot import BootError, check_image, mount_root, start_init
from almos.kernel.kern.costs import KernelCosts
from almos.kernel.kern.kernel import Kernel
from almos.kernel.kern.process import Process
from almos.kernel.kern.stats import collect
from almos.kernel.syscalls.syscalls import SERVICES

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
    gdb_port: int | None = None         # --gdb PORT: run under the GDB stub (kernel/kern/debug.py)
    gdb_wait: bool = False              # --gdb-wait: start only once gdb has connected
    timing: TimingParams = field(default_factory=TimingParams)   # the hardware's costs
    costs: KernelCosts = field(default_factory=KernelCosts)      # the kernel's costs
    balance: bool = False               # --balance on: the kernel's load balancer
    stats_csv: str | None = None        # --stats-csv FILE: per-core and per-cluster rows
    quiet: bool = False                 # -q: no status line on the terminal
    trace: frozenset[str] = frozenset()  # --trace: the kernel's event categories to write
    trace_file: str | None = None       # --trace-file FILE: the trace there, not on stderr
    console: HostConsole | None = None  # the guest's console (None: the host's stdin, stdout)
    stderr: BinaryIO | None = None      # the guest's stderr and the kernel's lines (None: ours)
    on_kernel: Callable[[Kernel], None] | None = None   # told the kernel build() made
    host_threads: int = 1               # --host-threads: 1 is exactly repeatable (machine.py)



def build(opts: Options, disk: str | None = None) -> tuple[Machine, Kernel]:
    topo, timing = opts.topology, opts.timing
    console = opts.console if opts.console is not None else HostConsole()
    # a debugger stops and steps the machine as a whole: one host thread under --gdb
    threads = 1 if opts.gdb_port is not None else opts.host_threads
    machine = Machine(topo, disk=disk, console=console, timing=timing, host_threads=threads)
    if opts.cache != "off":
        cfg = CacheConfig.from_strings(l1=topo.l1, l2=topo.l2, timing=timing)
        cache = CacheSystem(cfg, topo.x_size, topo.y_size, topo.cores_per_cluster, topo.ncores,
                            serialize=threads > 1)
        machine.attach_cache(cache, CACHE_MODES[opts.cache])
    kernel = Kernel(machine, opts.placement, stderr=opts.stderr, costs=opts.costs,
                    balance=opts.balance, services=SERVICES)
    kernel.max_instructions = opts.max_instructions
    kernel.max_cycles = opts.max_cycles
    kernel.timeout = opts.timeout
    _observe(opts, kernel)
    if opts.on_kernel is not None:
        opts.on_kernel(kernel)
    return machine, kernel



def mount(opts: Options, image: str) -> tuple[Machine, Kernel, Vfs]:
    """A machine and kernel with the image's FAT32 volume at / and devfs at /dev (used by
    `almos boot`, and by `almos run --disk`). The caller powers the Vfs off at the end."""
    check_image(image)
    try:
        machine, kernel = build(opts, disk=image)
    except ImageLockedError as e:
        raise BootError(str(e)) from None
    return machine, kernel, mount_root(kernel, image)


def boot(opts: Options, image: str) -> int:
    """Boot the image (kernel/kern/boot.py); the exit status is init's (as a shell would
    report it)."""
    machine, kernel, vfs = mount(opts, image)
    try:
        p = start_init(machine, kernel, vfs, image)
        started = time.perf_counter()
        run_machine(opts, machine, kernel, p)
    finally:
        vfs.power_off()
    finish(opts, kernel, started)
    return machine_status(machine, p)

def _observe(opts: Options, kernel: Kernel) -> None:
    """The kernel's observer (almos/trace.py): --trace lines, and the fault reports."""
    from almos.trace import Tracer
    out = None
    if opts.trace_file is not None:
        try:
            out = open(opts.trace_file, "w", buffering=1)  # noqa: SIM115 (lives with the run)
        except OSError as e:
            raise StatsError(f"cannot write the trace to {opts.trace_file}: "
                             f"{e.strerror}") from None
    kernel.tracer = Tracer(kernel, opts.trace, out)


class StatsError(Exception):
    """The statistics cannot be written; the message is one line."""


class GdbError(Exception):
    """The GDB stub cannot listen on the port asked for; the message is one line."""


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (Ctrl-C's SIGINT, or SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
INTERRUPTS_UNSEEN = 2        # Ctrl-Cs the kernel has not taken yet before the host stops


def run_machine(opts: Options, machine: Machine, kernel: Kernel,
                process: Process | None = None) -> None:
    """Run the machine to its end; with --gdb, under the GDB stub (gdb may attach any time,
    with --gdb-wait before anything runs). process: the program (its exit status goes to gdb).
    Ctrl-C is SIGINT for the guest's foreground programs (kernel/devices/console.py); SIGTERM (or
    Ctrl-Cs the kernel does not take) stops the machine at the next slice boundary; the
    statistics of the run so far are written, then Interrupted goes on up (a second signal
    interrupts at once)."""
    started = time.perf_counter()
    if opts.timeout is not None:
        kernel.deadline = time.monotonic() + opts.timeout
    try:
        with _status_line(opts, machine, kernel):
            if opts.gdb_port is not None:
                _serve_gdb(opts, kernel, process)
            else:
                with _stop_on_signals(machine) as stopped:
                    machine.run()
                if stopped:
                    raise Interrupted(stopped[0])
    except KeyboardInterrupt:
        finish(opts, kernel, started)
        raise


@contextmanager
def _stop_on_signals(machine: Machine) -> Iterator[list[int]]:
    """While the machine runs, SIGINT and SIGTERM (unless ignored) ask it to stop between two
    slices, where its state is whole; the list yielded gets the signal's number."""
    stopped: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield stopped                           # only the main thread may handle signals
        return
    console = machine.tty.console

    def stop(signum: int, frame: object) -> None:
        if signum == signal.SIGINT and console is not None:
            console.interrupt()                 # Ctrl-C: SIGINT in the guest (console.py)
            if console.interrupts <= INTERRUPTS_UNSEEN:
                return                          # unless the kernel stopped looking: stop
        if stopped:
            raise Interrupted(signum)           # asked twice: now
        stopped.append(signum)
        machine.stop_requested = True
    previous = {s: h for s in STOP_SIGNALS    # not an ignored one (a background job's SIGINT)
                if (h := signal.getsignal(s)) is not signal.SIG_IGN}
    for s in previous:
        signal.signal(s, stop)
    if console is not None:
        console.keys_on()                       # Ctrl-A x at once on a terminal
    try:
        yield stopped
    finally:
        if console is not None:
            console.keys_off()
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)


@contextmanager
def _status_line(opts: Options, machine: Machine, kernel: Kernel) -> Iterator[None]:
    """On a terminal (and without -q), the live status line (almos/progress.py); what else
    writes on that terminal (the guest's console, the kernel's messages) erases it first."""
    from almos import progress
    if not progress.wanted(opts.quiet):
        yield
        return
    status = progress.StatusLine(kernel)
    console = machine.tty.console
    streams: list[tuple[object, str]] = [(kernel, "stderr")]
    if console is not None and progress.same_terminal(console.out, sys.stderr):
        streams.append((console, "out"))
    saved = [getattr(obj, name) for obj, name in streams]
    for obj, name in streams:
        setattr(obj, name, progress.Guarded(getattr(obj, name), status))
    status.attach()
    try:
        yield
    finally:
        status.close()
        for (obj, name), stream in zip(streams, saved, strict=True):
            setattr(obj, name, stream)


def _serve_gdb(opts: Options, kernel: Kernel, process: Process | None) -> None:
    from almos.emulator.gdbstub import LOCALHOST, GdbServer
    from almos.kernel.kern.debug import KernelTarget
    target = KernelTarget(kernel, process)
    port = opts.gdb_port or 0                  # (run_machine comes here with a port)
    try:
        server = GdbServer(target, port)
    except OSError as e:
        raise GdbError(f"gdb stub: cannot listen on {LOCALHOST}:{opts.gdb_port}: "
                       f"{e.strerror or e}") from None
    print(f"almos: gdb stub listening on {LOCALHOST}:{server.port}", file=sys.stderr,
          flush=True)
    server.serve(wait=opts.gdb_wait)


def finish(opts: Options, kernel: Kernel, started: float) -> None:
    """Write the statistics asked for: --stats FILE (JSON, or CSV for FILE.csv), --stats -
    (tables on stderr), --stats-csv FILE."""
    if opts.stats is None and opts.stats_csv is None:
        return
    from almos import report
    data = collect(kernel, time.perf_counter() - started, opts.cache)
    if opts.stats is not None and opts.stats != "-":
        _write(opts.stats, report.to_csv(data) if is_csv(opts.stats)
               else json.dumps(data, indent=1) + "\n")
    if opts.stats_csv is not None:
        _write(opts.stats_csv, report.to_csv(data))
    if opts.stats == "-":                       # last: the files are written even if
        sys.stderr.flush()                      # stderr goes to a pipe closed early
        report.print_stats(data, sys.stderr)


def is_csv(path: str) -> bool:
    """--stats FILE.csv writes CSV rather than JSON."""
    return path.lower().endswith(".csv")


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text)
    except OSError as e:
        raise StatsError(f"cannot write statistics to {path}: {e.strerror}") from None


def machine_status(machine: Machine, process: Process) -> int:
    """almos's exit status: the process's, or 0 when the user quit with Ctrl-A x (QEMU's)."""
    console = machine.tty.console
    if console is not None and console.quit:
        return 0
    return exit_code(process.exit_status)


def exit_code(status: int | None) -> int:
    """A Linux wait status -> a shell exit status (128 + signal for a killed process)."""
    if status is None:
        return 1
    if status & 0x7F:
        return 128 + (status & 0x7F)
    return (status >> 8) & 0xFF
