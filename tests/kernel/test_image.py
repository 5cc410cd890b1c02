"""`make image` (images/Makefile) on a real FAT32 image: an existing image is updated in place
(changed programs into /bin with mcopy -o, removed ones out with mdel) and the user's files in
/home survive; a fresh image is made only when there is none.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from conftest import MTOOLS_ENV, ROOT, Disk

IMAGES = ROOT / "images"
MADE_PROGRAMS = ("hello", "sh")


def _make(tmp_path: Path, *targets: str) -> str:
    """make -C images with the image, its staging tree and the programs under tmp_path."""
    r = subprocess.run(["make", "-C", str(IMAGES), f"IMAGE={tmp_path / 'disk.img'}",
                        f"BUILD={tmp_path / 'build'}", f"USERLAND={tmp_path / 'userland'}",
                        *targets], capture_output=True, env=MTOOLS_ENV, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def _userland(tmp_path: Path, programs: dict[str, Path]) -> Path:
    userland = tmp_path / "userland"
    userland.mkdir()
    for name in MADE_PROGRAMS:
        shutil.copy2(programs[name], userland / name)
    return userland


def _newer(path: Path, data: bytes) -> None:
    """Rewrites path with data, dated a minute later than anything make has seen."""
    path.write_bytes(data)
    later = path.stat().st_mtime + 60
    os.utime(path, (later, later))


def test_update_keeps_home(programs: dict[str, Path], tmp_path: Path) -> None:
    userland = _userland(tmp_path, programs)
    assert "2 program(s)" in _make(tmp_path)
    disk = Disk(tmp_path / "disk.img")
    assert disk.get("/bin/hello") == programs["hello"].read_bytes()
    assert disk.exists("/home/README") and disk.exists("/etc/rc")

    mine = tmp_path / "mine.txt"
    mine.write_bytes(b"the user's own file\n")
    disk.put(mine, "/home/mine.txt")
    new_hello = programs["sh"].read_bytes()          # other bytes than hello's, still a program
    _newer(userland / "hello", new_hello)

    out = _make(tmp_path)
    assert "1 program(s) updated" in out, out
    assert disk.get("/home/mine.txt") == b"the user's own file\n"
    assert disk.exists("/home/README")
    assert disk.get("/bin/hello") == new_hello
    assert disk.get("/bin/sh") == programs["sh"].read_bytes()
    disk.fsck()


def test_removed_program_leaves_bin(programs: dict[str, Path], tmp_path: Path) -> None:
    userland = _userland(tmp_path, programs)
    _make(tmp_path)
    disk = Disk(tmp_path / "disk.img")
    mine = tmp_path / "mine"
    mine.write_bytes(b"a program the user copied in\n")
    disk.put(mine, "/bin/mine")                       # not make's: an update leaves it alone
    (userland / "hello").unlink()
    later = userland.stat().st_mtime + 60
    os.utime(userland, (later, later))

    assert "/bin/hello removed" in _make(tmp_path)
    assert not disk.exists("/bin/hello")
    assert disk.exists("/bin/sh") and disk.get("/bin/mine") == b"a program the user copied in\n"
    disk.fsck()


def test_fresh_and_image_clean(programs: dict[str, Path], tmp_path: Path) -> None:
    """`make fresh` starts over (the user's files go); `make image-clean` removes the image."""
    _userland(tmp_path, programs)
    _make(tmp_path)
    disk = Disk(tmp_path / "disk.img")
    mine = tmp_path / "mine.txt"
    mine.write_bytes(b"x\n")
    disk.put(mine, "/home/mine.txt")
    _make(tmp_path, "fresh")
    assert not disk.exists("/home/mine.txt") and disk.exists("/home/README")
    disk.fsck()
    _make(tmp_path, "clean")
    assert disk.path.exists()
    _make(tmp_path, "image-clean")
    assert not disk.path.exists()


def test_new_program_with_an_old_date(programs: dict[str, Path], tmp_path: Path) -> None:
    """A program added to the userland with a date older than the image (cp -p) still goes
    to /bin: what decides is whether make put it there, not only the dates."""
    userland = _userland(tmp_path, programs)
    _make(tmp_path)
    disk = Disk(tmp_path / "disk.img")
    old = disk.path.stat().st_mtime - 3600
    shutil.copy2(programs["init"], userland / "init")
    os.utime(userland / "init", (old, old))
    later = userland.stat().st_mtime + 60
    os.utime(userland, (later, later))

    assert "1 program(s) updated" in _make(tmp_path)
    assert disk.get("/bin/init") == programs["init"].read_bytes()
    assert disk.get("/bin/hello") == programs["hello"].read_bytes()
    disk.fsck()
