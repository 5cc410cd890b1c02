"""gdb-multiarch against `almos run --gdb PORT --gdb-wait` and `almos boot --gdb`: kernel threads.

Each test starts the CLI in a subprocess (`--gdb 0`: the stub picks a free port and prints it
on stderr), drives it with the real gdb-multiarch in batch mode (or a raw RSP client), then
checks gdb's output, the guest's output and the exit status. The programs are in
tests/kernel/gdbprogs/, built with libc_stubs/almos-gcc -g -O0; the tests find lines by their
MARK comments. Every subprocess has a timeout, and the emulator is killed at the end.
"""

from __future__ import annotations

import re
import select
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROGS = Path(__file__).resolve().parent / "gdbprogs"
ALMOS_GCC = ROOT / "libc_stubs" / "almos-gcc"
GDB = "gdb-multiarch"
TIMEOUT = 30                     # seconds, for anything that could hang
STARTUP = re.compile(r"almos: gdb stub listening on 127\.0\.0\.1:(\d+)")
TOPOLOGY = "2x2x2"               # 8 cores: main and its 3 workers each get a core
TOTAL = 285 + 385 + 505          # what the 3 workers of threads.c add up
# A thread's first frame returns to libc's __thread_return, whose address minus one is outside
# every function: gdb's MIPS unwinder warns about it when it unwinds past the start routine.
FENCE_WARNING = re.compile(r"(warning: )?GDB can't find the start of the function at 0x[0-9a-f]+"
                           r"\.\n|\n?    GDB is unable.*?heuristic-fence-post' command\.\n",
                           re.S)
EXTRA = re.compile(r"Thread (\d+) \(pid 0x1 \(threads\) cluster \((\d),(\d)\) core (\d)\)")



@pytest.fixture(scope="module")
def progs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    for tool in (GDB, "mipsel-linux-gnu-gcc"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: run `make debs`")
    if not (ROOT / "libc_stubs" / "build" / "libc.a").exists():
        subprocess.run(["make", "-C", str(ROOT / "libc_stubs")], capture_output=True,
                       timeout=300)
    out = tmp_path_factory.mktemp("gdbprogs")
    built = {}
    for src in sorted(PROGS.glob("*.c")):
        exe = out / src.stem
        r = subprocess.run([str(ALMOS_GCC), "-g", "-O0", "-Wall", "-o", str(exe), str(src)],
                           capture_output=True, text=True, timeout=TIMEOUT)
        assert r.returncode == 0, r.stderr
        built[src.stem] = exe
    return built


def mark_line(mark: str, name: str = "threads") -> int:
    """The line of gdbprogs/name.c holding the comment MARK <mark>."""
    for n, line in enumerate((PROGS / f"{name}.c").read_text().splitlines(), 1):
        if f"MARK {mark} " in line:
            return n
    raise AssertionError(f"no MARK {mark} in {name}.c")


def exited(code: int) -> str:
    """How gdb reports a normal exit (it prints the code in octal)."""
    return f"exited with code 0{code:o}]" if code else "exited normally]"


@dataclass
class Almos:
    proc: subprocess.Popen
    port: int
    banner: str
    workdir: Path                # the test's tmp dir

    def finish(self, stdin: bytes | None = None) -> tuple[int, str, str]:
        """Wait for the emulator to end: (exit status, stdout, stderr)."""
        out, err = self.proc.communicate(stdin, timeout=TIMEOUT)
        return self.proc.returncode, out.decode(errors="replace"), \
            self.banner + err.decode(errors="replace")


def _read_banner(proc: subprocess.Popen) -> tuple[int, str]:
    """Read stderr up to the stub's 'listening' line (with a timeout): (port, text read)."""
    assert proc.stderr is not None
    fd, text, deadline = proc.stderr.fileno(), b"", time.monotonic() + TIMEOUT
    while (m := STARTUP.search(text.decode(errors="replace"))) is None:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(0.0, left))
        chunk = proc.stderr.read1(4096) if ready else b""  # type: ignore[attr-defined]
        assert chunk, f"the stub did not start: {text!r}"
        text += chunk
    return int(m.group(1)), text.decode(errors="replace")


@pytest.fixture
def almos(tmp_path: Path) -> Iterator:
    procs: list[subprocess.Popen] = []

    def start(*args: str, command: str = "run", port: int = 0, topology: str = TOPOLOGY,
              wait: bool = True) -> Almos:
        cmd = [sys.executable, "-m", "almos.cli", command, "--cache", "off", "-t", topology,
               "--gdb", str(port), *(["--gdb-wait"] if wait else []), *args]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        procs.append(proc)
        got, banner = _read_banner(proc)
        assert port in (0, got)
        return Almos(proc, got, banner, tmp_path)

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=TIMEOUT)
        for f in (p.stdin, p.stdout, p.stderr):
            if f is not None:
                f.close()


def gdb(a: Almos, prog: Path, *commands: str) -> str:
    cmd = [GDB, "-nx", "-batch", "-ex", "set confirm off", "-ex", "set pagination off",
           "-ex", f"target remote 127.0.0.1:{a.port}"]
    for c in commands:
        cmd += ["-ex", c]
    # in the test's tmp dir: a crashing gdb leaves its core file there, not in the checkout
    r = subprocess.run([*cmd, str(prog)], capture_output=True, text=True, timeout=TIMEOUT,
                       cwd=a.workdir)
    return FENCE_WARNING.sub("", r.stdout + r.stderr)


# ---- with gdb-multiarch -------------------------------------------------------------------------
def test_break_main_and_thread_function_info_threads_bt_print(progs, almos) -> None:
    a = almos(str(progs["threads"]))
    out = gdb(a, progs["threads"], "break main", "continue", "print argc", "print crash",
              "print &lock != 0", "break square if x == 3", "continue", "info threads", "bt",
              "print x", "up", "print id", "print sum", "print i", "print total",
              "print slots", "delete", "continue")
    assert re.search(rf"Breakpoint 1, main \(argc=1, argv=0x[0-9a-f]+\) at .*threads\.c:"
                     rf"{mark_line('main')}", out), out
    assert "$1 = 1" in out and "$2 = 0" in out and "$3 = 1" in out, out
    # every thread, with its process and core; the one that hit the breakpoint is current
    threads = {int(t): (int(x), int(y), int(c)) for t, x, y, c in EXTRA.findall(out)}
    assert len(threads) == 4 and 1 in threads, out
    assert all(tid > 0 for tid in threads)
    assert len(set(threads.values())) == 4, out          # 4 threads on 4 different cores
    hit = re.search(r"Thread (\d+) hit Breakpoint 2, square \(x=3\)", out)
    assert hit, out
    assert re.search(rf"\* {hit.group(1)} +Thread \d+ \(pid 0x1 \(threads\)", out), out
    assert re.search(rf"#0 +square \(x=3\) at .*threads\.c:{mark_line('square')}", out), out
    assert re.search(rf"#1 +0x[0-9a-f]+ in worker \(arg=0x[0-3]\) at .*threads\.c:"
                     rf"{mark_line('loop')}", out), out
    m = re.search(r"\$5 = (\d)\n\$6 = (\d+)\n\$7 = (\d)\n", out)
    assert m, out
    wid, wsum, wi = (int(g) for g in m.groups())
    assert wid + wi == 3                                  # square(i + id) with x == 3
    assert wsum == sum((k + wid) ** 2 for k in range(wi)), out
    assert "$4 = 3" in out
    assert re.search(r"\$9 = \{\d+, \d+, \d+\}", out), out
    assert exited(TOTAL % 100) in out, out
    rc, stdout, _ = a.finish()
    assert rc == TOTAL % 100 and f"total {TOTAL}" in stdout


def test_watch_global_stops_at_the_writing_line(progs, almos) -> None:
    a = almos(str(progs["threads"]))
    out = gdb(a, progs["threads"], "break main", "continue", "watch total", "continue",
              "print total", "continue", "delete", "continue")
    assert "Hardware watchpoint 2: total" in out, out
    hits = re.findall(r"Thread \d+ hit Hardware watchpoint 2: total\s+Old value = (\d+)\s+"
                      r"New value = (\d+)", out)
    assert len(hits) == 2, out
    assert hits[0][0] == "0" and int(hits[0][1]) in (285, 385, 505), out
    assert hits[1][0] == hits[0][1] and int(hits[1][1]) - int(hits[1][0]) in (285, 385, 505)
    # gdb reports the statement after the store (it steps over the writing instruction)
    after = mark_line("total") + 1
    assert len(re.findall(rf"worker \(arg=0x[0-2]\) at .*threads\.c:{after}", out)) == 2, out
    assert f"$1 = {hits[0][1]}" in out, out
    assert exited(TOTAL % 100) in out, out
    assert a.finish()[0] == TOTAL % 100


def test_stepi_and_next_across_branches(progs, almos) -> None:
    a = almos(str(progs["threads"]))
    loop = mark_line("loop")
    out = gdb(a, progs["threads"], "break worker", "continue", "delete", "stepi", "stepi",
              "stepi", "stepi", "x/i $pc", "stepi", "print/x $pc", "info line *$pc", "next", "next",
              "print i", "next", "next", "print i", "print sum", "continue")
    # the 5th stepi executes `b` and its delay slot in one step: it lands on the target
    m = re.search(r"=> (0x[0-9a-f]+) <worker\+\d+>:\s+b\s+(0x[0-9a-f]+)", out)
    assert m, out
    assert re.search(rf"\$1 = {m.group(2)}\b", out), out
    assert re.search(rf"Line {loop - 1} of .*threads\.c", out), out    # the loop condition
    # next: the condition's bnez goes to the body, the body's call to square is stepped over
    assert re.search(rf"^{loop}\s+sum \+= square", out, re.M), out
    assert "$2 = 0" in out and "$3 = 1" in out, out
    m = re.search(r"hit Breakpoint 1, worker \(arg=0x(\d)\)", out)
    assert m, out
    wid = int(m.group(1))
    assert f"$4 = {wid ** 2 + (wid + 1) ** 2}" in out, out          # 2 turns of the loop
    assert exited(TOTAL % 100) in out, out
    assert a.finish()[0] == TOTAL % 100


def test_fault_in_a_thread_is_sigsegv_at_the_faulting_line(progs, almos) -> None:
    a = almos(str(progs["threads"]), "fault")
    out = gdb(a, progs["threads"], "continue", "bt", "print id", "print sum", "info threads",
              "continue")
    assert re.search(r"Thread \d+ received signal SIGSEGV, Segmentation fault", out), out
    assert re.search(rf"at .*threads\.c:{mark_line('fault')}\n{mark_line('fault')}\s+"
                     r"\*nowhere = sum;", out), out
    assert re.search(r"#0 +0x[0-9a-f]+ in worker \(arg=0x1\)", out), out
    assert "$1 = 1" in out and "$2 = 385" in out, out
    assert "Program terminated with signal SIGSEGV" in out, out
    rc, stdout, err = a.finish()
    assert rc == 128 + 11, (rc, stdout, err)
    assert re.search(r"pid 0x1 \(threads\) thread 0x[0-9a-f]+ on core \d+ killed by SIGSEGV: "
                     r"page fault at pc 0x[0-9a-f]+ \(write of 0x00000000", err), err


def test_signal_passed_by_gdb_is_the_one_the_program_dies_of(progs, almos) -> None:
    # GDB numbers SIGUSR1 30, the guest (Linux MIPS) 16: gdb and the exit status must agree
    a = almos(str(progs["threads"]), "fault")
    out = gdb(a, progs["threads"], "continue", "signal SIGUSR1")
    assert re.search(r"Thread \d+ received signal SIGSEGV", out), out
    assert "Program terminated with signal SIGUSR1, User defined signal 1." in out, out
    rc, _, err = a.finish()
    assert rc == 128 + 16, (rc, err)
    assert re.search(r"pid 0x1 \(threads\) thread 0x[0-9a-f]+ on core \d+ killed by 16: page "
                     r"fault", err), err


def test_detach_and_the_program_completes(progs, almos) -> None:
    a = almos(str(progs["threads"]))
    out = gdb(a, progs["threads"], "break square", "watch total", "continue", "info threads",
              "detach")
    assert re.search(r"hit Breakpoint 1, square \(x=\d\)", out), out
    assert "detached" in out.lower(), out
    rc, stdout, _ = a.finish()
    assert rc == TOTAL % 100 and f"total {TOTAL}" in stdout


def test_linux_glibc_threads_are_threads_in_gdb(almos, tmp_path: Path) -> None:
    """A static glibc program (the Linux personality): its clone threads, placed over
    clusters by the DQDT, are gdb threads that stop at a breakpoint with their own frames."""
    exe = tmp_path / "pthreads"
    r = subprocess.run(["mipsel-linux-gnu-gcc", "-static", "-pthread", "-g", "-O0", "-o",
                        str(exe), str(ROOT / "userland" / "linux" / "pthreads.c")],
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    a = almos(str(exe), "4", topology="2x2x4")
    line = next(n for n, text in enumerate((ROOT / "userland" / "linux" / "pthreads.c")
                                           .read_text().splitlines(), 1)
                if "pthread_barrier_wait(&bar);" in text)
    out = gdb(a, exe, f"break pthreads.c:{line}", "continue", "info threads", "print id",
              "bt 1", "delete", "continue")
    hit = re.search(r"Thread (\d+) hit Breakpoint 1, work \(arg=0x(\d)\)", out)
    assert hit, out
    rows = re.findall(r"Thread (\d+) \(pid 0x1 \(pthreads\) cluster \((\d),(\d)\) core (\d)\)", out)
    assert len({r[0] for r in rows}) == 5, out           # main and its 4 workers
    assert len({(r[1], r[2]) for r in rows}) >= 2, out    # over more than one cluster
    assert re.search(rf"\$1 = {int(hit.group(2))}\b", out), out
    assert "#0  work (arg=" in out and "exited normally]" in out, out
    rc, stdout, _ = a.finish()
    assert rc == 0 and "threads 4 total 280000 joined 60" in stdout, stdout


def test_fixed_port_without_wait_attaches_to_the_running_program(progs, almos) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    a = almos(str(progs["reader"]), port=port, wait=False)
    assert a.port == port
    time.sleep(1.0)                         # it starts, then blocks in read()
    out = gdb(a, progs["reader"], "info threads", "bt", "set $fcsr = 0xffffffff",
              "set $fcsr = 0x3", "print/x $fcsr", "set $fcsr = 0", "detach")
    # the only thread is blocked in read(): gdb finds it in its saved context
    assert re.search(r"Thread 1 \(pid 0x1 \(reader\) cluster \(0,0\) core \d\)", out), out
    assert re.search(r"#\d+ +0x[0-9a-f]+ in main \(\) at .*reader\.c", out), out
    # and writes its registers there: an FCSR value that would trap is refused, not fatal
    assert "remote failure reply 'E01'" in out and "$1 = 0x3\n" in out, out
    rc, stdout, _ = a.finish(b"abc\n")
    assert rc == 5 and "read 4" in stdout


def test_boot_image_init_under_gdb(programs, disk, almos) -> None:
    a = almos(str(disk.path), command="boot")
    assert a.proc.stdin is not None
    a.proc.stdin.write(b"hello\nexit 3\n")          # the shell's commands, read after main
    a.proc.stdin.flush()
    out = gdb(a, programs["init"], "info threads", "break main", "continue", "bt 1",
              "info registers pc", "delete", "continue")
    assert re.search(r"\* 1 +Thread 1 \(pid 0x1 \(init\) cluster \(0,0\) core 0\)", out), out
    assert re.search(r"Breakpoint 1, (0x[0-9a-f]+ in )?main \(", out), out
    assert re.search(r"#0 +(0x[0-9a-f]+ in )?main \(", out), out
    assert exited(3) in out, out
    rc, stdout, _ = a.finish()
    assert rc == 3 and "hello from pid" in stdout, stdout


# ---- with a raw RSP client ----------------------------------------------------------------------
def _packet(body: bytes) -> bytes:
    return b"$" + body + b"#" + f"{sum(body) & 0xFF:02x}".encode()


def _reply(sock: socket.socket) -> bytes:
    data = b""
    while not re.search(rb"\$([^#]*)#[0-9a-f]{2}", data):
        chunk = sock.recv(4096)
        assert chunk, data
        data += chunk
    m = re.search(rb"\$([^#]*)#[0-9a-f]{2}", data)
    assert m
    sock.sendall(b"+")
    return m.group(1)


def test_ctrl_c_while_every_thread_waits_for_input(progs, almos) -> None:
    a = almos(str(progs["reader"]))
    with socket.create_connection(("127.0.0.1", a.port), timeout=TIMEOUT) as s:
        s.sendall(_packet(b"qSupported"))
        assert _reply(s).startswith(b"PacketSize=")
        s.sendall(_packet(b"vCont;c"))
        time.sleep(0.5)                     # the kernel idles, polling the host's stdin
        started = time.monotonic()
        s.sendall(b"\x03")
        assert _reply(s).startswith(b"T02thread:1;")
        assert time.monotonic() - started < 2
        assert _reply_to(s, b"qfThreadInfo") == b"m1"
        assert a.proc.stdin is not None
        a.proc.stdin.write(b"hello\n")
        a.proc.stdin.flush()
        assert _reply_to(s, b"c") == b"W05"
    rc, stdout, _ = a.finish()
    assert rc == 5 and "read 6" in stdout


def _reply_to(sock: socket.socket, body: bytes) -> bytes:
    sock.sendall(_packet(body))
    return _reply(sock)


# ---- the CLI -------------------------------------------------------------------------------------
def test_gdb_option_errors(progs) -> None:
    cli = [sys.executable, "-m", "almos.cli", "run"]
    r = subprocess.run([*cli, "--gdb-wait", str(progs["reader"])], capture_output=True,
                       text=True, timeout=TIMEOUT, cwd=ROOT)
    assert r.returncode == 2 and "--gdb-wait needs --gdb PORT" in r.stderr, r.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run([*cli, "--gdb", str(port), str(progs["reader"])], capture_output=True,
                           text=True, timeout=TIMEOUT, cwd=ROOT, input="")
    assert r.returncode == 2, r.stderr
    assert re.fullmatch(rf"almos: gdb stub: cannot listen on 127\.0\.0\.1:{port}: .+\n",
                        r.stderr), r.stderr
