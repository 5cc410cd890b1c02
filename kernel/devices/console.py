"""Terminal file objects: a file descriptor on a TTY channel (ALMOS's /dev/ttyN).

Every open file in a process's descriptor table is an object with `read(kernel, thread, core,
buf, count)`, `write(kernel, thread, core, data)` and `close()`; this is the terminal one.
In `almos run`, the "stderr" flavour of channel 0 goes to the host's stderr.

The console's keys (emulator/devices/tty.py): a Ctrl-C is SIGINT for the console's
foreground programs, as a terminal's line discipline sends it to its foreground process
group. There are no process groups: the foreground is every live process holding the
console (channel 0) open, but init (the first process of `almos boot`, spared as Linux spares
pid 1) and those that set SIGINT to SIG_IGN (an interactive shell does, and restores it in
the programs it starts). Its default action kills them. Ctrl-A x powers the machine off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from almos.kernel.libk.errno import EBADF, SysError

SIGINT = 2
CONSOLE_CHANNEL = 0

if TYPE_CHECKING:
    from almos.emulator.core import Core
    from almos.emulator.devices.tty import HostConsole
    from almos.kernel.kern.kernel import Kernel
    from almos.kernel.kern.process import Thread


class Console:
    def __init__(self, channel: int, mode: str = "rw", interactive: bool = True) -> None:
        self.channel = channel
        self.mode = mode                     # "stdin", "stdout", "stderr" or "rw"
        self.interactive = interactive       # False: the host feeds it from a pipe or file
        self.refs = 1

    def read(self, k: Kernel, th: Thread, core: Core, buf: int, count: int):
        if self.mode in ("stdout", "stderr"):
            raise SysError(EBADF)
        return k.console_read(th, core, buf, count, self.channel)

    def write(self, k: Kernel, th: Thread, core: Core, data: bytes) -> int:
        if self.mode == "stdin":
            raise SysError(EBADF)
        k.ktime.work(len(data) * k.costs.tty_byte)
        if self.mode == "stderr" and self.channel == 0 and k.stderr is not None:
            k.stderr.write(data)
            k.stderr.flush()
        else:
            k.machine.tty.put(self.channel, data)
        return len(data)

    def close(self) -> None:
        self.refs -= 1

    def stat_mode(self) -> int:
        """A character device; a FIFO when the host feeds it from a pipe, so that the
        guest's isatty() is false and the shell does not prompt."""
        return 0o020666 if self.interactive else 0o010666


def foreground(k: Kernel) -> list:
    """The processes a Ctrl-C on the console reaches (module docstring)."""
    init = getattr(k, "init_process", None)
    return [p for p in k.processes.values()
            if p.exit_status is None and p is not init and SIGINT not in p.ignored
            and any(isinstance(f, Console) and f.channel == CONSOLE_CHANNEL
                    for f in p.fds.values())]


def console_keys(k: Kernel, console: HostConsole) -> None:
    """Act on the console's keys typed since the last look: Ctrl-C, Ctrl-A x."""
    if console.take_interrupts():
        for p in foreground(k):
            k.log(f"pid {p.pid:#x} ({p.name}) killed by SIGINT (Ctrl-C)")
            k.exit_process(p, 128 + SIGINT, signal=SIGINT)
    if console.quit:
        k.log("Ctrl-A x: machine stopped")
        k.machine.power_off()
