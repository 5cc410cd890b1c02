"""Building and running C programs against libc_stubs (the ALMOS C library) and glibc.

Three ways to build a program:
- ``almos``: ``libc_stubs/almos-gcc``, to run on ALMOS (``almos run``);
- ``glibc``: ``mipsel-linux-gnu-gcc -static``, to run under ``qemu-mipsel``;
- ``shim``: like ``almos``, but against a copy of the library compiled with
  ``-DLIBC_LINUX_SHIM`` and ``shim/linux_shim.c``, whose system calls are emulated with
  Linux ones: the whole library (crt0, TLS, stdio, malloc ...) runs under ``qemu-mipsel``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBC = ROOT / "libc_stubs"
HERE = Path(__file__).resolve().parent
PROGS = sorted((HERE / "progs").glob("*.c"))
CC = "mipsel-linux-gnu-gcc"
QEMU = "qemu-mipsel"
ALMOS = [sys.executable, "-m", "almos.cli"]      # the CLI of the interpreter running pytest
TIMEOUT = 120

# The flags almos-gcc uses for compiling, and those of the library's Makefile.
PROG_CFLAGS = ["-fno-pic", "-mno-abicalls", "-G0", "-fno-stack-protector", "-nostdinc",
               "-D__ALMOS__", "-U__linux__", "-U__linux", "-Ulinux", "-U__gnu_linux__"]
LIB_CFLAGS = PROG_CFLAGS + ["-O2", "-std=gnu11", "-ffreestanding",
                            "-fno-tree-loop-distribute-patterns", "-fno-math-errno",
                            "-ffunction-sections", "-fdata-sections"]


def require_tools() -> None:
    """A missing cross compiler or qemu fails the test (it is never skipped)."""
    for tool in (CC, QEMU):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: run `make debs` (the tests need the MIPS toolchain)")


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, **kw)


def check(cmd: list[str]) -> None:
    r = run(cmd)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed:\n{r.stderr.decode()}")


def gcc_include() -> str:
    return run([CC, "-print-file-name=include"]).stdout.decode().strip()


def libgcc() -> str:
    return run([CC, "-print-libgcc-file-name"]).stdout.decode().strip()


@pytest.fixture(scope="session", autouse=True)
def libc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """libc_stubs built by its Makefile (once; a lock in the run's temporary directory keeps
    xdist workers apart)."""
    require_tools()
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    with open(base / "libc-make.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        check(["make", "-s", "-C", str(LIBC)])
    return LIBC


@pytest.fixture(scope="session")
def shim_lib(libc: Path, tmp_path_factory) -> Path:
    """The library again, its system calls routed to shim/linux_shim.c."""
    out = tmp_path_factory.mktemp("shimlib")
    srcs = sorted((libc / "src").glob("*/*.c")) + [HERE / "shim" / "linux_shim.c"]
    inc = ["-isystem", str(libc / "include"), "-isystem", gcc_include(),
           "-I", str(libc / "src" / "internal")]

    def compile_one(src: Path) -> Path:
        obj = out / f"{src.parent.name}_{src.stem}.o"
        check([CC, *LIB_CFLAGS, *inc, "-DLIBC_LINUX_SHIM", "-c", "-o", str(obj), str(src)])
        return obj

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        objs = list(pool.map(compile_one, srcs))
    asm = [libc / "build" / "crt" / "setjmp.o", libc / "build" / "crt" / "thread_ret.o"]
    check(["mipsel-linux-gnu-ar", "rcs", str(out / "libc.a"), *map(str, objs), *map(str, asm)])
    return out / "libc.a"


def build_almos(src: Path, exe: Path, extra: list[str] | None = None) -> None:
    check([str(LIBC / "almos-gcc"), "-O2", "-Wall", "-o", str(exe), str(src), "-lm",
           *(extra or [])])


def build_glibc(src: Path, exe: Path) -> None:
    check([CC, "-O2", "-static", "-o", str(exe), str(src), "-lm"])


def build_shim(src: Path, exe: Path, shim: Path) -> None:
    check([CC, "-O2", *PROG_CFLAGS, "-isystem", str(LIBC / "include"), "-isystem",
           gcc_include(), "-static", "-nostdlib", f"-Wl,-T,{LIBC / 'almos.ld'}",
           "-Wl,--gc-sections", "-Wl,--build-id=none", "-o", str(exe),
           str(LIBC / "build" / "crt0.o"), str(src), "-Wl,--start-group", str(shim),
           libgcc(), "-Wl,--end-group"])
