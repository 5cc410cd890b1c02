"""The console's keys on a real terminal (a pty, almos its session leader): Ctrl-C kills the
shell's foreground program with SIGINT and the shell carries on; Ctrl-A x quits the machine
with exit status 0, as QEMU's does. Under `almos run`, Ctrl-C kills the program and --stats
is still written.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ALMOS_GCC, ROOT, Disk

SPIN = r"""
#include <stdio.h>
int main(void)
{
    volatile unsigned long n = 0;
    printf("spinning\n");
    fflush(stdout);
    for (;;)
        n++;
}
"""
CTRL_C, CTRL_A = b"\x03", b"\x01"
TIMEOUT = 120                    # seconds for an expected output to show


@pytest.fixture(scope="module")
def spin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("spin")
    (d / "spin.c").write_text(SPIN)
    r = subprocess.run([str(ALMOS_GCC), "-O2", "-o", str(d / "spin"), str(d / "spin.c")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return d / "spin"


class Terminal:
    """almos started on a new pty that is its controlling terminal (pty.fork)."""

    def __init__(self, args: list[str]) -> None:
        pid, fd = pty.fork()
        if pid == 0:                                    # the child: almos
            os.chdir(ROOT)
            os.execv(sys.executable, [sys.executable, "-m", "almos.cli", *args])
        self.pid, self.fd = pid, fd
        self.out = b""

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def expect(self, pattern: bytes, start: int = 0) -> int:
        """Read until pattern shows in the output after offset start; its end."""
        deadline = time.monotonic() + TIMEOUT
        while (m := re.search(pattern, self.out[start:])) is None:
            left = deadline - time.monotonic()
            assert left > 0, f"no {pattern!r} in {TIMEOUT} s: {self.out[-800:]!r}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    data = b""
                assert data, f"almos ended before {pattern!r}: {self.out[-800:]!r}"
                self.out += data
        return start + m.end()

    def wait(self) -> int:
        """Read to the end; almos's exit status."""
        while True:
            ready, _, _ = select.select([self.fd], [], [], TIMEOUT)
            assert ready, f"almos did not end: {self.out[-800:]!r}"
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                break
            if not data:
                break
            self.out += data
        os.close(self.fd)
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def test_ctrl_c_kills_the_program_not_the_shell_and_ctrl_a_x_quits(disk: Disk,
                                                                   spin: Path) -> None:
    disk.put(spin, "/bin/spin")
    t = Terminal(["boot", "-q", "--cache", "off", str(disk.path)])
    at = t.expect(rb"\$ ")
    t.type(b"spin\n")
    at = t.expect(rb"spinning\r?\n", at)
    t.type(CTRL_C)
    at = t.expect(rb"sh: spin: killed by signal 2 \(SIGINT\)\r?\n\$ ", at)
    t.type(b"echo still here\n")
    at = t.expect(rb"\nstill here\r?\n\$ ", at)
    t.type(CTRL_C)                       # at the prompt: the shell ignores it
    t.type(b"echo again\n")
    at = t.expect(rb"\nagain\r?\n\$ ", at)
    t.type(CTRL_A + b"x")
    assert t.wait() == 0, t.out[-800:]
    assert b"Traceback" not in t.out
    disk.fsck()


def test_ctrl_c_under_run_kills_the_program_and_writes_stats(spin: Path,
                                                             tmp_path: Path) -> None:
    stats = tmp_path / "s.json"
    t = Terminal(["run", "-q", "-t", "1x1x2", "--stats", str(stats), str(spin)])
    t.expect(rb"spinning\r?\n")
    t.type(CTRL_C)
    assert t.wait() == 128 + 2, t.out[-800:]
    assert b"killed by SIGINT" in t.out and b"Traceback" not in t.out
    d = json.loads(stats.read_text())
    assert [p["exit_status"] for p in d["processes"]] == [2]
    assert d["summary"]["instructions"] > 0


def test_busybox_sh_line_editing_on_the_terminal(disk: Disk) -> None:
    """busybox's sh turns line mode off (TCSETS without ICANON): the host terminal follows,
    so a key reaches it as typed: Tab completes a command before Enter, Left moves the
    cursor; its exit turns line mode back on for ALMOS's shell."""
    busybox = ROOT / "build" / "busybox" / "bin" / "busybox"
    if not busybox.exists():
        pytest.fail(f"{busybox} is missing: run `make setup` (it fetches busybox-static)")
    disk.put(busybox, "/bin/busybox")
    t = Terminal(["boot", "-q", "--cache", "off", str(disk.path)])
    at = t.expect(rb"\$ ")
    t.type(b"busybox sh\n")
    at = t.expect(rb"[#$] ", at)
    t.type(b"ech\t")                           # no Enter: completed only if sent as typed
    at = t.expect(rb"echo ", at)
    t.type(b"abd\x1b[Dc\n")                    # Left, then insert before the last letter
    at = t.expect(rb"\nabcd\r?\n", at)
    t.type(b"exit\n")
    at = t.expect(rb"\$ ", at)
    t.type(b"echo line mode\n")                # ALMOS's shell reads whole lines again
    at = t.expect(rb"\nline mode\r?\n\$ ", at)
    t.type(CTRL_A + b"x")
    assert t.wait() == 0, t.out[-800:]
