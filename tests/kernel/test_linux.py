"""The Linux o32 personality (docs/LINUX.md): unmodified static glibc programs from
userland/linux/, built here with mipsel-linux-gnu-gcc -static, give on `almos run` the same
stdout and exit status as under qemu-mipsel; their threads spread over the machine's cores;
ELF files of the other kinds are refused in one line."""

from __future__ import annotations

import json
import re
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Disk

from almos.emulator.elf import KIND_ALMOS, KIND_LINUX, parse_elf

ROOT = Path(__file__).resolve().parents[2]
ALMOS = [sys.executable, "-m", "almos.cli"]
SOURCES = ROOT / "userland" / "linux"
CC = "mipsel-linux-gnu-gcc"
FLAGS = {"files": ["-D_FILE_OFFSET_BITS=64"], "omp": ["-fopenmp"]}
E_FLAGS_OFF = 36
EF_MIPS_ABI2 = 0x20
EF_MIPS_ARCH_64 = 0x6000_0000


def almos(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*ALMOS, *args], capture_output=True, timeout=timeout, cwd=ROOT)


def qemu(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["qemu-mipsel", *args], capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def glibc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every userland/linux/*.c, built static against Debian's cross glibc."""
    out = tmp_path_factory.mktemp("linux-progs")
    progs = {}
    for src in sorted(SOURCES.glob("*.c")):
        exe = out / src.stem
        r = subprocess.run([CC, "-O2", "-static", "-pthread", *FLAGS.get(src.stem, []),
                            "-o", str(exe), str(src), "-lm"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        progs[src.stem] = exe
    return progs


def same_as_qemu(exe: Path, *args: str, almos_opts: tuple[str, ...] = ()) -> bytes:
    ref = qemu(str(exe), *args)
    got = almos("run", "-q", "--cache", "off", *almos_opts, str(exe), *args)
    assert got.stdout == ref.stdout, got.stderr.decode()
    assert got.returncode == ref.returncode, got.stderr.decode()
    return got.stdout


@pytest.mark.parametrize("args", [(), ("word",), ("a", "b", "c")])
def test_stdio_and_math_as_qemu(glibc: dict[str, Path], args: tuple[str, ...]) -> None:
    out = same_as_qemu(glibc["stdio_math"], *args)
    assert b"sin=" in out


def test_pthreads_as_qemu_and_spread_over_cores(glibc: dict[str, Path], tmp_path: Path) -> None:
    stats = tmp_path / "stats.json"
    out = same_as_qemu(glibc["pthreads"], "8", almos_opts=("--stats", str(stats)))
    assert b"threads 8 total 560000 joined 280" in out
    assert b"Connection timed out; 3 ms passed: 1" in out
    s = json.loads(stats.read_text())
    workers = [t for t in s["threads"] if t["process"] == "pthreads"]
    assert len(workers) == 9
    assert len({t["gid"] for t in workers}) >= 8              # the DQDT spread them
    assert len({tuple(t["cluster"]) for t in workers}) == 4   # over every cluster of 2x2x4


def test_openmp_as_qemu(glibc: dict[str, Path]) -> None:
    assert b"threads>1 1" in same_as_qemu(glibc["omp"])


def test_files_on_fat32_as_qemu(glibc: dict[str, Path], disk: Disk, tmp_path: Path) -> None:
    ref = qemu(str(glibc["files"]), str(tmp_path / "lxfiles"))
    got = almos("run", "-q", "--cache", "off", "--disk", str(disk.path), str(glibc["files"]),
                "/home/lxfiles")
    assert got.stdout == ref.stdout, got.stderr.decode()
    assert got.returncode == ref.returncode == 0
    assert b"entries 4 b 1 sub 1" in got.stdout
    assert not disk.exists("/home/lxfiles")
    disk.fsck()


def test_unknown_calls_are_enosys_and_counted(glibc: dict[str, Path], tmp_path: Path) -> None:
    """glibc's start-up asks for set_robust_list (4309) and rseq (4367), which the
    personality does not serve: ENOSYS, and --stats counts them."""
    stats, trace = tmp_path / "stats.json", tmp_path / "trace.txt"
    r = almos("run", "-q", "--cache", "off", "--stats", str(stats), "--trace", "syscalls",
              "--trace-file", str(trace), str(glibc["stdio_math"]))
    assert r.returncode == 0
    enosys = json.loads(stats.read_text())["summary"]["enosys"]
    assert enosys.get("4309") == 1 and enosys.get("4367") == 1
    lines = trace.read_text()                  # --trace names the o32 calls
    assert re.search(r" set_robust_list\(.*\) = -1 ENOSYS$", lines, re.M), lines[:2000]
    assert re.search(r" brk\(", lines), lines[:2000]


def test_kinds(glibc: dict[str, Path]) -> None:
    """almos-gcc's programs carry the ALMOS note; glibc's are Linux programs."""
    almos_prog = ROOT / "userland" / "build" / "hello"
    assert parse_elf(almos_prog.read_bytes()).kind == KIND_ALMOS
    linux = parse_elf(glibc["stdio_math"].read_bytes())
    assert linux.kind == KIND_LINUX and linux.phdr == 0x400034 and linux.phnum > 0


def _patched(src: Path, dst: Path, offset: int, fmt: str, change) -> Path:
    data = bytearray(src.read_bytes())
    (value,) = struct.unpack_from(fmt, data, offset)
    struct.pack_into(fmt, data, offset, change(value))
    dst.write_bytes(bytes(data))
    return dst


def test_other_kinds_refused_in_one_line(glibc: dict[str, Path], tmp_path: Path) -> None:
    base = glibc["stdio_math"]
    dyn = tmp_path / "dynamic"
    subprocess.run([CC, "-O2", "-o", str(dyn), str(SOURCES / "stdio_math.c"), "-lm"],
                   check=True, capture_output=True)
    cases = {
        "big-endian": _patched(base, tmp_path / "be", 5, "B", lambda v: 2),
        "MIPS64": _patched(base, tmp_path / "m64", E_FLAGS_OFF, "<I",
                           lambda v: v & 0x0FFF_FFFF | EF_MIPS_ARCH_64),
        "n32": _patched(base, tmp_path / "n32", E_FLAGS_OFF, "<I", lambda v: v | EF_MIPS_ABI2),
        "dynamically linked": dyn,
    }
    for what, exe in cases.items():
        r = almos("run", str(exe))
        err = r.stderr.decode()
        assert r.returncode == 2, (what, err)
        assert err.count("\n") == 1 and err.startswith("almos:") and what in err, err
        assert "supported: static MIPS32 little-endian" in err


ALMOS_CALLS_LINUX = r"""
#include <stdio.h>
int main(void)
{
    register long v0 __asm__("$2") = 4020;          /* o32 getpid */
    register long v1 __asm__("$3");
    __asm__ volatile("syscall" : "+r"(v0), "=r"(v1) : : "$7", "memory");
    printf("v0 %ld v1 %ld\n", v0, v1);
    return 0;
}
"""


def test_almos_program_gets_enosys_for_linux_numbers(tmp_path: Path) -> None:
    """An ALMOS program keeps ALMOS's convention: an o32 number is ENOSYS ($v0 = -1,
    $v1 = 38), not a Linux service."""
    src = tmp_path / "calls_linux.c"
    src.write_text(ALMOS_CALLS_LINUX)
    exe = tmp_path / "calls_linux"
    subprocess.run([str(ROOT / "libc_stubs" / "almos-gcc"), "-O2", "-o", str(exe), str(src)],
                   check=True, capture_output=True)
    r = almos("run", "-q", "--cache", "off", str(exe))
    assert (r.returncode, r.stdout) == (0, b"v0 -1 v1 38\n"), r.stderr.decode()


def test_spawn_fork_exec(glibc: dict[str, Path], disk: Disk) -> None:
    """posix_spawn (a clone with a stack of its own), fork + exec of busybox's echo, and
    the statuses waitpid gives."""
    busybox = ROOT / "build" / "busybox" / "bin" / "busybox"
    if not busybox.exists():
        pytest.fail(f"{busybox} is missing: run `make setup` (it fetches busybox-static)")
    disk.put(busybox, "/bin/busybox")
    r = almos("run", "-q", "--cache", "off", "--disk", str(disk.path), str(glibc["spawn"]),
              "/bin/busybox")
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == (b"hello world\nspawn 0 exited 1 status 0\nfrom fork\nfork status 0\n"
                        b"child exit 7\n"), r.stderr.decode()


def test_raw_futex_calls_as_qemu(glibc: dict[str, Path]) -> None:
    out = same_as_qemu(glibc["futex"])
    assert b"timed wait: -1 Connection timed out" in out
    assert b"cmp_requeue: 3\nrequeue: 2\nwake f2: 4\nwoke 4\n" in out


MIPS_SIGUSR2 = 17


def test_signal_handlers_as_qemu(glibc: dict[str, Path]) -> None:
    """Handlers run (raise, kill, a child's kill while the parent waits, a masked signal
    when unmasked); SIG_IGN; the default action kills. qemu-mipsel dies of the host's
    SIGUSR2, ALMOS's process of MIPS's (128 + 17)."""
    exe = str(glibc["signals"])
    ref = qemu(exe)
    got = almos("run", "-q", "--cache", "off", exe)
    assert got.stdout == ref.stdout, got.stderr.decode()
    assert got.stdout == (b"raise: 16\nsiginfo: 17\nblocked: 0\nunblocked: 16\n"
                          b"from child: 16\nignored\n")
    assert ref.returncode == -signal.SIGUSR2
    assert got.returncode == 128 + MIPS_SIGUSR2
