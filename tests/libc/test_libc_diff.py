"""Differential test of libc_stubs against glibc.

Each single-threaded program of progs/ is built twice, with almos-gcc and with
``mipsel-linux-gnu-gcc -static``; the glibc build runs under qemu-mipsel, ours under
``almos run`` and under qemu-mipsel through the Linux shim (conftest.py). Standard output
and exit status must be identical.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import (
    ALMOS,
    PROGS,
    QEMU,
    ROOT,
    build_almos,
    build_glibc,
    build_shim,
    run,
)

ARGS = {"argv": ["one", "two words", "", "3"]}


def reference(prog: Path, tmp_path: Path) -> tuple[bytes, int]:
    exe = tmp_path / f"{prog.stem}.glibc"
    build_glibc(prog, exe)
    r = run([QEMU, str(exe), *ARGS.get(prog.stem, [])])
    return r.stdout, r.returncode


def compare(got: tuple[bytes, int], want: tuple[bytes, int]) -> None:
    out, status = got
    ref, ref_status = want
    if out != ref:
        ours, theirs = out.decode(errors="replace"), ref.decode(errors="replace")
        pairs = zip(ours.splitlines(), theirs.splitlines(), strict=False)
        diffs = [f"  line {i + 1}:\n    ours:  {a!r}\n    glibc: {b!r}"
                 for i, (a, b) in enumerate(pairs) if a != b]
        counts = f"{len(ours.splitlines())} lines vs {len(theirs.splitlines())}"
        pytest.fail(f"stdout differs ({counts}), {len(diffs)} lines:\n" + "\n".join(diffs[:20]))
    assert status == ref_status


@pytest.mark.parametrize("prog", PROGS, ids=lambda p: p.stem)
def test_shim_matches_glibc(prog: Path, shim_lib: Path, tmp_path: Path) -> None:
    exe = tmp_path / f"{prog.stem}.shim"
    build_shim(prog, exe, shim_lib)
    r = run([QEMU, str(exe), *ARGS.get(prog.stem, [])])
    compare((r.stdout, r.returncode), reference(prog, tmp_path))


@pytest.mark.parametrize("prog", PROGS, ids=lambda p: p.stem)
def test_almos_matches_glibc(prog: Path, libc: Path, tmp_path: Path) -> None:
    exe = tmp_path / f"{prog.stem}.almos"
    build_almos(prog, exe)
    r = run([*ALMOS, "run", str(exe), *ARGS.get(prog.stem, [])], cwd=ROOT)
    compare((r.stdout, r.returncode), reference(prog, tmp_path))
