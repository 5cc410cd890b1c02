"""The live status line of `almos run` and `almos boot` on a terminal: guest instructions, guest
MIPS, emulated time, live threads and the busiest cluster, redrawn about once a second.

It is driven from the machine's slice boundaries (Machine.on_slice_end), looking at the host
clock once every CHECK_EVERY slices, never per instruction. The line lives on stderr and is
erased before anything else reaches that terminal (the guest's console output, the kernel's
messages), then drawn again at the next refresh once the cursor is back at the start of a line,
so a prompt or a partly written line is never overwritten.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console
from rich.control import Control
from rich.segment import ControlType
from rich.text import Text

from almos.emulator.topology import xy_of
from almos.kernel.kern.process import State

if TYPE_CHECKING:
    from almos.emulator.machine import Core, Machine
    from almos.kernel.kern.kernel import Kernel

REFRESH_SECONDS = 1.0            # host time between two redraws
CHECK_EVERY = 16                 # slices between two looks at the host clock
LIVE_STATES = (State.RUNNABLE, State.RUNNING, State.BLOCKED)
_ERASE_LINE = Control.move_to_column(0), Control((ControlType.ERASE_IN_LINE, 2))


def wanted(quiet: bool, stream: IO[Any] | None = None) -> bool:
    """A status line only on a terminal, and not with -q."""
    stream = stream if stream is not None else sys.stderr
    try:
        return not quiet and stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def same_terminal(a: IO[Any], b: IO[Any]) -> bool:
    """True when two streams are the same terminal (their output shares the screen)."""
    try:
        if not (a.isatty() and b.isatty()):
            return False
        sa, sb = os.fstat(a.fileno()), os.fstat(b.fileno())
    except (AttributeError, ValueError, OSError):
        return False
    return (sa.st_rdev, sa.st_ino) == (sb.st_rdev, sb.st_ino)


def si(n: float) -> str:
    """A count in three significant digits: 950, 12.3k, 4.56M, 7.89G."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.3g}{unit}"
    return f"{n:.0f}"


def seconds(s: float) -> str:
    """Emulated time: 850 us, 12.3 ms, 4.56 s."""
    if s >= 1:
        return f"{s:.3g} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    return f"{s * 1e6:.3g} us"


class StatusLine:
    """One status line on stderr for one machine; attach() hooks it, close() erases it."""

    def __init__(self, kernel: Kernel, console: Console | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.kernel = kernel
        self.machine: Machine = kernel.machine
        self.console = console if console is not None else Console(stderr=True)
        self.clock = clock
        self.shown = False              # the line is on the screen now
        self.at_line_start = True       # the terminal's cursor is at the start of a line
        self._next = 0.0                # host time of the next redraw (0: at the first look)
        self._last_time = clock()
        self._last_instr = kernel.instructions_total
        self._last_clusters: list[tuple[int, int]] | None = None
        self._chained: Callable[[Core], None] | None = None

    # ---- hooks ---------------------------------------------------------------------------
    def attach(self) -> None:
        """Follow the machine's slices (after the kernel's own end-of-slice work)."""
        self._chained = self.machine.on_slice_end

        def on_slice_end(core: Core) -> None:
            if self._chained is not None:
                self._chained(core)
            if self.machine.slices % CHECK_EVERY == 0:
                self.tick()
        self.machine.on_slice_end = on_slice_end

    def close(self) -> None:
        """Unhook from the machine and erase the line."""
        self.machine.on_slice_end = self._chained
        self.clear()

    def tick(self) -> None:
        now = self.clock()
        if now >= self._next:
            self._next = now + REFRESH_SECONDS
            self.refresh(now)

    # ---- the line ------------------------------------------------------------------------
    def text(self, now: float) -> Text:
        k, m = self.kernel, self.machine
        instr = k.instructions_total
        dt = now - self._last_time
        mips = (instr - self._last_instr) / dt / 1e6 if dt > 0 else 0.0
        self._last_time, self._last_instr = now, instr
        live = sum(1 for t in k.threads.values() if t.state in LIVE_STATES)
        line = Text.assemble(
            (si(instr), "cyan"), " instr  ", (f"{mips:.1f}", "cyan"), " MIPS  ",
            (seconds(m.now() / k.clock_hz), "cyan"), " emulated  ",
            (str(live), "cyan"), " thread" + ("" if live == 1 else "s"))
        busiest = self.busiest()
        if busiest is not None:
            line.append("  busiest ")
            line.append(busiest, "yellow")
        return line

    def busiest(self) -> str | None:
        """The cluster whose memory cache made requests wait longest since the last redraw
        (cycles queued), else (no queueing) the one that served the most traffic (flits x
        (hops + 1)); None without a cache model."""
        cache = self.machine.cache
        if cache is None:
            return None
        clusters = self.kernel.clusters_list
        now = [(c["l2_queue"], c["cost"]) for c in map(cache.memc, clusters)]
        before = self._last_clusters or [(0, 0)] * len(now)
        self._last_clusters = now
        queue = [a[0] - b[0] for a, b in zip(now, before, strict=True)]
        traffic = [a[1] - b[1] for a, b in zip(now, before, strict=True)]
        if max(queue) > 0:
            i = max(range(len(queue)), key=queue.__getitem__)
            what = f"{si(queue[i])} queued"
        elif max(traffic) > 0:
            i = max(range(len(traffic)), key=traffic.__getitem__)
            what = f"{si(traffic[i])} flit-hops"
        else:
            return None
        x, y = xy_of(clusters[i])
        return f"({x},{y}) {what}"

    def refresh(self, now: float | None = None) -> None:
        line = self.text(self.clock() if now is None else now)
        if not self.at_line_start:
            return                      # the guest is in the middle of a line (a prompt)
        line.truncate(max(1, self.console.width - 1), overflow="ellipsis")
        self.console.control(*_ERASE_LINE)
        self.console.print(line, end="", soft_wrap=True)
        self.console.file.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.console.control(*_ERASE_LINE)
            self.console.file.flush()
            self.shown = False

    def before_output(self, data: bytes) -> None:
        """Something is about to be written on the status line's terminal."""
        self.clear()
        if data:
            self.at_line_start = data.endswith(b"\n")


class Guarded:
    """A binary output stream on the status line's terminal: each write erases the line
    first (the next refresh draws it again)."""

    def __init__(self, stream: IO[bytes], status: StatusLine) -> None:
        self.stream = stream
        self.status = status

    def write(self, data: bytes) -> int:
        self.status.before_output(bytes(data))
        return self.stream.write(data)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)
