"""--trace (strace-like lines for system calls, faults, scheduling, RPCs, exec and exit, on
stderr or in a file) and the fault report: the faulting function, its file:line and a
backtrace read from the program's symbols and DWARF (pyelftools), no gdb.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from test_run import PROGS, ROOT, almos, userland

SIGSEGV_STATUS = 128 + 11
FRAME = re.compile(r"almos:   #\d+ (0x[0-9a-f]{8}) in (\w+)(?:\+0x[0-9a-f]+)?(?: \((\S+):(\d+)\))?")


def _build(tmp: Path, *flags: str) -> Path:
    exe = tmp / "crashdeep"
    r = subprocess.run([str(ROOT / "libc_stubs" / "almos-gcc"), *flags, "-o", str(exe),
                        str(PROGS / "crashdeep.c")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return exe


@pytest.fixture(scope="module")
def crashdeep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("trace"), "-g", "-O1")


def _addr2line(exe: Path, pcs: list[int]) -> list[tuple[str, str, int]]:
    """binutils' answer for each address: (function, file name, line)."""
    r = subprocess.run(["mipsel-linux-gnu-addr2line", "-f", "-e", str(exe),
                        *[f"{pc:#x}" for pc in pcs]], capture_output=True, text=True, check=True)
    out = r.stdout.splitlines()
    return [(fn, Path(where.split(":")[0]).name, int(where.split(":")[1]))
            for fn, where in zip(out[::2], out[1::2], strict=True)]


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_fault_names_function_line_and_backtrace(tmp_path: Path, opt: str) -> None:
    exe = _build(tmp_path, "-g", opt)
    r = almos("run", "-t", "1x1x1", str(exe))
    assert r.returncode == SIGSEGV_STATUS, r.stderr
    frames = [(int(pc, 16), fn, f, int(line or 0)) for pc, fn, f, line in FRAME.findall(r.stderr)]
    # argc + 1 = 2: crash(2) -> crash(1) -> crash(0), which faults (-O0; -O2 makes the
    # recursion a loop); main called crash(2)
    names = [f[1] for f in frames]
    assert names == ["crash"] * (3 if opt == "-O0" else 1) + ["main", "__libc_start_main",
                                                             "_start"], r.stderr
    assert [(fn, f, line) for _, fn, f, line in frames[:-1]] == \
        _addr2line(exe, [f[0] for f in frames[:-1]]), r.stderr
    assert "killed by SIGSEGV" in r.stderr and "Traceback" not in r.stderr


def test_without_debug_information_functions_only(tmp_path: Path) -> None:
    r = almos("run", "-t", "1x1x1", str(_build(tmp_path, "-O1")))
    assert r.returncode == SIGSEGV_STATUS
    frames = FRAME.findall(r.stderr)
    assert frames and frames[0][1] == "crash" and all(f[2] == "" for f in frames), r.stderr


def test_trace_syscalls_and_exec_on_stderr(crashdeep: Path) -> None:
    r = almos("run", "-t", "1x1x1", "--trace", "syscalls,exec", str(crashdeep))
    assert r.returncode == SIGSEGV_STATUS
    lines = r.stderr.splitlines()
    assert re.fullmatch(rf"\s+0 c0\s+exec 0x1 \['{crashdeep}'\]", lines[0]), lines[0]
    assert any(re.fullmatch(r"\s+\d+ c0\s+0x1 crashdeep write\(1, \"about to crash\\n\", 15\) "
                            r"= 15", line) for line in lines), r.stderr
    assert re.search(r"exit 0x1 crashdeep: killed by signal 11", r.stderr)
    assert " fault read" not in r.stderr and "switch in" not in r.stderr    # not asked for
    assert r.stdout == "about to crash\n"


def test_trace_everything_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "trace.txt"
    r = almos("run", "-t", "2x2x2", "--trace", "all", "--trace-file", str(out),
              userland("fft"), "-p", "4", "-m", "6")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""                      # the trace went to the file
    text = out.read_text()
    kinds = {"exec": r" exec 0x\w+ \[", "syscall": r" 0x\w+ fft \w+\(.*\) = ",
             "fault": r" fault (read|write|fetch) 0x[0-9a-f]{8}: mapped",
             "switch": r" switch in thread 0x\w+ \(was (idle|thread 0x\w+)\)",
             "rpc": r" rpc \w+ \(\d,\d\) -> \(\d,\d\)", "exit": r" exit 0x\w+ fft: exit status 0"}
    for kind, pattern in kinds.items():
        assert re.search(pattern, text), f"no {kind} line in {text[:2000]}"
    # threads on 4 cores: switch lines on more than one core
    assert len(set(re.findall(r"c(\d+)\s+0x\w+ fft switch in", text))) >= 2


@pytest.mark.parametrize(("args", "message"), [
    (["--trace", "syscalls,bogus"], "almos: bad --trace 'syscalls,bogus': expected a list of "
                                    "syscalls, faults, sched, rpc, exec (or all)"),
    (["--trace-file", "/tmp/x"], "almos: --trace-file needs --trace LIST"),
    (["--trace", "exec", "--trace-file", "/nonexistent/dir/t"],
     "almos: cannot write trace to /nonexistent/dir/t"),
])
def test_bad_trace_options(args: list[str], message: str) -> None:
    r = almos("run", *args, userland("hello"))
    assert r.returncode == 2 and r.stderr.startswith(message), r.stderr
    assert len(r.stderr.splitlines()) == 1
