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
0x03 (interrupt). Anything else gets the empty reply. Stop replies: T05thread:ID; for
breakpoints and steps, T05watch|rwatch|awatch:ADDR;thread:ID; for watchpoints, TNN for a
fault (SIGSEGV 0b, SIGILL 04, SIGBUS 0a, SIGTRAP 05, SIGFPE 08), T02 for Ctrl-C, WNN / XNN
when the program ended. A bad checksum gets '-', garbage is skipped, and a client that
disconnects is treated as a detach: the program always runs on.

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

from emulator.debug import CoreDebugger, CoreStop, StopKind, WatchKind
from emulator.elf import parse_elf
from emulator.gdbregs import (
    NUM_REGS,
    REG_BYTES,
    TARGET_XML,
    RegisterFile,
    read_gdb_register,
    reg_hex,
    write_gdb_register,
)
from emulator.gdbtarget import SIGINT, SIGTRAP, BareMetalTarget, DebugTarget
from emulator.machine import Machine
from emulator.memory import PAGE_SIZE
from emulator.rsp import PACKET_SIZE, PacketReader, frame, parse_tid
from emulator.topology import load_topology

LOCALHOST = "127.0.0.1"

_WATCH_TYPES = {2: WatchKind.WRITE, 3: WatchKind.READ, 4: WatchKind.ACCESS}
Z_SOFTWARE, Z_HARDWARE = 0, 1


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
            tid = parse_tid(text[2:])
            if text[1:2] == "g":
                self._g_tid = tid if tid > 0 else 0
            return "OK"
        if head == "T":
            tid = parse_tid(text[1:])
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
            tid = parse_tid(text.split(",", 1)[1])
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
                tid = parse_tid(tid_text) if tid_text else -1
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
        return reg_hex(read_gdb_register(regs, regno))

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
        return "".join(reg_hex(read_gdb_register(regs, n)) for n in range(NUM_REGS))

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
