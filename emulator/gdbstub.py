"""GDB remote stub: debug the programs running on the emulated machine with gdb-multiarch.

The GDB Remote Serial Protocol over TCP (127.0.0.1 only), all-stop: when one thread stops
(breakpoint, watchpoint, step done, fault, Ctrl-C) the whole machine stops at the next slice
boundary (Machine.pause()). Breakpoints, watchpoints and stepping are Unicorn hooks on the
cores (emulator/debug.py); threads, registers and address spaces belong to the software that
runs on the machine, reached through the `DebugTarget` protocol below. `BareMetalTarget`
implements it for bare-metal runs (one thread per core running the BareMetal program).

Served: qSupported (PacketSize, qXfer:features:read+, vContSupported+), a MIPS32 target
description (org.gnu.gdb.mips.cpu / cp0 / fpu: gdb numbering 0-31 GPRs, 32 sr, 33 lo, 34 hi,
35 badvaddr, 36 cause, 37 pc, 38-69 f0-f31, 70 fcsr, 71 fir), ?, g/G, p/P, m/M/X (virtual
addresses of the selected thread's address space), c/C/s/S, vCont (c, C, s, S, per thread),
Z0/z0 and Z1 (code hooks), Z2/Z3/Z4 (write/read/access watchpoints), H, T, qfThreadInfo,
qsThreadInfo, qThreadExtraInfo, qC, qAttached, D (detach: the program runs on), k, vKill,
0x03 (interrupt). Anything else gets the empty reply. Stop replies: T05thread:ID; for
breakpoints and steps, T05watch|rwatch|awatch:ADDR;thread:ID; for watchpoints, TNN for a
fault (SIGSEGV 0b, SIGILL 04, SIGBUS 0a, SIGTRAP 05, SIGFPE 08), T02 for Ctrl-C, WNN / XNN
when the program ended. A bad checksum gets '-', garbage is skipped, and a client that
disconnects is treated as a detach: the program always runs on.

What a kernel-side target must provide (the `DebugTarget` protocol; the stub calls it only
from the thread that called `GdbServer.serve()`, with the machine stopped, except where noted):

- `machine`: the Machine.
- `threads()`: the live debugged threads as `ThreadInfo(tid, extra)`: tid > 0, stable for the
  thread's life; extra is free text for `info threads`, e.g. "pid 65536 cluster (0,1) core 2".
- `thread_on(core)`: the debugged thread that core runs now, or None (idle, or a thread of a
  process not being debugged: its hits are ignored). Called from Unicorn hooks, so keep it
  cheap, and from the machine's thread while it runs.
- `core_of(tid)`: the core running tid now, or None if it sits in a saved context.
- `registers(tid)`: where tid's registers are: `core.uc` if it runs, else its saved context
  (the UcContext from `core.save_context()`); anything with reg_read/reg_write. Writes must
  survive: the kernel restores that very context object when it switches the thread in.
- `translate(tid, va, write)`: 40-bit physical address of va in tid's address space, or None.
  Like ptrace, a debugger write ignores the W bit: for write=True return the frame to write
  (break copy-on-write first if the page is shared); mapping the page on demand is fine.
- `run() -> bool`: run the machine (Machine.run(), or the kernel's loop around it) until it
  returns: after Machine.pause() at a slice boundary, at power-off, or when nothing can run.
  Return True when the debugged program is over (then `exit_status()` is not None). It must
  not block in on_idle forever: Ctrl-C and a new client arrive through Machine.pause().
- `exit_status()`: None while the program lives, else ("exited", code) or ("killed", signal).
- `attach_debugger(events)`: from now on, a user-mode fault of a debugged thread (page fault
  with no mapping, bus/address error, reserved instruction, trap...) must NOT be delivered:
  leave the thread at the faulting instruction (PC unchanged), end the slice, and call
  `events.fault(tid, signal)` (GDB signal numbers: SIGSEGV 11, SIGBUS 10, SIGILL 4, SIGTRAP 5,
  SIGFPE 8; `signal_of(trap)` maps a core Trap). events=None: detached, behave as usual.
- `deliver_signal(tid, signal)`: gdb resumes tid passing the signal: do what the fault would
  have done without a debugger (e.g. kill the process with that signal).
- `kill()`: end the program now (gdb's k / vKill); exit_status() becomes ("killed", 9).

Wiring (the CLI): build the machine and the software, wrap it in a target, then instead of
running the machine, `status = GdbServer(target, port).serve(wait=gdb_wait)` (see __main__).
Limits: a watched range is translated to physical pages when it is set (remapped pages are not
followed); vCont with only some threads continued resumes them all; no non-stop mode, no
multiprocess extensions; a watched access in a branch delay slot is reported after the branch.
"""

from __future__ import annotations

import argparse
import queue
import socket
import sys
import threading
from dataclasses import dataclass
from typing import Protocol

from unicorn import mips_const as M

from emulator.baremetal import BareMetal
from emulator.core import Core, Trap, TrapKind
from emulator.debug import CoreDebugger, CoreStop, StopKind, WatchKind
from emulator.elf import Elf, parse_elf
from emulator.machine import Machine
from emulator.memory import PAGE_SIZE
from emulator.mmu import Access, Translation
from emulator.topology import load_topology, xy_of

LOCALHOST = "127.0.0.1"
PACKET_SIZE = 0x4000              # what we tell gdb (bytes of packet data we accept)
MAX_PACKET = 0x10000              # a longer "packet" is garbage: dropped
INTERRUPT = 0x03
ESCAPE = 0x7D
ESCAPE_XOR = 0x20

# GDB's signal numbers (gdb/signals.def), as used in stop replies
SIGINT, SIGILL, SIGTRAP, SIGFPE, SIGKILL, SIGBUS, SIGSEGV = 2, 4, 5, 8, 9, 10, 11

# GDB's MIPS32 register numbering
NUM_GPRS = 32
REG_SR, REG_LO, REG_HI, REG_BADVADDR, REG_CAUSE, REG_PC = 32, 33, 34, 35, 36, 37
REG_F0 = 38
NUM_FPRS = 32
REG_FCSR, REG_FIR = 70, 71
NUM_REGS = 72
REG_BYTES = 4
_UC_REG: list[int | None] = (
    [M.UC_MIPS_REG_0 + i for i in range(NUM_GPRS)]
    + [M.UC_MIPS_REG_CP0_STATUS, M.UC_MIPS_REG_LO, M.UC_MIPS_REG_HI, None, None,
       M.UC_MIPS_REG_PC]
    + [M.UC_MIPS_REG_F0 + i for i in range(NUM_FPRS)]
    + [M.UC_MIPS_REG_FCSR, M.UC_MIPS_REG_FIR])
_FPR_LOW = 0xFFFF_FFFF            # o32 (FR=0): fN is the low word of Unicorn's 64-bit fpr

# no memory at the address is what Linux calls SIGSEGV; SIGBUS is for misaligned accesses
_SIGNAL_OF_TRAP = {TrapKind.PAGE_FAULT: SIGSEGV, TrapKind.BUS_ERROR: SIGSEGV,
                   TrapKind.ADDRESS_ERROR: SIGBUS, TrapKind.RESERVED_INSTRUCTION: SIGILL,
                   TrapKind.COPROCESSOR_UNUSABLE: SIGILL, TrapKind.BREAK: SIGTRAP,
                   TrapKind.TRAP: SIGTRAP, TrapKind.OVERFLOW: SIGFPE, TrapKind.FPE: SIGFPE,
                   TrapKind.UNKNOWN: SIGSEGV}

_WATCH_TYPES = {2: WatchKind.WRITE, 3: WatchKind.READ, 4: WatchKind.ACCESS}
Z_SOFTWARE, Z_HARDWARE = 0, 1


def signal_of(trap: Trap) -> int:
    """The GDB signal a core trap is reported as."""
    return _SIGNAL_OF_TRAP.get(trap.kind, SIGSEGV)


def _reg(name: str, regnum: int | None = None, extra: str = "") -> str:
    num = f' regnum="{regnum}"' if regnum is not None else ""
    return f'<reg name="{name}" bitsize="32"{num}{extra}/>'


TARGET_XML = (
    '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd">'
    "<target><architecture>mips</architecture><osabi>none</osabi>"
    '<feature name="org.gnu.gdb.mips.cpu">'
    + "".join(_reg(f"r{i}", i) for i in range(NUM_GPRS))
    + _reg("lo", REG_LO) + _reg("hi", REG_HI) + _reg("pc", REG_PC) + "</feature>"
    '<feature name="org.gnu.gdb.mips.cp0">'
    + _reg("status", REG_SR) + _reg("badvaddr", REG_BADVADDR) + _reg("cause", REG_CAUSE)
    + "</feature>"
    '<feature name="org.gnu.gdb.mips.fpu">'
    + "".join(_reg(f"f{i}", REG_F0 + i, ' type="ieee_single"') for i in range(NUM_FPRS))
    + _reg("fcsr", REG_FCSR, ' group="float"') + _reg("fir", REG_FIR, ' group="float"')
    + "</feature></target>")


# ---- registers in GDB numbering, on a live Uc or a saved UcContext ----------------------------
class RegisterFile(Protocol):
    def reg_read(self, reg_id: int) -> int: ...

    def reg_write(self, reg_id: int, value: int) -> object: ...


def read_gdb_register(regs: RegisterFile, regno: int) -> int | None:
    """Register regno (GDB numbering); None if Unicorn does not model it."""
    uc_reg = _UC_REG[regno] if 0 <= regno < NUM_REGS else None
    if uc_reg is None:
        return None
    value = regs.reg_read(uc_reg)
    return value & _FPR_LOW


def write_gdb_register(regs: RegisterFile, regno: int, value: int) -> bool:
    """Set register regno (GDB numbering); writes to r0 and to unmodelled registers are
    accepted and ignored. False for a register number gdb does not have."""
    if not 0 <= regno < NUM_REGS:
        return False
    uc_reg = _UC_REG[regno]
    if uc_reg is None or regno == 0:
        return True
    value &= _FPR_LOW
    if REG_F0 <= regno < REG_F0 + NUM_FPRS:
        value |= regs.reg_read(uc_reg) & ~_FPR_LOW
    regs.reg_write(uc_reg, value)
    return True


# ---- the target protocol ----------------------------------------------------------------------
@dataclass(frozen=True)
class ThreadInfo:
    tid: int
    extra: str


class DebugEvents(Protocol):
    """What the stub offers the target (GdbServer implements it)."""

    def fault(self, tid: int, signal: int) -> None:
        """tid stopped on a fault at its PC; the machine stops (all-stop)."""


class DebugTarget(Protocol):
    """The software on the machine as the debugger sees it (module docstring: the contract)."""

    machine: Machine

    def threads(self) -> list[ThreadInfo]: ...

    def thread_on(self, core: Core) -> int | None: ...

    def core_of(self, tid: int) -> Core | None: ...

    def registers(self, tid: int) -> RegisterFile | None: ...

    def translate(self, tid: int, va: int, write: bool) -> int | None: ...

    def run(self) -> bool: ...

    def exit_status(self) -> tuple[str, int] | None: ...

    def attach_debugger(self, events: DebugEvents | None) -> None: ...

    def deliver_signal(self, tid: int, signal: int) -> None: ...

    def kill(self) -> None: ...


# ---- the bare-metal target --------------------------------------------------------------------
class BareMetalTarget:
    """A BareMetal program as a debug target: thread gid+1 is the program on core gid."""

    def __init__(self, machine: Machine, elf: Elf, gids: list[int]) -> None:
        self.machine = machine
        self.gids = list(gids)
        self.monitor = BareMetal(machine, elf, self.gids)
        machine.set_handler(self)            # in front of the monitor: faults may stop
        self._events: DebugEvents | None = None
        self._signals: dict[int, int] = {}   # gid -> signal it died of
        self._faults: dict[int, Trap] = {}
        self._killed = False

    # ---- TrapHandler -------------------------------------------------------------------------
    def on_syscall(self, core: Core) -> None:
        self.monitor.on_syscall(core)

    def on_page_fault(self, core, vaddr, access, kind) -> bool:
        return self.monitor.on_page_fault(core, vaddr, access, kind)

    def on_trap(self, core: Core, trap: Trap) -> None:
        if self._events is None or trap.kind == TrapKind.BREAK:
            self.monitor.on_trap(core, trap)
            if core.halted:
                self._signals[core.gid] = signal_of(trap)
            return
        core.pc = trap.pc
        self._faults[core.gid] = trap
        self._events.fault(core.gid + 1, signal_of(trap))

    # ---- DebugTarget -------------------------------------------------------------------------
    def _alive(self, gid: int) -> bool:
        return gid in self.gids and not self.machine.core(gid).halted

    def threads(self) -> list[ThreadInfo]:
        out = []
        for gid in self.gids:
            if self._alive(gid):
                c = self.machine.core(gid)
                x, y = xy_of(c.cxy)
                out.append(ThreadInfo(gid + 1, f"cluster ({x},{y}) core {c.lid}"))
        return out

    def thread_on(self, core: Core) -> int | None:
        return core.gid + 1 if core.gid in self.gids and not core.halted else None

    def core_of(self, tid: int) -> Core | None:
        return self.machine.core(tid - 1) if self._alive(tid - 1) else None

    def registers(self, tid: int) -> RegisterFile | None:
        core = self.core_of(tid)
        return core.uc if core is not None else None

    def translate(self, tid: int, va: int, write: bool) -> int | None:
        core = self.core_of(tid)
        if core is None:
            return None
        t = core.translate(va & ~(PAGE_SIZE - 1), Access.READ)
        return t.pa | (va & (PAGE_SIZE - 1)) if isinstance(t, Translation) else None

    def run(self) -> bool:
        if not self._over():
            self.machine.run()
        return self._over()

    def _over(self) -> bool:
        return self._killed or all(self.machine.core(g).halted for g in self.gids)

    def exit_status(self) -> tuple[str, int] | None:
        if not self._over():
            return None
        if self._killed:
            return ("killed", SIGKILL)
        for gid in self.gids:
            if gid in self._signals:
                return ("killed", self._signals[gid])
        return ("exited", self.monitor.exit_codes.get(self.gids[0], 0))

    def attach_debugger(self, events: DebugEvents | None) -> None:
        self._events = events

    def deliver_signal(self, tid: int, signal: int) -> None:
        core = self.core_of(tid)
        if core is None:
            return
        trap = self._faults.pop(core.gid, None) or Trap(TrapKind.UNKNOWN, core.pc)
        self.monitor.traps[core.gid] = trap
        self._signals[core.gid] = signal
        self._end_core(core, 128 + signal)

    def kill(self) -> None:
        self._killed = True
        for gid in self.gids:
            if self._alive(gid):
                self._end_core(self.machine.core(gid), 128 + SIGKILL)

    def _end_core(self, core: Core, code: int) -> None:
        self.monitor.exit_codes[core.gid] = code
        core.halted = True
        if all(c.halted for c in self.machine.started_cores()):
            self.machine.power_off()


# ---- packets ----------------------------------------------------------------------------------
def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def escape(data: bytes) -> bytes:
    out = bytearray()
    for b in data:
        if b in b"#$}*":
            out += bytes((ESCAPE, b ^ ESCAPE_XOR))
        else:
            out.append(b)
    return bytes(out)


def unescape(data: bytes) -> bytes:
    out = bytearray()
    it = iter(data)
    for b in it:
        if b == ESCAPE:
            nxt = next(it, None)
            if nxt is not None:
                out.append(nxt ^ ESCAPE_XOR)
        else:
            out.append(b)
    return bytes(out)


def frame(data: bytes) -> bytes:
    body = escape(data)
    return b"$" + body + b"#" + f"{checksum(body):02x}".encode()


class _Reader:
    """Splits the client's byte stream into packets, interrupts and acks. A packet is acked
    ('+', or '-' for a bad checksum) before it is handed on, so the ack precedes the reply."""

    def __init__(self, on_packet, on_interrupt, on_nak, send_ack) -> None:
        self.on_packet, self.on_interrupt, self.on_nak = on_packet, on_interrupt, on_nak
        self.send_ack = send_ack
        self._buf: bytearray | None = None      # inside a packet: its bytes so far
        self._sum: bytearray | None = None      # after '#': checksum digits so far

    def feed(self, data: bytes) -> None:
        for b in data:
            if self._sum is not None:
                self._sum.append(b)
                if len(self._sum) == 2:
                    self._end_packet()
            elif self._buf is not None:
                if b == ord("#"):
                    self._sum = bytearray()
                elif b == ord("$"):
                    self._buf = bytearray()          # restart: the previous one was cut
                elif len(self._buf) >= MAX_PACKET:
                    self._buf = None
                else:
                    self._buf.append(b)
            elif b == ord("$"):
                self._buf = bytearray()
            elif b == INTERRUPT:
                self.on_interrupt()
            elif b == ord("-"):
                self.on_nak()
            # '+' and garbage between packets: ignored

    def _end_packet(self) -> None:
        body, digits = bytes(self._buf or b""), bytes(self._sum or b"")
        self._buf = self._sum = None
        try:
            good = int(digits, 16) == checksum(body)
        except ValueError:
            good = False
        self.send_ack(b"+" if good else b"-")
        if good:
            self.on_packet(unescape(body))


_DISCONNECT = None


class GdbServer:
    """Serves one gdb at a time on 127.0.0.1:port and runs the target under its control."""

    def __init__(self, target: DebugTarget, port: int = 0, host: str = LOCALHOST,
                 log=None) -> None:
        self.target = target
        self.machine = target.machine
        self.listener = socket.create_server((host, port))
        self.port = self.listener.getsockname()[1]
        self.log = log
        self._conn: socket.socket | None = None
        self._conn_lock = threading.Lock()
        self._send_lock = threading.Lock()        # acks (reader) and replies (serve) interleave
        self._packets: queue.Queue = queue.Queue()
        self._connected = threading.Event()
        self._interrupt = threading.Event()
        self._new_client = False
        self._client_gone = False
        self._end_reported = False
        self._last_sent = b""
        self._closing = False
        self.debugger: CoreDebugger | None = None
        self._core_stop: CoreStop | None = None
        self._fault: tuple[int, int] | None = None
        self._last_stop = ""
        self._g_tid = 0              # thread for registers and memory (Hg), 0: the stopped one
        self._stop_tid = 0

    # ---- public ----------------------------------------------------------------------------
    def serve(self, wait: bool = False) -> tuple[str, int] | None:
        """Run the program under the debugger until it ends; returns target.exit_status().
        wait: do not start the machine before a gdb has connected."""
        threading.Thread(target=self._accept_loop, name="gdb-accept", daemon=True).start()
        if wait:
            self._connected.wait()
        try:
            while True:
                if self._conn is not None and self.debugger is None:
                    self._attach()
                status = self.target.exit_status()
                if status is not None:
                    self._report_end(status)
                    return status
                if self.debugger is not None:
                    item = self._packets.get()
                    if item is _DISCONNECT:
                        self._detach()
                    else:
                        self._handle(item)
                else:
                    self._execute(None)
        finally:
            self._closing = True
            self.listener.close()
            self._drop_client()

    # ---- connections -----------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._closing:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self._conn_lock:
                if self._conn is not None or self._closing:
                    conn.close()                  # one client at a time
                    continue
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._conn = conn
                self._new_client = True
            threading.Thread(target=self._read_loop, args=(conn,), name="gdb-read",
                             daemon=True).start()
            self._connected.set()
            self.machine.pause()                  # all-stop: the new client finds it stopped

    def _read_loop(self, conn: socket.socket) -> None:
        def interrupt() -> None:
            self._interrupt.set()
            self.machine.pause()

        reader = _Reader(self._packets.put, interrupt, lambda: self._send_raw(self._last_sent),
                         self._send_raw)
        while True:
            try:
                data = conn.recv(PACKET_SIZE)
            except OSError:
                data = b""
            if not data:
                break
            reader.feed(data)
        with self._conn_lock:
            if self._conn is conn:
                self._client_gone = True
                self._packets.put(_DISCONNECT)
                self.machine.pause()              # let serve() notice between slices

    def _send_raw(self, data: bytes) -> None:
        conn = self._conn
        if conn is None or not data:
            return
        try:
            with self._send_lock:
                conn.sendall(data)
        except OSError:
            pass                                  # the reader sees the disconnect

    def _send(self, reply: str | bytes) -> None:
        data = reply.encode("latin-1") if isinstance(reply, str) else reply
        if self.log is not None:
            self.log(f"<- {data[:200]!r}")
        self._last_sent = frame(data)
        self._send_raw(self._last_sent)

    def _drop_client(self) -> None:
        with self._conn_lock:
            conn, self._conn = self._conn, None
            self._packets = queue.Queue()
        if conn is not None:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _attach(self) -> None:
        self._new_client = False
        self._client_gone = False
        self.debugger = CoreDebugger(self.machine, self.target.thread_on, self._on_core_stop,
                                     lambda tid, va: self.target.translate(tid, va, False))
        self.target.attach_debugger(self)
        threads = self.target.threads()
        if not self._last_stop and threads:
            self._stop_tid = threads[0].tid
            self._last_stop = f"T{SIGTRAP:02x}thread:{self._stop_tid:x};"
        self._interrupt.clear()

    def _detach(self) -> None:
        """Remove every hook and let the program run on (D, or the client went away)."""
        if self.debugger is not None:
            self.debugger.close()
            self.debugger = None
        self.target.attach_debugger(None)
        self._drop_client()
        self._last_stop = ""
        self._core_stop = None
        self._client_gone = False
        self._interrupt.clear()

    # ---- execution -------------------------------------------------------------------------
    def fault(self, tid: int, signal: int) -> None:
        if self._fault is None:
            self._fault = (tid, signal)
        self.machine.pause()

    def _on_core_stop(self, stop: CoreStop) -> None:
        if self._core_stop is None:
            self._core_stop = stop

    def _execute(self, step_tid: int | None) -> str | None:
        """Run (or step step_tid) until something stops the machine; the stop reply, or None
        when there is no client to tell or the program ended (serve() reports that)."""
        self._core_stop = None
        self._fault = None
        while True:
            self.machine.stop_requested = False
            if self._interrupt.is_set() or self._new_client or self._client_gone:
                break
            if step_tid is not None and self.debugger is not None:
                core = self.target.core_of(step_tid)
                if core is not None:
                    self.debugger.step(core, step_tid, self._insn_at(step_tid, core.pc),
                                       self.target.run)
                    break
            slices = self.machine.slices
            finished = self.target.run()
            if finished or self._core_stop or self._fault or self._interrupt.is_set() \
                    or self._new_client or self._client_gone or self.debugger is None:
                break
            if self.machine.slices == slices and not self.machine.stop_requested:
                break                          # nothing can run: stop rather than spin
        if self.debugger is not None:
            self.debugger.end_resume()
            self.debugger.settle()
        return self._stop_reply(stepping=step_tid is not None)

    def _stop_reply(self, stepping: bool = False) -> str | None:
        if self.target.exit_status() is not None or self.debugger is None:
            return None
        stop, fault = self._core_stop, self._fault
        if stop is not None:
            self._stop_tid = stop.tid
            extra = ""
            if stop.kind == StopKind.WATCHPOINT and stop.watch_kind is not None:
                extra = f"{stop.watch_kind.value}:{stop.data_address:x};"
            reply = f"T{SIGTRAP:02x}{extra}thread:{stop.tid:x};"
        elif fault is not None:
            self._stop_tid = fault[0]
            reply = f"T{fault[1]:02x}thread:{fault[0]:x};"
        else:
            interrupted = self._interrupt.is_set() and not stepping
            self._interrupt.clear()
            tid = self._current_tid()
            signal = SIGINT if interrupted else SIGTRAP
            reply = f"T{signal:02x}thread:{tid:x};" if tid else f"S{signal:02x}"
        self._g_tid = 0
        self._last_stop = reply
        return reply

    def _report_end(self, status: tuple[str, int]) -> None:
        if self._conn is not None and not self._end_reported:
            kind, value = status
            self._send(f"{'W' if kind == 'exited' else 'X'}{value & 0xFF:02x}")
        if self.debugger is not None:
            self.debugger.close()
            self.debugger = None

    def _current_tid(self) -> int:
        tids = [t.tid for t in self.target.threads()]
        for tid in (self._g_tid, self._stop_tid):
            if tid in tids:
                return tid
        return tids[0] if tids else 0

    def _insn_at(self, tid: int, va: int) -> int | None:
        data = self._read_memory(tid, va, 4)
        return int.from_bytes(data, "little") if len(data) == 4 else None

    # ---- memory ----------------------------------------------------------------------------
    def _read_memory(self, tid: int, va: int, length: int) -> bytes:
        out = bytearray()
        mem = self.machine.memory
        while length > 0:
            n = min(length, PAGE_SIZE - (va & (PAGE_SIZE - 1)))
            pa = self.target.translate(tid, va & 0xFFFF_FFFF, False)
            if pa is None or not mem.is_ram(pa):
                break
            out += mem.read(pa, n)
            va, length = va + n, length - n
        return bytes(out)

    def _write_memory(self, tid: int, va: int, data: bytes) -> bool:
        mem = self.machine.memory
        pos = 0
        while pos < len(data):
            n = min(len(data) - pos, PAGE_SIZE - (va & (PAGE_SIZE - 1)))
            pa = self.target.translate(tid, va & 0xFFFF_FFFF, True)
            if pa is None or not mem.is_ram(pa):
                return False
            mem.write(pa, data[pos:pos + n])
            va, pos = va + n, pos + n
        for core in self.machine.started_cores():
            core.flush_code()                     # the bytes may be code a core translated
        return True

    # ---- packet dispatch -------------------------------------------------------------------
    def _handle(self, packet: bytes) -> None:
        if self.log is not None:
            self.log(f"-> {packet[:200]!r}")
        try:
            reply = self._dispatch(packet)
        except (ValueError, IndexError, KeyError, OverflowError):
            reply = "E01"                         # malformed packet
        if reply is not None:
            self._send(reply)

    def _dispatch(self, packet: bytes) -> str | bytes | None:
        text = packet.decode("latin-1")
        if not text:
            return ""
        head = text[0]
        if head == "?":
            return self._last_stop or f"S{SIGTRAP:02x}"
        if head == "q":
            return self._query(text)
        if head == "H":
            tid = _parse_tid(text[2:])
            if text[1:2] == "g":
                self._g_tid = tid if tid > 0 else 0
            return "OK"
        if head == "T":
            tid = _parse_tid(text[1:])
            return "OK" if any(t.tid == tid for t in self.target.threads()) else "E01"
        if head == "g":
            return self._read_all_registers()
        if head == "G":
            return self._write_all_registers(text[1:])
        if head == "p":
            return self._read_register(int(text[1:], 16))
        if head == "P":
            num, value = text[1:].split("=")
            return self._write_register(int(num, 16), value)
        if head == "m":
            addr, length = (int(x, 16) for x in text[1:].split(","))
            data = self._read_memory(self._current_tid(), addr, min(length, PACKET_SIZE // 2))
            return data.hex() if data or not length else "E14"
        if head == "M":
            where, hexdata = text[1:].split(":", 1)
            addr, length = (int(x, 16) for x in where.split(","))
            data = bytes.fromhex(hexdata)[:length]
            return "OK" if self._write_memory(self._current_tid(), addr, data) else "E14"
        if head == "X":
            colon = packet.index(b":")
            addr, length = (int(x, 16) for x in text[1:colon].split(","))
            data = packet[colon + 1:colon + 1 + length]
            if not length:
                return "OK"
            return "OK" if self._write_memory(self._current_tid(), addr, data) else "E14"
        if head in "cs":
            return self._resume(step=head == "s", signal=0, tid=None)
        if head in "CS":
            sig = int(text[1:].split(";")[0], 16)
            return self._resume(step=head == "S", signal=sig, tid=None)
        if head == "v":
            return self._v_packet(text)
        if head in "Zz":
            return self._breakpoint(head == "Z", text[1:])
        if head == "D":
            self._send("OK")
            self._detach()
            return None
        if head == "k":
            self.target.kill()
            self._drop_client()
            return None
        return ""

    def _query(self, text: str) -> str:
        if text.startswith("qSupported"):
            return (f"PacketSize={PACKET_SIZE:x};qXfer:features:read+;vContSupported+")
        if text.startswith("qXfer:features:read:"):
            annex, _, span = text[len("qXfer:features:read:"):].partition(":")
            if annex != "target.xml":
                return "E00"
            offset, length = (int(x, 16) for x in span.split(","))
            chunk = TARGET_XML[offset:offset + length]
            return ("m" if offset + length < len(TARGET_XML) else "l") + chunk
        if text == "qAttached" or text.startswith("qAttached:"):
            return "1"
        if text == "qC":
            tid = self._current_tid()
            return f"QC{tid:x}" if tid else ""
        if text == "qfThreadInfo":
            tids = [t.tid for t in self.target.threads()]
            return "m" + ",".join(f"{t:x}" for t in tids) if tids else "l"
        if text == "qsThreadInfo":
            return "l"
        if text.startswith("qThreadExtraInfo,"):
            tid = _parse_tid(text.split(",", 1)[1])
            info = next((t.extra for t in self.target.threads() if t.tid == tid), "")
            return info.encode().hex()
        if text.startswith("qSymbol"):
            return "OK"
        return ""

    def _v_packet(self, text: str) -> str | None:
        if text == "vCont?":
            return "vCont;c;C;s;S"
        if text.startswith("vCont;"):
            step_tid, signals = None, {}
            for action in text[len("vCont;"):].split(";"):
                op, _, tid_text = action.partition(":")
                tid = _parse_tid(tid_text) if tid_text else -1
                if not op:
                    continue
                if op[0] in "CS":
                    signals[tid] = int(op[1:], 16)
                if op[0] in "sS" and step_tid is None:
                    step_tid = tid
            current = self._current_tid()
            for tid, sig in signals.items():
                if sig:
                    self.target.deliver_signal(tid if tid > 0 else current, sig)
            if step_tid is not None:
                step_tid = step_tid if step_tid > 0 else current
            return self._resume_now(step_tid)
        if text.startswith("vKill"):
            self.target.kill()
            self._end_reported = True          # gdb wants OK, not an exit reply
            return "OK"
        if text == "vMustReplyEmpty":
            return ""
        return ""

    def _resume(self, step: bool, signal: int, tid: int | None) -> str | None:
        current = self._current_tid()
        if signal:
            self.target.deliver_signal(current, signal)
        return self._resume_now(current if step else None)

    def _resume_now(self, step_tid: int | None) -> str | None:
        if self.debugger is not None:
            self.debugger.resume_from(self._core_stop)
        reply = self._execute(step_tid)
        if self._conn is None:
            return None
        return reply                    # None when the program ended: serve() reports it

    def _breakpoint(self, insert: bool, args: str) -> str:
        parts = args.split(";")[0].split(",")
        ztype, addr, kind = int(parts[0]), int(parts[1], 16), int(parts[2], 16)
        dbg = self.debugger
        if dbg is None:
            return "E01"
        if ztype in (Z_SOFTWARE, Z_HARDWARE):
            if insert:
                dbg.add_breakpoint(addr)
                return "OK"
            dbg.remove_breakpoint(addr)
            return "OK"
        wkind = _WATCH_TYPES.get(ztype)
        if wkind is None:
            return ""
        if insert:
            tid = self._current_tid()
            return "OK" if kind > 0 and dbg.add_watchpoint(wkind, addr, kind, tid) else "E01"
        dbg.remove_watchpoint(wkind, addr, kind)
        return "OK"

    # ---- registers -------------------------------------------------------------------------
    def _regs(self) -> RegisterFile | None:
        tid = self._current_tid()
        return self.target.registers(tid) if tid else None

    def _read_register(self, regno: int) -> str:
        regs = self._regs()
        if regs is None or not 0 <= regno < NUM_REGS:
            return "E01"
        return _reg_hex(read_gdb_register(regs, regno))

    def _write_register(self, regno: int, hexvalue: str) -> str:
        regs = self._regs()
        if regs is None or not 0 <= regno < NUM_REGS:
            return "E01"
        value = int.from_bytes(bytes.fromhex(hexvalue)[:REG_BYTES], "little")
        return "OK" if write_gdb_register(regs, regno, value) else "E01"

    def _read_all_registers(self) -> str:
        regs = self._regs()
        if regs is None:
            return "E01"
        return "".join(_reg_hex(read_gdb_register(regs, n)) for n in range(NUM_REGS))

    def _write_all_registers(self, hexdata: str) -> str:
        regs = self._regs()
        if regs is None:
            return "E01"
        width = REG_BYTES * 2
        for n in range(min(NUM_REGS, len(hexdata) // width)):
            chunk = hexdata[n * width:(n + 1) * width]
            if "x" not in chunk:
                write_gdb_register(regs, n, int.from_bytes(bytes.fromhex(chunk), "little"))
        return "OK"


def _reg_hex(value: int | None) -> str:
    if value is None:
        return "x" * (REG_BYTES * 2)
    return (value & 0xFFFF_FFFF).to_bytes(REG_BYTES, "little").hex()


def _parse_tid(text: str) -> int:
    text = text.strip()
    if text.startswith("p"):                      # multiprocess form p<pid>.<tid>
        text = text.split(".")[-1]
    return -1 if text == "-1" else int(text or "0", 16)


# ---- a runner: python -m emulator.gdbstub PROGRAM ---------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m emulator.gdbstub",
                                 description="Run a bare-metal program under a GDB stub.")
    ap.add_argument("program")
    ap.add_argument("--topology", "-t", default="1x1x2")
    ap.add_argument("--memory", "-m", default="8M")
    ap.add_argument("--cores", default="0", help="global core ids, e.g. 0,1")
    ap.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    ap.add_argument("--no-wait", action="store_true", help="start before gdb connects")
    ap.add_argument("--log", action="store_true", help="log packets on stderr")
    args = ap.parse_args(argv)
    machine = Machine(load_topology(args.topology, args.memory))
    with open(args.program, "rb") as f:
        elf = parse_elf(f.read(), args.program)
    target = BareMetalTarget(machine, elf, [int(g) for g in args.cores.split(",")])
    log = (lambda s: print(s, file=sys.stderr, flush=True)) if args.log else None
    server = GdbServer(target, args.port, log=log)
    print(f"gdbstub: listening on {LOCALHOST}:{server.port}", flush=True)
    status = server.serve(wait=not args.no_wait)
    sys.stdout.write(target.monitor.output.decode(errors="replace"))
    print(f"gdbstub: {status[0]} {status[1]}" if status else "gdbstub: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
