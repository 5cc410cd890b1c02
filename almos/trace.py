"""`--trace` and the fault report: the observer of the kernel's trace events (kernel/libk/trace.py)
that writes one strace-like line per event, and, when a fault kills a process, the function
and source line of the fault and a backtrace (almos/symbols.py).

A line: the emulated cycle, the core, the process and thread, then the event:

    1234567 c0  0x10001 fft  open("/home/x", 0x0) = -1 ENOENT
    1240000 c0  0x10001 fft  fault read 0x7fbfeffc: mapped
    1250000 c1  0x10001 fft  switch in thread 0x10002 (was idle)
    1260000 --  rpc ppm_alloc (0,0) -> (1,0)
"""

from __future__ import annotations

import weakref
from typing import IO, TYPE_CHECKING, Any

from almos.emulator.topology import xy_of
from almos.kernel.libk import errno as kerrno
from almos.kernel.libk.trace import CATEGORIES
from almos.symbols import REG_FP, REG_RA, REG_SP, Symbols

if TYPE_CHECKING:
    from almos.kernel.kern.kernel import Kernel
    from almos.kernel.kern.process import Process, Thread

STRING_MAX = 64                  # bytes of a path or a buffer shown
ERRNO_NAMES = {v: n for n, v in vars(kerrno).items()
               if n.startswith("E") and n.isupper() and isinstance(v, int)}
# How the arguments of some system calls read: s a string, b the buffer of the count that
# follows, i a number, p a pointer; the others show their four arguments in hex.
ARG_KINDS = {"open": "si", "creat": "si", "read": "ipi", "write": "ibi", "close": "i",
             "unlink": "s", "chdir": "s", "mkdir": "si", "rmdir": "s", "stat": "sp",
             "exec": "spp", "opendir": "s", "lseek": "iii", "kill": "ii", "exit": "i",
             "dup2": "ii", "sbrk": "i", "mkfifo": "si", "chmod": "si", "getpid": "",
             "gettid": "", "fork": "", "yield": "", "pipe": "p", "fsync": "i"}


class TraceError(ValueError):
    """A bad --trace list; the message is one line."""


def parse_categories(spec: str) -> frozenset[str]:
    """'syscalls,faults' -> the set; 'all' is every category."""
    names = {s.strip() for s in spec.split(",") if s.strip()}
    if "all" in names:
        return frozenset(CATEGORIES)
    bad = sorted(names - set(CATEGORIES))
    if bad or not names:
        raise TraceError(f"bad --trace '{spec}': expected a list of "
                         f"{', '.join(CATEGORIES)} (or all)")
    return frozenset(names)


_symbols: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def symbols_of(process: Process) -> Symbols | None:
    """The symbols of the program a process runs (decoded once per program image)."""
    elf = process.elf
    if elf is None:
        return None
    try:
        return _symbols[elf]
    except KeyError:
        sym = _symbols[elf] = Symbols(elf.data)
        return sym
    except TypeError:                   # not weakly referenceable: no cache
        return Symbols(elf.data)


class Tracer:
    """The kernel's observer: trace lines for `categories` to `out` (None: the kernel's
    stderr); fault reports to the kernel's stderr."""

    def __init__(self, kernel: Kernel, categories: frozenset[str] = frozenset(),
                 out: IO[str] | None = None) -> None:
        self.k = kernel
        self.categories = categories
        self.out = out
        self.lines = 0
        from almos.kernel.syscalls.linux.abi import NAMES as LINUX_NAMES
        from almos.kernel.syscalls.syscalls import TABLE
        self.names = {nr: fn.__name__.removeprefix("sys_") for nr, fn in TABLE.items()}
        self.names.update(LINUX_NAMES)          # o32 numbers (4000 + n): no overlap

    def _write(self, text: str) -> None:
        self.lines += 1
        if self.out is not None:
            self.out.write(text + "\n")
        else:
            self.k.stderr.write((text + "\n").encode())
            self.k.stderr.flush()

    def _head(self, core: Any, th: Thread | None) -> str:
        cycles = core.cycles if core is not None else self.k.machine.now()
        where = f"c{core.gid:<3}" if core is not None else "--  "
        who = f"{th.process.pid:#x} {th.process.name} " if th is not None else ""
        return f"{cycles:>12} {where} {who}"

    def event(self, kind: str, **f: Any) -> None:
        getattr(self, "_" + kind)(**f)

    # ---- one method per event kind ----------------------------------------------------------
    def _syscall(self, core, thread, nr, args, result, errno) -> None:
        name = self.names.get(nr, f"syscall_{nr}")
        kinds = ARG_KINDS.get(name)
        if kinds is None:
            shown = ", ".join(f"{a:#x}" for a in args)
        else:
            shown = ", ".join(self._arg(thread, core, kinds[i], args, i)
                              for i in range(len(kinds)))
        if result is None:
            res = "?"
        elif result == -1 and errno:
            res = f"-1 {ERRNO_NAMES.get(errno, errno)}"
        else:
            res = str(result) if -4096 < result < 4096 else f"{result & 0xFFFF_FFFF:#x}"
        self._write(f"{self._head(core, thread)}{name}({shown}) = {res}")

    def _arg(self, th: Thread, core: Any, kind: str, args: tuple, i: int) -> str:
        a = args[i]
        if kind == "i":
            return str(a - (1 << 32) if a & 0x8000_0000 else a)
        if kind in "sb":
            n = STRING_MAX if kind == "s" else min(args[i + 1], STRING_MAX)
            raw = self._peek(th.process, a, n)
            if raw is None:
                return f"{a:#x}"
            if kind == "s":
                raw = raw.split(b"\0", 1)[0]
            more = "..." if kind == "b" and args[i + 1] > STRING_MAX else ""
            return '"' + raw.decode("latin-1").encode("unicode_escape").decode() \
                .replace('"', '\\"') + '"' + more
        return f"{a:#x}"

    def _fault(self, core, thread, vaddr, access, handled) -> None:
        self._write(f"{self._head(core, thread)}fault {access} {vaddr:#010x}: "
                    + ("mapped" if handled else "not handled"))

    def _switch(self, core, thread, prev) -> None:
        was = "idle" if prev is None else f"thread {prev.tid:#x}"
        self._write(f"{self._head(core, thread)}switch in thread {thread.tid:#x} (was {was})")

    def _rpc(self, name, client, server) -> None:
        self._write(f"{self._head(None, None)}rpc {name} {xy_of(client)} -> {xy_of(server)}"
                    .replace(", ", ","))

    def _exec(self, core, process, argv) -> None:
        self._write(f"{self._head(core, None)}exec {process.pid:#x} {argv}")

    def _exit(self, process, status) -> None:
        how = f"killed by signal {status & 0x7F}" if status & 0x7F else \
            f"exit status {status >> 8 & 0xFF}"
        self._write(f"{self._head(None, None)}exit {process.pid:#x} {process.name}: {how}")

    def _kill(self, core, thread, signal, reason, pc) -> None:
        """The fault's function and line, and the backtrace, on the kernel's stderr."""
        if "faults" in self.categories and self.out is not None:   # (stderr has it)
            self._write(f"{self._head(core, thread)}killed by {signal}: {reason}")
        p = thread.process
        sym = symbols_of(p)
        if sym is None:
            return
        regs = {REG_SP: core.gpr(REG_SP), REG_FP: core.gpr(REG_FP), REG_RA: core.gpr(REG_RA)}

        def read32(va: int) -> int | None:
            raw = self._peek(p, va, 4)
            return int.from_bytes(raw, "little") if raw is not None and len(raw) == 4 else None
        frames = sym.backtrace(pc, regs, read32)
        if all(f.function is None for f in frames):
            return                              # nothing to say beyond the kernel's line
        for i, frame in enumerate(frames):
            self.k.log(f"  #{i} {frame}")

    def _peek(self, p: Process, va: int, n: int) -> bytes | None:
        """Up to n bytes of the process's memory at va, without faulting pages in or charging
        time: what its pages already hold (None if the first one is not there)."""
        out = bytearray()
        vmm = p.vmm
        while n > 0:
            v = vmm.find(va & 0xFFFF_FFFF)
            frame = vmm.pages.get(va >> 12) if v is not None else None
            if frame is None:
                break
            k = min(n, 0x1000 - (va & 0xFFF))
            out += self.k.machine.memory.read(frame | (va & 0xFFF), k)
            va += k
            n -= k
        return bytes(out) if out else None
