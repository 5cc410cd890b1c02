"""Debian's busybox-static for mipsel (fetched by `make setup`, docs/LINUX.md) on the Linux
personality: its applets on files of a FAT32 image and a busybox shell pipeline give the same
stdout and exit status as under qemu-mipsel on the same files; from ALMOS's own shell an
applet runs by name through its "#!/bin/busybox" file, and a file that is no program is
refused with ENOEXEC."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BootFn, Disk

ROOT = Path(__file__).resolve().parents[2]
ALMOS = [sys.executable, "-m", "almos.cli"]
BUSYBOX = ROOT / "build" / "busybox" / "bin" / "busybox"
FRUIT = "pear 3\napple 10\nfig 7\nbanana 2\napple 1\nkiwi 12\n"
NUMS = "".join(f"{i}\n" for i in range(1, 51))


@pytest.fixture(scope="module")
def busybox() -> Path:
    if not BUSYBOX.exists():
        pytest.fail(f"{BUSYBOX} is missing: run `make setup` (it fetches busybox-static)")
    return BUSYBOX


@pytest.fixture
def files(busybox: Path, disk: Disk, tmp_path: Path) -> tuple[Disk, Path]:
    """The same home/data/ on the image (/home/data) and on the host (tmp_path/home/data)."""
    host = tmp_path / "host"
    data = host / "home" / "data"
    data.mkdir(parents=True)
    (data / "fruit.txt").write_text(FRUIT)
    (data / "nums.txt").write_text(NUMS)
    subprocess.run(["mcopy", "-s", "-i", str(disk.path), str(data), "::/home/"], check=True)
    disk.put(busybox, "/bin/busybox")
    return disk, host


def both(busybox: Path, disk: Disk, host: Path, *args: str) -> bytes:
    """Run busybox ARGS under qemu-mipsel in host/ and on ALMOS at / of the image: the same
    stdout and status, which are returned."""
    ref = subprocess.run(["qemu-mipsel", str(busybox), *args], capture_output=True, cwd=host,
                         timeout=120)
    got = subprocess.run([*ALMOS, "run", "-q", "--cache", "off", "--disk", str(disk.path),
                          str(busybox), *args], capture_output=True, cwd=ROOT, timeout=300)
    assert got.stdout == ref.stdout, got.stderr.decode()
    assert got.returncode == ref.returncode, got.stderr.decode()
    return got.stdout


@pytest.mark.parametrize("args,expect", [
    (("ls", "home/data"), b"fruit.txt\nnums.txt\n"),
    (("cat", "home/data/fruit.txt"), FRUIT.encode()),
    (("grep", "-n", "apple", "home/data/fruit.txt"), b"2:apple 10\n5:apple 1\n"),
    (("wc", "home/data/nums.txt"), b"141"),
    (("head", "-n", "3", "home/data/nums.txt"), b"1\n2\n3\n"),
    (("sort", "-k2", "-n", "home/data/fruit.txt"), b"apple 1\nbanana 2\n"),
    (("sed", "-e", "s/apple/APPLE/g", "home/data/fruit.txt"), b"APPLE 10"),
    (("awk", "{s += $2} END {print s}", "home/data/fruit.txt"), b"35\n"),
    (("grep", "-q", "cherry", "home/data/fruit.txt"), b""),
])
def test_applets_as_qemu(files: tuple[Disk, Path], busybox: Path, args: tuple[str, ...],
                         expect: bytes) -> None:
    disk, host = files
    assert expect in both(busybox, disk, host, *args)


def test_shell_pipeline_as_qemu(files: tuple[Disk, Path], busybox: Path) -> None:
    """busybox sh: a pipeline of forked applets (run through /proc/self/exe), a loop,
    a redirection to a file, the statuses and a trap."""
    disk, host = files
    script = ("cut -d' ' -f1 home/data/fruit.txt | sort | uniq -c | sort -rn | head -n 2; "
              "for f in home/data/*.txt; do wc -l < $f; done > home/out.txt; cat home/out.txt; "
              "grep -q cherry home/data/fruit.txt; echo status $?; "
              "trap 'echo trapped' USR1; kill -USR1 $$; echo end")
    out = both(busybox, disk, host, "sh", "-c", script)
    assert out.startswith(b"      2 apple\n")
    assert out.endswith(b"6\n50\nstatus 1\ntrapped\nend\n")
    assert disk.get("/home/out.txt") == b"6\n50\n"


def test_applets_by_name_from_almos_shell(files: tuple[Disk, Path], boot: BootFn,
                                          tmp_path: Path) -> None:
    disk, _ = files
    stub = tmp_path / "wc"
    stub.write_text("#!/bin/busybox\n")
    disk.put(stub, "/bin/wc")
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x7fELF\x01\x02\x01" + bytes(60))      # a big-endian ELF header
    disk.put(bad, "/bin/bad")
    r = boot(disk.path, ["wc -l /home/data/nums.txt", "bad", "echo after"])
    assert "50 /home/data/nums.txt" in r.out, r.err
    assert "Exec format error" in r.out + r.err
    assert "after" in r.out
