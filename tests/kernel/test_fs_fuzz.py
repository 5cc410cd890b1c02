"""Damaged FAT32 images against the driver (kernel/fs/fat32.py).

hypothesis corrupts an image made by the real mkfs.fat (and filled by the driver): directory
entries (first cluster, size, attributes, names, long-name parts), FAT entries (loops, links to
free, bad, reserved and out-of-range clusters, chains cut short) and BPB / FSInfo fields. Then
the driver mounts the image and uses it as the kernel would: walk, stat and read everything,
create, write, truncate, unlink (also while open), mkdir, rmdir, rename, sync, and mount again.
The only exception allowed out of the driver is its own FsError, which the system call layer
turns into an errno (EIO for a damaged disk); a refused mount is FsError too (one line for the
user).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fat32 import SMALL_KIB, mkfs, payload

from almos.kernel.devices.blockdev import BLOCK_SIZE, FileBlockDevice
from almos.kernel.fs.fat32 import DIRENT_SIZE, FAT_ENTRY_SIZE, Fat32, FsError, Inode

T = TypeVar("T")
WALK_LIMIT = 200              # inodes visited per walk (a damaged tree may loop)
FAT_VALUES = [0, 1, 0x0FFFFFF7, 0x0FFFFFF8, 0x0FFFFFFF, 0xFFFFFFFF, 0x10000003, 0x0FFFFFF0]
# (offset, size) of the boot sector fields the driver reads
BPB_FIELDS = [(11, 2), (13, 1), (14, 2), (16, 1), (17, 2), (19, 2), (22, 2), (32, 4), (36, 4),
              (40, 2), (42, 2), (44, 4), (48, 2), (510, 2)]
FSINFO_FIELDS = [(0, 4), (484, 4), (488, 4), (492, 4), (508, 4)]
# (offset, size) of directory entry fields: name[0], attr, NT flags, cluster hi, cluster lo,
# size, an LFN entry's checksum
DIRENT_FIELDS = [(0, 1), (11, 1), (12, 1), (20, 2), (26, 2), (28, 4), (13, 1)]


class Template:
    """The image's bytes, and where things are in it: byte offsets of directory entries, of
    the FAT entries of used clusters, of FSInfo."""

    def __init__(self, img: Path) -> None:
        self.image = img.read_bytes()
        with FileBlockDevice(img, readonly=True) as dev:
            fs = Fat32(dev)
            self.fat = fs.reserved_sectors * BLOCK_SIZE
            self.fsinfo = fs.fsinfo_sector * BLOCK_SIZE
            self.max_cluster = fs.max_cluster
            self.used = [c for c in range(2, fs.max_cluster + 1) if fs.fat[c]]
            self.entries: list[int] = []
            dirs = [fs.root]
            while dirs:
                d = dirs.pop()
                for c in fs._chain(d):
                    base = fs.cluster_lba(c) * BLOCK_SIZE
                    used_slots = fs.cluster_size // DIRENT_SIZE
                    self.entries += [base + i * DIRENT_SIZE for i in range(min(used_slots, 12))]
                dirs += [fs.lookup(d, e.name) for e in fs.readdir(d) if e.is_dir]


    def __repr__(self) -> str:                 # hypothesis prints it with a failing example
        return f"<Template of {len(self.image)} bytes>"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """A small FAT32 (~1000 clusters of 4 KiB) by mkfs.fat, filled by the driver: long and
    short names, a subdirectory tree, files of 0 to 5 clusters, two fragmented ones."""
    img = mkfs(tmp_path_factory.mktemp("fuzz") / "template.img", SMALL_KIB)
    with FileBlockDevice(img) as dev:
        fs = Fat32(dev)
        sub = fs.mkdir(fs.root, "sub")
        deep = fs.mkdir(sub, "a deeper directory")
        fs.write(fs.create(fs.root, "README.TXT"), 0, b"read me\n")
        fs.write(fs.create(fs.root, "a long file name.bin"), 0, payload(5 * 4096 - 100))
        fs.write(fs.create(sub, "inner.dat"), 0, payload(3 * 4096))
        fs.create(deep, "empty")
        a, b = fs.create(deep, "frag a"), fs.create(deep, "frag b")
        for i in range(4):                      # interleaved growth: fragmented chains
            fs.write(a, i * 4096, payload(4096, i))
            fs.write(b, i * 4096, payload(4096, 10 + i))
        fs.sync()
    return Template(img)


def _field(offsets: list[int], fields: list[tuple[int, int]]) -> st.SearchStrategy:
    """(byte offset, size, value) edits of one field at one of the offsets."""
    return st.tuples(st.sampled_from(offsets), st.sampled_from(fields)).flatmap(
        lambda of: st.tuples(
            st.just(of[0] + of[1][0]), st.just(of[1][1]),
            st.one_of(st.integers(0, (1 << (8 * of[1][1])) - 1),
                      st.sampled_from([0, 1, 2, 0xE5, 0x0F, 0x10, 0xFF, 0xFFFFFFFF])
                      .map(lambda v, n=of[1][1]: v & ((1 << (8 * n)) - 1)))))


@st.composite
def corruptions(draw: st.DrawFn, lay: Template) -> list[tuple[int, int, int]]:
    """A few edits: (byte offset in the image, field size, new value)."""
    fat_value = st.one_of(st.sampled_from(FAT_VALUES), st.sampled_from(lay.used),
                          st.integers(2, lay.max_cluster + 3), st.integers(0, (1 << 32) - 1))
    fat_edit = st.tuples(st.sampled_from(lay.used).map(lambda c: lay.fat + c * FAT_ENTRY_SIZE),
                         st.just(4), fat_value)
    edits = st.one_of(
        fat_edit,
        _field(lay.entries, DIRENT_FIELDS),
        _field([0], BPB_FIELDS),
        _field([lay.fsinfo], FSINFO_FIELDS),
    )
    return draw(st.lists(edits, min_size=1, max_size=5))


def attempt(fn: Callable[..., T], *args: object) -> T | None:
    """fn(*args), or None when the driver refuses with FsError (the only way it may)."""
    try:
        return fn(*args)
    except FsError:
        return None


def walk(fs: Fat32) -> tuple[list[Inode], list[Inode]]:
    """(directories, files) reachable from the root, each stat'ed and every file read."""
    dirs, files, todo, seen = [], [], [fs.root], 0
    while todo and seen < WALK_LIMIT:
        d = todo.pop()
        dirs.append(d)
        for e in attempt(fs.readdir, d) or []:
            seen += 1
            node = attempt(fs.lookup, d, e.name)
            if node is None:
                continue
            attempt(fs.stat, node)
            if node.is_dir:
                todo.append(node)
            else:
                files.append(node)
                attempt(fs.read, node, 0, node.size)
                attempt(fs.read, node, max(0, node.size - 10), 100)
    return dirs, files


def use(fs: Fat32, finish: bool) -> None:
    """Everything the VFS does with a volume, on whatever the walk found; then sync, unless
    not finish (a crash: what evictions wrote is all the next mount sees)."""
    dirs, files = walk(fs)
    for i, f in enumerate(files[:4]):
        attempt(fs.write, f, f.size // 2, payload(6000, i))
        attempt(fs.truncate, f, f.size // 3)
        attempt(fs.write, f, f.size + 5000, b"after a gap")
    for i, d in enumerate(dirs[:3]):
        new = attempt(fs.create, d, f"new file {i}.txt")
        if new is not None:
            attempt(fs.write, new, 0, payload(9000, i))
            attempt(fs.read, new, 0, 9000)
        sub = attempt(fs.mkdir, d, f"made{i}")
        if sub is not None:
            attempt(fs.create, sub, "x")
            attempt(fs.unlink, sub, "x")
            attempt(fs.rmdir, d, f"made{i}")
        attempt(fs.rename, d, f"new file {i}.txt", fs.root, f"moved {i}")
    for f in files[4:6]:
        if f.parent is not None:
            attempt(fs.unlink, f.parent, f.name)
    if len(files) > 6 and files[6].parent is not None:
        f = files[6]
        if attempt(fs.unlink, f.parent, f.name, True) is not None or f.detached:
            attempt(fs.write, f, 0, b"written after unlink")
            attempt(fs.release, f)
    for d in dirs[1:3]:
        if d.parent is not None:
            attempt(fs.rmdir, d.parent, d.name)
    attempt(fs.statfs)
    if finish:
        attempt(fs.sync)


@settings(max_examples=150, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_images_give_fs_errors_only(template: Template, tmp_path: Path,
                                            data: st.DataObject) -> None:
    edits = data.draw(corruptions(template))
    crash = data.draw(st.booleans())
    buf = bytearray(template.image)
    for off, size, value in edits:
        buf[off:off + size] = value.to_bytes(size, "little")
    img = tmp_path / "damaged.img"
    img.write_bytes(buf)
    for finish in (not crash, True):            # the second mount sees what the first left
        with FileBlockDevice(img) as dev:
            fs = attempt(lambda: Fat32(dev, cache_blocks=24))   # small: evictions happen
            if fs is None:
                return
            use(fs, finish)


def test_size_beyond_the_chain_is_eio(template: Template, tmp_path: Path) -> None:
    """The case the review found (IndexError in _pieces through sys_read): a file whose size
    needs more clusters than its chain has, or that has no cluster at all."""
    image = template.image
    img = tmp_path / "short.img"
    img.write_bytes(image)
    with FileBlockDevice(img) as dev:
        fs = Fat32(dev)
        f = fs.lookup(fs.root, "README.TXT")
        g = fs.lookup(fs.root, "a long file name.bin")
        where = {f.name: f.ino * DIRENT_SIZE, g.name: g.ino * DIRENT_SIZE}
    buf = bytearray(image)
    struct.pack_into("<I", buf, where["README.TXT"] + 28, 3 * 4096)        # 1 cluster
    struct.pack_into("<HHHHI", buf, where["a long file name.bin"] + 20, 0, 0, 0, 0, 100)
    img.write_bytes(buf)
    with FileBlockDevice(img) as dev:
        fs = Fat32(dev)
        for name in ("README.TXT", "a long file name.bin"):
            node = fs.lookup(fs.root, name)
            with pytest.raises(FsError) as e:
                fs.read(node, 0, node.size)
            assert e.value.errno == 5, e.value          # EIO
            with pytest.raises(FsError):
                fs.write(node, 0, b"x")
        fs.truncate(fs.lookup(fs.root, "README.TXT"), 8)  # cutting it back repairs it
        assert fs.read(fs.lookup(fs.root, "README.TXT"), 0, 100) == b"read me\n"
