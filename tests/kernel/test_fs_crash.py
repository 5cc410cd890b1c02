"""Crash safety of the FAT32 driver (kernel/fs/fat32.py, "Crash safety"): no journal, ordered
writes, and a repair at the mount after an unclean shutdown.

Two ways to crash: in-process, a recorded workload is cut after each of its device writes in
turn (every crash point, deterministic); and for real, `almos run --disk` running a
write/unlink workload (tests/kernel/progs/fs_crash_load.c) is killed with SIGKILL at random
moments. After each crash fsck.fat -n may find nothing wrong but the benign leftovers of an
unfinished sync (and only while FSInfo's free count says "unknown", which makes the next mount
repair them); after our next mount it must find nothing at all. No file that was synced (by
its program's close or exit) may be lost or changed, and a removed one is absent or intact.
"""

from __future__ import annotations

import random
import re
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT
from test_fat32 import FSCK, SMALL_KIB, mkfs, payload
from test_run import almos_gcc

from kernel.fs.blockdev import BLOCK_SIZE, FileBlockDevice
from kernel.fs.fat32 import EBUSY, FIRST_CLUSTER, FSI_UNKNOWN, Fat32, FsError, Inode

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
KILL_TRIALS = 20
LOAD_ROUNDS = 24              # about half a second of the workload
KILL_SPREAD = 0.03            # seconds: the kill falls this far at most after a round's line


def test_kill_9_during_writes_and_unlinks(tmp_path: Path) -> None:
    """`almos run --disk` killed with SIGKILL in a random round of fs_crash_load, at a random
    moment of it; every file its children wrote and exited is intact, a removed one absent
    or intact, and the image is clean (after our mount's repair when a sync was cut)."""
    load = almos_gcc(tmp_path, "fs_crash_load")
    rng = random.Random(14)
    pristine = mkfs(tmp_path / "pristine.img", SMALL_KIB).read_bytes()
    killed = 0
    for trial in range(KILL_TRIALS):
        img = tmp_path / "trial.img"
        img.write_bytes(pristine)
        # Unbuffered: communicate() reads the pipe itself, so lines a buffered readline()
        # had already taken in (a "removed" behind the "kept" it waits for) would be lost.
        p = subprocess.Popen([sys.executable, "-m", "almos.cli", "run", "--cache", "off",
                              "--disk", str(img), str(load), str(LOAD_ROUNDS)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, bufsize=0)
        assert p.stdout is not None
        lines, last = [], rng.randrange(LOAD_ROUNDS)
        while not lines or not lines[-1].startswith(b"kept") or int(lines[-1].split()[3]) < last:
            lines.append(p.stdout.readline())
            assert lines[-1], b"".join(lines) + p.communicate()[1]
        time.sleep(rng.uniform(0, KILL_SPREAD))
        p.kill()
        out, err = p.communicate()
        assert b"Traceback" not in err, err.decode()
        killed += p.returncode == -9
        check_after_crash(img)
        found = read_tree(img)
        kept: dict[str, bytes] = {}
        removed: set[str] = set()
        for line in (b"".join(lines) + out).decode().splitlines():
            what, path, size, rnd = line.split()
            if what == "kept":
                kept[path] = bytes((int(rnd) * 131 + i * 7 + (i >> 9)) & 0xFF
                                   for i in range(int(size)))
            elif what == "removed":
                removed.add(path)
        for path, data in kept.items():
            if path in removed:
                assert found.get(path, data) == data, f"trial {trial}: {path} damaged"
            else:
                assert found.get(path) == data, f"trial {trial}: {path} lost or damaged"
        assert not any(p.startswith("/w/t") or "~DEL" in p for p in found), sorted(found)
    assert killed >= KILL_TRIALS * 3 // 4, killed          # the kills fell mid-way


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
