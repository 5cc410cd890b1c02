"""The `almos` command: inspect a machine, run a program on it, boot a disk image.

Every user error (bad topology, bad ELF, bad image, bad option) is one line on stderr and
exit status 2; never a traceback.
"""

from __future__ import annotations

import os
import sys

import click

from emulator.bus import SEG_IOC, SEG_MMC, SEG_PIC, SEG_SIZE, SEG_TTY, SEG_XCU
from emulator.memory import MemoryError_
from emulator.topology import Topology, TopologyError, load_topology, presets, xy_of
from kernel.placement import POLICIES


class UserError(click.ClickException):
    """A one-line error for the user; exit status 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"almos: {self.format_message()}", err=True)


class RunError(UserError):
    """The machine hit a limit of the host while running (one line; exit status 1)."""

    exit_code = 1


def _topology(spec: str | None, memory: str | None, l1: str | None = None,
              l2: str | None = None) -> Topology:
    try:
        return load_topology(spec, memory, l1, l2)
    except TopologyError as e:
        raise UserError(str(e)) from None


TOPOLOGY_HELP = "XxYxP (mesh X by Y, P cores per cluster) or a preset: " + ", ".join(presets())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """ALMOS on an emulated TSAR many-core."""


@main.command()
@click.option("--topology", "-t", default=None, help=TOPOLOGY_HELP)
@click.option("--memory", "-m", default=None, help="RAM per cluster, e.g. 64M (default 64M)")
def info(topology: str | None, memory: str | None) -> None:
    """Print the machine and its 40-bit physical address map."""
    topo = _topology(topology, memory)
    io = topo.io_cxy
    ram = topo.ram_per_cluster
    click.echo(f"machine     {topo.name}: {topo.x_size} x {topo.y_size} mesh, "
               f"{topo.cores_per_cluster} core(s) per cluster")
    click.echo(f"clusters    {topo.nclusters}, cores {topo.ncores}")
    click.echo(f"memory      {ram >> 20} MiB per cluster, {(ram * topo.nclusters) >> 20} MiB total")
    click.echo(f"caches      L1 I/D {topo.l1} per core, L2 {topo.l2} per cluster")
    click.echo(f"I/O cluster ({io >> 4}, {io & 0xF}) cxy {io:#04x}")
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


def _common(fn):
    """Options shared by `run` and `boot`."""
    opts = [
        click.option("--topology", "-t", default=None, help=TOPOLOGY_HELP),
        click.option("--memory", "-m", default=None, help="RAM per cluster (default 64M)"),
        click.option("--placement", "-P", default="almos",
                     type=click.Choice(sorted(POLICIES)), help="page placement policy"),
        click.option("--cache", default="timing", type=click.Choice(["timing", "stats", "off"]),
                     help="cache model: timing (default: stalls counted in cycles), stats "
                     "(counters only), off (fastest)"),
        click.option("--l1", default=None, help="L1 I/D geometry SIZE:WAYS:LINE, e.g. 16K:4:64"),
        click.option("--l2", default=None, help="L2 geometry SIZE:WAYS:LINE, e.g. 256K:16:64"),
        click.option("--stats", "stats", default=None, metavar="FILE|-",
                     help="write statistics as JSON to FILE, or tables on stderr with -"),
        click.option("--max-instructions", type=click.IntRange(min=1), default=None,
                     help="kill every process after this many instructions in all"),
        click.option("--gdb", "gdb", type=click.IntRange(0, 65535), default=None,
                     metavar="PORT", help="serve gdb (gdb-multiarch: target remote :PORT) on "
                     "127.0.0.1:PORT; 0 picks a free port (printed)"),
        click.option("--gdb-wait", is_flag=True,
                     help="with --gdb: start the guest only once gdb has connected"),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


def _options(topology, memory, placement, cache, l1, l2, stats, max_instructions, gdb=None,
             gdb_wait=False):
    from almos.session import Options
    from emulator.cache import CacheGeometry
    for name, spec in (("--l1", l1), ("--l2", l2)):
        if spec:
            try:
                CacheGeometry.parse(spec)
            except ValueError as e:
                raise UserError(f"bad {name} '{spec}': {e}") from None
    if gdb_wait and gdb is None:
        raise UserError("--gdb-wait needs --gdb PORT")
    if stats is not None and stats != "-":
        try:                                    # before the run, not after it
            open(stats, "a").close()
        except OSError as e:
            raise UserError(f"cannot write statistics to {stats}: {e.strerror}") from None
    return Options(_topology(topology, memory, l1, l2), placement, cache, stats,
                   max_instructions, gdb, gdb_wait)


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
    import time

    from almos.session import GdbError, build, exit_code, finish, run_machine
    from emulator.elf import ElfError, parse_elf
    if program.startswith("-"):
        raise UserError(f"no such option: {program} (see 'almos run --help')")
    opts = _options(**kw)
    try:
        data = open(program, "rb").read()
    except OSError as e:
        raise UserError(f"cannot read {program}: {e.strerror}") from None
    try:
        elf = parse_elf(data, program)
    except ElfError as e:
        raise UserError(str(e)) from None
    vfs = None
    if disk is None:
        machine, kernel = build(opts)
    else:
        from kernel.boot import BootError, mount
        try:
            machine, kernel, vfs = mount(opts, disk)
        except BootError as e:
            raise UserError(str(e)) from None
    p = kernel.spawn(elf, [program, *args], ["PATH=/bin", "HOME=/"])
    started = time.perf_counter()
    try:
        run_machine(opts, machine, kernel, p)
    except GdbError as e:
        raise UserError(str(e)) from None
    except MemoryError_ as e:
        raise RunError(str(e)) from None
    finally:
        if vfs is not None:
            vfs.power_off()
    sys.stdout.flush()
    finish(opts, kernel, started)
    return exit_code(p.exit_status)


@main.command()
@_common
@click.argument("image", type=click.Path(dir_okay=False))
def boot(image, **kw) -> int:
    """Boot a FAT32 disk IMAGE: / from the image, /dev, then /bin/init and the shell.

    The guest's terminal (/dev/tty0) is the host's stdin and stdout; with stdin not a
    terminal the shell reads its commands from it. The exit status is init's.
    """
    from almos.session import GdbError
    from kernel.boot import BootError
    from kernel.boot import boot as boot_image
    opts = _options(**kw)
    try:
        return boot_image(opts, image)
    except (BootError, GdbError) as e:
        raise UserError(str(e)) from None
    except MemoryError_ as e:
        raise RunError(str(e)) from None


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
    except (KeyboardInterrupt, click.Abort):
        click.echo("almos: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:                     # e.g. almos info | head: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    run_main()
