"""The `almos` command: inspect a machine, run a program on it, boot a disk image.

Every user error (bad topology, bad ELF, bad image, bad option) is one line on stderr and
exit status 2; never a traceback.
"""

from __future__ import annotations

import math
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from almos.emulator.bus import SEG_IOC, SEG_MMC, SEG_PIC, SEG_SIZE, SEG_TTY, SEG_XCU
from almos.emulator.cache import CacheGeometry
from almos.emulator.config import (
    MAX_DIGITS,
    PARAM_TABLES,
    ConfigError,
    MachineConfig,
    check_writable,
    default_preset,
    presets,
)
from almos.emulator.timing import TimingParams
from almos.emulator.topology import DEFAULT_RAM, shorten, xy_of
from almos.emulator.ucfix import UnicornMismatch
from almos.kernel.mm.placement import POLICIES

MAX_TIMEOUT = 1e9                # seconds (--timeout): 31 years, and no float overflow


class UserError(click.ClickException):
    """A one-line error for the user; exit status 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"almos: {self.format_message()}", err=True)


class RunError(UserError):
    """The machine hit a limit of the host while running (one line; exit status 1)."""

    exit_code = 1


def _config(topology: str | None, memory: str | None, l1: str | None, l2: str | None,
            settings: tuple[str, ...], quantum: str | None) -> MachineConfig:
    """The machine and its parameters: defaults, then the preset's, then the command line."""
    for name, spec in (("--l1", l1), ("--l2", l2)):
        if spec:
            try:
                CacheGeometry.parse(spec)
            except ValueError as e:
                raise UserError(f"bad {name} '{spec}': {e}") from None
    settings = tuple(settings)
    if quantum is not None:
        if not quantum.isdigit() or len(quantum) > MAX_DIGITS:
            raise UserError(f"bad --quantum '{shorten(quantum)}': expected a number of cycles")
        if any(s.strip().startswith("timing.quantum=") for s in settings):
            raise UserError("--quantum and --set timing.quantum=... both given: give one")
        settings += (f"timing.quantum={quantum}",)
    from almos.api import configure
    with _api_errors():
        return configure(topology, memory, l1, l2, settings)


def _default_machine() -> str:
    """The default preset's name for --help (a broken preset must not break --help)."""
    try:
        return default_preset()
    except ConfigError:
        return "the preset that says default = true"


def _machine_options(fn):
    """Options that choose the machine and its parameters (info, run and boot)."""
    opts = [
        click.option("--topology", "-t", default=None, show_default=_default_machine(),
                     help="XxYxP (mesh X by Y, P cores per cluster) or a preset ("
                     + ", ".join(presets()) + ") or a preset file PATH.toml"),
        click.option("--memory", "-m", default=None, metavar="SIZE",
                     show_default=f"the preset's, else {DEFAULT_RAM >> 20}M",
                     help="RAM per cluster: MiB, or with a unit (64, 64M, 1G)"),
        click.option("--l1", default=None, metavar="S:W:L", show_default="the preset's",
                     help="L1 I/D geometry SIZE:WAYS:LINE, e.g. 16K:4:64"),
        click.option("--l2", default=None, metavar="S:W:L", show_default="the preset's",
                     help="L2 geometry SIZE:WAYS:LINE, e.g. 256K:16:64"),
        click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
                     help="set a parameter, KEY timing.NAME or kernel.NAME (repeatable; "
                     "'almos info' lists them)"),
        click.option("--quantum", default=None, metavar="CYCLES",
                     show_default=f"the preset's, else {TimingParams().quantum}",
                     help="the same as --set timing.quantum=CYCLES: how far cores' clocks "
                     "may drift apart"),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"],
                               "show_default": True})
@click.version_option(None, "--version", "-V", package_name="almos", prog_name="almos",
                      message="%(prog)s %(version)s")
def main() -> None:
    """ALMOS on an emulated TSAR many-core."""


@main.command()
@_machine_options
def info(topology, memory, l1, l2, settings, quantum) -> None:
    """Print the machine, its parameters and its 40-bit physical address map."""
    config = _config(topology, memory, l1, l2, settings, quantum)
    topo = config.topology
    io = topo.io_cxy
    ram = topo.ram_per_cluster
    click.echo(f"machine     {topo.name}: {topo.x_size} x {topo.y_size} mesh, "
               f"{topo.cores_per_cluster} core(s) per cluster")
    click.echo(f"clusters    {topo.nclusters}, cores {topo.ncores}")
    click.echo(f"memory      {ram >> 20} MiB per cluster, {(ram * topo.nclusters) >> 20} MiB total")
    click.echo(f"caches      L1 I/D {topo.l1} per core, L2 {topo.l2} per cluster")
    click.echo(f"I/O cluster ({io >> 4}, {io & 0xF}) cxy {io:#04x}")
    click.echo("")
    _print_params(config)
    click.echo("")
    click.echo("cluster  cxy   segment  physical range")
    for cxy in topo.clusters():
        x, y = xy_of(cxy)
        base = cxy << 32
        segs = [("RAM", 0, ram), ("XCU", SEG_XCU, SEG_SIZE), ("MMC", SEG_MMC, SEG_SIZE)]
        if cxy == io:
            segs += [("IOC", SEG_IOC, SEG_SIZE), ("TTY", SEG_TTY, SEG_SIZE),
                     ("PIC", SEG_PIC, SEG_SIZE)]
        for i, (name, off, size) in enumerate(segs):
            head = f"({x:2},{y:2})  {cxy:#04x}" if i == 0 else " " * 13
            click.echo(f"{head}  {name:7}  {base + off:#012x} - {base + off + size - 1:#012x}")


def _print_params(config: MachineConfig) -> None:
    """One line per parameter: its name, value, where it came from, what it is."""
    click.echo(f"{'parameter':<26} {'value':>11}  {'from':<8} (--set KEY=VALUE to change)")
    for table in PARAM_TABLES:
        params = config.params[table]
        for name, value in params.as_dict().items():
            key = f"{table}.{name}"
            click.echo(f"{key:<26} {value!s:>11}  {config.origin[key]:<8} "
                       f"{params.doc(name)}")


def _common(fn):
    """Options shared by `run` and `boot`."""
    opts = [
        _machine_options,
        click.option("--placement", "-P", default="almos",
                     type=click.Choice(sorted(POLICIES)), help="page placement policy"),
        click.option("--balance", default="off", type=click.Choice(["on", "off"]),
                     help="the kernel's load balancer: moves threads waiting for a loaded "
                     "core to a less loaded one nearby"),
        click.option("--cache", default="timing", type=click.Choice(["timing", "stats", "off"]),
                     help="cache model: timing (stalls counted in cycles), stats "
                     "(counters only), off (fastest)"),
        click.option("--stats", "stats", default=None, metavar="FILE|-", show_default="none",
                     help="write statistics as JSON to FILE (CSV to FILE.csv), or tables on "
                     "stderr with -"),
        click.option("--stats-csv", default=None, metavar="FILE", show_default="none",
                     help="write per-core and per-cluster statistics as CSV to FILE"),
        click.option("--quiet", "-q", is_flag=True, show_default=False,
                     help="no live status line on the terminal"),
        click.option("--trace", default=None, metavar="LIST", show_default="none",
                     help="write a line per kernel event of these kinds: syscalls, faults, "
                     "sched, rpc, exec (comma-separated) or all"),
        click.option("--trace-file", default=None, metavar="FILE", show_default="stderr",
                     help="write the --trace lines to FILE"),
        click.option("--max-instructions", type=click.IntRange(min=1), default=None,
                     metavar="N", show_default="no limit",
                     help="kill every process after this many instructions in all"),
        click.option("--max-cycles", type=click.IntRange(min=1), default=None,
                     metavar="N", show_default="no limit",
                     help="kill every process once a core's clock reaches N cycles"),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True, max=MAX_TIMEOUT),
                     default=None, metavar="SECONDS", show_default="no limit",
                     help="kill every process after this much host (wall-clock) time"),
        click.option("--host-threads", "-j", "host_threads", type=click.IntRange(1, 256),
                     default=1, metavar="N",
                     help="run the cores in N host threads (0 < N <= 256); 1 is exactly "
                     "repeatable, more is faster only for long parallel phases (README: "
                     "host threads)"),
        click.option("--gdb", "gdb", type=click.IntRange(0, 65535), default=None,
                     metavar="PORT", show_default="no stub",
                     help="serve gdb (gdb-multiarch: target remote :PORT) on "
                     "127.0.0.1:PORT; 0 picks a free port (printed)"),
        click.option("--gdb-wait", is_flag=True, show_default=False,
                     help="with --gdb: start the guest only once gdb has connected"),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


def _options(topology, memory, l1, l2, settings, quantum, placement, cache, stats,
             max_instructions, max_cycles=None, timeout=None, gdb=None, gdb_wait=False,
             balance="off", stats_csv=None, quiet=False, trace=None, trace_file=None,
             host_threads=1):
    from almos.session import Options
    from almos.trace import TraceError, parse_categories
    config = _config(topology, memory, l1, l2, settings, quantum)
    try:
        categories = parse_categories(trace) if trace is not None else frozenset()
    except TraceError as e:
        raise UserError(str(e)) from None
    if trace_file is not None and trace is None:
        raise UserError("--trace-file needs --trace LIST")
    if gdb_wait and gdb is None:
        raise UserError("--gdb-wait needs --gdb PORT")
    if timeout is not None and math.isnan(timeout):
        raise UserError("bad --timeout 'nan': expected a number of seconds")
    for path, what in ((stats, "statistics"), (stats_csv, "statistics"),
                       (trace_file, "trace")):
        if path is not None and path != "-":
            try:                                # before the run, not after it
                check_writable(path, what)
            except ConfigError as e:
                raise UserError(str(e)) from None
    return Options(config.topology, placement, cache, stats, max_instructions,
                   max_cycles=max_cycles, timeout=timeout, gdb_port=gdb, gdb_wait=gdb_wait,
                   timing=config.timing, costs=config.params["kernel"], balance=balance == "on",
                   stats_csv=stats_csv, quiet=quiet, trace=categories, trace_file=trace_file,
                   host_threads=host_threads)


@main.command(context_settings={"ignore_unknown_options": True,
                               "allow_interspersed_args": False})
@_common
@click.option("--disk", default=None, metavar="IMAGE",
              help="mount this FAT32 image at / for the program's files")
@click.argument("program", type=click.Path(dir_okay=False))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run(program, args, disk, **kw) -> int:
    """Run a static MIPS32 program (built with libc_stubs/almos-gcc) on the machine.

    The guest's stdout and stderr are the host's; the exit status is the guest's. With
    --disk, the image's FAT32 volume is the guest's / (and /dev its terminals).
    """
    from almos.api import run_program
    if program.startswith("-"):
        raise UserError(f"no such option: {program} (see 'almos run --help')")
    opts = _options(**kw)
    with _api_errors():
        return run_program(opts, program, args, disk)


@main.command()
@_common
@click.argument("image", type=click.Path(dir_okay=False))
def boot(image, **kw) -> int:
    """Boot a FAT32 disk IMAGE: / from the image, /dev, then /bin/init and the shell.

    The guest's terminal (/dev/tty0) is the host's stdin and stdout; with stdin not a
    terminal the shell reads its commands from it. The exit status is init's.
    """
    from almos.api import boot_image
    opts = _options(**kw)
    with _api_errors():
        return boot_image(opts, image)


@contextmanager
def _api_errors() -> Iterator[None]:
    """almos.api's errors: bad input is exit status 2, a host limit 1 (one line each)."""
    from almos.api import AlmosError, AlmosRunError
    try:
        yield
    except AlmosRunError as e:
        raise RunError(str(e)) from None
    except AlmosError as e:
        raise UserError(str(e)) from None


@main.command("plot")
@click.option("--output", "-o", required=True, metavar="FILE.png|FILE.svg",
              help="the figure to write")
@click.argument("stats", nargs=-1, required=True, type=click.Path(dir_okay=False))
def plot_cmd(output, stats) -> None:
    """Plot --stats JSON files: speedup (runs that differ in thread count), cycles per
    placement (runs that differ in placement), the last run's per-core time and traffic."""
    from almos.plot import PlotError, plot
    try:
        plot(stats, output)
    except PlotError as e:
        raise UserError(str(e)) from None


@main.command("sweep")
@click.option("--output", "-o", default=None, metavar="DIR",
              show_default="SPEC-results beside the spec",
              help="where the points, results.csv and plots go")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              show_default="a local process pool",
              help="run the points on this Dask cluster (pip install 'almos[dask]')")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              show_default="the host's CPUs", help="local processes (without --scheduler)")
@click.argument("spec", type=click.Path(dir_okay=False))
def sweep_cmd(spec, output, scheduler, jobs) -> int:
    """Run the product of a SPEC.toml's topologies, placements, thread counts, parameters
    and programs (points already finished are not run again): a table, results.csv, plots."""
    from almos.sweep import SweepError, sweep
    try:
        failed = sweep(spec, output, scheduler, jobs, say=click.echo)
    except SweepError as e:
        raise UserError(str(e)) from None
    return 1 if failed else 0


IMAGE_TOOLS = ("mkfs.fat", "mcopy", "mdel", "make")
IMAGE_TOOL_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


@main.command("image")
@click.argument("image", default="disk.img", type=click.Path(dir_okay=False))
def image_cmd(image) -> None:
    """Make the FAT32 disk IMAGE (/bin: the userland programs, /etc, /home), or update an
    existing one in place: changed programs to /bin; /home, the user's files, untouched."""
    import shutil
    import subprocess
    from pathlib import Path

    from almos.resources import image_recipe_dir, userland_dir
    missing = [t for t in IMAGE_TOOLS if shutil.which(t, path=IMAGE_TOOL_PATH) is None]
    if missing:
        raise RunError(f"cannot make a disk image without {', '.join(missing)} (Debian: "
                       "apt-get install dosfstools mtools make)")
    target = Path(image).resolve()
    build = target.with_name(f".{target.name}.build")      # what an update needs to know
    r = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(image_recipe_dir()),
                        f"IMAGE={target}", f"USERLAND={userland_dir()}", f"BUILD={build}"],
                       env={**os.environ, "PATH": IMAGE_TOOL_PATH})
    if r.returncode != 0:
        raise RunError(f"cannot make {image}: the image recipe failed (above)")


def run_main() -> None:
    """Entry point: click's errors become one line and exit status 2."""
    try:
        rv = main(standalone_mode=False)
    except click.UsageError as e:
        if isinstance(e, getattr(click.exceptions, "NoArgsIsHelpError", ())):
            click.echo(e.format_message())
            sys.exit(2)
        click.echo(f"almos: {e.format_message()} (see 'almos --help')", err=True)
        sys.exit(2)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except (KeyboardInterrupt, click.Abort) as e:
        signum = getattr(e.__cause__ or e, "signum", signal.SIGINT)  # session.Interrupted
        click.echo("almos: " + ("terminated" if signum == signal.SIGTERM else "interrupted"),
                   err=True)
        sys.exit(128 + signum)
    except UnicornMismatch as e:                # the start-up self-test (emulator/ucfix.py)
        click.echo(f"almos: {e}", err=True)
        sys.exit(1)
    except BrokenPipeError:                     # e.g. almos info | head: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    run_main()
