"""GDB remote stub: debug the programs running on the emulated machine with gdb-multiarch.

The GDB Remote Serial Protocol over TCP (127.0.0.1 only), all-stop: when one thread stops
(breakpoint, watchpoint, step done, fault, Ctrl-C) the whole machine stops at the next slice
boundary (Machine.pause()). Breakpoints, watchpoints and stepping are Unicorn hooks on the
cores (emulator/debug.py); threads, registers and address spaces belong to the software that
runs on the machine, reached through the `DebugTarget` protocol (emulator/gdbtarget.py, with
`BareMetalTarget` for bare-metal runs). Packet framing is emulator/rsp.py, the register
numbering emulator/gdbregs.py.

Served: qSupported (PacketSize, qXfer:features:read+, vContSupported+), a MIPS32 target
description (org.gnu.gdb.mips.cpu / cp0 / fpu: gdb numbering 0-31 GPRs, 32 sr, 33 lo, 34 hi,
35 badvaddr, 36 cause, 37 pc, 38-69 f0-f31, 70 fcsr, 71 fir), ?, g/G, p/P, m/M/X (virtual
addresses of the selected thread's address space), c/C/s/S, vCont (c, C, s, S, per thread),
Z0/z0 and Z1 (code hooks), Z2/Z3/Z4 (write/read/access watchpoints), H, T, qfThreadInfo,
qsThreadInfo, qThreadExtraInfo, qC, qAttached, D (detach: the program runs on), k, vKill,
0x03 (interrupt). Stop replies: T05thread:ID for breakpoints and steps,
T05watch|rwatch|awatch:ADDR;thread:ID for watchpoints, TNN for a fault, T02 for Ctrl-C, WNN
(exit code) / XNN (killed) when the program ended; signals in GDB's numbering (SIGSEGV 0b,
SIGILL 04, SIGBUS 0a, SIGTRAP 05, SIGFPE 08, SIGUSR1 1e: emulator/rsp.py converts the guest's).

Replies to the rest: a packet we do not know gets the empty reply (so does a Z type we do
not have). A malformed one gets E01 and does nothing: a field that is not plain hex, data
whose length disagrees with its length field, a G without every register, a truncated
escape, a packet longer than PacketSize, a vCont action other than c/C/s/S (an empty one
included: t is for non-stop mode, r was not offered), a signal the guest does not have, an
FCSR value that would trap. A bad checksum, or checksum digits that are not hex, get '-';
bytes between packets are skipped, and a client that disconnects is treated as a detach:
the program always runs on.

Wiring (the CLI): build the machine and the software, wrap it in a target, then instead of
running the machine, `status = GdbServer(target, port).serve(wait=gdb_wait)` (see main()).
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

from almos.emulator.debug import CoreDebugger, CoreStop, StopKind, WatchKind
from almos.emulator.elf import parse_elf
from almos.emulator.gdbregs import (
    NUM_REGS,
    REG_BYTES,
    REG_PC,
    TARGET_XML,
    RegisterFile,
    can_write_gdb_register,
    read_gdb_register,
    reg_hex,
    write_gdb_register,
)
from almos.emulator.gdbtarget import BareMetalTarget, DebugTarget
from almos.emulator.machine import Machine
from almos.emulator.memory import PAGE_SIZE
from almos.emulator.rsp import (
    ALL_THREADS,
    GDB_SIGINT,
    GDB_SIGTRAP,
    PACKET_SIZE,
    Malformed,
    PacketReader,
    frame,
    gdb_signal,
    mips_signal,
    parse_addr_length,
    parse_hex,
    parse_hex_bytes,
    parse_tid,
    unescape,
)
from almos.emulator.topology import load_topology

LOCALHOST = "127.0.0.1"

_WATCH_TYPES = {2: WatchKind.WRITE, 3: WatchKind.READ, 4: WatchKind.ACCESS}
Z_SOFTWARE, Z_HARDWARE = 0, 1
E_MALFORMED = "E01"               # a packet we cannot parse, or a request we refuse
E_ANNEX = "E00"                   # qXfer of an annex we do not have
E_MEMORY = "E14"                  # EFAULT: no memory at the address
VCONT_ACTIONS = "vCont;c;C;s;S"
Action = tuple[str, int, int]     # vCont action: (op c/s, Linux MIPS signal or 0, thread-id)


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

        reader = PacketReader(self._packets.put, interrupt, lambda: self._send_raw(self._last_sent),
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
            self._last_stop = f"T{GDB_SIGTRAP:02x}thread:{self._stop_tid:x};"
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
            reply = f"T{GDB_SIGTRAP:02x}{extra}thread:{stop.tid:x};"
        elif fault is not None:
            self._stop_tid = fault[0]
            reply = f"T{gdb_signal(fault[1]):02x}thread:{fault[0]:x};"
        else:
            interrupted = self._interrupt.is_set() and not stepping
            self._interrupt.clear()
            tid = self._current_tid()
            signal = GDB_SIGINT if interrupted else GDB_SIGTRAP
            reply = f"T{signal:02x}thread:{tid:x};" if tid else f"S{signal:02x}"
        self._g_tid = 0
        self._last_stop = reply
        return reply

    def _report_end(self, status: tuple[str, int]) -> None:
        if self._conn is not None and not self._end_reported:
            kind, value = status
            if kind == "exited":
                self._send(f"W{value & 0xFF:02x}")
            else:
                self._send(f"X{gdb_signal(value):02x}")
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
    def _handle(self, raw: bytes) -> None:
        if self.log is not None:
            self.log(f"-> {raw[:200]!r}")
        try:
            if len(raw) > PACKET_SIZE:
                raise Malformed("longer than the PacketSize we announced")
            reply = self._dispatch(unescape(raw))
        except Malformed:
            reply = E_MALFORMED
        if reply is not None:
            self._send(reply)

    def _dispatch(self, packet: bytes) -> str | bytes | None:
        """The reply to one packet (None: sent already, or none due). Malformed if a field
        does not parse; a packet we do not know gets the empty reply."""
        text = packet.decode("latin-1")
        if not text:
            return ""
        head, args = text[0], text[1:]
        if head == "?":
            _no_args(args)
            return self._last_stop or f"S{GDB_SIGTRAP:02x}"
        if head == "q":
            return self._query(text)
        if head == "v":
            return self._v_packet(text)
        if head == "H":
            if args[:1] not in ("g", "c"):
                raise Malformed("H needs g or c")
            tid = parse_tid(args[1:])
            if args[0] == "g":
                self._g_tid = tid if tid > 0 else 0
            return "OK"
        if head == "T":
            tid = parse_tid(args)
            return "OK" if any(t.tid == tid for t in self.target.threads()) else E_MALFORMED
        if head == "g":
            _no_args(args)
            return self._read_all_registers()
        if head == "G":
            return self._write_all_registers(args)
        if head == "p":
            return self._read_register(parse_hex(args))
        if head == "P":
            num, equals, value = args.partition("=")
            if not equals:
                raise Malformed("P needs n=value")
            return self._write_register(parse_hex(num), parse_hex_bytes(value))
        if head == "m":
            addr, length = parse_addr_length(args)
            data = self._read_memory(self._current_tid(), addr, min(length, PACKET_SIZE // 2))
            return data.hex() if data or not length else E_MEMORY
        if head in "MX":
            at = packet.find(b":")
            if at < 0:
                raise Malformed(f"{head} needs addr,length:data")
            addr, length = parse_addr_length(text[1:at])
            data = parse_hex_bytes(text[at + 1:]) if head == "M" else packet[at + 1:]
            return self._write(addr, length, data)
        if head in "csCS":
            return self._resume_packet(head, args)
        if head in "Zz":
            return self._breakpoint(head == "Z", args)
        if head == "D":
            _pid(args)
            self._send("OK")
            self._detach()
            return None
        if head == "k":
            self.target.kill()
            self._drop_client()
            return None
        return ""

    def _write(self, addr: int, length: int, data: bytes) -> str:
        """M and X: exactly length bytes of data at addr (a zero-length X is gdb's probe)."""
        if len(data) != length:
            raise Malformed("data and length disagree")
        if not data or self._write_memory(self._current_tid(), addr, data):
            return "OK"
        return E_MEMORY

    def _query(self, text: str) -> str:
        if text.startswith("qSupported"):
            return f"PacketSize={PACKET_SIZE:x};qXfer:features:read+;vContSupported+"
        if text.startswith("qXfer:features:read:"):
            annex, _, span = text[len("qXfer:features:read:"):].partition(":")
            offset, length = parse_addr_length(span)
            if annex != "target.xml":
                return E_ANNEX
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
            tid = parse_tid(text.split(",", 1)[1])
            info = next((t.extra for t in self.target.threads() if t.tid == tid), "")
            return info.encode().hex()
        if text.startswith("qSymbol"):
            return "OK"
        return ""

    def _v_packet(self, text: str) -> str | None:
        if text == "vCont?":
            return VCONT_ACTIONS
        if text.startswith("vCont;"):
            return self._resume_actions(_vcont_actions(text[len("vCont;"):]))
        if text.startswith("vKill"):
            _pid(text[len("vKill"):])
            self.target.kill()
            self._end_reported = True          # gdb wants OK, not an exit reply
            return "OK"
        return ""

    def _resume_packet(self, head: str, args: str) -> str | None:
        """c [addr], s [addr], C sig[;addr], S sig[;addr]: the current thread."""
        signal, addr_text = 0, args
        if head in "CS":
            sig_text, _, addr_text = args.partition(";")
            signal = _guest_signal(parse_hex(sig_text))
        if addr_text:
            regs = self._regs()
            if regs is None:
                return E_MALFORMED
            write_gdb_register(regs, REG_PC, parse_hex(addr_text))
        return self._resume_actions([(head.lower(), signal, self._current_tid())])

    def _resume_actions(self, actions: list[Action]) -> str | None:
        """Deliver the actions' signals, then resume: stepping the first thread told to step,
        all the others running."""
        current = self._current_tid()
        step_tid = None
        for op, signal, tid in actions:
            tid = tid if tid > 0 else current
            if signal:
                self.target.deliver_signal(tid, signal)
            if op == "s" and step_tid is None:
                step_tid = tid
        return self._resume_now(step_tid)

    def _resume_now(self, step_tid: int | None) -> str | None:
        if self.debugger is not None:
            self.debugger.resume_from(self._core_stop)
        reply = self._execute(step_tid)
        if self._conn is None:
            return None
        return reply                    # None when the program ended: serve() reports it

    def _breakpoint(self, insert: bool, args: str) -> str:
        fields = args.split(";")[0].split(",")
        if len(fields) != 3:
            raise Malformed("Z needs type,addr,kind")
        ztype, addr, kind = (parse_hex(f) for f in fields)
        dbg = self.debugger
        if ztype in (Z_SOFTWARE, Z_HARDWARE):
            if dbg is None:
                return E_MALFORMED
            if insert:
                dbg.add_breakpoint(addr)
            else:
                dbg.remove_breakpoint(addr)
            return "OK"
        wkind = _WATCH_TYPES.get(ztype)
        if wkind is None:
            return ""                   # a type we do not have
        if dbg is None:
            return E_MALFORMED
        if insert:
            tid = self._current_tid()
            ok = kind > 0 and dbg.add_watchpoint(wkind, addr, kind, tid)
            return "OK" if ok else E_MALFORMED
        dbg.remove_watchpoint(wkind, addr, kind)
        return "OK"

    # ---- registers -------------------------------------------------------------------------
    def _regs(self) -> RegisterFile | None:
        tid = self._current_tid()
        return self.target.registers(tid) if tid else None

    def _read_register(self, regno: int) -> str:
        regs = self._regs()
        if regs is None or not 0 <= regno < NUM_REGS:
            return E_MALFORMED
        return reg_hex(read_gdb_register(regs, regno))

    def _write_register(self, regno: int, data: bytes) -> str:
        if len(data) != REG_BYTES:
            raise Malformed("a register is 4 bytes")
        regs = self._regs()
        if regs is None:
            return E_MALFORMED
        ok = write_gdb_register(regs, regno, int.from_bytes(data, "little"))
        return "OK" if ok else E_MALFORMED

    def _read_all_registers(self) -> str:
        regs = self._regs()
        if regs is None:
            return E_MALFORMED
        return "".join(reg_hex(read_gdb_register(regs, n)) for n in range(NUM_REGS))

    def _write_all_registers(self, hexdata: str) -> str:
        """G: every register, as g sends them ('x's: leave it); all or nothing."""
        width = REG_BYTES * 2
        if len(hexdata) != NUM_REGS * width:
            raise Malformed("G needs every register")
        values: dict[int, int] = {}
        for n in range(NUM_REGS):
            chunk = hexdata[n * width:(n + 1) * width]
            if chunk != "x" * width:
                values[n] = int.from_bytes(parse_hex_bytes(chunk), "little")
        regs = self._regs()
        if regs is None or not all(can_write_gdb_register(n, v) for n, v in values.items()):
            return E_MALFORMED
        for n, value in values.items():
            write_gdb_register(regs, n, value)
        return "OK"


def _no_args(args: str) -> None:
    if args:
        raise Malformed("no arguments expected")


def _pid(text: str) -> None:
    """The optional ;pid after D and vKill: checked, then ignored (there is one process)."""
    if text:
        if text[0] != ";":
            raise Malformed("bad pid")
        parse_hex(text[1:])


def _guest_signal(gdb: int) -> int:
    """GDB's signal number -> the guest's (0: none); Malformed for a signal it does not have."""
    if not gdb:
        return 0
    signal = mips_signal(gdb)
    if signal is None:
        raise Malformed(f"no such signal: {gdb}")
    return signal


def _vcont_actions(text: str) -> list[Action]:
    """The actions of vCont;ACTION[:TID]...: c, Csig, s, Ssig (what vCont? offers); anything
    else, an empty list included, is refused: t is for non-stop mode, r was not offered."""
    actions = []
    for action in text.split(";"):
        op, colon, tid_text = action.partition(":")
        tid = parse_tid(tid_text) if colon else ALL_THREADS
        if op in ("c", "s"):
            actions.append((op, 0, tid))
        elif op[:1] in ("C", "S") and len(op) > 1:
            actions.append((op[0].lower(), _guest_signal(parse_hex(op[1:])), tid))
        else:
            raise Malformed(f"vCont action {op!r} not supported")
    return actions


# ---- a runner: python -m almos.emulator.gdbstub PROGRAM ---------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m almos.emulator.gdbstub",
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
