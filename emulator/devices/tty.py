"""TTY: TSAR's multi-channel terminal. Channel 0 is bridged to the host's stdin and stdout.

Facts (docs/TSAR.md, "TTY"): 4 words per channel: WRITE 0, STATUS 1, READ 2, CONFIG 3.
STATUS bit 0 says a received character waits in READ. A channel with input waiting raises its
interrupt line (wired through the PIC). Host input is read without blocking the machine.

On a host terminal the console keeps two keys for itself, as QEMU's does: Ctrl-C (byte 0x03
in raw mode, or the SIGINT the host's line discipline makes of it, given to `interrupt()`)
is counted as an interrupt for the guest's foreground programs, and the escape Ctrl-A
followed by x quits the machine (Ctrl-A Ctrl-A sends one Ctrl-A; Ctrl-A then another key
sends both). In the host's line mode, Ctrl-A is made to end a read (VEOL) and the one key
after it is read alone, so that Ctrl-A x acts at once, without Enter.
"""

from __future__ import annotations

import os
import select
import sys
from collections import deque
from collections.abc import Callable
from typing import BinaryIO

try:
    import termios
except ImportError:                 # not a POSIX host: no terminal modes to touch
    termios = None  # type: ignore[assignment]

TTY_WRITE = 0
TTY_STATUS = 1
TTY_READ = 2
TTY_CONFIG = 3
TTY_SPAN = 4                 # words per channel
STATUS_RX_FULL = 1
KEY_INTR = 0x03              # Ctrl-C
KEY_ESCAPE = 0x01            # Ctrl-A, QEMU's escape
KEY_QUIT = ord("x")          # Ctrl-A x: quit


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
        self.interrupts = 0     # Ctrl-Cs not yet handed to the guest (take_interrupts)
        self.quit = False       # Ctrl-A x was typed
        self._escape = False    # a Ctrl-A waits for its key
        self._saved_mode: list | None = None    # the terminal's mode before keys_on()
        self._guest_raw = False  # the guest turned line mode off (set_line_mode)

    # ---- the console's own keys ----------------------------------------------------------
    def interrupt(self) -> None:
        """A Ctrl-C for the guest (also from a signal handler: it only counts)."""
        self.interrupts += 1

    def take_interrupts(self) -> int:
        n, self.interrupts = self.interrupts, 0
        return n

    def keys_on(self) -> None:
        """On a terminal in line mode: make Ctrl-A end a read, so that Ctrl-A x acts at once."""
        if not self.interactive or termios is None or self._saved_mode is not None:
            return
        try:
            mode = termios.tcgetattr(self.infd)
        except termios.error:
            return
        self._saved_mode = mode
        new = [*mode[:6], list(mode[6])]
        new[6][termios.VEOL] = bytes([KEY_ESCAPE])
        self._set_mode(new)

    def set_line_mode(self, canonical: bool, echo: bool) -> None:
        """The guest's own terminal modes (a program's TCSETS): out of line mode every key is
        handed over as typed and the guest echoes what it wants (busybox's line editing,
        with history and completion); back in line mode, the host's line editing as keys_on()
        left it. Only on a terminal almos set up (keys_on)."""
        if not self.interactive or termios is None or self._saved_mode is None:
            return
        base = self._saved_mode
        mode = [*base[:6], list(base[6])]
        mode[6][termios.VEOL] = bytes([KEY_ESCAPE])
        if not canonical:
            mode[3] &= ~termios.ICANON
            mode[6][termios.VMIN], mode[6][termios.VTIME] = 1, 0
        if not echo:
            mode[3] &= ~termios.ECHO
        self._guest_raw = not canonical
        self._set_mode(mode)

    def keys_off(self) -> None:
        """The terminal's mode as it was before keys_on()."""
        if self._saved_mode is not None:
            self._set_mode(self._saved_mode)
            self._saved_mode = None

    def _set_mode(self, mode: list) -> None:
        try:
            termios.tcsetattr(self.infd, termios.TCSANOW, mode)
        except termios.error:
            pass

    def _one_key_mode(self, on: bool) -> None:
        """After a Ctrl-A in line mode: the next key alone, without waiting for Enter."""
        if self._saved_mode is None or not self._saved_mode[3] & termios.ICANON \
                or self._guest_raw:
            return
        mode = termios.tcgetattr(self.infd)
        if on:
            mode[3] &= ~termios.ICANON
            mode[6][termios.VMIN], mode[6][termios.VTIME] = 1, 0
        else:
            mode[3] |= termios.ICANON
            mode[6][termios.VEOL] = bytes([KEY_ESCAPE])
        self._set_mode(mode)

    def _keys(self, data: bytes) -> bytes:
        """The typed bytes less the console's own keys (counted, or acted on)."""
        out = bytearray()
        for b in data:
            if self._escape:
                self._escape = False
                self._one_key_mode(False)
                if b == KEY_QUIT:
                    self.quit = True
                    return bytes(out)
                out += bytes([b]) if b == KEY_ESCAPE else bytes([KEY_ESCAPE, b])
            elif b == KEY_ESCAPE:
                self._escape = True
            elif b == KEY_INTR:
                self.interrupts += 1
            else:
                out.append(b)
        if self._escape:
            self._one_key_mode(True)
        return bytes(out)

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
        if data and self.interactive:
            data = self._keys(data)
            if not data:
                return b""
        elif not data:
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
        self.termios: dict[int, bytes] = {}  # a channel's terminal settings, as the guest set them

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
        c = self.console
        data = c.poll(timeout)
        if data:
            self.feed(0, data)
        return bool(data) or (self.eof and not was_eof) or c.interrupts > 0 or c.quit

    def set_termios(self, ch: int, settings: bytes, canonical: bool, echo: bool) -> None:
        """The guest sets channel ch's terminal modes (kept for it to read back); channel 0's
        reach the host terminal (HostConsole.set_line_mode)."""
        self.termios[ch] = settings
        if ch == 0 and self.console is not None:
            self.console.set_line_mode(canonical, echo)

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
