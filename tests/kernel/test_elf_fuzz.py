"""Hostile ELF files (emulator/elf.py, kernel/kern/exec.py): one line and exit status 2 from
`almos run`, ENOEXEC for the shell's exec, and the work bounded whatever the headers say.

The fuzz test rewrites header fields of a real almos-gcc program (the ELF header, its program
headers, its section headers) and loads the result: refused with an ElfError or a LoadError,
or loaded and run for a few thousand instructions, never another exception.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, Disk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from almos.emulator.elf import ElfError, parse_elf
from almos.emulator.topology import load_topology
from almos.kernel.kern.exec import LoadError
from almos.session import Options, build

EHDR_FIELDS = {"e_entry": (24, "I"), "e_phoff": (28, "I"), "e_shoff": (32, "I"),
               "e_phentsize": (42, "H"), "e_phnum": (44, "H"), "e_shentsize": (46, "H"),
               "e_shnum": (48, "H"), "e_shstrndx": (50, "H")}
PHDR_FIELDS = {"p_type": 0, "p_offset": 4, "p_vaddr": 8, "p_filesz": 16, "p_memsz": 20,
               "p_flags": 24}
SHDR_FIELDS = {"sh_type": 4, "sh_offset": 16, "sh_size": 20, "sh_link": 24}
PHDR_SIZE, SHDR_SIZE = 32, 40
SHT_SYMTAB = 2


def _u32(data: bytes, off: int) -> int:
    return struct.unpack_from("<I", data, off)[0]


def _u16(data: bytes, off: int) -> int:
    return struct.unpack_from("<H", data, off)[0]


def _phdr(data: bytes, i: int) -> int:
    return _u32(data, 28) + PHDR_SIZE * i


def _symtab_header(data: bytes) -> int:
    shoff, shnum = _u32(data, 32), _u16(data, 48)
    for i in range(shnum):
        if _u32(data, shoff + SHDR_SIZE * i + 4) == SHT_SYMTAB:
            return shoff + SHDR_SIZE * i
    raise AssertionError("no symbol table")


@pytest.fixture(scope="module")
def hello(programs: dict[str, Path]) -> bytes:
    return programs["hello"].read_bytes()


def _overlapping(data: bytes) -> bytes:
    """One bit flipped in the code segment's p_memsz: it runs into the data segment."""
    d = bytearray(data)
    o = _phdr(d, 0) + PHDR_FIELDS["p_memsz"]
    struct.pack_into("<I", d, o, _u32(d, o) | 0x10000)
    return bytes(d)


def _symtab_past_the_end(data: bytes) -> bytes:
    d = bytearray(data)
    struct.pack_into("<I", d, _symtab_header(d) + SHDR_FIELDS["sh_size"], 0x7FFF_FFFF)
    return bytes(d)


def _many_segments(data: bytes) -> bytes:
    """65,535 program headers of one-page segments, appended to the file."""
    d = bytearray(data)
    first = bytes(d[_phdr(d, 0):_phdr(d, 0) + PHDR_SIZE])
    table = bytearray()
    for i in range(0xFFFF):
        ph = bytearray(first)
        struct.pack_into("<4I", ph, 4, 0, 0x1000_0000 + i * 0x1000, 0, 0)   # offset..filesz
        struct.pack_into("<I", ph, 20, 0x1000)
        table += ph
    struct.pack_into("<I", d, 28, len(d))
    struct.pack_into("<H", d, 44, 0xFFFF)
    return bytes(d + table)


def _in_the_stack(data: bytes) -> bytes:
    d = bytearray(data)
    struct.pack_into("<2I", d, _phdr(d, 1) + PHDR_FIELDS["p_vaddr"], 0x7F80_0000, 0x7F80_0000)
    return bytes(d)


@pytest.mark.parametrize("make,words", [
    (_overlapping, "overlap"), (_many_segments, "65535 program headers"),
    (_in_the_stack, "overlaps the main stack")])
def test_bad_layout_is_one_line(hello: bytes, tmp_path: Path, make, words: str) -> None:
    exe = tmp_path / "bad"
    exe.write_bytes(make(hello))
    r = subprocess.run([sys.executable, "-m", "almos.cli", "run", str(exe)],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(f"almos: {exe}: ")
    assert words in r.stderr


def test_symbol_table_past_the_end_is_ignored(hello: bytes, tmp_path: Path) -> None:
    """The symbols are only for reports: what lies in the file is read, the program runs."""
    exe = tmp_path / "symtab"
    exe.write_bytes(_symtab_past_the_end(hello))
    assert parse_elf(exe.read_bytes()).symbols["main"] == parse_elf(hello).symbols["main"]
    r = subprocess.run([sys.executable, "-m", "almos.cli", "run", str(exe)],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0 and "OK" in r.stdout and r.stderr == ""


def test_exec_of_a_bad_layout_is_enoexec(hello: bytes, disk: Disk, boot,
                                         tmp_path: Path) -> None:
    for name, make in (("overlap", _overlapping), ("instack", _in_the_stack)):
        f = tmp_path / name
        f.write_bytes(make(hello))
        disk.put(f, f"/bin/{name}")
    r = boot(disk.path, ["overlap", "echo status $?", "instack", "echo status $?", "hello"])
    assert r.rc == 0, r.err
    assert r.out.count("Exec format error\nstatus 127\n") == 2, r.out + r.err
    assert "hello from pid" in r.out and r.err == ""


def _field(data: bytes, draw) -> tuple[int, str]:
    """(offset, struct format) of a header field of the file."""
    kind = draw(st.sampled_from(["ehdr", "phdr", "shdr"]))
    if kind == "ehdr":
        return EHDR_FIELDS[draw(st.sampled_from(sorted(EHDR_FIELDS)))]
    if kind == "phdr":
        i = draw(st.integers(0, _u16(data, 44) - 1))
        return _phdr(data, i) + PHDR_FIELDS[draw(st.sampled_from(sorted(PHDR_FIELDS)))], "I"
    i = draw(st.integers(0, _u16(data, 48) - 1))
    return _u32(data, 32) + SHDR_SIZE * i + SHDR_FIELDS[draw(st.sampled_from(
        sorted(SHDR_FIELDS)))], "I"


@settings(max_examples=150, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_headers(hello: bytes, data) -> None:
    elf_bytes = bytearray(hello)
    for _ in range(data.draw(st.integers(1, 3))):
        off, fmt = _field(hello, data.draw)
        old = struct.unpack_from("<" + fmt, elf_bytes, off)[0]
        bits = 8 * struct.calcsize(fmt)
        new = data.draw(st.one_of(
            st.integers(0, bits - 1).map(lambda b, old=old: old ^ (1 << b)),   # a bit flip
            st.integers(0, (1 << bits) - 1),
            st.sampled_from([0, 1, (1 << bits) - 1, len(hello), old + 0x1000])))
        struct.pack_into("<" + fmt, elf_bytes, off, new & ((1 << bits) - 1))
    try:
        elf = parse_elf(bytes(elf_bytes), "fuzzed")
    except ElfError as e:
        assert str(e).startswith("fuzzed: ") and "\n" not in str(e)
        return
    machine, kernel = build(Options(load_topology("1x1x1"), cache="off"))
    kernel.stderr = io.BytesIO()
    kernel.max_instructions = 20_000
    kernel.max_cycles = 10_000_000
    try:
        kernel.spawn(elf, ["fuzzed"], [])
    except LoadError as e:
        assert str(e).startswith("fuzzed: ")
        return
    machine.run()
    assert not kernel.processes_alive()
