"""FORK, EXEC and WAIT (kernel/syscalls/sysproc.py): tests/kernel/progs/forkexec.c under
`almos boot` (copy-on-fork memory, exit statuses, WNOHANG, ECHILD, a child killed by a
fault, exec of /bin/hello, ENOENT and ENOEXEC, a pipe and dup2 across fork and exec), and
the shell's own use of them (every external command is fork + exec + wait).
"""

from __future__ import annotations

import pytest
from conftest import Disk

PROMPT = "$ "


def _lines(out: str) -> list[str]:
    return [line.removeprefix(PROMPT) for line in out.splitlines()]


def _failed(out: str) -> list[str]:
    return [line for line in _lines(out) if line.endswith(": FAILED")]


@pytest.mark.parametrize("topology", ["1x1x1", "2x2x4"])
def test_forkexec(disk: Disk, boot, topology: str) -> None:
    r = boot(disk.path, ["forkexec"], "--topology", topology)
    assert not _failed(r.out), r.out + r.err
    for name in ("fork", "exit status", "parent memory kept", "wnohang", "wait after eof",
                 "wait any", "echild", "wait killed", "exec", "exec enoent", "exec enoexec",
                 "exec output"):
        assert f"{name}: ok" in _lines(r.out), name
    assert "OK" in _lines(r.out)
    assert "argv[1] = one" in r.out               # exec passed argv


def test_forkexec_exit_status(disk: Disk, boot) -> None:
    r = boot(disk.path, ["forkexec", "echo status $?"], "--topology", "1x1x1")
    assert "status 0" in r.out, r.out + r.err


def test_shell_runs_programs(disk: Disk, boot) -> None:
    r = boot(disk.path, ["hello a b", "echo status $?", "exec -p 3 hello", "ps"])
    assert "argv[2] = b" in r.out and "status 0" in r.out, r.out + r.err
    assert r.out.count("hello from pid") == 2
    ps = [line.split() for line in _lines(r.out)]
    assert any(row[-1:] == ["init"] for row in ps) and any(row[-1:] == ["sh"] for row in ps)


def test_shell_error_after_fork(disk: Disk, boot) -> None:
    r = boot(disk.path, ["hello", "nothing", "echo status $?"])
    assert "sh: nothing: not found" in r.out and "status 127" in r.out, r.out + r.err
