"""Memory like Linux (kernel/mm/vmm.py): overcommit, page tables from any cluster, copy-on-write
fork, MAP_SHARED across fork, file-backed mmap, private and shared, on the FAT32 VFS (read
back from the image with mtools)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import Disk
from test_run import almos, almos_gcc, kill_line

OOM = re.compile(r"killed by SIGKILL: out of memory")
PAGE = 4096


def _stats(path: Path) -> dict:
    return json.loads(path.read_text())


def test_big_malloc_touching_a_few_pages_works_on_one_cluster(tmp_path: Path) -> None:
    """75 MiB on a machine of 64 MiB (SPLASH-3 RADIX's case): address space only."""
    exe = almos_gcc(tmp_path, "overcommit")
    r = almos("run", "-t", "1x1x1", "--cache", "off", str(exe), "big", "75")
    assert r.returncode == 0 and r.stdout == "big ok\n", r.stdout + r.stderr


def test_touching_more_than_the_machine_has(tmp_path: Path) -> None:
    """A system call that needs a page no cluster has gets ENOMEM; a touch kills the process
    (one line: SIGKILL, out of memory); the parent goes on and gets memory back."""
    exe = almos_gcc(tmp_path, "overcommit")
    r = almos("run", "-t", "1x1x1", "-m", "16M", "--cache", "off", str(exe), "hog", "40")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert re.fullmatch(r"getcwd ENOMEM after (\d+) MiB", lines[0]), lines
    assert 8 <= int(lines[0].split()[3]) < 16
    assert lines[1:] == ["child 0 exit 3", "child 1 killed by signal 9", "parent ok"]
    line = kill_line(r.stderr)
    assert OOM.search(line) and "pid 0x3" in line, r.stderr


def test_page_tables_come_from_other_clusters(tmp_path: Path) -> None:
    """A process filling its own cluster goes on in the others: its page tables too (a
    page table needed once the home cluster is full comes from another cluster)."""
    exe = almos_gcc(tmp_path, "overcommit")
    r = almos("run", "-t", "2x2x1", "-m", "4M", "--placement", "local", "--cache", "off",
              str(exe), "hog", "24")
    assert r.returncode == 0, r.stdout + r.stderr
    mib = int(r.stdout.split("after ")[1].split()[0])
    assert 12 <= mib < 16, r.stdout             # 3 clusters' worth at least, not 4 MiB
    assert r.stdout.splitlines()[-1] == "parent ok"


def test_fork_copies_on_write(tmp_path: Path) -> None:
    exe = almos_gcc(tmp_path, "cowfork")
    r = almos("run", "-t", "2x2x4", str(exe), "private")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == ["child ok 3 30 c C", "parent ok 2 20 P M"]


def test_fork_of_a_threaded_process(tmp_path: Path) -> None:
    """Threads on several clusters (their page-table copies and TLBs) keep the parent's
    bytes while the child overwrites them, and their own writes after the fork are the
    parent's."""
    exe = almos_gcc(tmp_path, "cowfork")
    r = almos("run", "-t", "2x2x4", str(exe), "threads")
    assert r.returncode == 0 and r.stdout == "threads ok\n", r.stdout + r.stderr


def test_fork_does_not_copy_an_untouched_buffer(tmp_path: Path) -> None:
    """An 8 MiB buffer the child only reads: the fork fits in 12 MiB (an eager copy would
    not) and almost nothing is copied; a child writing it all copies its 2048 pages. Every
    frame is back at the end either way (shared frames are counted right)."""
    exe = almos_gcc(tmp_path, "cowfork")
    free, fault_cycles = [], []
    for memory, touch, copies in (("12M", [], range(0, 16)), ("24M", ["touch"],
                                                                range(2048, 2064))):
        stats = tmp_path / "s.json"
        r = almos("run", "-t", "1x1x1", "-m", memory, "--cache", "off", "--stats", str(stats),
                  str(exe), "buffer", "8", *touch)
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout == "child read ok\nparent ok\n"
        s = _stats(stats)
        assert s["summary"]["cow_copies"] in copies, s["summary"]
        free.append(s["clusters"][0]["free_pages"] - (3072 if memory == "24M" else 0))
        fault_cycles.append(s["kernel"]["cycles_by_activity"]["page_fault"])
        copy_byte = s["kernel"]["costs"]["copy_byte"]
    assert free[0] == free[1]
    # each copy is charged as a page copied by the kernel (kernel/kern/costs.py's copy_byte)
    assert fault_cycles[1] - fault_cycles[0] >= 2048 * PAGE * copy_byte


def test_map_shared_anonymous_stays_shared_across_fork(tmp_path: Path) -> None:
    exe = almos_gcc(tmp_path, "cowfork")
    r = almos("run", "-t", "2x2x4", str(exe), "shared")
    assert r.returncode == 0 and r.stdout == "shared ok\n", r.stdout + r.stderr


def test_file_mappings_private_and_shared(tmp_path: Path, disk: Disk, boot) -> None:
    exe = almos_gcc(tmp_path, "filemap")
    disk.put(exe, "/bin/filemap")
    r = boot(disk.path, ["filemap /home", "echo status $?"])
    assert "filemap ok" in r.out and "status 0" in r.out, r.out + r.err
    disk.copy_out("/home/map.dat", tmp_path / "map.dat")
    data = (tmp_path / "map.dat").read_bytes()
    want = bytearray(b"abcdefghijklmnopqrstuvwxyz" * 385)[:10000]
    for off, c in ((0, "S"), (50, "W"), (9999, "T"), (4100, "U"), (4106, "O"), (200, "C"),
                   (8200, "E")):
        want[off] = ord(c)
    assert data == bytes(want)                  # the file did not grow: 'Z' stayed in memory
    disk.fsck()
