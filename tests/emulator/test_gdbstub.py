"""The GDB remote stub against the real gdb-multiarch (batch mode) and a raw socket.

Each test starts `python -m almos.emulator.gdbstub PROGRAM` (a bare-metal run, one thread per core)
in a subprocess on a free port, then drives it with gdb-multiarch or with hand-made packets.
Programs are in tests/emulator/gdbprogs/, built -g -O0; the tests find lines by their MARK
comments. The stub must never write to stderr (no traceback, no Unicorn warning).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from almos.emulator.rsp import PACKET_SIZE, checksum

CC = "mipsel-linux-gnu-gcc"
GDB = "gdb-multiarch"
CFLAGS = ("-g", "-O0", "-static", "-nostdlib", "-fno-pic", "-mno-abicalls")
PROGS = Path(__file__).resolve().parent / "gdbprogs"
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30              # seconds, for anything that could hang
STARTUP = re.compile(r"listening on 127\.0\.0\.1:(\d+)")



@pytest.fixture(scope="module")
def progs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    for tool in (CC, GDB):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: run `make debs`")
    out = tmp_path_factory.mktemp("gdbprogs")
    built = {}
    for src in sorted(PROGS.glob("*.c")):
        exe = out / src.stem
        subprocess.run([CC, *CFLAGS, "-o", str(exe), str(src)], check=True)
        built[src.stem] = exe
    return built


def mark_line(name: str, mark: str) -> int:
    """The line of PROGS/name.c that holds the comment MARK <mark>."""
    for n, line in enumerate((PROGS / f"{name}.c").read_text().splitlines(), 1):
        if f"MARK {mark} " in line:
            return n
    raise AssertionError(f"no MARK {mark} in {name}.c")


@dataclass
class Stub:
    proc: subprocess.Popen
    port: int

    def finish(self) -> str:
        """Wait for the runner to end; its stdout (program output, exit status). Its stderr
        must be empty."""
        out, err = self.proc.communicate(timeout=TIMEOUT)
        assert err == "", err
        return out


@pytest.fixture
def stub_factory() -> Iterator:
    procs: list[subprocess.Popen] = []

    def start(prog: Path, cores: str = "0", topology: str = "1x1x2",
              wait: bool = True) -> Stub:
        cmd = [sys.executable, "-m", "almos.emulator.gdbstub", str(prog), "--cores", cores,
               "--topology", topology]
        if not wait:
            cmd.append("--no-wait")
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        procs.append(proc)
        first = proc.stdout.readline()
        m = STARTUP.search(first)
        assert m, f"runner did not start: {first!r}"
        return Stub(proc, int(m.group(1)))

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def gdb(stub: Stub, prog: Path, *commands: str) -> str:
    cmd = [GDB, "-nx", "-batch", "-ex", "set confirm off",
           "-ex", f"target remote 127.0.0.1:{stub.port}"]
    for c in commands:
        cmd += ["-ex", c]
    # in the program's tmp dir: a crashing gdb leaves its core file there, not in the checkout
    r = subprocess.run([*cmd, str(prog)], capture_output=True, text=True, timeout=TIMEOUT,
                       cwd=prog.parent)
    return r.stdout + r.stderr


# ---- with gdb-multiarch -------------------------------------------------------------------------
def test_break_function_and_line_backtrace_print(progs, stub_factory) -> None:
    stub = stub_factory(progs["cores"])
    counter_line = mark_line("cores", "counter")
    out = gdb(stub, progs["cores"], "break square", "continue", "bt", "print x", "print base",
              f"break cores.c:{counter_line}", "delete 1", "continue", "print sum",
              "print id", "print/x &counter", "continue")
    assert re.search(r"Breakpoint 1, square \(x=0\) at .*cores\.c:" +
                     str(mark_line("cores", "square")), out), out
    assert re.search(r"#1 .* work \(id=0\) at .*cores\.c:" + str(mark_line("cores", "loop")),
                     out), out
    assert re.search(r"#2 .* main \(gid=0, n=0, ncores=1\) at .*cores\.c:" +
                     str(mark_line("cores", "call")), out), out
    assert "$1 = 0" in out and "$2 = 100" in out
    assert re.search(rf"Breakpoint 2, work \(id=0\) at .*cores\.c:{counter_line}", out), out
    assert "$3 = 285" in out             # sum of squares 0..9
    assert "$4 = 0" in out
    assert "exited with code 03" in out
    assert "hello" in stub.finish()


def test_info_threads_lists_cores_and_breakpoint_reports_hitting_thread(progs,
                                                                        stub_factory) -> None:
    stub = stub_factory(progs["cores"], cores="0,1,2", topology="2x1x2")
    out = gdb(stub, progs["cores"], "break square if x == 2", "continue", "info threads",
              "print id", "thread 1", "delete", "continue")
    threads = re.findall(r"Thread (\d+) \((cluster \(\d,\d\) core \d)\)", out)
    assert {(t, extra) for t, extra in threads} >= {
        ("1", "cluster (0,0) core 0"), ("2", "cluster (0,0) core 1"),
        ("3", "cluster (1,0) core 0")}, out
    # x == 2 is reached first by the core whose index is 2 (i = 0) or 1 (i = 1)... any core
    m = re.search(r"Thread (\d+) hit Breakpoint 1, square \(x=2\)", out)
    assert m, out
    assert re.search(rf"\* {m.group(1)} +Thread {m.group(1)} ", out), out
    assert "exited with code 03" in out
    stub.finish()


def test_watch_global_stops_after_the_writing_line(progs, stub_factory) -> None:
    stub = stub_factory(progs["cores"])
    out = gdb(stub, progs["cores"], "watch counter", "continue", "print counter",
              "delete", "continue")
    assert "Hardware watchpoint 1: counter" in out
    assert re.search(r"Old value = 0\s+New value = 1", out), out
    # gdb reports the statement after the store (it steps over the writing instruction)
    after = mark_line("cores", "counter") + 1
    assert re.search(rf"work \(id=0\) at .*cores\.c:{after}", out), out
    assert "$1 = 1" in out
    assert "exited with code 03" in out
    stub.finish()


def test_access_watch_and_read_watch_fire_where_the_program_touches_them(progs,
                                                                          stub_factory) -> None:
    stub = stub_factory(progs["cores"])
    counter_line = mark_line("cores", "counter")
    out = gdb(stub, progs["cores"], "awatch counter", "continue", "print $pc", "continue",
              "delete", "rwatch base", "continue", "print $pc", "delete", "continue")
    # `counter = counter + 1` reads counter (stop before the load), then writes it
    read = re.search(r"Hardware access \(read/write\) watchpoint 1: counter\s+Value = 0\s+"
                     rf"(0x[0-9a-f]+) in work \(id=0\) at .*cores\.c:{counter_line}\n", out)
    assert read, out
    assert _printed_pc(out, 1) == int(read.group(1), 16), out      # stopped before the load
    assert re.search(r"Hardware access \(read/write\) watchpoint 1: counter\s+Old value = 0\s+"
                     rf"New value = 1\s+work \(id=0\) at .*cores\.c:{counter_line + 1}\n", out), out
    # `return sum + base` reads base
    base = re.search(r"Hardware read watchpoint 2: base\s+Value = 100\s+(0x[0-9a-f]+) in work "
                     rf"\(id=0\) at .*cores\.c:{counter_line + 1}\n", out)
    assert base, out
    assert _printed_pc(out, 2) == int(base.group(1), 16), out
    assert "exited with code 03" in out
    stub.finish()


def _printed_pc(out: str, n: int) -> int:
    """The value of gdb's `print $pc` number n."""
    m = re.search(rf"\${n} = \(void \(\*\)\(\)\) (0x[0-9a-f]+) <", out)
    assert m, out
    return int(m.group(1), 16)


def test_thread_specific_breakpoint_stops_only_its_thread(progs, stub_factory) -> None:
    # gdb steps the other threads over it: the stub must name the core that hit it right
    stub = stub_factory(progs["cores"], cores="0,1,2", topology="2x1x2")
    out = gdb(stub, progs["cores"], "break square thread 3", "continue", "info threads", "up",
              "print id", "print i", "continue", "print x", "delete", "continue")
    hits = re.findall(r"Thread (\d+) hit Breakpoint 1, square \(x=(\d+)\)", out)
    assert hits == [("3", "2"), ("3", "3")], out       # work(2): square(0 + 2), square(1 + 2)
    assert re.search(r"\* 3 +Thread 3 \(cluster \(1,0\) core 0\) +square \(x=2\)", out), out
    assert "$1 = 2\n$2 = 0\n" in out and "$3 = 3\n" in out, out
    assert "exited with code 03" in out
    stub.finish()


def test_breakpoint_set_while_cores_run_stops_each_core_none_runs_through(progs,
                                                                          stub_factory) -> None:
    # Four cores loop calling tick(index), counting calls[index]. Once they have all been
    # through it many times (their translations of it made), core 0 stops calling it (at
    # lap()) and a breakpoint goes on tick; the other three must stop there on every call:
    # after each stop the counts show whether a core went through without a stop reported.
    stub = stub_factory(progs["ticks"], cores="0,1,2,3", topology="1x1x4")
    stops = 12
    out = gdb(stub, progs["ticks"], "break lap", "continue", "delete", "break tick",
              "print calls", *["continue", "print calls"] * stops, "delete",
              "set var release = 1", "continue")
    hits = [(int(t), int(n)) for t, n in
            re.findall(r"Thread (\d+) hit Breakpoint 2, tick \(n=(\d+)\)", out)]
    counts = [[int(c) for c in m] for m in
              re.findall(r"\$\d+ = \{(\d+), (\d+), (\d+), (\d+)\}", out)]
    assert len(hits) == stops and len(counts) == stops + 1, out
    assert all(t == n + 1 for t, n in hits), hits          # reported on the core that hit
    assert {t for t, _ in hits} == {2, 3, 4}, hits          # every core that calls it
    base = counts[0]
    for k in range(1, stops + 1):
        assert counts[k][0] == base[0], counts              # core 0 is past calling it
        for core in (1, 2, 3):
            resumed = sum(1 for t, _ in hits[:k - 1] if t == core + 1)
            passed = counts[k][core] - base[core]
            # a call may have been past the breakpoint when it was set, and a resumed one
            # may not have reached its store yet: one either way, never more
            assert resumed - 1 <= passed <= resumed + 1, (k, core, hits, counts)
    assert "exited normally" in out, out
    stub.finish()


def test_fcsr_write_that_would_trap_is_refused_and_the_program_goes_on(progs,
                                                                      stub_factory) -> None:
    stub = stub_factory(progs["cores"])
    out = gdb(stub, progs["cores"], "set $fcsr = 0xffffffff", "print/x $fcsr",
              "set $fcsr = 0x01000f83", "print/x $fcsr", "set $fcsr = 0x007c0000",
              "print/x $fcsr", "set $fir = 0", "print/x $fir", "set $fcsr = 0", "continue")
    assert "remote failure reply 'E01'" in out, out    # an enabled cause bit would trap
    assert "$1 = 0x0\n" in out, out
    assert "$2 = 0x1000f83\n" in out, out              # FS, enables, rounding: writable
    assert "$3 = 0x0\n" in out, out                    # bits 18-22 are read-only
    assert "$4 = 0x739300\n" in out, out               # fir is read-only
    assert "exited with code 03" in out, out
    assert "exited 3" in stub.finish()


def test_stepi_and_next_across_branches(progs, stub_factory) -> None:
    stub = stub_factory(progs["cores"])
    loop = mark_line("cores", "loop")
    out = gdb(stub, progs["cores"], "break work", "continue", "stepi", "stepi",
              "x/i $pc", "stepi", "print/x $pc", "next", "next", "next", "next",
              "info line *$pc", "step", "step", "bt 1", "finish", "continue")
    # the third stepi executes `b` and its delay slot in one step: it lands on the target
    m = re.search(r"=> (0x[0-9a-f]+) <work\+\d+>:\s+b\s+(0x[0-9a-f]+)", out)
    assert m, out
    assert re.search(rf"\$1 = {m.group(2)}\b", out), out
    assert re.search(rf"^{loop}\s", out, re.M), out
    assert re.search(r"#0 +square \(x=\d\) at", out), out
    assert "Value returned is" in out     # finish
    assert "exited with code 03" in out
    stub.finish()


def test_fault_reported_as_sigsegv_at_the_faulting_line(progs, stub_factory) -> None:
    stub = stub_factory(progs["fault"])
    out = gdb(stub, progs["fault"], "continue", "bt", "print k", "continue")
    assert "Program received signal SIGSEGV" in out, out
    assert re.search(r"load \(k=1\) at .*fault\.c:" + str(mark_line("fault", "fault")), out), out
    assert re.search(r"#1 .* main \(\) at", out), out
    assert "$1 = 1" in out
    assert "Program terminated with signal SIGSEGV" in out
    assert "killed 11" in stub.finish()


def test_detach_lets_the_program_finish(progs, stub_factory) -> None:
    stub = stub_factory(progs["cores"], cores="0,1")
    out = gdb(stub, progs["cores"], "break square", "watch counter", "continue", "detach")
    assert "hit Breakpoint 1" in out and "detached" in out.lower(), out
    final = stub.finish()
    assert "hello" in final and "exited 3" in final


def test_set_variable_and_registers(progs, stub_factory) -> None:
    stub = stub_factory(progs["spin"])
    out = gdb(stub, progs["spin"], "print release", "set var release = 1", "set var bonus = 1",
              "info registers pc sp", "print $sp", "continue")
    assert "$1 = 0" in out
    assert re.search(r"pc:?\s+0x400[0-9a-f]+", out), out
    assert "exited with code 07" in out
    stub.finish()


# ---- with a raw socket --------------------------------------------------------------------------
class Raw:
    """A hand-driven RSP client."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # ack, then ask
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def packet(self, body: bytes) -> None:
        self.send(b"$" + body + b"#" + f"{checksum(body):02x}".encode())

    def read_byte(self) -> bytes:
        while not self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError
            self.buf += chunk
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def reply(self) -> bytes:
        """The next packet from the stub (acks skipped), acked."""
        while self.read_byte() != b"$":
            pass
        body = b""
        while (b := self.read_byte()) != b"#":
            body += b
        digits = self.read_byte() + self.read_byte()
        assert int(digits, 16) == checksum(body)
        self.send(b"+")
        return body

    def ask(self, body: bytes) -> bytes:
        self.packet(body)
        return self.reply()

    def ack(self) -> bytes:
        while (b := self.read_byte()) not in b"+-":
            pass
        return b


def test_framing_bad_checksums_cut_packets_garbage_and_disconnect(progs, stub_factory) -> None:
    stub = stub_factory(progs["cores"])
    c = Raw(stub.port)
    c.send(b"garbage\x00\xff+++")
    c.send(b"$g#00")                                   # wrong checksum
    assert c.ack() == b"-"
    c.send(b"$qSupported#zz")                          # checksum digits not hex
    assert c.ack() == b"-"
    body = next(b for a in range(0x400000, 0x400100) if checksum(b := b"m%x,4" % a) < 0x10)
    c.send(b"$" + body + b"#+%x" % checksum(body))    # right sum, but '+' is not a hex digit
    assert c.ack() == b"-"
    c.send(b"$?#3$?#3f")                               # a checksum cut short by a new packet
    assert c.ack() == b"-"
    assert c.reply().startswith(b"T05thread:1;")
    c.send(b"$m4001$?#3f")                             # a packet cut short by a new one
    assert c.reply().startswith(b"T05thread:1;")
    c.send(b"$qC#B4")                                  # upper-case checksum digits
    assert c.reply() == b"QC1"
    assert c.ask(b"m400000,4}") == b"E01"              # ends inside an escape
    assert c.ask(b"qSupported:" + b"x" * PACKET_SIZE) == b"E01"   # longer than PacketSize
    assert c.ask(b"qSupported:multiprocess+").startswith(b"PacketSize=")
    assert c.ask(b"Z0,400150,4") == b"OK"              # a breakpoint, then vanish
    c.send(b"$m4001")                                  # cut in the middle of a packet
    c.sock.close()
    final = stub.finish()                              # the program runs on to its end
    assert "hello" in final and "exited 3" in final


# Each gets E01 (and does nothing), under the protocol's rules: hex fields are hex digits only,
# data matches its length, G has every register, vCont offers c/C/s/S only (t is for non-stop
# mode, r was not offered), signals are those the guest has.
MALFORMED = (
    b"m", b"mzz,4", b"m400000", b"m400000,", b"m+400000,4", b"m0x400000,4", b"m 400000,4",
    b"m400000,4;", b"M400000", b"M400000,4", b"M400000,4:0102", b"M400000,2:010203",
    b"M400000,2:01 2", b"M400000,2:zz00", b"M400000,2:010", b"X400000,4", b"X400000,4:ab",
    b"Xzz,1:a", b"p", b"pzz", b"p 25", b"p-1", b"p48", b"P", b"Pzz", b"P25", b"P25=",
    b"P25=0102", b"P25=zzzzzzzz", b"P25=0001020304", b"P48=00000000", b"g00", b"G12",
    b"G" + b"0" * (72 * 8 - 2), b"G" + b"0" * (73 * 8), b"G" + b"xx000000" * 72, b"H", b"Hg",
    b"Hgzz", b"Hq1", b"T", b"Tzz", b"?x", b"Z0", b"Z0,400150", b"Z0,zz,4", b"z0,400150",
    b"Z2,410000,4,9", b"czz", b"c 400150", b"C", b"Czz", b"C99", b"C05;zz", b"szz", b"S", b"Szz",
    b"vCont;", b"vCont;x", b"vCont;t", b"vCont;t:1", b"vCont;r400000,400100",
    b"vCont;r400000,400100:1", b"vCont;c:zz", b"vCont;C", b"vCont;Czz", b"vCont;C99",
    b"vCont;c;x", b"vCont;s:1;Q", b"qXfer:features:read:target.xml:zz",
    b"qXfer:features:read:target.xml:0", b"qXfer:features:read:target.xml",
    b"qThreadExtraInfo,zz", b"Dzz", b"D;zz", b"vKill;zz")
UNKNOWN = (b"vFrobnicate;1", b"Qwhatever", b"qFoo", b"!", b"bc", b"i", b"Z9,0,0")


def test_malformed_packets_get_e01_and_change_nothing(progs, stub_factory) -> None:
    stub = stub_factory(progs["spin"])
    c = Raw(stub.port)
    turns, release = _symbol(progs["spin"], "turns"), _symbol(progs["spin"], "release")
    regs, memory = c.ask(b"g"), c.ask(b"m%x,c" % release)
    for bad in MALFORMED:
        assert c.ask(bad) == b"E01", bad
    for unknown in UNKNOWN:
        assert c.ask(unknown) == b"", unknown
    assert c.ask(b"g") == regs and c.ask(b"m%x,c" % release) == memory
    assert c.ask(b"m%x,4" % turns) == b"00000000"      # nothing ran
    assert c.ask(b"?").startswith(b"T05thread:1;")
    assert c.ask(b"qXfer:features:read:target.xml:0,3fff").startswith(b"l<?xml")
    assert c.ask(b"qXfer:features:read:foo.xml:0,10") == b"E00"
    assert c.ask(b"m40000A,2") != b"E01"                # upper-case hex is hex
    assert c.ask(b"X%x,0:" % release) == b"OK"          # gdb's probe for X
    assert c.ask(b"X%x,4:\x01\x00\x00\x00" % release) == b"OK"
    assert c.ask(b"c") == b"W05"                        # no breakpoint was left behind
    assert "exited 5" in stub.finish()


def test_register_writes_that_cannot_be_made_are_refused(progs, stub_factory) -> None:
    stub = stub_factory(progs["spin"])
    c = Raw(stub.port)
    regs = c.ask(b"g")
    fcsr, fir = regs[70 * 8:71 * 8], regs[71 * 8:72 * 8]
    assert fcsr == b"00000000" and fir == b"00937300"
    assert c.ask(b"P46=ffffffff") == b"E01"             # enabled causes: it would trap
    assert c.ask(b"P46=00000200") == b"E01"             # cause E (unimplemented) always traps
    assert c.ask(b"G" + b"f" * len(regs)) == b"E01"     # all or nothing
    assert c.ask(b"g") == regs
    assert c.ask(b"P46=830f0001") == b"OK"              # 0x01000f83: FS, enables, rounding
    assert c.ask(b"p46") == b"830f0001"
    assert c.ask(b"P46=00f07d00") == b"OK"              # 0x007df000: bits 18-22 read-only,
    assert c.ask(b"p46") == b"00f00100"                 # causes V..I with no enable stay
    assert c.ask(b"P47=00000000") == b"OK"              # fir is read-only
    assert c.ask(b"p47") == fir
    now = c.ask(b"g")
    assert c.ask(b"G" + now) == b"OK" and c.ask(b"g") == now
    assert c.ask(b"M%x,4:01000000" % _symbol(progs["spin"], "release")) == b"OK"
    assert c.ask(b"c") == b"W05"
    assert "exited 5" in stub.finish()                  # and nothing on stderr: no warning


def test_vcont_offers_c_c_s_s_and_refuses_other_actions(progs, stub_factory) -> None:
    stub = stub_factory(progs["spin"])
    c = Raw(stub.port)
    turns = _symbol(progs["spin"], "turns")
    assert c.ask(b"vCont?") == b"vCont;c;C;s;S"
    pc = c.ask(b"p25")
    for bad in (b"vCont;", b"vCont;x", b"vCont;t", b"vCont;t:1", b"vCont;r400000,400100:1",
                b"vCont;c;t:1"):
        assert c.ask(bad) == b"E01", bad
    assert c.ask(b"p25") == pc and c.ask(b"m%x,4" % turns) == b"00000000"   # nothing ran
    assert c.ask(b"vCont;s:1").startswith(b"T05thread:1;")
    assert c.ask(b"p25") != pc
    assert c.ask(b"M%x,4:01000000" % _symbol(progs["spin"], "release")) == b"OK"
    assert c.ask(b"vCont;c") == b"W05"
    assert "exited 5" in stub.finish()


def test_signals_are_gdbs_numbers_on_the_wire_and_the_guests_in_the_exit(progs,
                                                                         stub_factory) -> None:
    stub = stub_factory(progs["fault"])
    c = Raw(stub.port)
    assert c.ask(b"c") == b"T0bthread:1;"               # SIGSEGV: 11 for both
    assert c.ask(b"C99") == b"E01"                      # GDB has no signal 0x99
    assert c.ask(b"C1d") == b"E01"                      # GDB's SIGLOST: the guest has none
    assert c.ask(b"vCont;C8f:1") == b"E01"              # GDB's "unknown signal"
    assert c.ask(b"?") == b"T0bthread:1;"               # still stopped at the fault
    assert c.ask(b"C1e") == b"X1e"                      # GDB's SIGUSR1 (30) is the guest's 16
    assert "killed 16" in stub.finish()


def test_ctrl_c_interrupts_a_running_guest(progs, stub_factory) -> None:
    stub = stub_factory(progs["spin"])
    c = Raw(stub.port)
    assert c.ask(b"qSupported").startswith(b"PacketSize=")
    c.packet(b"vCont;c")
    time.sleep(0.5)
    c.send(b"\x03")
    assert c.reply().startswith(b"T02thread:1;")
    # a second client is turned away while the first one is there
    other = socket.create_connection(("127.0.0.1", stub.port), timeout=TIMEOUT)
    assert other.recv(16) == b""
    other.close()
    turns = int.from_bytes(bytes.fromhex(c.ask(b"m%x,4" % _symbol(progs["spin"], "turns")
                                               ).decode()), "little")
    assert turns > 1000
    assert c.ask(b"M%x,4:01000000" % _symbol(progs["spin"], "release")) == b"OK"
    assert c.ask(b"c") == b"W05"
    assert "exited 5" in stub.finish()


def test_no_wait_attach_to_running_program_then_kill(progs, stub_factory) -> None:
    stub = stub_factory(progs["spin"], wait=False)
    time.sleep(0.3)
    c = Raw(stub.port)
    assert c.ask(b"?").startswith(b"T05thread:1;")     # stopped when the client came
    pc = int.from_bytes(bytes.fromhex(c.ask(b"p25").decode()), "little")
    assert 0x400000 <= pc < 0x410000
    c.packet(b"vKill;1")
    assert c.reply() == b"OK"
    assert "killed 9" in stub.finish()


def _symbol(prog: Path, name: str) -> int:
    from almos.emulator.elf import parse_elf
    return parse_elf(prog.read_bytes()).symbols[name]
