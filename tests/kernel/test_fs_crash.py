"""Crash safety of the FAT32 driver (kernel/fs/fat32.py, "Crash safety"): no journal, ordered
writes, and a repair at the mount after an unclean shutdown.

Every crash point, deterministically. In-process, a recorded workload is cut after each of its
device writes in turn. So is fs_crash_load (tests/kernel/progs/fs_crash_load.c, files written
by children that exit, unlinked while open, removed, directories), run by the kernel on the
IOC, and also inside each write between two host pages; what it must have kept is what it had
printed by then. And for real: `almos run --disk` running it is killed with SIGKILL at the
start of its N-th IOC write, N spread over the run (the lines are read once it is dead: read
while it ran, subprocess's communicate() would drop what readline() had buffered).

After each crash fsck.fat -n may find nothing wrong but the benign leftovers of an unfinished
sync (and only while FSInfo's free count says "unknown", which makes the next mount repair
them); after our next mount it must find nothing at all. No file that was synced (by its
program's close or exit) may be lost or changed, and a removed one is absent or intact.
"""

from __future__ import annotations

import os
import random
import re
import signal
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT
from test_fat32 import FSCK, SMALL_KIB, mkfs, payload
from test_run import almos_gcc

from almos.emulator.devices.ioc import IOC_COUNT, IOC_LBA, OP_WRITE
from almos.emulator.elf import parse_elf
from almos.emulator.topology import load_topology
from almos.kernel.devices.blockdev import BLOCK_SIZE, FileBlockDevice
from almos.kernel.fs.fat32 import FIRST_CLUSTER, FSI_UNKNOWN, Fat32, FsError, Inode
from almos.kernel.libk.errno import EBUSY
from almos.session import Options, mount, run_machine

# What fsck.fat -n may say about an image cut inside a sync (all of it repaired by our next
# mount): clusters no entry owns, a chain longer than its file, long-name entries without
# their short entry, FAT copies that differ, the free count not known.
BENIGN = [
    r"Reclaimed \d+ unused clusters? \(\d+ bytes\)\.",
    r"Free cluster summary uninitialized \(should be \d+\)",
    r"Free cluster summary wrong \(\d+ vs\. really \d+\)",
    r"  Auto-correcting\.",
    r".*\n  File size is \d+ bytes, cluster chain length is > \d+ bytes\.\n"
    r"  Truncating file to \d+ bytes\.",
    r"FATs differ but appear to be intact\.\n  Using first FAT\.",
    r"Orphaned long file name part .*\n  Deleting\.",
    r"Leaving filesystem unchanged\.",
    r"\*\*\* Filesystem was changed \*\*\*",
]
FSCK_HEADER = re.compile(r"fsck\.fat [\d.]+ \(.*\)\n|Warning: Filesystem is FAT32 according to "
                         r".*\n.*less than the required minimum.*\n.*problems on some systems\.\n")
FSCK_SUMMARY = re.compile(r".*: \d+ files, \d+/\d+ clusters\n")


def fsck_complaints(img: Path) -> tuple[int, str]:
    """(exit status, what fsck.fat -n says besides its header (and warning about a small
    FAT32) and summary lines)."""
    assert FSCK
    p = subprocess.run([FSCK, "-n", str(img)], capture_output=True, text=True)
    out = FSCK_SUMMARY.sub("", FSCK_HEADER.sub("", p.stdout + p.stderr))
    return p.returncode, out.strip()


def fsinfo_free(img: Path) -> int:
    data = img.read_bytes()[:BLOCK_SIZE]
    (sec,) = struct.unpack_from("<H", data, 48)
    with open(img, "rb") as f:
        f.seek(sec * BLOCK_SIZE + 488)
        return struct.unpack("<I", f.read(4))[0]


def check_after_crash(img: Path) -> None:
    """What a crash may leave (see BENIGN), and nothing at all once our mount repaired it."""
    rc, said = fsck_complaints(img)
    if rc or said:
        rest = said
        for pattern in BENIGN:
            rest = re.sub(pattern, "", rest)
        assert not rest.strip(), f"fsck.fat -n after the crash:\n{said}"
        assert fsinfo_free(img) == FSI_UNKNOWN, f"damage without the repair mark:\n{said}"
    with FileBlockDevice(img) as dev:
        fs = Fat32(dev)
        assert fs.recovered is None or not fs.recovered.skipped, fs.recovered
        free = fs.free_clusters
    if fs.recovered is None and not rc and not said:
        return                                      # clean, and the mount changed nothing
    rc, said = fsck_complaints(img)
    assert rc == 0 and not said, f"fsck.fat -n after our repair:\n{said}"
    assert fsinfo_free(img) == free


class Recorder(FileBlockDevice):
    """A FileBlockDevice that keeps every write, in order, to replay any prefix of them."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.log: list[tuple[int, bytes]] = []

    def write_blocks(self, lba: int, data: bytes) -> None:
        self.log.append((lba, bytes(data)))
        super().write_blocks(lba, data)


def read_tree(img: Path) -> dict[str, bytes]:
    """path -> contents of every file, read with our driver."""
    out: dict[str, bytes] = {}
    with FileBlockDevice(img, readonly=True) as dev:
        fs = Fat32(dev)
        todo: list[tuple[str, Inode]] = [("", fs.root)]
        while todo:
            path, d = todo.pop()
            for e in fs.readdir(d):
                node = fs.lookup(d, e.name)
                if e.is_dir:
                    todo.append((f"{path}/{e.name}", node))
                else:
                    out[f"{path}/{e.name}"] = fs.read(node, 0, node.size)
    return out


class Facts:
    """What must hold of each file at a crash point k (the number of device writes done)."""

    def __init__(self) -> None:
        # path -> [contents, synced after write n, changed from write n (or None), removed]
        self.files: dict[str, list] = {}

    def synced(self, path: str, data: bytes, at: int) -> None:
        self.files[path] = [data, at, None, False]

    def changing(self, path: str, at: int, removed: bool) -> None:
        self.files[path][2:] = [at, removed]

    def check(self, img: Path, k: int) -> None:
        found = read_tree(img)
        for path, (data, synced, changed, removed) in self.files.items():
            if synced <= k and (changed is None or k <= changed):
                assert found.get(path) == data, f"{path} at crash point {k}"
            elif removed and changed is not None and changed <= k:
                assert found.get(path, data) == data, f"{path} at crash point {k}"
        assert not any("~DEL" in p or "/open" in p for p in found), sorted(found)


def test_every_crash_point(tmp_path: Path) -> None:
    """A workload of creates, writes (growing and shrinking files), unlinks of open and closed
    files, mkdir and rmdir, recorded; then the image is rebuilt as it was after each of its
    device writes and checked. Each round frees clusters before it takes new ones (which must
    not be the freed ones before the freeing is on the disk), and scribbles over a scratch file
    elsewhere so that the 24-block cache evicts the work directory's blocks between syncs."""
    base = mkfs(tmp_path / "base.img", TINY_KIB)
    facts = Facts()
    with FileBlockDevice(base) as dev:             # some files to keep all along
        fs = Fat32(dev)
        old = fs.mkdir(fs.root, "old")
        for i in range(3):
            data = payload(3000 + 5000 * i, 100 + i)
            fs.write(fs.create(old, f"kept {i}.bin"), 0, data)
            facts.synced(f"/old/kept {i}.bin", data, 0)
        fs.write(fs.create(fs.root, "scratch"), 0, bytes(SCRATCH))
        fs.sync()
    start = base.read_bytes()
    work = tmp_path / "work.img"
    work.write_bytes(start)
    with Recorder(work) as dev:
        fs = Fat32(dev, cache_blocks=24)
        d = fs.mkdir(fs.root, "work")
        scratch = fs.lookup(fs.root, "scratch")
        held: Inode | None = None
        for i in range(ROUNDS):
            if i >= 2:
                victim = f"file {i - 2}.dat"
                facts.changing(f"/work/{victim}", len(dev.log), removed=bool(i % 2))
                if i % 2:
                    fs.unlink(d, victim)
                else:
                    fs.truncate(fs.lookup(d, victim), 100)
                fs.next_free = FIRST_CLUSTER     # as after a wrap-around: the freed ones next
            data = payload((i * 7919) % 20000 + 1, i)
            f = fs.create(d, f"file {i}.dat")
            for off in range(0, len(data), 3000):
                fs.write(f, off, data[off:off + 3000])
            o = fs.create(d, f"open {i}")
            fs.write(o, 0, payload(9000, 50 + i))
            fs.unlink(d, f"open {i}", keep_data=True)
            fs.write(o, 9000, payload(5000, 60 + i))
            if held is not None:
                fs.release(held)
            held = o
            if i % 3 == 2:
                sub = fs.mkdir(d, f"sub {i}")
                fs.write(fs.create(sub, "inner"), 0, payload(6000, 70 + i))
                fs.unlink(sub, "inner")
                fs.rmdir(d, f"sub {i}")
            for j in range(SCRATCH // 4096):     # other blocks: the cache evicts work's
                fs.write(scratch, j * 4096 + 1000, payload(600, j))
            fs.sync()
            facts.synced(f"/work/file {i}.dat", data, len(dev.log))
        assert held is not None
        fs.release(held)
        fs.sync()
        log = dev.log
    assert len(log) > 100, len(log)
    image = bytearray(start)
    crash = tmp_path / "crash.img"
    for k in range(len(log) + 1):
        if k:
            lba, data = log[k - 1]
            image[lba * BLOCK_SIZE:lba * BLOCK_SIZE + len(data)] = data
        crash.write_bytes(image)
        check_after_crash(crash)
        facts.check(crash, k)


ROUNDS = 5
SCRATCH = 16 * 4096           # bytes of the file scribbled over to push blocks out of the cache
TINY_KIB = 1024               # a FAT32 of 251 clusters: every crash point is quick to check
LOAD_ROUNDS = 12              # rounds of fs_crash_load: every kind of step, ~200 IOC writes
KILL_TRIALS = 12
HOST_PAGE = 4096              # Linux copies a write into the page cache a page at a time and
                              # stops between pages for SIGKILL: a cut write leaves a prefix

# `almos run` in a process that SIGKILLs itself at the start of its N-th IOC write (argv[1]):
# the image then holds exactly the N-1 writes before it, and the host pipe every line printed.
KILL_AT_WRITE = """
import os, signal, sys
from almos.emulator.devices import ioc
from almos.cli import run_main
left = int(sys.argv.pop(1))
transfer = ioc.Ioc._transfer
def transfer_or_die(self, op):
    global left
    if op == ioc.OP_WRITE:
        left -= 1
        if left == 0:
            os.kill(os.getpid(), signal.SIGKILL)
    transfer(self, op)
ioc.Ioc._transfer = transfer_or_die
sys.argv[0] = "almos"
run_main()
"""


@dataclass
class LoadRun:
    """fs_crash_load run to its end in-process on a fresh SMALL_KIB image, recorded."""

    exe: Path
    start: bytes                            # the image before the run
    writes: list[tuple[int, bytes]]         # (byte offset, data) of each IOC write, in order
    said: list[tuple[int, str]]             # (IOC writes done when it was printed, line)

    def lines_before(self, n: int) -> list[str]:
        """What the program had printed when its (n+1)-th IOC write began."""
        return [line for done, line in self.said if done <= n]


@pytest.fixture(scope="module")
def load_run(tmp_path_factory: pytest.TempPathFactory) -> LoadRun:
    """Run fs_crash_load as `almos run --cache off --disk` does, recording the IOC's writes to
    the image and the lines the program prints on the host's stdout."""
    tmp = tmp_path_factory.mktemp("load")
    exe = almos_gcc(tmp, "fs_crash_load")
    img = mkfs(tmp / "run.img", SMALL_KIB)
    start = img.read_bytes()
    opts = Options(load_topology(None), cache="off")
    machine, kernel, vfs = mount(opts, str(img))
    ioc = machine.ioc
    writes: list[tuple[int, bytes]] = []
    said: list[tuple[int, str]] = []
    transfer = ioc._transfer

    def recorded(op: int) -> None:              # what reached the image file, in order
        transfer(op)
        if op == OP_WRITE:
            pos = ioc.regs[IOC_LBA] * BLOCK_SIZE
            writes.append((pos, os.pread(ioc.fd, ioc.regs[IOC_COUNT] * BLOCK_SIZE, pos)))

    class Stdout:                               # the host's stdout: each line, when it came
        def __init__(self) -> None:
            self.part = b""

        def write(self, data: bytes) -> None:
            *done, self.part = (self.part + data).split(b"\n")
            said.extend((len(writes), line.decode()) for line in done)

        def flush(self) -> None:
            pass

    ioc._transfer = recorded
    assert machine.tty.console is not None
    machine.tty.console.out = Stdout()
    p = kernel.spawn(parse_elf(exe.read_bytes(), str(exe)), [str(exe), str(LOAD_ROUNDS)],
                     ["PATH=/bin"])
    try:
        run_machine(opts, machine, kernel, p)
    finally:
        vfs.power_off()
    assert p.exit_status == 0 and said[-1][1] == f"done /w 0 {LOAD_ROUNDS}", said
    return LoadRun(exe, start, writes, said)


def check_load(img: Path, lines: list[str], where: str) -> None:
    """The image fs_crash_load left when it had printed `lines`: clean (after our mount's
    repair if a sync was cut), every file reported kept intact unless reported removed
    (then absent or intact), no file unlinked while open left, no orphan."""
    check_after_crash(img)
    found = read_tree(img)
    kept: dict[str, bytes] = {}
    removed: set[str] = set()
    for line in lines:
        what, path, size, rnd = line.split()
        if what == "kept":
            kept[path] = bytes((int(rnd) * 131 + i * 7 + (i >> 9)) & 0xFF
                               for i in range(int(size)))
        elif what == "removed":
            removed.add(path)
    for path, data in kept.items():
        if path in removed:
            assert found.get(path, data) == data, f"{where}: {path} damaged"
        else:
            assert found.get(path) == data, f"{where}: {path} lost or damaged"
    assert not any(p.startswith("/w/t") or "~DEL" in p for p in found), (where, sorted(found))


def test_every_crash_point_of_fs_crash_load(load_run: LoadRun, tmp_path: Path) -> None:
    """fs_crash_load's run, cut after each of its IOC writes and inside each write between
    two host pages (as a SIGKILL in the middle of the pwrite leaves it), checked against what
    it had printed by then (check_load)."""
    image = bytearray(load_run.start)
    crash = tmp_path / "crash.img"
    crash.write_bytes(image)
    check_load(crash, load_run.lines_before(0), "before any write")
    points = 0
    for n, (pos, data) in enumerate(load_run.writes, 1):
        cuts = list(range((pos // HOST_PAGE + 1) * HOST_PAGE, pos + len(data), HOST_PAGE))
        for end in [*cuts, pos + len(data)]:
            image[pos:end] = data[:end - pos]
            crash.write_bytes(image)
            cut = f" cut at byte {end - pos}" if end < pos + len(data) else ""
            check_load(crash, load_run.lines_before(n - 1 if cut else n),
                       f"after IOC write {n}{cut}")
            points += 1
    assert points > len(load_run.writes) > 100, (points, len(load_run.writes))


def test_kill_9_during_writes_and_unlinks(load_run: LoadRun, tmp_path: Path) -> None:
    """`almos run --disk` running fs_crash_load, SIGKILLed for real at the start of its N-th
    IOC write for N spread over the whole run: its stdout holds every line the program had
    printed by then (none lost between the guest and the host's pipe), and the image is as
    check_load wants it."""
    total = len(load_run.writes)
    rng = random.Random(14)
    kills = [rng.randrange(1 + i * total // KILL_TRIALS, 1 + (i + 1) * total // KILL_TRIALS)
             for i in range(KILL_TRIALS)]
    # The lines must reach the pipe by the console's own flushes, not by Python's -u.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    img = tmp_path / "trial.img"
    for n in kills:
        img.write_bytes(load_run.start)
        p = subprocess.run([sys.executable, "-c", KILL_AT_WRITE, str(n), "run", "--cache",
                            "off", "--disk", str(img), str(load_run.exe), str(LOAD_ROUNDS)],
                           capture_output=True, cwd=ROOT, env=env, timeout=120)
        assert p.returncode == -signal.SIGKILL, p.stderr.decode()
        lines = p.stdout.decode().splitlines()
        assert lines == load_run.lines_before(n - 1), f"killed at IOC write {n}"
        check_load(img, lines, f"killed at IOC write {n}")


def test_orphans(tmp_path: Path) -> None:
    """A file unlinked while open keeps a hidden entry that owns its clusters (fsck.fat finds
    nothing lost), invisible to lookups and listings; its name is free again; its directory
    cannot go (EBUSY); release removes it all. If the machine dies first, the next mount
    (`almos run --disk`, one line on stderr) removes it."""
    img = mkfs(tmp_path / "disk.img", SMALL_KIB)
    with FileBlockDevice(img) as dev:
        fs = Fat32(dev)
        d = fs.mkdir(fs.root, "dir")
        f = fs.create(d, "a long name.txt")
        fs.write(f, 0, payload(10000))
        fs.unlink(d, "a long name.txt", keep_data=True)
        fs.write(f, 10000, payload(5000, 1))
        assert fs.readdir(d) == [] and fs.read(f, 0, 20000) == payload(10000) + payload(5000, 1)
        with pytest.raises(FsError) as e:
            fs.rmdir(fs.root, "dir")
        assert e.value.errno == EBUSY
        fs.write(fs.create(d, "a long name.txt"), 0, b"another file")
        fs.sync()
        used_with_orphan = fs.free_clusters
        crashed = tmp_path / "crashed.img"        # as if the machine died here
        crashed.write_bytes(img.read_bytes())
        rc, said = fsck_complaints(img)
        assert rc == 0 and "Reclaimed" not in said, said  # the orphan owns its clusters
        assert fsinfo_free(img) == FSI_UNKNOWN            # the next mount is to look
        fs.release(f)
        fs.unlink(d, "a long name.txt")
        fs.rmdir(fs.root, "dir")
        fs.sync()
        assert fs.free_clusters == used_with_orphan + 6
    rc, said = fsck_complaints(img)
    assert rc == 0 and not said, said
    assert fsinfo_free(img) != FSI_UNKNOWN
    r = subprocess.run([sys.executable, "-m", "almos.cli", "run", "--cache", "off", "--disk",
                        str(crashed), str(ROOT / "userland" / "build" / "hello")],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr == (f"almos: {crashed}: repaired after an unclean shutdown: "
                        "orphaned files removed: 1\n"), r.stderr
    rc, said = fsck_complaints(crashed)
    assert rc == 0 and not said, said
    assert set(read_tree(crashed)) == {"/dir/a long name.txt"}
