"""The system call numbers (docs/ABI.md): the kernel's SYS_* constants, libc's syscall.h and
the table of docs/ABI.md name each number once and agree; 0..48 carry ALMOS-MK's names, the
project's own services come after them; every number is registered with its own handler; and
ALMOS-MK's 45..48 (RMDIR, FTIME, CHMOD, FSYNC) work from a real program on a real FAT32 image.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from conftest import ALMOS_GCC, LIBC_INTERNAL, PROGS, ROOT, Disk

# ALMOS-MK's kernel/kern/syscall.h, in order (its enum gives 0..48). Its libc calls 41 MCNTL.
ALMOS_MK = (
    "EXIT", "MMAP", "CREATE", "JOIN", "DETACH", "YIELD", "SEMAPHORE", "COND_VAR", "BARRIER",
    "RWLOCK", "SLEEP", "WAKEUP", "OPEN", "CREAT", "READ", "WRITE", "LSEEK", "CLOSE", "UNLINK",
    "PIPE", "CHDIR", "MKDIR", "MKFIFO", "OPENDIR", "READDIR", "CLOSEDIR", "GETCWD", "CLOCK",
    "ALARM", "DMA_MEMCPY", "UTLS", "SIGRETURN", "SIGNAL", "SET_SIGRETURN", "KILL", "GETPID",
    "FORK", "EXEC", "GETATTR", "PS", "MADVISE", "PAGEINFO", "STAT", "MIGRATE", "SBRK", "RMDIR",
    "FTIME", "CHMOD", "FSYNC")
ALIASES = {"MCNTL": 41}
PROJECT_FIRST, PLACEMENT_FIRST = len(ALMOS_MK), 100   # the project's own; others' placement
SYSCALL_H = LIBC_INTERNAL / "syscall.h"
ABI_MD = ROOT / "docs" / "ABI.md"


def _once(pairs: list[tuple[str, int]], where: str) -> dict[str, int]:
    """name -> number, failing if a name or a number is given twice."""
    names = [n for n, _ in pairs]
    numbers = [v for _, v in pairs]
    assert len(set(names)) == len(names), f"{where}: a name defined twice: {sorted(names)}"
    assert len(set(numbers)) == len(numbers), f"{where}: a number used twice: {sorted(pairs)}"
    return dict(pairs)


def kernel_numbers() -> dict[str, int]:
    """The module-level `SYS_X = n` (or `SYS_A, SYS_B = a, b`) of every file under kernel/."""
    pairs = []
    for path in sorted((ROOT / "kernel").rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, ast.Assign):
                continue
            for target in node.targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                if not all(isinstance(n, ast.Name) for n in names):
                    continue
                ids = [n.id for n in names if isinstance(n, ast.Name)]
                if not any(i.startswith("SYS_") for i in ids):
                    continue
                value = ast.literal_eval(node.value)
                values = value if isinstance(value, tuple) else (value,)
                pairs += [(i[4:], v) for i, v in zip(ids, values, strict=True)]
    return _once(pairs, "kernel/")


def libc_numbers() -> dict[str, int]:
    """The `SYS_X = n` of syscall.h's first enum."""
    text = SYSCALL_H.read_text()
    enum = re.search(r"enum\s*\{(.*?)\}", text, re.S)
    assert enum, f"{SYSCALL_H}: no enum"
    pairs = [(m[1], int(m[2])) for m in re.finditer(r"\bSYS_(\w+)\s*=\s*(\d+)", enum[1])]
    return _once(pairs, str(SYSCALL_H))


def doc_rows() -> list[tuple[int, str]]:
    """(number, name) of the Services table of docs/ABI.md, in the table's order; a row may
    name several ("| 28, 29 | ALARM, DMA_MEMCPY |")."""
    rows = []
    for m in re.finditer(r"^\| ([\d, ]+) \| ([A-Z0-9_, ]+) \|", ABI_MD.read_text(), re.M):
        numbers = [int(n) for n in m[1].split(",")]
        names = [n.strip() for n in m[2].split(",")]
        rows += zip(numbers, names, strict=True)
    return rows


def almos_mk_number(name: str) -> int | None:
    return ALMOS_MK.index(name) if name in ALMOS_MK else ALIASES.get(name)


def check_numbering(numbers: dict[str, int], where: str) -> None:
    """A name ALMOS-MK has keeps ALMOS-MK's number; every other name is the project's (49..99)
    or a placement service (100 and up)."""
    for name, nr in numbers.items():
        mk = almos_mk_number(name)
        if mk is not None:
            assert nr == mk, f"{where}: {name} is {nr}, ALMOS-MK's number is {mk}"
        else:
            assert nr >= PROJECT_FIRST, f"{where}: {name} = {nr} takes ALMOS-MK's {ALMOS_MK[nr]}"


def test_kernel_and_libc_name_the_same_numbers() -> None:
    kernel, libc = kernel_numbers(), libc_numbers()
    assert kernel == libc, (f"only the kernel: {sorted(kernel.items() - libc.items())}; "
                            f"only syscall.h: {sorted(libc.items() - kernel.items())}")


def test_0_to_48_are_almos_mk_and_the_project_follows() -> None:
    for numbers, where in ((kernel_numbers(), "kernel/"), (libc_numbers(), "syscall.h")):
        check_numbering(numbers, where)
    assert {"RMDIR", "FTIME", "CHMOD", "FSYNC"} <= kernel_numbers().keys()


def test_docs_table_is_sorted_and_agrees() -> None:
    rows = doc_rows()
    numbers = [nr for nr, _ in rows]
    assert numbers == sorted(numbers), f"docs/ABI.md: the Services table is not sorted: {numbers}"
    docs = _once([(name, nr) for nr, name in rows], "docs/ABI.md")
    check_numbering(docs, "docs/ABI.md")
    kernel = kernel_numbers()
    assert kernel.items() <= docs.items(), f"not in docs/ABI.md: {kernel.items() - docs.items()}"
    assert set(range(PROJECT_FIRST)) <= set(numbers), "docs/ABI.md: a number of 0..48 is missing"


def test_every_number_is_registered_with_its_handler() -> None:
    """`@syscall(SYS_X)` on `sys_x`, for every constant, and nothing registered without one
    (the registry is kernel/syscalls/syscalls.py's TABLE, filled when the service modules load)."""
    from almos.kernel.syscalls.syscalls import TABLE
    table = {nr: fn.__name__ for nr, fn in TABLE.items()}
    expected = {nr: f"sys_{name.lower()}" for name, nr in kernel_numbers().items()}
    assert table == expected, (f"registered: {sorted(table.items() - expected.items())}; "
                               f"constants: {sorted(expected.items() - table.items())}")


def test_rmdir_ftime_chmod_fsync_in_a_program(disk: Disk, tmp_path: Path) -> None:
    exe = tmp_path / "abi"
    subprocess.run([str(ALMOS_GCC), "-O2", "-Wall", "-Werror", "-o", str(exe),
                    str(PROGS / "abi.c")], check=True, capture_output=True)
    r = subprocess.run([sys.executable, "-m", "almos.cli", "run", "--cache", "off", "--disk",
                        str(disk.path), str(exe), "/home"], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == [
        "ftime 0 size 12 guard kept between yes zone 0 dst 0",
        "after 1.23 s: time 1 millitm ok",
        "ftime(bad) -1 Bad address",
        "fsync 0",
        "chmod file 0",
        "mode unchanged",
        "chmod dir 0",
        "chmod missing -1 No such file or directory",
        "chmod(bad) -1 Bad address",
        "rmdir 0",
        "rmdir again -1 No such file or directory",
    ]
    assert not disk.exists("/home/abi_dir") and not disk.exists("/home/abi_file")
    disk.fsck()
