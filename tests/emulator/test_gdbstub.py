"""The GDB remote stub against the real gdb-multiarch (batch mode) and a raw socket.

Each test starts `python -m emulator.gdbstub PROGRAM` (a bare-metal run, one thread per core)
in a subprocess on a free port, then drives it with gdb-multiarch or with hand-made packets.
Programs are in tests/emulator/gdbprogs/, built -g -O0; the tests find lines by their MARK
comments.
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

from emulator.rsp import checksum

CC = "mipsel-linux-gnu-gcc"
GDB = "gdb-multiarch"
CFLAGS = ("-g", "-O0", "-static", "-nostdlib", "-fno-pic", "-mno-abicalls")
PROGS = Path(__file__).resolve().parent / "gdbprogs"
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30              # seconds, for anything that could hang
STARTUP = re.compile(r"listening on 127\.0\.0\.1:(\d+)")

pytestmark = pytest.mark.skipif(shutil.which(CC) is None or shutil.which(GDB) is None,
                                reason=f"needs {CC} and {GDB}")


@pytest.fixture(scope="module")
def progs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
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
        """Wait for the runner to end; its stdout (program output, exit status)."""
        out, _ = self.proc.communicate(timeout=TIMEOUT)
        return out


@pytest.fixture
def stub_factory() -> Iterator:
    procs: list[subprocess.Popen] = []

    def start(prog: Path, cores: str = "0", topology: str = "1x1x2",
              wait: bool = True) -> Stub:
        cmd = [sys.executable, "-m", "emulator.gdbstub", str(prog), "--cores", cores,
               "--topology", topology]
        if not wait:
            cmd.append("--no-wait")
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
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
    r = subprocess.run([*cmd, str(prog)], capture_output=True, text=True, timeout=TIMEOUT)
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


def test_read_watch_and_access_watch(progs, stub_factory) -> None:
    stub = stub_factory(progs["cores"])
    out = gdb(stub, progs["cores"], "rwatch base", "continue", "print $pc == &work || 1",
              "delete", "awatch counter", "continue", "delete", "continue")
    assert re.search(r"Value = 100", out), out
    assert re.search(r"Hardware access \(read/write\) watchpoint 2: counter", out), out
    assert "exited with code 03" in out
    stub.finish()


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


def test_garbage_bad_checksums_unknown_packets_and_disconnect(progs, stub_factory) -> None:
    stub = stub_factory(progs["cores"])
    c = Raw(stub.port)
    c.send(b"garbage\x00\xff+++")
    c.send(b"$g#00")                                   # bad checksum
    assert c.ack() == b"-"
    c.send(b"$qSupported#zz")                          # not even hex
    assert c.ack() == b"-"
    assert c.ask(b"qSupported:multiprocess+").startswith(b"PacketSize=")
    assert c.ask(b"vFrobnicate;1") == b""              # unknown: empty reply
    assert c.ask(b"Qwhatever") == b""
    for bad in (b"m", b"mzz,4", b"M400000", b"p", b"Pzz", b"Z0", b"Z9,0,0", b"Hg", b"G12",
                b"X400000,4", b"qXfer:features:read:target.xml:zz", b"vCont;Czz"):
        assert c.ask(bad) in (b"", b"E01", b"OK", b"E00"), bad
    assert c.ask(b"m30000000,4") == b"E14"             # no memory there
    assert c.ask(b"?").startswith(b"T05thread:1;")
    assert c.ask(b"qfThreadInfo") == b"m1"
    xml = c.ask(b"qXfer:features:read:target.xml:0,3fff")
    assert xml.startswith(b"l") and b"org.gnu.gdb.mips.cpu" in xml
    assert c.ask(b"Z0,400150,4") == b"OK"              # a breakpoint, then vanish
    c.send(b"$m4001")                                  # cut in the middle of a packet
    c.sock.close()
    final = stub.finish()                              # the program runs on to its end
    assert "hello" in final and "exited 3" in final


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
    from emulator.elf import parse_elf
    return parse_elf(prog.read_bytes()).symbols[name]
