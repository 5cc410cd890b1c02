"""Damaged and contended disk images under `almos boot` / `almos run --disk`: the guest gets
EIO for a file whose clusters are damaged and the kernel goes on; a damaged root or /bin/init
is one line and exit 2 (a read error, not "no /bin/init"); a second machine on an image in use
is refused in one line (the image is locked), and the first goes on undisturbed.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, Disk

from almos.emulator.devices.ioc import ImageLockedError
from almos.kernel.devices.blockdev import BLOCK_SIZE, FileBlockDevice
from almos.kernel.fs.fat32 import DIR_FILE_SIZE, DIRENT_SIZE, FAT_ENTRY_SIZE, Fat32

ALMOS = [sys.executable, "-m", "almos.cli"]


def where(img: Path, path: str) -> tuple[int, list[int], int]:
    """(byte offset of the entry, the cluster chain, byte offset of the FAT) of a path."""
    with FileBlockDevice(img, readonly=True) as dev:
        fs = Fat32(dev)
        node = fs.lookup_path(path.strip("/"))
        return node.ino * DIRENT_SIZE, list(fs._chain(node)), fs.reserved_sectors * BLOCK_SIZE


def poke(img: Path, offset: int, fmt: str, *values: int) -> None:
    with open(img, "r+b") as f:
        f.seek(offset)
        f.write(struct.pack(fmt, *values))


def put_file(img: Path, path: str, data: bytes) -> None:
    with FileBlockDevice(img) as dev:
        fs = Fat32(dev)
        d, name = path.strip("/").rsplit("/", 1)
        fs.write(fs.create(fs.lookup_path(d), name), 0, data)
        fs.sync()


def one_line_exit_2(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.startswith("almos: ") and r.stderr.count("\n") == 1, r.stderr
    return r.stderr


def test_guest_gets_eio_and_the_kernel_goes_on(disk: Disk, boot) -> None:
    """A size beyond the cluster chain, a chain that loops, a chain into a free cluster: cat
    gets EIO (no traceback), the shell and the next programs go on."""
    put_file(disk.path, "/home/loop", bytes(3 * 4096))
    put_file(disk.path, "/home/free", bytes(2 * 4096))
    entry, _, _ = where(disk.path, "/home/README")
    poke(disk.path, entry + DIR_FILE_SIZE, "<I", 5 * 4096)        # README has 1 cluster
    _, chain, fat = where(disk.path, "/home/loop")
    poke(disk.path, fat + chain[-1] * FAT_ENTRY_SIZE, "<I", chain[0])
    _, chain, fat = where(disk.path, "/home/free")
    poke(disk.path, fat + chain[0] * FAT_ENTRY_SIZE, "<I", 0x0FFFFFF7)   # a bad cluster
    r = boot(disk.path, ["cat /home/README", "echo rc $?", "cat /home/loop", "echo rc $?",
                         "cat /home/free", "echo rc $?", "ls /home", "hello"])
    assert "Traceback" not in r.err, r.err
    for name in ("README", "loop", "free"):
        assert f"/home/{name}: I/O error" in r.out or f"/home/{name}: Input/output error" \
            in r.out, r.out
    assert r.out.count("rc 1") == 3, r.out
    assert "argc 1" in r.out and r.rc == 0, r.out + r.err


def test_damaged_root_is_one_line(disk: Disk) -> None:
    _, chain, fat = where(disk.path, "/")
    poke(disk.path, fat + chain[0] * FAT_ENTRY_SIZE, "<I", chain[0])       # loops on itself
    for cmd in (["boot", str(disk.path)],
                ["run", "--disk", str(disk.path), str(ROOT / "userland" / "build" / "hello")]):
        r = subprocess.run([*ALMOS, cmd[0], "--cache", "off", *cmd[1:]], capture_output=True,
                           text=True, cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL)
        assert "cluster chain" in one_line_exit_2(r), r.stderr


def test_damaged_bin_init_is_a_read_error(disk: Disk) -> None:
    """Was reported as "no /bin/init": it is there, and cannot be read."""
    _, chain, fat = where(disk.path, "/bin/init")
    poke(disk.path, fat + chain[1] * FAT_ENTRY_SIZE, "<I", 0)              # into a free one
    r = subprocess.run([*ALMOS, "boot", "--cache", "off", str(disk.path)], capture_output=True,
                       text=True, cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL)
    err = one_line_exit_2(r)
    assert "cannot read /bin/init" in err and "no /bin/init" not in err, err


def test_one_writer_per_image(disk: Disk, tmp_path: Path) -> None:
    """The image is locked while a machine has it: a second `almos boot` or `almos run
    --disk` on it is refused in one line; the first finishes its work undisturbed."""
    first = subprocess.Popen([*ALMOS, "boot", "--cache", "off", str(disk.path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert first.stdin is not None and first.stdout is not None
    try:
        first.stdin.write("echo up\n")
        first.stdin.flush()
        while "up" not in first.stdout.readline():   # the machine is running, the image held
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
        for cmd in (["boot", "--cache", "off", str(disk.path)],
                    ["run", "--disk", str(disk.path),
                     str(ROOT / "userland" / "build" / "hello")]):
            r = subprocess.run([*ALMOS, *cmd], capture_output=True, text=True, cwd=ROOT,
                               timeout=60, stdin=subprocess.DEVNULL)
            assert "in use" in one_line_exit_2(r)
        out, err = first.communicate("echo second line > /home/w\ncat /home/w\n", timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert "second line" in out and first.returncode == 0, out + err
    disk.fsck()
    with FileBlockDevice(disk.path), pytest.raises(ImageLockedError):
        FileBlockDevice(disk.path)                # the same holds for the host-side device
    with FileBlockDevice(disk.path, readonly=True), FileBlockDevice(disk.path):
        pass                                      # readers take no lock
