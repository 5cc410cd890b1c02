"""Tests of emulator/ucfix.py: stores in branch delay slots that take a TLB fill (with and
without a cache model's memory hook) must not leave Unicorn believing it is still in a delay
slot, the program must run as under qemu-mipsel; a Unicorn whose internals differ is one line
at start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from almos.emulator.cache import CacheConfig, CacheSystem

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("cache", [False, True])
def test_delay_slot_stores_with_tlb_fills(cache, prog, qemu_run, bare):
    ref = qemu_run(prog("delayslot"))
    assert ref.status == 0 and b"delay-slot stores sum" in ref.stdout
    m, bm = bare("delayslot")
    if cache:
        m.attach_cache(CacheSystem(CacheConfig.from_strings(), 1, 1, 1, 1), 2)
    codes = bm.run()
    assert bm.traps == {}, bm.traps
    assert codes == {0: 0}
    assert bytes(bm.output) == ref.stdout


def _almos_with(patch: str, hello: Path) -> subprocess.CompletedProcess:
    """almos run in a fresh interpreter where `patch` makes Unicorn look like another one."""
    code = f"{patch}\nimport sys\nsys.argv = ['almos', 'run', {str(hello)!r}]\n" \
           "from almos.cli import run_main\nrun_main()\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize(("patch", "says"), [
    ("import unicorn; unicorn.__version__ = '2.1.3'", "unicorn 2.1.3 is installed"),
    ("import almos.emulator.ucfix as u; u.HFLAGS_OFFSET += 4", "the MIPS CPU state (hflags)"),
    ("from unicorn import Uc; del Uc._Uc__ctl_w", "the TLB flush control"),
])
def test_another_unicorn_is_one_line(patch: str, says: str) -> None:
    """The start-up self-test: a Unicorn whose internals are not the ones emulator/ucfix.py
    knows stops the run before it starts, in one line."""
    subprocess.run(["make", "-C", str(ROOT / "userland")], check=True, capture_output=True)
    hello = ROOT / "userland" / "build" / "hello"
    ok = _almos_with("", hello)
    assert ok.returncode == 0 and "hello from pid" in ok.stdout, ok.stderr
    r = _almos_with(patch, hello)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("almos: ") and r.stderr.count("\n") == 1, r.stderr
    assert says in r.stderr
