"""Long straight-line blocks (emulator/codeguard.py): Unicorn 2.1.4 kills the host on a block of
about 374 straight-line instructions or more, so the loader guards them. Real C programs with a
macro-unrolled function of 400 and 2,500 instructions, built with almos-gcc for the machine and
with glibc for qemu-mipsel, must print the same under `almos run` and from the shell of
`almos boot`; code that is only zeros (nops) and code written at run time must not crash it.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ALMOS_GCC, ROOT, Disk

OBJDUMP = "mipsel-linux-gnu-objdump"
STEP_INSNS = 4            # v = v * K + c; v ^= v >> 7: mul, addiu, srl, xor
MIX = """#include <stdio.h>
#define STEP(c) v = v * 1103515245u + (c); v ^= v >> 7;
__attribute__((noinline)) unsigned mix(unsigned v)
{
%s
    return v;
}
int main(void)
{
    unsigned v = 1;
    for (unsigned i = 0; i < 200; i++)
        v = mix(v + i);
    printf("mix %%u\\n", v);
    return 0;
}
"""
# Code written at run time in an executable anonymous mapping: 1,500 straight-line addiu.
JIT = """#include <stdio.h>
#include <sys/mman.h>
int main(void)
{
    unsigned *code = mmap(0, 8192, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED)
        return 1;
    code[0] = 0x00001025;                       /* move $v0, $zero */
    for (int i = 1; i < 1500; i++)
        code[i] = 0x24420001;                   /* addiu $v0, $v0, 1 */
    code[1500] = 0x03e00008;                    /* jr $ra */
    code[1501] = 0;
    printf("jit %u\\n", ((unsigned (*)(void))code)());
    return 0;
}
"""


def _build(tmp_path: Path, name: str, source: str) -> tuple[Path, Path]:
    """(almos-gcc build, glibc build for qemu-mipsel) of a C source."""
    src = tmp_path / f"{name}.c"
    src.write_text(source)
    ours, ref = tmp_path / name, tmp_path / f"{name}.glibc"
    for cmd in ([str(ALMOS_GCC), "-O2", "-o", str(ours), str(src)],
                ["mipsel-linux-gnu-gcc", "-O2", "-static", "-o", str(ref), str(src)]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    return ours, ref


def _straight_line(exe: Path, function: str) -> int:
    """How many instructions precede the first branch or jump of the function."""
    r = subprocess.run([OBJDUMP, "-d", f"--disassemble={function}", str(exe)],
                       capture_output=True, text=True, check=True)
    insns = re.findall(r"^\s+[0-9a-f]+:\s+[0-9a-f]{8}\s+(\S+)", r.stdout, re.M)
    branch = [i for i, m in enumerate(insns) if m[0] in "bj"]
    return branch[0] if branch else len(insns)


def _qemu(exe: Path) -> str:
    return subprocess.run(["qemu-mipsel", str(exe)], capture_output=True, text=True,
                          timeout=60, check=True).stdout


def _almos_run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "almos.cli", "run", *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.fixture(scope="module", params=[400, 2500])
def long_block(request, tmp_path_factory) -> tuple[Path, str, int]:
    """(almos program, qemu-mipsel's output, instructions) for a block of that length."""
    insns = request.param
    body = "\n".join(f"    STEP({i})" for i in range(insns // STEP_INSNS + 1))
    tmp = tmp_path_factory.mktemp(f"long{insns}")
    ours, ref = _build(tmp, f"long{insns}", MIX % body)
    assert _straight_line(ours, "mix") >= insns
    return ours, _qemu(ref), insns


def test_long_block_runs_as_on_qemu(long_block) -> None:
    exe, want, _ = long_block
    assert want.startswith("mix ")
    for cache in ("off", "timing"):
        r = _almos_run("-t", "1x1x1", "--cache", cache, str(exe))
        assert (r.returncode, r.stdout, r.stderr) == (0, want, "")


def test_long_block_exec_from_the_shell(long_block, disk: Disk, boot) -> None:
    exe, want, insns = long_block
    disk.put(exe, f"/bin/long{insns}")
    r = boot(disk.path, [f"long{insns}", "echo after $?"])
    assert r.rc == 0, r.err
    assert r.out.count(want) == 1 and "after 0" in r.out, r.out + r.err


def test_code_written_at_run_time(tmp_path: Path) -> None:
    ours, ref = _build(tmp_path, "jit", JIT)
    want = _qemu(ref)
    assert want == "jit 1499\n"
    r = _almos_run(str(ours))
    assert (r.returncode, r.stdout, r.stderr) == (0, want, "")


def test_code_segment_without_file_bytes(tmp_path: Path, programs: dict[str, Path]) -> None:
    """p_filesz = 0: the code is a page of zeros (nops) that runs into the unmapped page after
    it; the process dies of SIGSEGV there, the host does not."""
    data = bytearray(programs["hello"].read_bytes())
    phoff = struct.unpack_from("<I", data, 28)[0]          # e_phoff
    assert struct.unpack_from("<I", data, phoff)[0] == 1   # the first header: PT_LOAD, code
    struct.pack_into("<I", data, phoff + 16, 0)            # its p_filesz
    exe = tmp_path / "nofile"
    exe.write_bytes(data)
    r = _almos_run(str(exe))
    assert r.returncode == 139
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("almos: ") and "SIGSEGV" in lines[0]
