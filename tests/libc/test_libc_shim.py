"""Stream I/O of libc_stubs on real files and on standard input, against glibc.

Files and input are outside the ALMOS differential test (test_libc_diff.py); here both
builds run under qemu-mipsel (ours through the Linux shim) in a scratch directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import HERE, QEMU, build_glibc, build_shim, run

PROGS = sorted((HERE / "shim_progs").glob("*.c"))
STDIN = b"xyz first line\n 12  34 tail\nmore\n"


@pytest.mark.parametrize("prog", PROGS, ids=lambda p: p.stem)
def test_stream_io_matches_glibc(prog: Path, shim_lib: Path, tmp_path: Path) -> None:
    outputs = []
    for kind in ("shim", "glibc"):
        work = tmp_path / kind
        work.mkdir()
        exe = work / prog.stem
        if kind == "shim":
            build_shim(prog, exe, shim_lib)
        else:
            build_glibc(prog, exe)
        r = run([QEMU, str(exe)], cwd=work, input=STDIN)
        outputs.append((r.stdout.decode(errors="replace"), r.returncode))
    ours, glibc = outputs
    assert ours[1] == glibc[1]
    assert ours[0].splitlines() == glibc[0].splitlines()
