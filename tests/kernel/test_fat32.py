"""FAT32 (kernel/fs/fat32.py) against the real tools: mkfs.fat makes the images, mtools
(mcopy, mtype, mdir) writes and reads them from the other side, fsck.fat -n judges every image
we wrote.  Also the BlockCache of kernel/devices/blockdev.py.

mtools refuses FAT32 volumes of fewer than 65525 clusters, so the images it touches are 260 MiB
(66425 clusters of 4 KiB); they are sparse files, cheap to make.
"""

from __future__ import annotations

import os
import random
import shutil
import struct
import subprocess
from pathlib import Path
from stat import S_IFDIR, S_IFREG

import pytest

from almos.kernel.devices.blockdev import BLOCK_SIZE, BlockCache, FileBlockDevice
from almos.kernel.fs.fat32 import Fat32, FsError, NotFat32Error
from almos.kernel.libk.errno import (
    EEXIST,
    EINVAL,
    EISDIR,
    ENAMETOOLONG,
    ENOENT,
    ENOSPC,
    ENOTDIR,
    ENOTEMPTY,
)

BIG_KIB = 266240  # 260 MiB: 66425 clusters, enough for mtools to call it FAT32
SMALL_KIB = 4096  # a FAT32 of ~1000 clusters, for ENOSPC (fsck.fat accepts it, mtools not)
CLUSTER = 4096


def _tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for d in ("/usr/sbin", "/sbin"):
        if os.access(f"{d}/{name}", os.X_OK):
            return f"{d}/{name}"
    return None


MKFS = _tool("mkfs.fat")  # missing tools fail the tests that use them (make setup installs them)
FSCK = _tool("fsck.fat")
MCOPY, MTYPE, MDIR = _tool("mcopy"), _tool("mtype"), _tool("mdir")

ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1", LC_ALL="C.UTF-8", LANG="C.UTF-8")


def run(*args: str | os.PathLike[str], check: bool = True) -> subprocess.CompletedProcess[bytes]:
    p = subprocess.run([os.fspath(a) for a in args], capture_output=True, env=ENV)
    if check and p.returncode:
        raise AssertionError(f"{args} failed ({p.returncode}): {p.stderr.decode()}")
    return p


def mkfs(img: Path, kib: int = BIG_KIB, *extra: str) -> Path:
    assert MKFS
    run(MKFS, "-C", *(extra or ("-F", "32")), "-S", "512", "-s", "8", img, str(kib))
    return img


def mcopy(img: Path, *srcs: Path, dest: str = "::/") -> None:
    assert MCOPY
    run(MCOPY, "-i", img, "-s", *srcs, dest)


def mtype(img: Path, path: str) -> bytes:
    assert MTYPE
    return run(MTYPE, "-i", img, "::/" + path.lstrip("/")).stdout


def mdir(img: Path, path: str = "/") -> str:
    assert MDIR
    return run(MDIR, "-i", img, "::/" + path.lstrip("/")).stdout.decode()


def fsck(img: Path) -> str:
    """fsck.fat -n must find nothing to fix."""
    assert FSCK
    p = run(FSCK, "-n", img, check=False)
    out = (p.stdout + p.stderr).decode()
    assert p.returncode == 0, f"fsck.fat found errors:\n{out}"
    for bad in ("wrong", "Auto-correcting", "differ", "Free cluster summary"):
        assert bad not in out, out
    return out


def fsck_used_total(img: Path) -> tuple[int, int]:
    """(used, total) clusters as fsck.fat counts them."""
    last = fsck(img).strip().splitlines()[-1]  # "img: N files, used/total clusters"
    used, total = last.rsplit(" ", 2)[-2].split("/")
    return int(used), int(total)


def fsinfo_free(img: Path) -> int:
    with open(img, "rb") as f:
        boot = f.read(BLOCK_SIZE)
        (sec,) = struct.unpack_from("<H", boot, 48)
        f.seek(sec * BLOCK_SIZE + 488)
        return struct.unpack("<I", f.read(4))[0]


class Mounted:
    """A Fat32 on an image file; leaving the block syncs, unmounts and fsck's the image."""

    def __init__(self, img: Path, check: bool = True, cache_blocks: int = 4096) -> None:
        self.img = img
        self.check = check
        self.cache_blocks = cache_blocks

    def __enter__(self) -> Fat32:
        self.dev = FileBlockDevice(self.img)
        self.fs = Fat32(self.dev, cache_blocks=self.cache_blocks)
        return self.fs

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.fs.sync()
        self.dev.close()
        if exc_type is None and self.check:
            fsck(self.img)


def payload(n: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(n)


@pytest.fixture
def img(tmp_path: Path) -> Path:
    return mkfs(tmp_path / "disk.img")


# ---- reading what mtools wrote ------------------------------------------------------------

def test_read_files_written_by_mcopy(tmp_path: Path, img: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub" / "deeper").mkdir(parents=True)
    files = {
        "SMALL.TXT": b"hello, ALMOS\n",
        "readme.txt": b"lower-case 8.3 name: stored with the NTRes case bits\n",
        "multi.bin": payload(3 * CLUSTER + 123, 1),
        "big.bin": payload(5 * 1024 * 1024 + 7, 2),
        "A rather long file name.with.dots": payload(10000, 3),
        "sub/deeper/nested file.txt": b"deep\n",
        "sub/x": b"",
        "café.txt": "unicode ü".encode(),
    }
    for rel, data in files.items():
        (tree / rel).write_bytes(data)
    mcopy(img, *sorted(tree.iterdir()))

    with Mounted(img, check=False) as fs:
        for rel, data in files.items():
            node = fs.lookup_path(rel)
            assert not node.is_dir and node.size == len(data), rel
            assert fs.read(node, 0, len(data) + 100) == data, rel
            st = fs.stat(node)
            assert st.mode & S_IFREG and st.size == len(data)
        names = {e.name: e for e in fs.readdir(fs.root)}
        assert set(names) == {"SMALL.TXT", "readme.txt", "multi.bin", "big.bin",
                              "A rather long file name.with.dots", "sub", "café.txt"}
        assert names["sub"].is_dir and fs.stat(fs.lookup_path("sub")).mode & S_IFDIR
        assert {e.name for e in fs.readdir(fs.lookup_path("sub"))} == {"deeper", "x"}
        # Case-insensitive lookups, by long name or short alias; '.' and '..'.
        assert fs.lookup_path("BIG.BIN") is fs.lookup_path("big.bin")
        assert fs.lookup_path("sub/DEEPER/../deeper/.") is fs.lookup_path("sub/deeper")
        assert fs.lookup_path("sub/..") is fs.root
        inos = [e.ino for e in fs.readdir(fs.root)]
        assert len(set(inos)) == len(inos)
        # Partial reads at odd offsets, across cluster and run boundaries.
        big = files["big.bin"]
        node = fs.lookup_path("big.bin")
        rng = random.Random(5)
        for _ in range(50):
            off = rng.randrange(len(big))
            n = rng.randrange(3 * CLUSTER)
            assert fs.read(node, off, n) == big[off:off + n]
        assert fs.read(node, len(big), 10) == b""


# ---- writing what mtools reads ----------------------------------------------------------------

def test_write_new_files_read_by_mtype(img: Path) -> None:
    sizes = [0, 1, 511, 512, 513, 4095, 4096, 4097, 100000, 3 * 1024 * 1024 + 5]
    names = ["EMPTY", "ONE.TXT", "lower.txt", "Mixed Case Name.dat", "a.b.c.d",
             "x" * 100, "with+plus,and;semi", "ünïcödé ñame", "UPPER.TOOLONG", "big file.bin"]
    with Mounted(img) as fs:
        d = fs.mkdir(fs.root, "out")
        for i, (name, n) in enumerate(zip(names, sizes, strict=True)):
            node = fs.create(d, name)
            assert fs.write(node, 0, payload(n, i)) == n
    listing = mdir(img, "out")
    for i, (name, n) in enumerate(zip(names, sizes, strict=True)):
        assert mtype(img, f"out/{name}") == payload(n, i), name
        if name not in ("EMPTY", "ONE.TXT"):
            assert name in listing  # a long name, case preserved
    assert "ONE      TXT" in listing


def test_write_then_remount(img: Path) -> None:
    with Mounted(img) as fs:
        f = fs.create(fs.root, "persist.bin")
        fs.write(f, 0, payload(50000))
    with Mounted(img) as fs:
        f = fs.lookup_path("persist.bin")
        assert fs.read(f, 0, 60000) == payload(50000)


def test_grow_and_shrink(img: Path) -> None:
    model = bytearray()
    with Mounted(img) as fs:
        f = fs.create(fs.root, "Grow.bin")

        def put(off: int, data: bytes) -> None:
            fs.write(f, off, data)
            if off > len(model):
                model.extend(bytes(off - len(model)))
            model[off:off + len(data)] = data
            assert f.size == len(model)

        def trunc(n: int) -> None:
            fs.truncate(f, n)
            del model[n:]
            model.extend(bytes(n - len(model)))
            assert f.size == n

        put(0, payload(1000, 1))
        put(1000, payload(9000, 2))  # append, across clusters
        put(20000, payload(100, 3))  # past the end: the gap reads as zeros
        put(500, payload(8000, 4))  # overwrite in the middle
        assert fs.read(f, 0, 1 << 20) == bytes(model)
        free0 = fs.free_clusters
        trunc(5000)
        assert fs.free_clusters == free0 + 5 - 2  # 20100 bytes = 5 clusters, 5000 = 2
        assert fs.stat(f).blocks == 2 * CLUSTER // BLOCK_SIZE
        trunc(70000)  # grows with zeros
        put(69990, payload(20, 5))
        trunc(0)
        assert f.first_cluster == 0 and fs.stat(f).blocks == 0
        put(3, b"abc")
        trunc(CLUSTER)
    assert mtype(img, "grow.bin") == bytes(model)


def test_mkdir_rmdir_unlink(img: Path, tmp_path: Path) -> None:
    with Mounted(img) as fs:
        a = fs.mkdir(fs.root, "a")
        b = fs.mkdir(a, "Second Level")
        f = fs.create(b, "file.txt")
        fs.write(f, 0, b"in b\n")
        with pytest.raises(FsError) as e:
            fs.rmdir(fs.root, "a")
        assert e.value.errno == ENOTEMPTY
        with pytest.raises(FsError) as e:
            fs.unlink(fs.root, "a")
        assert e.value.errno == EISDIR
        with pytest.raises(FsError) as e:
            fs.rmdir(b, "file.txt")
        assert e.value.errno == ENOTDIR
        with pytest.raises(FsError) as e:
            fs.mkdir(fs.root, "A")
        assert e.value.errno == EEXIST
        gone = fs.mkdir(fs.root, "gone")
        fs.create(gone, "tmp")
        fs.unlink(gone, "TMP")
        fs.rmdir(fs.root, "gone")
        with pytest.raises(FsError) as e:
            fs.lookup(fs.root, "gone")
        assert e.value.errno == ENOENT
        # Many entries: the directory grows past one cluster (128 entries).
        many = fs.mkdir(fs.root, "many")
        for i in range(200):
            fs.create(many, f"file number {i}")
        for i in range(0, 200, 2):
            fs.unlink(many, f"file number {i}")
        assert len(fs.readdir(many)) == 100
    assert "Second Level" in mdir(img, "a")
    assert mtype(img, "a/second level/file.txt") == b"in b\n"
    assert "gone" not in mdir(img, "/")
    # mtools writes into directories we made; we read that back.
    src = tmp_path / "from mtools.txt"
    src.write_bytes(b"written by mcopy\n")
    mcopy(img, src, dest="::/a/Second Level/")
    with Mounted(img) as fs:
        node = fs.lookup_path("a/Second Level/from mtools.txt")
        assert fs.read(node, 0, 100) == b"written by mcopy\n"
        assert len(fs.readdir(fs.lookup_path("many"))) == 100


def test_rename(img: Path) -> None:
    with Mounted(img) as fs:
        d1, d2 = fs.mkdir(fs.root, "d1"), fs.mkdir(fs.root, "d2")
        f = fs.create(d1, "old name.txt")
        fs.write(f, 0, payload(6000, 1))
        fs.rename(d1, "old name.txt", d1, "new name.txt")
        assert f.name == "new name.txt" and fs.lookup(d1, "new name.txt") is f
        fs.rename(d1, "new name.txt", d2, "MOVED.TXT")
        fs.rename(d2, "MOVED.TXT", d2, "moved.txt")  # case only
        victim = fs.create(d2, "victim")
        fs.write(victim, 0, b"replaced")
        fs.rename(d2, "moved.txt", d2, "Victim")  # replaces a file
        sub = fs.mkdir(d1, "sub")
        fs.write(fs.create(sub, "inner"), 0, b"inner\n")
        fs.rename(d1, "sub", d2, "sub moved")  # a directory: its '..' changes
        with pytest.raises(FsError) as e:
            fs.rename(d2, "sub moved", fs.lookup(d2, "sub moved"), "x")
        assert e.value.errno == EINVAL
        assert fs.lookup_path("d2/sub moved/..") is d2
    assert mtype(img, "d2/Victim") == payload(6000, 1)
    assert mtype(img, "d2/sub moved/inner") == b"inner\n"
    assert "Victim" in mdir(img, "d2") and "moved.txt" not in mdir(img, "d2")
    assert "sub" not in mdir(img, "d1")


def test_short_aliases(img: Path) -> None:
    with Mounted(img) as fs:
        for name in ("Long File Name 1.txt", "Long File Name 2.txt", "readme.md", "README.MD2",
                     ".hidden", "x.tar.gz"):
            fs.create(fs.root, name)
    listing = mdir(img)
    for alias in ("LONGFI~1 TXT", "LONGFI~2 TXT", "README   MD ", "HIDDEN", "XTAR~1   GZ"):
        assert alias in listing, listing


def test_name_errors(img: Path) -> None:
    with Mounted(img) as fs:
        f = fs.create(fs.root, "file")
        cases = [
            (lambda: fs.lookup(fs.root, "nope"), ENOENT),
            (lambda: fs.lookup_path("file/x"), ENOTDIR),
            (lambda: fs.create(f, "x"), ENOTDIR),
            (lambda: fs.create(fs.root, "FILE"), EEXIST),
            (lambda: fs.read(fs.root, 0, 1), EISDIR),
            (lambda: fs.write(fs.root, 0, b"x"), EISDIR),
            (lambda: fs.create(fs.root, "y" * 256), ENAMETOOLONG),
            (lambda: fs.create(fs.root, "a:b"), EINVAL),
            (lambda: fs.create(fs.root, "..."), EINVAL),
            (lambda: fs.truncate(f, -1), EINVAL),
        ]
        for op, errno in cases:
            with pytest.raises(FsError) as e:
                op()
            assert e.value.errno == errno, e.value
        longest = "z" * 255
        fs.write(fs.create(fs.root, longest), 0, b"255")
    assert mtype(img, "z" * 255) == b"255"


# ---- allocation bookkeeping -------------------------------------------------------------------

def test_fsinfo_and_fat_copies(img: Path) -> None:
    with Mounted(img) as fs:
        for i in range(20):
            fs.write(fs.create(fs.root, f"f{i}"), 0, payload(i * 3000, i))
        for i in range(0, 20, 3):
            fs.unlink(fs.root, f"f{i}")
        free = fs.free_clusters
    used, total = fsck_used_total(img)
    assert fsinfo_free(img) == free == total - used
    with Mounted(img) as fs:
        assert fs.free_clusters == free
        fat = FileBlockDevice(img, readonly=True)
        f1 = fat.read_blocks(fs.reserved_sectors, fs.fat_sectors)
        f2 = fat.read_blocks(fs.reserved_sectors + fs.fat_sectors, fs.fat_sectors)
        fat.close()
        assert f1 == f2


def test_enospc_on_a_full_image(tmp_path: Path) -> None:
    img = mkfs(tmp_path / "small.img", SMALL_KIB)
    with Mounted(img) as fs:
        total = fs.free_clusters
        f = fs.create(fs.root, "filler")
        fs.write(f, 0, payload((total - 2) * CLUSTER))
        with pytest.raises(FsError) as e:
            fs.write(f, f.size, payload(3 * CLUSTER))
        assert e.value.errno == ENOSPC
        assert f.size == (total - 2) * CLUSTER  # a failed write changes nothing
        with pytest.raises(FsError) as e:
            fs.truncate(f, f.size + 3 * CLUSTER)
        assert e.value.errno == ENOSPC
        fs.write(f, f.size, payload(2 * CLUSTER))
        assert fs.free_clusters == 0
        fs.create(fs.root, "empty is fine")
        with pytest.raises(FsError) as e:
            fs.mkdir(fs.root, "d")
        assert e.value.errno == ENOSPC
        with pytest.raises(FsError) as e:  # the root directory cannot grow
            for i in range(200):
                fs.create(fs.root, f"entry {i}")
        assert e.value.errno == ENOSPC
        fs.truncate(f, 0)
        assert fs.free_clusters == total
    assert fsinfo_free(img) == total


# ---- not FAT32 ----------------------------------------------------------------------------------

def test_not_fat32(tmp_path: Path) -> None:
    fat16 = mkfs(tmp_path / "fat16.img", 16384, "-F", "16")
    rnd = tmp_path / "random.img"
    rnd.write_bytes(payload(1 << 20))
    good = mkfs(tmp_path / "good.img")
    cut = tmp_path / "truncated.img"
    with open(good, "rb") as f:
        cut.write_bytes(f.read(8 << 20))
    empty = tmp_path / "empty.img"
    empty.write_bytes(b"")
    for path, why in ((fat16, "FAT12/FAT16"), (rnd, "signature"), (cut, "truncated"),
                      (empty, "empty")):
        with FileBlockDevice(path) as dev, pytest.raises(NotFat32Error) as e:
            Fat32(dev)
        msg = str(e.value)
        assert msg.startswith("not a FAT32 file system:") and why in msg, msg
        assert isinstance(e.value, ValueError) and e.value.errno == EINVAL


# ---- random sequences against a model ---------------------------------------------------------

OPS = ["create", "write", "truncate", "unlink", "mkdir", "rmdir", "rename", "read"]
OP_WEIGHTS = [4, 6, 2, 1, 1, 1, 1, 2]


@pytest.mark.parametrize("seed,cache_blocks", [(1, 4096), (2, 4096), (3, 16)])
def test_random_operations(img: Path, tmp_path: Path, seed: int, cache_blocks: int) -> None:
    """Seeded random operations checked against a model; a tiny cache for evictions."""
    rng = random.Random(seed)
    files: dict[str, bytearray] = {}  # path -> contents
    dirs = {""}

    def split(p: str) -> tuple[str, str]:
        head, _, tail = p.rpartition("/")
        return head, tail

    with Mounted(img, cache_blocks=cache_blocks) as fs:
        for step in range(400):
            op = rng.choices(OPS, OP_WEIGHTS)[0]
            if op in ("create", "mkdir"):
                parent = rng.choice(sorted(dirs))
                name = rng.choice(["f", "File", "a long name", "x.y", "DATA.BIN"]) + str(
                    rng.randrange(30))
                path = f"{parent}/{name}".lstrip("/")
                taken = {p.lower() for p in list(files) + list(dirs)}
                d = fs.lookup_path(parent) if parent else fs.root
                if path.lower() in taken:
                    with pytest.raises(FsError):
                        (fs.create if op == "create" else fs.mkdir)(d, name)
                elif op == "create":
                    fs.create(d, name)
                    files[path] = bytearray()
                else:
                    fs.mkdir(d, name)
                    dirs.add(path)
            elif op in ("write", "truncate", "read", "unlink") and files:
                path = rng.choice(sorted(files))
                node = fs.lookup_path(path)
                data = files[path]
                if op == "write":
                    off = rng.randrange(len(data) + 2 * CLUSTER)
                    chunk = payload(rng.choice([1, 100, 4096, 10000, 70000]), step)
                    fs.write(node, off, chunk)
                    data.extend(bytes(max(0, off - len(data))))
                    data[off:off + len(chunk)] = chunk
                elif op == "truncate":
                    n = rng.randrange(len(data) + CLUSTER + 1)
                    fs.truncate(node, n)
                    del data[n:]
                    data.extend(bytes(n - len(data)))
                elif op == "read":
                    off = rng.randrange(len(data) + 1)
                    assert fs.read(node, off, 9000) == bytes(data[off:off + 9000])
                else:
                    parent, name = split(path)
                    fs.unlink(fs.lookup_path(parent) if parent else fs.root, name)
                    del files[path]
            elif op == "rmdir" and len(dirs) > 1:
                path = rng.choice(sorted(dirs - {""}))
                parent, name = split(path)
                busy = any(p.startswith(path + "/") for p in list(files) + list(dirs))
                d = fs.lookup_path(parent) if parent else fs.root
                if busy:
                    with pytest.raises(FsError) as e:
                        fs.rmdir(d, name)
                    assert e.value.errno == ENOTEMPTY
                else:
                    fs.rmdir(d, name)
                    dirs.discard(path)
            elif op == "rename" and files:
                path = rng.choice(sorted(files))
                parent, name = split(path)
                nparent = rng.choice(sorted(dirs))
                nname = "renamed " + str(rng.randrange(10))
                npath = f"{nparent}/{nname}".lstrip("/")
                if npath.lower() in {p.lower() for p in dirs}:
                    continue
                fs.rename(fs.lookup_path(parent) if parent else fs.root, name,
                          fs.lookup_path(nparent) if nparent else fs.root, nname)
                for p in [p for p in files if p.lower() == npath.lower() and p != path]:
                    del files[p]
                files[npath] = files.pop(path)
            if step % 50 == 0:
                fs.sync()
                fsck(img)
    # Everything, as mtools sees it.
    out = tmp_path / "out"
    out.mkdir()
    assert MCOPY
    run(MCOPY, "-i", img, "-s", "-n", "::/*", out)  # -n: no overwrite prompts
    seen_files = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    seen_dirs = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_dir()}
    assert seen_files == {p: bytes(d) for p, d in files.items()}
    assert seen_dirs == dirs - {""}
    used, total = fsck_used_total(img)
    assert fsinfo_free(img) == total - used


# ---- big transfers ------------------------------------------------------------------------------

def test_large_transfer(img: Path) -> None:
    """8 MiB written in 64 KiB pieces (past the cache, straight to the device) and read back in
    4 KiB ones; mtools reads the same bytes."""
    data = payload(8 << 20)
    with Mounted(img) as fs:
        f = fs.create(fs.root, "big.bin")
        for off in range(0, len(data), 64 * 1024):  # as a user process would, in pieces
            fs.write(f, off, data[off:off + 64 * 1024])
        fs.sync()
        back = b"".join(fs.read(f, off, 4096) for off in range(0, len(data), 4096))
    assert back == data
    assert mtype(img, "big.bin") == data


# ---- the buffer cache ---------------------------------------------------------------------------

class CountingDevice:
    """A RAM BlockDevice that counts its calls."""

    def __init__(self, nblocks: int) -> None:
        self.block_size = BLOCK_SIZE
        self.nblocks = nblocks
        self.mem = bytearray(nblocks * BLOCK_SIZE)
        self.reads: list[tuple[int, int]] = []
        self.writes: list[tuple[int, int]] = []

    def read_blocks(self, lba: int, count: int) -> bytes:
        self.reads.append((lba, count))
        return bytes(self.mem[lba * BLOCK_SIZE:(lba + count) * BLOCK_SIZE])

    def write_blocks(self, lba: int, data: bytes) -> None:
        self.writes.append((lba, len(data) // BLOCK_SIZE))
        self.mem[lba * BLOCK_SIZE:lba * BLOCK_SIZE + len(data)] = data

    def flush(self) -> None:
        pass


def blk(v: int, n: int = 1) -> bytes:
    return bytes([v]) * (BLOCK_SIZE * n)


def test_block_cache_write_back_and_lru() -> None:
    dev = CountingDevice(1000)
    cache = BlockCache(dev, capacity_blocks=32)
    cache.write(10, blk(1, 3))
    assert dev.writes == [] and cache.ndirty == 3
    assert cache.read(9, 5) == blk(0) + blk(1, 3) + blk(0)  # dirty blocks seen by reads
    assert cache.read(11, 1) == blk(1) and dev.reads == [(9, 1), (13, 1)]
    cache.sync()
    assert dev.writes == [(10, 3)] and cache.ndirty == 0  # contiguous: one device write
    assert dev.mem[10 * BLOCK_SIZE:13 * BLOCK_SIZE] == blk(1, 3)
    cache.write(100, blk(2))
    for lba in range(200, 240):  # push block 100 out: written back on eviction
        cache.read(lba, 1)
    assert (100, 1) in dev.writes and len(cache) == 32
    assert cache.read(100, 1) == blk(2)
    # A big transfer goes straight to the device, replacing cached copies.
    cache.write(300, blk(3))
    cache.write(290, blk(4, 64))
    assert dev.writes[-1] == (290, 64) and cache.read(300, 1) == blk(4)
    n = len(dev.reads)
    cache.read(500, 100)
    assert dev.reads[n:] == [(500, 100)]
    cache.sync()
    assert cache.ndirty == 0
