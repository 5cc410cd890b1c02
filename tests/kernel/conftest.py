"""Fixtures for booting real disk images: the cross-compiled userland (libc_stubs, userland/),
the test programs of tests/kernel/progs/, FAT32 images made by mkfs.fat and filled by mcopy,
`almos boot` run as a subprocess with its stdin piped, and the host-side checks (mtype,
fsck.fat -n). No mocks: the guest's shell reads the commands, the kernel reads the disk through
the IOC model.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROGS = Path(__file__).resolve().parent / "progs"
ALMOS_GCC = ROOT / "libc_stubs" / "almos-gcc"
LIBC_INTERNAL = ROOT / "libc_stubs" / "src" / "internal"   # syscall.h: the numbers, by name
USERLAND_BUILD = ROOT / "userland" / "build"
IMAGE_KIB = 266240                 # 260 MiB: the smallest FAT32 mtools accepts (4 KiB clusters)
BASE_PROGRAMS = ("init", "sh", "hello", "filetest", "fault_illegal")
TEST_PROGRAMS = ("forkexec", "fsprobe", "whereami")
GLIBC_PROGRAMS = ("mathprint", "efault")     # compared with their glibc build under qemu
BOOT_TIMEOUT = 300                 # seconds
MTOOLS_ENV = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"{name} not found (the boot tests need dosfstools and mtools)")
    return path


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, env=MTOOLS_ENV, **kw)


def _shared_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's temporary directory, shared by its xdist workers."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name -> ALMOS executable: the userland's (built with make) and tests/kernel/progs'.

    make runs once per worker, under a lock: its own dependency check rebuilds whatever a
    newer source (or a rebuilt libc) makes out of date."""
    base = _shared_base(tmp_path_factory)
    out = base / "almos-progs"
    with open(base / "almos-userland.lock", "w") as lf:
        fcntl.flock(lf, fcntl.LOCK_EX)
        for target in ("libc_stubs", "userland"):
            # -k: a program that does not build must not hide the ones these tests need.
            _run(["make", "-k", "-C", str(ROOT / target)])
        out.mkdir(exist_ok=True)
        for name in TEST_PROGRAMS:
            exe = out / name
            src = PROGS / f"{name}.c"
            if not exe.exists() or exe.stat().st_mtime < src.stat().st_mtime:
                r = _run([str(ALMOS_GCC), "-O2", "-Wall", "-o", str(exe), str(src)])
                if r.returncode:
                    pytest.fail(f"cannot build {src}: {r.stderr.decode()}")
    found = {name: USERLAND_BUILD / name for name in BASE_PROGRAMS}
    missing = [n for n, p in found.items() if not p.exists()]
    if missing:
        pytest.fail(f"userland programs missing after make: {', '.join(missing)}")
    found.update({name: out / name for name in TEST_PROGRAMS})
    return found


@pytest.fixture(scope="session", autouse=True)
def _userland_up_to_date(programs: dict[str, Path]) -> None:
    """Every kernel test may run userland/build/* (test_run.userland): make it first."""


@pytest.fixture(scope="session")
def glibc_userland(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GLIBC_PROGRAMS of the userland built with glibc (make HOST=glibc) into a temporary
    directory, for qemu-mipsel: the reference a program's output on ALMOS is compared with."""
    base = _shared_base(tmp_path_factory)
    out = base / "userland-glibc"
    with open(base / "almos-userland-glibc.lock", "w") as lf:
        fcntl.flock(lf, fcntl.LOCK_EX)
        r = _run(["make", "-C", str(ROOT / "userland"), "HOST=glibc", f"BUILD={out}",
                  *(str(out / name) for name in GLIBC_PROGRAMS)])
    if r.returncode:
        pytest.fail(f"make HOST=glibc failed: {r.stderr.decode()}")
    return out


@dataclass
class Disk:
    """A FAT32 image file and the host tools' view of it."""

    path: Path

    def put(self, host: Path, guest: str) -> None:
        r = _run(["mcopy", "-o", "-i", str(self.path), str(host), f"::{guest}"])
        assert r.returncode == 0, r.stderr.decode()

    def get(self, guest: str) -> bytes:
        r = _run(["mtype", "-i", str(self.path), f"::{guest}"])
        assert r.returncode == 0, r.stderr.decode()
        return r.stdout

    def copy_out(self, guest: str, host: Path) -> None:
        r = _run(["mcopy", "-o", "-i", str(self.path), f"::{guest}", str(host)])
        assert r.returncode == 0, r.stderr.decode()

    def exists(self, guest: str) -> bool:
        return _run(["mdir", "-b", "-i", str(self.path), f"::{guest}"]).returncode == 0

    def fsck(self) -> None:
        """fsck.fat -n finds nothing to fix."""
        r = _run([_tool("fsck.fat"), "-n", str(self.path)])
        assert r.returncode == 0, (r.stdout + r.stderr).decode()


@pytest.fixture(scope="session")
def template(programs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An image with /bin (every program), /etc/rc and /home/README."""
    path = tmp_path_factory.mktemp("template") / "disk.img"
    r = _run([_tool("mkfs.fat"), "-C", "-F", "32", "-S", "512", "-s", "8", "-n", "ALMOS",
              str(path), str(IMAGE_KIB)])
    assert r.returncode == 0, r.stderr.decode()
    for d in ("bin", "etc", "home"):
        assert _run(["mmd", "-i", str(path), f"::/{d}"]).returncode == 0
    disk = Disk(path)
    for name, exe in programs.items():
        disk.put(exe, f"/bin/{name}")
    rc = path.parent / "rc"
    rc.write_text("# /etc/rc of the boot tests: nothing to say\n")
    disk.put(rc, "/etc/rc")
    readme = path.parent / "README"
    readme.write_text("the home directory\n")
    disk.put(readme, "/home/README")
    return path


@pytest.fixture
def disk(template: Path, tmp_path: Path) -> Disk:
    """A fresh copy of the template image for one test (sparse)."""
    path = tmp_path / "disk.img"
    subprocess.run(["cp", "--sparse=always", str(template), str(path)], check=True)
    return Disk(path)


@dataclass
class Boot:
    rc: int
    out: str
    err: str


BootFn = Callable[..., Boot]


@pytest.fixture
def boot() -> BootFn:
    """boot(image, lines, *options) runs `almos boot` with the lines as the guest's input."""

    def run(image: Path | str, lines: Iterable[str] = (), *options: str,
            cache: str = "off") -> Boot:
        text = "".join(f"{line}\n" for line in lines)
        cmd = [sys.executable, "-m", "almos.cli", "boot", "--cache", cache, *options, str(image)]
        r = subprocess.run(cmd, input=text.encode(), capture_output=True, cwd=ROOT,
                           timeout=BOOT_TIMEOUT)
        return Boot(r.returncode, r.stdout.decode(errors="replace"),
                    r.stderr.decode(errors="replace"))

    return run
