"""Shared fixtures: cross-compiling bare-metal MIPS32 test programs, and running them on qemu.

`mips_cc` builds C/assembly sources with mipsel-linux-gnu-gcc into a cache directory shared by
the pytest-xdist workers of one run (keyed by a hash of the sources and flags), so each program
is compiled once per run. `qemu_run` runs a static binary under qemu-mipsel, the reference the
machine's output is compared with. Hypothesis keeps no example database, and its other files
go to pytest's tmp dir (not .hypothesis/ in the checkout).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

settings.register_profile("almos-tests", database=None)
settings.load_profile("almos-tests")

CROSS_CC = "mipsel-linux-gnu-gcc"
QEMU = "qemu-mipsel"
# The bare-metal build: static, no libc, absolute addressing
# (docs/UNICORN.md, "Cores and execution").
BARE_CFLAGS = ("-O2", "-static", "-nostdlib", "-fno-pic", "-mno-abicalls", "-Wall", "-Werror",
               "-Wl,-e,_start")
BARE_LIBS = ("-lgcc",)

Builder = Callable[..., Path]


@pytest.hookimpl(trylast=True)          # after the tmp_path plugin has set up its factory
def pytest_configure(config: pytest.Config) -> None:
    # before collection: hypothesis caches the test modules' constants as it collects them
    base: pytest.TempPathFactory = config._tmp_path_factory     # type: ignore[attr-defined]
    set_hypothesis_home_dir(base.mktemp("hypothesis"))


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} not found: run `make debs` (the tests need the MIPS toolchain)")
    return path


@pytest.fixture(scope="session")
def mips_cc(tmp_path_factory: pytest.TempPathFactory) -> Builder:
    """build(sources, name=None, flags=()) -> path of a static mipsel ELF (cached per run)."""
    cc = _require(CROSS_CC)
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent          # shared by every worker of this run
    cache = base / "mips-bin"
    cache.mkdir(exist_ok=True)

    def build(sources: Sequence[str | Path], name: str | None = None,
              flags: Sequence[str] = ()) -> Path:
        srcs = [Path(s) for s in sources]
        h = hashlib.sha256()
        for part in (*BARE_CFLAGS, *flags, *BARE_LIBS):
            h.update(part.encode() + b"\0")
        for s in srcs:
            h.update(s.name.encode() + b"\0" + s.read_bytes())
            # headers next to the sources are part of the key too
            for hdr in sorted(s.parent.glob("*.h")):
                h.update(hdr.name.encode() + b"\0" + hdr.read_bytes())
        out = cache / f"{name or srcs[-1].stem}-{h.hexdigest()[:16]}"
        if out.exists():
            return out
        tmp = out.with_suffix(f".tmp{os.getpid()}")
        cmd = [cc, *BARE_CFLAGS, *flags, "-o", str(tmp), *map(str, srcs), *BARE_LIBS]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            pytest.fail(f"cross-compile failed: {' '.join(cmd)}\n{r.stderr}")
        os.replace(tmp, out)
        return out

    return build


@dataclass(frozen=True)
class QemuResult:
    stdout: bytes
    status: int


@pytest.fixture(scope="session")
def qemu_run() -> Callable[[Path], QemuResult]:
    """run(binary) -> what qemu-mipsel printed and its exit status."""
    qemu = _require(QEMU)

    def run(binary: Path, timeout: float = 60) -> QemuResult:
        r = subprocess.run([qemu, str(binary)], capture_output=True, timeout=timeout)
        return QemuResult(r.stdout, r.returncode)

    return run
