"""TTY: TSAR's multi-channel terminal. Channel 0 is bridged to the host's stdin and stdout.

Facts (docs/TSAR.md, "TTY"): 4 words per channel: WRITE 0, STATUS 1, READ 2, CONFIG 3.
STATUS bit 0 says a received character waits in READ. A channel with input waiting raises its
interrupt line (wired through the PIC). Host input is read without blocking the machine.
"""

from __future__ import annotations

import os
import select
import sys
from collections import deque
from collections.abc import Callable
from typing import BinaryIO

TTY_WRITE = 0
TTY_STATUS = 1
TTY_READ = 2
TTY_CONFIG = 3
TTY_SPAN = 4                 # words per channel
STATUS_RX_FULL = 1


class HostConsole:
    """The host side of channel 0: non-blocking reads of a file descriptor, writes to a stream."""

    def __init__(self, infd: int | None = None, out: BinaryIO | None = None) -> None:
        if infd is None:
            try:
                infd = sys.stdin.fileno()
            except (AttributeError, OSError, ValueError):   # no real stdin: no input
                infd = -1
        self.infd = infd
        self.out = out if out is not None else sys.stdout.buffer
        self.eof = False
        self.eof_once = False   # a terminal's end of input, until a reader has seen it
        try:                    # a person typing, or a pipe or file of commands
            self.interactive = self.infd >= 0 and os.isatty(self.infd)
        except OSError:
            self.interactive = False

    def poll(self, timeout: float = 0.0) -> bytes:
        if self.eof or self.infd < 0:
            return b""
        try:
            ready, _, _ = select.select([self.infd], [], [], timeout)
        except (OSError, ValueError):
            self.eof = True
            return b""
        if not ready:
            return b""
        data = os.read(self.infd, 4096)
        if not data:
            if self.interactive:        # Ctrl-D on a terminal: one end of input, then more
                self.eof_once = True
            else:
                self.eof = True
        return data

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.out.flush()


class Tty:
    name = "tty"

    def __init__(self, channels: int = 4, console: HostConsole | None = None,
                 irq: Callable[[int, bool], None] | None = None) -> None:
        self.nchannels = channels
        self.console = console
        self.irq = irq                      # irq(channel, level)
        self.rx: list[deque[int]] = [deque() for _ in range(channels)]
        self.output: list[bytearray] = [bytearray() for _ in range(channels)]
        self.config = [0] * channels

    def interactive(self, ch: int) -> bool:
        """False only for channel 0 bridged to a host pipe or file (no person typing)."""
        return ch != 0 or self.console is None or self.console.interactive

    @property
    def eof(self) -> bool:
        c = self.console
        return c is None or c.eof or c.eof_once

    def end_of_input_seen(self) -> None:
        """A reader got the end of input a terminal's Ctrl-D made: input goes on after it."""
        if self.console is not None:
            self.console.eof_once = False

    def read(self, offset: int) -> int:
        ch, reg = divmod(offset >> 2, TTY_SPAN)
        if ch >= self.nchannels:
            return 0
        if reg == TTY_STATUS:
            return STATUS_RX_FULL if self.rx[ch] else 0
        if reg == TTY_READ:
            c = self.rx[ch].popleft() if self.rx[ch] else 0
            self._update_irq(ch)
            return c
        if reg == TTY_CONFIG:
            return self.config[ch]
        return 0

    def write(self, offset: int, value: int) -> None:
        ch, reg = divmod(offset >> 2, TTY_SPAN)
        if ch >= self.nchannels:
            return
        if reg == TTY_WRITE:
            self.put(ch, bytes([value & 0xFF]))
        elif reg == TTY_CONFIG:
            self.config[ch] = value

    # ---- the kernel's and the host's side ---------------------------------------------------
    def put(self, ch: int, data: bytes) -> None:
        if ch == 0 and self.console is not None:
            self.console.write(data)
        else:
            self.output[ch] += data

    def feed(self, ch: int, data: bytes) -> None:
        self.rx[ch].extend(data)
        self._update_irq(ch)

    def poll_host(self, timeout: float = 0.0) -> bool:
        """Move waiting host input into channel 0; True if something arrived (or EOF)."""
        if self.console is None:
            return False
        was_eof = self.eof
        data = self.console.poll(timeout)
        if data:
            self.feed(0, data)
        return bool(data) or (self.eof and not was_eof)

    def ready(self, ch: int) -> bool:
        """A read of channel ch would not wait: input is there, or the host's has ended."""
        return bool(self.rx[ch]) or self.eof

    def receive(self, ch: int, n: int) -> bytes:
        """Up to n bytes of channel ch's input; b"" at the end of input (a terminal's Ctrl-D
        ends it for this read only)."""
        q = self.rx[ch]
        out = bytes(q.popleft() for _ in range(min(n, len(q))))
        self._update_irq(ch)
        if not out and n:
            self.end_of_input_seen()
        return out

    def _update_irq(self, ch: int) -> None:
        if self.irq is not None:
            self.irq(ch, bool(self.rx[ch]))
