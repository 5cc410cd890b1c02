"""Terminal file objects: a file descriptor on a TTY channel (ALMOS's /dev/ttyN).

Every open file in a process's descriptor table is an object with `read(kernel, thread, core,
buf, count)`, `write(kernel, thread, core, data)` and `close()`; this is the terminal one.
In `almos run`, the "stderr" flavour of channel 0 goes to the host's stderr.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.errno import EBADF, SysError

if TYPE_CHECKING:
    from emulator.core import Core
    from kernel.kernel import Kernel
    from kernel.process import Thread


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
