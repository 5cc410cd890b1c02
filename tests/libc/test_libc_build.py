"""almos-gcc and the layout of the programs it makes.

Checks the wrapper's gcc-like use (-c, several files, -I, -D, -pthread, -lpthread,
-lm), the ELF that comes out (static ET_EXEC, entry _start in a R+X segment at
0x00400000, data on its own pages, RW), and that the library itself contains no
Linux system call (ALMOS numbers are below 4000).
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

from conftest import HERE, LIBC, build_almos, check, run

PT_LOAD, PT_TLS = 1, 7
PF_X, PF_W, PF_R = 1, 2, 4
PAGE = 4096
BUILD = HERE / "build_progs"


def elf_info(path: Path) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """(e_type, e_entry, [(p_type, p_vaddr, p_memsz, p_flags)]) of a 32-bit LE ELF."""
    data = path.read_bytes()
    assert data[:6] == b"\x7fELF\x01\x01"
    e_type, _machine, _version, entry, phoff = struct.unpack_from("<HHIII", data, 16)
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    segs = []
    for i in range(phnum):
        p_type, _off, vaddr, _paddr, _filesz, memsz, flags, _align = struct.unpack_from(
            "<8I", data, phoff + i * phentsize)
        segs.append((p_type, vaddr, memsz, flags))
    return e_type, entry, segs


def test_layout(libc: Path, tmp_path: Path) -> None:
    exe = tmp_path / "argv"
    build_almos(HERE / "progs" / "argv.c", exe)
    e_type, entry, segs = elf_info(exe)
    assert e_type == 2                                  # ET_EXEC
    loads = [s for s in segs if s[0] == PT_LOAD]
    assert len(loads) == 2
    (_, text, text_size, text_flags), (_, data, _, data_flags) = loads
    assert text == 0x00400000 and text_flags == PF_R | PF_X
    assert data_flags == PF_R | PF_W and data % PAGE == 0
    assert data >= (text + text_size + PAGE - 1) // PAGE * PAGE     # separate pages
    assert text <= entry < text + text_size
    nm = run(["mipsel-linux-gnu-nm", str(exe)]).stdout.decode()
    start = next(line for line in nm.splitlines() if line.endswith(" _start"))
    assert int(start.split()[0], 16) == entry


def test_pthread_program_builds(libc: Path, tmp_path: Path) -> None:
    exe = tmp_path / "threads"
    build_almos(BUILD / "threads.c", exe, ["-pthread", "-lpthread", "-DNTHREADS=4"])
    _, _, segs = elf_info(exe)
    assert any(s[0] == PT_TLS for s in segs)        # the __thread variable


def test_gcc_like_use(libc: Path, tmp_path: Path) -> None:
    gcc = str(LIBC / "almos-gcc")
    obj = tmp_path / "helper.o"
    check([gcc, "-O2", "-c", "-I", str(BUILD), "-o", str(obj), str(BUILD / "helper.c")])
    exe = tmp_path / "multi"
    check([gcc, "-O2", "-Wall", f"-I{BUILD}", '-DGREETING="hi"', "-o", str(exe),
           str(BUILD / "multi.c"), str(obj), "-lm", "-lpthread"])
    assert elf_info(exe)[0] == 2
    r = run([gcc, "-dM", "-E", "-x", "c", "/dev/null"])
    macros = r.stdout.decode()
    assert "#define __ALMOS__ 1" in macros and "__linux__" not in macros


def test_missing_library_is_reported(libc: Path, tmp_path: Path) -> None:
    lonely = tmp_path / "libc_stubs"
    lonely.mkdir()
    shutil.copy(LIBC / "almos-gcc", lonely / "almos-gcc")
    r = run([str(lonely / "almos-gcc"), "-o", str(tmp_path / "x"), str(BUILD / "multi.c")])
    assert r.returncode != 0
    assert b"make -C libc_stubs" in r.stderr

