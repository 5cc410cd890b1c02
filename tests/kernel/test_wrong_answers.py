"""Faults and errors reported as what they are: a fault after the kernel ran out of memory in a
copy is still a SIGSEGV, a jump to an unaligned address is an address error at that address,
synchronisation objects at addresses that are not the caller's are EFAULT, and after a disk
DMA the driver's copy of the buffer misses in the cache model (MMC INVAL)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ALMOS_GCC, PROGS, ROOT, Disk
from test_run import kill_line

from almos.emulator.cache import CacheConfig
from almos.emulator.topology import load_topology
from almos.kernel.libk.errno import EFAULT
from almos.session import Options, mount

LINE = CacheConfig().l2.line


def _build(tmp_path: Path, name: str) -> str:
    exe = tmp_path / name
    subprocess.run([str(ALMOS_GCC), "-O2", "-Wall", "-o", str(exe), str(PROGS / f"{name}.c")],
                   check=True, capture_output=True)
    return str(exe)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "almos.cli", "run", *args],
                          capture_output=True, timeout=120, cwd=ROOT)


def _killed(r: subprocess.CompletedProcess) -> str:
    return kill_line(r.stderr.decode())


@pytest.mark.parametrize("mode,status,signal,why", [
    ("copy", 139, "SIGSEGV", "page fault at pc"),       # the copy's ENOMEM is not the fault's
    ("touch", 137, "SIGKILL", "out of memory at pc"),   # the program's own fault: out of memory
])
def test_fault_after_the_kernel_ran_out_of_memory(tmp_path: Path, mode: str, status: int,
                                                  signal: str, why: str) -> None:
    exe = _build(tmp_path, "oom_copy")
    r = _run("-t", "1x1x1", "-m", "8M", "--cache", "off", exe, mode, "5", "3")
    assert r.returncode == status
    line = _killed(r)
    assert f"killed by {signal}: {why}" in line
    if mode == "copy":                        # write() failed with EFAULT, then the NULL store
        assert r.stdout.rstrip(b"\0").endswith(b"write -1 1\n")
        assert "write of 0x00000000, unmapped" in line


def test_unaligned_jump_is_reported_where_it_went(tmp_path: Path) -> None:
    r = _run("-t", "1x1x1", _build(tmp_path, "jump_unaligned"))
    assert r.returncode == 138 and r.stdout == b"jumping\n"
    assert _killed(r).endswith("killed by SIGBUS: address error at pc 0x00400002 "
                               "(fetch of 0x00400002)")


def test_sync_objects_need_the_callers_memory(tmp_path: Path) -> None:
    r = _run("-t", "1x1x1", _build(tmp_path, "sync_addr"))
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.decode().splitlines()]
    assert len(rows) == 8
    for kind, addr, result, err in rows[:6]:     # kernel space, unmapped, read-only
        assert (result, err) == ("-1", str(EFAULT)), (kind, addr)
    for kind, addr, result, err in rows[6:]:     # a static variable of the program
        assert (result, err) == ("0", "0"), (kind, addr)


def test_dma_reads_come_from_memory_not_stale_lines(disk: Disk) -> None:
    """The driver copies the bounce buffer after each DMA read: with the MMC's INVAL the
    copy misses in the I/O cluster's L2 every time, not only the first."""
    opts = Options(load_topology("1x1x1"), cache="stats")
    machine, kernel, vfs = mount(opts, str(disk.path))
    try:
        dev, io = vfs.dev, kernel.topo.io_cxy
        blocks = 8
        lines = blocks * dev.block_size // LINE
        misses = []
        with kernel.ktime.running(machine.core(0), "syscall"):
            for _ in range(3):
                before = machine.cache.memc(io)["l2"]["misses"]
                dev.read_blocks(0, blocks)
                misses.append(machine.cache.memc(io)["l2"]["misses"] - before)
        assert misses == [lines] * 3
    finally:
        vfs.power_off()
