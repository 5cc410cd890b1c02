"""Default signal actions in the guest's numbering (MIPS Linux, libc_stubs/include/signal.h):
SIGCHLD, SIGWINCH, SIGURG and SIGCONT are ignored by default, SIGUSR2 and SIGPWR kill, SIGKILL
and SIGSTOP cannot be ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_run import almos, almos_gcc

# the guest's numbers (MIPS): the kernel must use these, not x86's
SIGKILL, SIGUSR2, SIGCHLD, SIGPWR = 9, 17, 18, 19
SIGWINCH, SIGURG, SIGSTOP, SIGCONT = 20, 21, 23, 25


@pytest.fixture(scope="module")
def prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return almos_gcc(tmp_path_factory.mktemp("sig"), "sigdefault")


@pytest.mark.parametrize("sig", [SIGCHLD, SIGWINCH, SIGURG, SIGCONT])
def test_signals_ignored_by_default(prog: Path, sig: int) -> None:
    r = almos("run", "-t", "1x1x1", str(prog), str(sig))
    assert r.returncode == 0 and f"survived {sig}" in r.stdout, (r.returncode, r.stderr)


@pytest.mark.parametrize("sig", [SIGUSR2, SIGPWR])
def test_signals_that_kill_by_default(prog: Path, sig: int) -> None:
    r = almos("run", "-t", "1x1x1", str(prog), str(sig))
    assert r.returncode == 128 + sig and "survived" not in r.stdout, (r.returncode, r.stdout)


@pytest.mark.parametrize("sig", [SIGKILL, SIGSTOP])
def test_kill_and_stop_cannot_be_ignored(prog: Path, sig: int) -> None:
    r = almos("run", "-t", "1x1x1", str(prog), str(sig), "ignore")
    assert "survived" not in r.stdout, r.stdout
