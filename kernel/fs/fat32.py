"""FAT32, the file system of the ALMOS disk image (docs/TSAR.md, "Disk image").

Mounted on any BlockDevice (blockdev.py), through a per-file-system BlockCache.  A VFS sits on
top and talks to it in inodes: `Fat32.root`, `lookup`, `read`, `write`, `truncate`, `create`,
`mkdir`, `unlink`, `rmdir`, `rename`, `readdir`, `stat`, `statfs`, `sync`.  Errors are
FsError carrying a Linux errno (docs/ABI.md).

Facts from Microsoft's "FAT32 File System Specification" (1.03, 2000) unless noted:
- Sector 0 holds the BIOS Parameter Block (BPB); bytes 510..511 are 0x55 0xAA.  A FAT32 BPB has
  BPB_RootEntCnt = 0 and BPB_FATSz16 = 0, with the FAT size in BPB_FATSz32 and the root
  directory as an ordinary cluster chain starting at BPB_RootClus.  The spec types a volume by
  its count of clusters (FAT32 from 65525); like Linux and dosfstools we go by the BPB form, so
  small FAT32 volumes made by `mkfs.fat -F 32` mount too (mtools, though, refuses them, which is
  why the disk image is at least 260 MiB with 4 KiB clusters).
- The FSInfo sector (BPB_FSInfo) has signatures 0x41615252 (offset 0), 0x61417272 (484) and
  0xAA550000 (508), the free cluster count (488) and a next-free hint (492); 0xFFFFFFFF = unknown.
- FAT entries are 32 bits of which the low 28 count; the top 4 are reserved and kept as found.
  0 = free, 0x0FFFFFF7 = bad, >= 0x0FFFFFF8 = end of chain (EOC).  Clusters are numbered from 2.
  Every FAT copy is written unless BPB_ExtFlags bit 7 says only the active one (bits 0..3) is.
- A directory is an array of 32-byte entries.  Name[0] = 0xE5: free; 0x00: free and nothing
  after; 0x05 stands for a leading 0xE5.  Attribute 0x0F marks a long-name (LFN) entry: 13 UCS-2
  characters, an ordinal (0x40 on the last, which comes first on disk) and the checksum of the
  8.3 short name that follows the LFN entries.  A directory has at most 65536 entries.
- DIR_NTRes bits 0x08 / 0x10 say "show base / extension in lower case" (Windows NT, mtools and
  Linux honour them when reading; we never write them: a name that is not upper-case 8.3 gets
  LFN entries, with its case preserved, and a short alias such as LONGFI~1.BIN, as Linux vfat).

Inode numbers are the on-disk position of the short entry (byte address / 32); the root's is
ROOT_INO.  A rename therefore changes a file's number, as on Linux vfat across remounts.
Unlink frees the clusters at once: an Inode still held elsewhere then reads as empty and
writes to it fail with ENOENT.  `unlink(keep_data=True)` is POSIX's unlink of an open file: the
name goes, the data stays until `release` (see "Orphans" below).  Callers serialise operations
on one Fat32 (the VFS holds its lock).

A damaged volume gives FsError(EIO), never another exception: cluster chains that loop, leave
the volume or run into a free or bad cluster, a file whose size needs more clusters than its
chain has (or that has none), a directory without clusters.  At mount, a BPB that does not
describe a FAT32 volume fitting the device is NotFat32Error, a damaged root chain FsError.

Crash safety (no journal).  Changes are made in memory (the FAT) and in the write-back buffer
cache, and reach the disk at `sync`, in an order chosen so that a crash (kill -9 of the
emulator, the host file keeping every completed write) at any point leaves a volume that
fsck.fat finds clean, or one the next mount repairs:
  0. FSInfo's free count is set to "unknown" (0xFFFFFFFF, allowed by the spec: fsck.fat only
     notes it), which also tells the next mount that this sync did not finish;
  1. blocks of clusters that nothing on the disk points to yet (new files' data, a new
     directory's '.' and '..', a directory's new zeroed cluster);
  2. FAT entries of newly taken clusters, then the links that extend a chain at its end;
  3. every other block (directory entries: new ones now point at allocated chains; sizes grow
     only over clusters the chain has; removed entries leave their clusters allocated);
  4. FAT entries that cut or relink chains, then the ones that free clusters;
  5. FSInfo's free count.
A cluster freed in memory is not handed out again before step 4 has put its freeing on the
disk, so no data is ever written into a cluster that an entry on the disk still owns.  When
the cache has to write back a dirty block between syncs (to make room), steps 0 to 2 come
first.  So whatever the crash point, no entry points at a free cluster and no two entries share
one; what can be left is benign: clusters allocated but owned by no entry (lost), a chain
longer than its file's size, long-name entries without their short entry, FAT copies that
differ, the free count unknown.  These only happen inside the few writes of a sync (or after
an eviction), and the next mount, seeing the free count unknown, repairs them (`_recover`):
it walks the tree, frees lost clusters, cuts chains to their files' sizes, removes orphans
and stray long-name entries, copies the active FAT over the others and recounts the free
clusters.  The walk is what fsck.fat would do, limited to what a crash of this driver leaves;
on anything else (a loop, two entries sharing a cluster, EIO) it changes nothing.  Two limits:
`rename` writes the new entry and frees the old one in step 3, so a crash between two blocks
can leave both (no system call renames, so only host-side callers can meet it); and this is
about the emulator dying, not the host: the image file is fsync'ed at the end of a sync only,
so a power cut may lose the order of the writes the host had not put on its disk.

Orphans.  A file unlinked while open keeps its entry on the disk, renamed in place to a hidden
name (ORPHAN_BASE + 4 hex digits + "." + ORPHAN_EXT, attributes hidden and system, its long
name dropped) that lookups and listings skip, so that its clusters stay owned and a crash
leaks nothing; `release` (the last close) removes the entry and frees the data.  While an
orphan is on the disk FSInfo's free count stays unknown, so that the mount after a crash
removes it.  A directory holding an orphan cannot be removed (EBUSY) until the file is closed.
"""

from __future__ import annotations

import calendar
import struct
import sys
import weakref
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from stat import S_IFDIR, S_IFREG
from time import gmtime

from almos.kernel.devices.blockdev import (
    BLOCK_SIZE,
    BlockCache,
    BlockDevice,
    BlockDeviceError,
    BytesLike,
)
from almos.kernel.libk.errno import (
    EBUSY,
    EEXIST,
    EFBIG,
    EINVAL,
    EIO,
    EISDIR,
    ENAMETOOLONG,
    ENOENT,
    ENOSPC,
    ENOTDIR,
    ENOTEMPTY,
    errno_name,
)
from almos.kernel.libk.panic import panic

# Boot sector / BPB field offsets.
BS_SIGNATURE = 510  # 0x55 0xAA
BPB_BYTS_PER_SEC = 11  # u16
BPB_SEC_PER_CLUS = 13  # u8
BPB_RSVD_SEC_CNT = 14  # u16
BPB_NUM_FATS = 16  # u8
BPB_ROOT_ENT_CNT = 17  # u16, 0 on FAT32
BPB_TOT_SEC16 = 19  # u16, 0 on FAT32 (mkfs.fat sets it on tiny volumes)
BPB_FAT_SZ16 = 22  # u16, 0 on FAT32
BPB_TOT_SEC32 = 32  # u32
BPB_FAT_SZ32 = 36  # u32
BPB_EXT_FLAGS = 40  # u16
BPB_FS_VER = 42  # u16, 0.0
BPB_ROOT_CLUS = 44  # u32
BPB_FS_INFO = 48  # u16
EXT_FLAGS_NO_MIRROR = 0x80
EXT_FLAGS_ACTIVE_FAT = 0x0F

# FSInfo sector.
FSI_LEAD_SIG = 0x41615252  # at 0
FSI_STRUC_SIG = 0x61417272  # at 484
FSI_TRAIL_SIG = 0xAA550000  # at 508
FSI_LEAD_SIG_OFF = 0
FSI_STRUC_SIG_OFF = 484
FSI_FREE_COUNT = 488
FSI_NXT_FREE = 492
FSI_TRAIL_SIG_OFF = 508
FSI_UNKNOWN = 0xFFFFFFFF  # "free count not known": also our "a sync did not finish" mark

# FAT entries.
FAT_ENTRY_SIZE = 4
FAT_MASK = 0x0FFFFFFF
FAT_RESERVED_BITS = 0xF0000000
FAT_FREE = 0
FAT_BAD = 0x0FFFFFF7
FAT_EOC_MIN = 0x0FFFFFF8  # any value from here is end of chain
FAT_EOC = 0x0FFFFFFF  # what we write
FIRST_CLUSTER = 2

# Directory entries.
DIRENT_SIZE = 32
DIR_NAME = 0  # 11 bytes: 8 base + 3 extension, space padded
DIR_ATTR = 11
DIR_NTRES = 12
DIR_CRT_TIME_TENTH = 13
DIR_CRT_TIME = 14
DIR_CRT_DATE = 16
DIR_LST_ACC_DATE = 18
DIR_FST_CLUS_HI = 20
DIR_WRT_TIME = 22
DIR_WRT_DATE = 24
DIR_FST_CLUS_LO = 26
DIR_FILE_SIZE = 28
DIR_ENTRY_FREE = 0xE5
DIR_ENTRY_END = 0x00
DIR_KANJI_E5 = 0x05
MAX_DIR_ENTRIES = 65536
NTRES_LOWER_BASE = 0x08
NTRES_LOWER_EXT = 0x10

ATTR_READ_ONLY = 0x01
ATTR_HIDDEN = 0x02
ATTR_SYSTEM = 0x04
ATTR_VOLUME_ID = 0x08
ATTR_DIRECTORY = 0x10
ATTR_ARCHIVE = 0x20
ATTR_LONG_NAME = ATTR_READ_ONLY | ATTR_HIDDEN | ATTR_SYSTEM | ATTR_VOLUME_ID  # 0x0F
ATTR_LONG_NAME_MASK = 0x3F

# Long-name entries.
LDIR_ORD = 0
LDIR_NAME1 = 1  # 5 characters
LDIR_ATTR = 11
LDIR_TYPE = 12
LDIR_CHKSUM = 13
LDIR_NAME2 = 14  # 6 characters
LDIR_FST_CLUS_LO = 26
LDIR_NAME3 = 28  # 2 characters
LAST_LONG_ENTRY = 0x40
LFN_CHARS = 13
LFN_MAX_ENTRIES = 20  # 20 * 13 = 260 >= 255
MAX_NAME = 255  # UCS-2 units in a long name
LFN_PAD = 0xFFFF

SHORT_NAME_SPECIALS = "$%'-_@~`!(){}^#&"  # besides A-Z and 0-9
LONG_NAME_FORBIDDEN = '"*/:<>?\\|'
SHORT_DOT = b".          "
SHORT_DOTDOT = b"..         "
SHORT_NAME_CODEC = "cp437"

# Orphans: files unlinked while open, their entries kept under a hidden name until release.
ORPHAN_BASE = "~DEL"  # + 4 hex digits: the 8-character base of the short name
ORPHAN_EXT = "DEL"
ORPHAN_ATTR = ATTR_HIDDEN | ATTR_SYSTEM | ATTR_ARCHIVE
ORPHAN_DIGITS = 4

# Stat.
ROOT_INO = 1
DIR_PERM = 0o755
FILE_PERM = 0o644
READ_ONLY_PERM = 0o444
MAX_FILE_SIZE = 0xFFFFFFFF

DOS_EPOCH_YEAR = 1980
DEFAULT_TIME = 1704067200  # 2024-01-01 00:00:00: the clock when none is given
ZERO_CHUNK = 1 << 20  # bytes of zeros written at a time when a file grows by truncate


# Classes of FAT entry changes, in the order a sync writes them (see "Crash safety").
_TAKE = 1  # a free cluster taken
_EXTEND = 2  # an end of chain linked to a (newly taken) cluster
_CUT = 3  # any other change to a cluster left allocated: a chain cut short or relinked
_FREE = 4  # a cluster freed


def _change_class(old: int, new: int) -> int:
    """The class of a FAT entry changing from old to new (both masked, different)."""
    if old == FAT_FREE:
        return _TAKE
    if new == FAT_FREE:
        return _FREE
    if old >= FAT_EOC_MIN and new < FAT_EOC_MIN:
        return _EXTEND
    return _CUT


class FsError(Exception):
    """A failed file system operation; `errno` is the Linux errno to give the caller."""

    def __init__(self, errno: int, message: str) -> None:
        super().__init__(f"{errno_name(errno)}: {message}")
        self.errno = errno


class NotFat32Error(FsError, ValueError):
    """The device does not hold a (whole) FAT32 file system."""

    def __init__(self, message: str) -> None:
        Exception.__init__(self, f"not a FAT32 file system: {message}")
        self.errno = EINVAL


@dataclass(frozen=True)
class DirEntry:
    """One name in a directory listing."""

    name: str
    is_dir: bool
    size: int
    ino: int


@dataclass(frozen=True)
class Stat:
    """What `stat` reports (the fields of docs/ABI.md's struct almos_stat, less st_dev)."""

    ino: int
    mode: int
    nlink: int
    size: int
    blksize: int
    blocks: int  # 512-byte blocks allocated
    mtime: int  # seconds since 1970, from the DOS write date and time


class Inode:
    """An open file or directory: where its entry is, where its data is.

    Fat32 keeps one Inode per live file (keyed by inode number), so every holder sees the
    same size and first cluster.  `slot` locates the directory entry: (first cluster of the
    parent directory, index of the short entry, index of the first of its LFN entries).
    """

    def __init__(self, name: str, is_dir: bool, first_cluster: int, size: int, attr: int,
                 parent: Inode | None, slot: tuple[int, int, int] | None, ino: int,
                 wdate: int, wtime: int) -> None:
        self.name = name
        self.is_dir = is_dir
        self.first_cluster = first_cluster  # 0: no data yet (an empty file)
        self.detached = False  # unlinked while open: an orphan entry, data kept until release()
        self.size = size  # bytes; always 0 for directories, as on disk
        self.attr = attr
        self.parent = parent  # None for the root
        self.slot = slot  # None for the root
        self.ino = ino
        self.wdate = wdate
        self.wtime = wtime
        self.nlink = 1  # 0 once unlinked
        self.clusters: list[int] | None = None  # the cluster chain, loaded on first use

    def __repr__(self) -> str:
        kind = "dir" if self.is_dir else "file"
        return f"<Inode {self.ino} {kind} {self.name!r} size={self.size} clus={self.first_cluster}>"


@dataclass
class _Raw:
    """A used entry found while scanning a directory."""

    index: int  # of the short entry
    first: int  # index of the first LFN entry (== index when there is none)
    name: str  # long name if any, else the short name shown with DIR_NTRES case
    short: bytes  # the 11-byte short name
    attr: int
    cluster: int
    size: int
    wdate: int
    wtime: int


@dataclass
class Recovery:
    """What the mount after an unclean shutdown repaired (see "Crash safety")."""

    orphans: int = 0  # files unlinked while open, removed with their data
    lost_clusters: int = 0  # allocated clusters that no entry owned, freed
    cut_chains: int = 0  # chains longer than their file's size, cut to it
    stray_names: int = 0  # long-name entries without their short entry, freed
    fat_sectors: int = 0  # sectors of the other FAT copies rewritten from the active one
    skipped: str = ""  # why nothing was repaired (damage no crash of ours leaves), else ""

    def summary(self) -> str:
        """One line for the user; '' when there was nothing to repair."""
        if self.skipped:
            return f"not cleanly unmounted, left as it is: {self.skipped}"
        done = [f"{what}: {n}" for n, what in (
            (self.orphans, "orphaned files removed"),
            (self.lost_clusters, "lost clusters freed"),
            (self.cut_chains, "cluster chains cut to their file's size"),
            (self.stray_names, "stray long-name entries removed"),
            (self.fat_sectors, "FAT copy sectors rewritten")) if n]
        return "repaired after an unclean shutdown: " + ", ".join(done) if done else ""


def is_orphan(short: bytes, attr: int) -> bool:
    """Is this short entry an orphan's (a file unlinked while open, see "Orphans")?"""
    digits = short[len(ORPHAN_BASE):len(ORPHAN_BASE) + ORPHAN_DIGITS]
    return (attr == ORPHAN_ATTR and short.startswith(ORPHAN_BASE.encode())
            and short[8:] == ORPHAN_EXT.encode()
            and all(chr(b) in "0123456789ABCDEF" for b in digits))


def lfn_checksum(short: bytes) -> int:
    """The checksum an LFN entry holds of its 11-byte short name (rotate right, add)."""
    s = 0
    for b in short:
        s = (((s & 1) << 7) + (s >> 1) + b) & 0xFF
    return s


def short_display(short: bytes, ntres: int = 0) -> str:
    """The 8.3 name as shown: 'README.TXT', or 'readme.txt' with the NTRES case bits."""
    base = bytearray(short[:8].rstrip(b" "))
    ext = short[8:11].rstrip(b" ")
    if base and base[0] == DIR_KANJI_E5:
        base[0] = DIR_ENTRY_FREE
    b = base.decode(SHORT_NAME_CODEC)
    e = ext.decode(SHORT_NAME_CODEC)
    if ntres & NTRES_LOWER_BASE:
        b = b.lower()
    if ntres & NTRES_LOWER_EXT:
        e = e.lower()
    return f"{b}.{e}" if e else b


def _short_char_ok(ch: str) -> bool:
    return ("A" <= ch <= "Z") or ("0" <= ch <= "9") or ch in SHORT_NAME_SPECIALS


def exact_short_name(name: str) -> bytes | None:
    """The 11-byte short name when `name` is a valid upper-case 8.3 name, else None."""
    base, dot, ext = name.partition(".")
    if not base or len(base) > 8 or len(ext) > 3 or (dot and not ext) or "." in ext:
        return None
    if not all(_short_char_ok(ch) for ch in base + ext):
        return None
    return (base.ljust(8) + ext.ljust(3)).encode("ascii")


def short_basis(name: str) -> tuple[str, str, bool]:
    """The basis of a short alias (spec section 7): (base, ext, lossy-or-too-long)."""
    up = name.upper()
    lossy = False
    chars = []
    for ch in up:
        if ch == " ":
            lossy = True  # spaces are dropped
        elif ch == "." or _short_char_ok(ch):
            chars.append(ch)
        else:
            chars.append("_")
            lossy = True
    s = "".join(chars)
    stripped = s.lstrip(".")
    lossy |= stripped != s
    base, _, ext = stripped.rpartition(".")
    if not _:
        base, ext = stripped, ""
    if "." in base:
        base = base.replace(".", "")
        lossy = True
    if len(base) > 8 or len(ext) > 3:
        lossy = True
    base, ext = base[:8] or "_", ext[:3]
    return base, ext, lossy


def dos_datetime(t: int) -> tuple[int, int]:
    """(DOS date, DOS time) of a Unix time; the year clamped to 1980..2107."""
    tm = gmtime(t)
    year = min(max(tm.tm_year, DOS_EPOCH_YEAR), DOS_EPOCH_YEAR + 127)
    date = ((year - DOS_EPOCH_YEAR) << 9) | (tm.tm_mon << 5) | tm.tm_mday
    time = (tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec // 2)
    return date, time


def unix_time(date: int, time: int) -> int:
    """The Unix time of a DOS date and time (taken as UTC); 0 when the date is unset."""
    if date == 0:
        return 0
    year, mon, day = (date >> 9) + DOS_EPOCH_YEAR, (date >> 5) & 0xF, date & 0x1F
    try:
        return calendar.timegm((year, max(mon, 1), max(day, 1),
                                time >> 11, (time >> 5) & 0x3F, (time & 0x1F) * 2))
    except ValueError:
        return 0


def _check_name(name: str) -> str:
    """A name fit to create, with trailing dots dropped as Linux vfat does; else FsError."""
    if name in (".", ".."):
        raise FsError(EEXIST, f"{name!r} always exists")
    stripped = name.rstrip(".")
    if not stripped:
        raise FsError(EINVAL, f"bad file name {name!r}")
    if len(stripped.encode("utf-16-le", "surrogatepass")) // 2 > MAX_NAME:
        raise FsError(ENAMETOOLONG, f"name of {len(stripped)} characters (at most {MAX_NAME})")
    for ch in stripped:
        if ord(ch) < 0x20 or ch in LONG_NAME_FORBIDDEN:
            raise FsError(EINVAL, f"character {ch!r} not allowed in a FAT name {name!r}")
    return stripped


class Fat32:
    """A mounted FAT32 file system."""

    def __init__(self, dev: BlockDevice, *, cache_blocks: int = 4096,
                 clock: Callable[[], int] | None = None) -> None:
        self.dev = dev
        self.cache = BlockCache(dev, cache_blocks)
        self.clock = clock or (lambda: DEFAULT_TIME)
        self._read_bpb()
        self._read_fat()
        self._read_fsinfo()
        self._nodes: weakref.WeakValueDictionary[int, Inode] = weakref.WeakValueDictionary()
        self._orphans: set[Inode] = set()  # unlinked while open, not yet released
        self.root = Inode("/", True, self.root_cluster, 0, ATTR_DIRECTORY, None, None,
                          ROOT_INO, 0, 0)
        self._chain(self.root)  # check the root chain now, not on first use
        self.cache.on_evict = self._before_eviction
        self.recovered: Recovery | None = None  # set when the volume was not cleanly unmounted
        if self.fsinfo_free == FSI_UNKNOWN and not getattr(dev, "readonly", False):
            self.recovered = self._recover()

    # ---- mounting ------------------------------------------------------------------------

    def _read_bpb(self) -> None:
        dev = self.dev
        if dev.block_size != BLOCK_SIZE:
            raise NotFat32Error(f"device block size {dev.block_size}, expected {BLOCK_SIZE}")
        if dev.nblocks < 1:
            raise NotFat32Error("empty device")
        bs = dev.read_blocks(0, 1)
        if bs[BS_SIGNATURE:BS_SIGNATURE + 2] != b"\x55\xaa":
            raise NotFat32Error("no 0x55AA boot sector signature")

        def u8(off: int) -> int:
            return bs[off]

        def u16(off: int) -> int:
            return int.from_bytes(bs[off:off + 2], "little")

        def u32(off: int) -> int:
            return int.from_bytes(bs[off:off + 4], "little")

        bps = u16(BPB_BYTS_PER_SEC)
        spc = u8(BPB_SEC_PER_CLUS)
        rsvd = u16(BPB_RSVD_SEC_CNT)
        nfats = u8(BPB_NUM_FATS)
        if bps != BLOCK_SIZE:
            raise NotFat32Error(f"{bps} bytes per sector, ALMOS supports {BLOCK_SIZE}")
        if spc == 0 or spc & (spc - 1) or spc > 128:
            raise NotFat32Error(f"bad BPB_SecPerClus {spc}")
        if rsvd == 0 or nfats == 0:
            raise NotFat32Error(f"bad BPB (reserved sectors {rsvd}, FATs {nfats})")
        if u16(BPB_ROOT_ENT_CNT) != 0 or u16(BPB_FAT_SZ16) != 0:
            raise NotFat32Error(
                "BPB has the FAT12/FAT16 form (BPB_RootEntCnt or BPB_FATSz16 nonzero); "
                "make the image with mkfs.fat -F 32")
        fatsz = u32(BPB_FAT_SZ32)
        # The spec wants BPB_TotSec16 = 0, but mkfs.fat uses it on small volumes, as FAT16 does.
        totsec = u16(BPB_TOT_SEC16) or u32(BPB_TOT_SEC32)
        if fatsz == 0 or totsec == 0:
            raise NotFat32Error("BPB_FATSz32 or BPB_TotSec32 is zero")
        if u16(BPB_FS_VER) != 0:
            raise NotFat32Error(f"unknown FAT32 version {u16(BPB_FS_VER):#x}")
        data_start = rsvd + nfats * fatsz
        if data_start >= totsec:
            raise NotFat32Error("no data region")
        nclusters = (totsec - data_start) // spc
        if nclusters + FIRST_CLUSTER > fatsz * bps // FAT_ENTRY_SIZE:
            raise NotFat32Error(f"FAT of {fatsz} sectors too small for {nclusters} clusters")
        if totsec > dev.nblocks:
            raise NotFat32Error(
                f"image truncated: the boot sector says {totsec} sectors, "
                f"the device has {dev.nblocks}")
        root = u32(BPB_ROOT_CLUS)
        if not FIRST_CLUSTER <= root < FIRST_CLUSTER + nclusters:
            raise NotFat32Error(f"BPB_RootClus {root} outside the volume")
        ext = u16(BPB_EXT_FLAGS)

        self.sectors_per_cluster = spc
        self.cluster_size = spc * bps
        self.reserved_sectors = rsvd
        self.num_fats = nfats
        self.fat_sectors = fatsz
        self.total_sectors = totsec
        self.data_start = data_start
        self.nclusters = nclusters
        self.max_cluster = nclusters + FIRST_CLUSTER - 1  # the highest valid cluster number
        self.root_cluster = root
        self.fsinfo_sector = u16(BPB_FS_INFO)
        self.mirrored = not ext & EXT_FLAGS_NO_MIRROR
        self.active_fat = 0 if self.mirrored else ext & EXT_FLAGS_ACTIVE_FAT
        if self.active_fat >= nfats:
            raise NotFat32Error(f"active FAT {self.active_fat} of {nfats}")

    def _read_fat(self) -> None:
        """Load the active FAT into memory, where all cluster bookkeeping happens (only the
        sectors that hold entries of clusters of the volume: BPB_FATSz32 may claim more)."""
        start = self.reserved_sectors + self.active_fat * self.fat_sectors
        entries_per_sector = BLOCK_SIZE // FAT_ENTRY_SIZE
        self.fat_used_sectors = min(
            self.fat_sectors, (self.max_cluster + entries_per_sector) // entries_per_sector)
        self.fat = array("I", self.dev.read_blocks(start, self.fat_used_sectors))
        if sys.byteorder != "little":
            self.fat.byteswap()
        self.disk_fat = array("I", self.fat)  # the FAT as on the disk (what sync has written)
        self._fat_dirty: set[int] = set()  # FAT sector numbers where fat and disk_fat may differ
        self._pending_free: set[int] = set()  # freed in memory, still allocated on the disk
        fat = self.fat
        for c in range(FIRST_CLUSTER, self.max_cluster + 1):
            if fat[c] & FAT_MASK == FAT_FREE:
                fat[c] = FAT_FREE  # so that _alloc's search for 0 finds every free cluster
        self.free_clusters = fat[FIRST_CLUSTER:self.max_cluster + 1].count(FAT_FREE)

    def _read_fsinfo(self) -> None:
        """Take the next-free hint from FSInfo.  The free count is recounted from the FAT; the
        one on the disk only tells whether the last sync finished (FSI_UNKNOWN: it did not)."""
        self.has_fsinfo = False
        self.next_free = FIRST_CLUSTER
        self.fsinfo_free = 0  # the free count on the disk
        sec = self.fsinfo_sector
        if sec == 0 or sec >= self.reserved_sectors:
            return
        fsi = self.dev.read_blocks(sec, 1)
        sigs = struct.unpack_from("<I", fsi, FSI_LEAD_SIG_OFF) + struct.unpack_from(
            "<I", fsi, FSI_STRUC_SIG_OFF) + struct.unpack_from("<I", fsi, FSI_TRAIL_SIG_OFF)
        if sigs != (FSI_LEAD_SIG, FSI_STRUC_SIG, FSI_TRAIL_SIG):
            return
        self.has_fsinfo = True
        self._fsinfo = fsi
        self.fsinfo_free, hint = struct.unpack_from("<II", fsi, FSI_FREE_COUNT)
        if FIRST_CLUSTER <= hint <= self.max_cluster:
            self.next_free = hint

    def _write_fsinfo(self, free: int) -> None:
        """Put a free count (and the next-free hint) in FSInfo, straight to the device."""
        if not self.has_fsinfo:
            return
        fsi = bytearray(self._fsinfo)
        struct.pack_into("<II", fsi, FSI_FREE_COUNT, free, self.next_free)
        if fsi != self._fsinfo:
            self.dev.write_blocks(self.fsinfo_sector, bytes(fsi))
            self._fsinfo = bytes(fsi)
        self.fsinfo_free = free

    # ---- the FAT -------------------------------------------------------------------------

    def _get(self, c: int) -> int:
        return self.fat[c] & FAT_MASK

    def _set(self, c: int, value: int) -> None:
        fat = self.fat
        fat[c] = (fat[c] & FAT_RESERVED_BITS) | value
        self._fat_dirty.add(c * FAT_ENTRY_SIZE // BLOCK_SIZE)

    def _chain(self, node: Inode) -> list[int]:
        """The clusters of a file, in order (cached in the inode); EIO if the FAT is corrupt."""
        if node.clusters is not None:
            return node.clusters
        if node.is_dir and not node.first_cluster:
            raise FsError(EIO, f"directory {node.name!r} has no cluster")
        chain: list[int] = []
        c = node.first_cluster
        while c:
            if not FIRST_CLUSTER <= c <= self.max_cluster or len(chain) > self.nclusters:
                raise FsError(EIO, f"corrupt cluster chain of {node.name!r} at cluster {c}")
            chain.append(c)
            nxt = self._get(c)
            if nxt >= FAT_EOC_MIN:
                break
            if nxt in (FAT_FREE, FAT_BAD):
                raise FsError(EIO, f"chain of {node.name!r} runs into free/bad cluster {c}")
            c = nxt
        node.clusters = chain
        return chain

    def _data(self, node: Inode) -> list[int]:
        """The chain of a file, checked to hold its size (EIO if it is too short)."""
        chain = self._chain(node)
        if node.size > len(chain) * self.cluster_size:
            raise FsError(EIO, f"{node.name!r} is {node.size} bytes but has {len(chain)} "
                          f"clusters of {self.cluster_size}")
        return chain

    def _alloc(self, n: int) -> list[int]:
        """Take n free clusters and link them into a chain ending in EOC (ENOSPC if short).

        Clusters freed since the last sync are not taken (see "Crash safety"); when they are
        needed, the changes so far are written first (callers have changed nothing yet).
        """
        if n > self.free_clusters:
            raise FsError(ENOSPC, f"need {n} clusters, {self.free_clusters} free")
        if n > self.free_clusters - len(self._pending_free):
            self._write_back()
        got: list[int] = []
        fat = self.fat
        c = self.next_free
        end = self.max_cluster + 1
        wraps = 0
        while len(got) < n:
            try:
                c = fat.index(FAT_FREE, c, end)
            except ValueError:
                c = end
            if c == end:  # wrap round (once: the free count says there are enough)
                wraps += 1
                if wraps > 1:
                    raise FsError(EIO, "the FAT has fewer free clusters than counted")
                c = FIRST_CLUSTER
                continue
            if c not in self._pending_free:
                got.append(c)
            c += 1
        for a, b in zip(got, got[1:], strict=False):
            self._set(a, b)
        self._set(got[-1], FAT_EOC)
        self.free_clusters -= n
        self.next_free = c
        return got

    def _free(self, clusters: Sequence[int]) -> None:
        for c in clusters:
            if self._get(c) == FAT_FREE:
                raise FsError(EIO, f"freeing free cluster {c}")  # a kernel bug: stop loudly
            self._set(c, FAT_FREE)
            if self.disk_fat[c] & FAT_MASK != FAT_FREE:
                self._pending_free.add(c)
            self.free_clusters += 1

    def _grow(self, node: Inode, n: int, zero: bool = False) -> None:
        """Append n clusters to a file or directory (zeroed first if asked: a directory's)."""
        chain = self._chain(node)
        new = self._alloc(n)
        if zero:
            self._zero_clusters(new)
        if chain:
            self._set(chain[-1], new[0])
        else:
            node.first_cluster = new[0]
        chain.extend(new)

    def cluster_lba(self, c: int) -> int:
        return self.data_start + (c - FIRST_CLUSTER) * self.sectors_per_cluster

    # ---- byte I/O over a chain ---------------------------------------------------------------

    def _pieces(self, chain: list[int], offset: int, n: int) -> Iterator[tuple[int, int, int]]:
        """(first lba, byte skip in it, length) for each contiguous run of [offset, offset+n)."""
        cs = self.cluster_size
        i = offset // cs
        last = (offset + n - 1) // cs
        while i <= last:
            j = i  # extend the run of physically consecutive clusters
            while j < last and chain[j + 1] == chain[j] + 1:
                j += 1
            run_start = i * cs
            lo = max(offset, run_start)
            hi = min(offset + n, (j + 1) * cs)
            within = lo - run_start
            lba = self.cluster_lba(chain[i]) + within // BLOCK_SIZE
            yield lba, within % BLOCK_SIZE, hi - lo
            i = j + 1

    def _read_chain(self, chain: list[int], offset: int, n: int) -> bytes:
        out = []
        for lba, skip, length in self._pieces(chain, offset, n):
            nblk = (skip + length + BLOCK_SIZE - 1) // BLOCK_SIZE
            data = self.cache.read(lba, nblk)
            out.append(data[skip:skip + length] if skip or length != len(data) else data)
        return b"".join(out)

    def _write_chain(self, chain: list[int], offset: int, data: BytesLike) -> None:
        view = memoryview(data)
        pos = 0
        for lba, skip, length in self._pieces(chain, offset, len(data)):
            piece = view[pos:pos + length]
            pos += length
            end = skip + length
            if skip == 0 and end % BLOCK_SIZE == 0:
                self.cache.write(lba, piece)
                continue
            nblk = (end + BLOCK_SIZE - 1) // BLOCK_SIZE  # read-modify-write the edge blocks
            buf = bytearray(nblk * BLOCK_SIZE)
            if skip:
                buf[:BLOCK_SIZE] = self.cache.read(lba, 1)
            if end % BLOCK_SIZE and (nblk > 1 or not skip):
                buf[-BLOCK_SIZE:] = self.cache.read(lba + nblk - 1, 1)
            buf[skip:end] = piece
            self.cache.write(lba, buf)

    def _zero_clusters(self, clusters: Sequence[int]) -> None:
        zero = bytes(self.cluster_size)
        for c in clusters:
            self.cache.write(self.cluster_lba(c), zero)

    # ---- directories ---------------------------------------------------------------------

    def _scan(self, d: Inode, orphans: bool = False,
              strays: list[int] | None = None) -> Iterator[_Raw]:
        """The used entries of directory d, long names assembled (volume label skipped, orphans
        too unless asked for).  strays, if given, gets the indices of the LFN entries that
        belong to no short entry."""
        chain = self._chain(d)
        raw = self._read_chain(chain, 0, len(chain) * self.cluster_size)
        parts: list[bytes] = []
        run: list[int] = []  # indices of the LFN entries of the long name in progress
        lost = strays if strays is not None else []
        expect = 0  # the ordinal the next LFN entry must have; 0: no long name in progress
        chk = 0
        for i in range(len(raw) // DIRENT_SIZE):
            e = raw[i * DIRENT_SIZE:(i + 1) * DIRENT_SIZE]
            b0 = e[DIR_NAME]
            if b0 == DIR_ENTRY_END:
                lost += run
                return
            if b0 == DIR_ENTRY_FREE:
                lost += run
                run, expect = [], 0
                continue
            attr = e[DIR_ATTR]
            if attr & ATTR_LONG_NAME_MASK == ATTR_LONG_NAME:
                ordinal = b0 & ~LAST_LONG_ENTRY
                if b0 & LAST_LONG_ENTRY and 1 <= ordinal <= LFN_MAX_ENTRIES:
                    lost += run
                    parts, run, chk = [], [i], e[LDIR_CHKSUM]
                elif expect and ordinal == expect - 1 and e[LDIR_CHKSUM] == chk:
                    run.append(i)
                else:  # an orphan or out-of-order LFN entry: ignore it
                    lost += run + [i]
                    run, expect = [], 0
                    continue
                expect = ordinal
                parts.append(e[LDIR_NAME1:LDIR_NAME1 + 10] + e[LDIR_NAME2:LDIR_NAME2 + 12]
                             + e[LDIR_NAME3:LDIR_NAME3 + 4])
                continue
            short = e[DIR_NAME:DIR_NAME + 11]
            have_long = expect == 1 and lfn_checksum(short) == chk
            if not have_long:
                lost += run
            lfn_first = run[0] if have_long else i
            run, expect = [], 0
            if attr & ATTR_VOLUME_ID or not orphans and is_orphan(short, attr):
                continue
            if have_long:
                units = b"".join(reversed(parts))
                name = units.decode("utf-16-le", "replace").split("\x00", 1)[0]
                first = lfn_first
            else:
                name = short_display(short, e[DIR_NTRES])
                first = i
            hi, wtime, wdate, lo, size = struct.unpack_from("<HHHHI", e, DIR_FST_CLUS_HI)
            yield _Raw(i, first, name, bytes(short), attr, (hi << 16) | lo, size, wdate, wtime)

    def _find(self, d: Inode, name: str) -> _Raw | None:
        """The entry of d called `name` (case-insensitive; long name or short alias)."""
        if not d.is_dir:
            raise FsError(ENOTDIR, f"{d.name!r} is not a directory")
        if name not in (".", ".."):
            name = name.rstrip(".")
        key = name.upper()
        for r in self._scan(d):
            if r.name.upper() == key or short_display(r.short) == key:
                return r
        return None

    def _ino(self, d: Inode, index: int) -> int:
        """The inode number of entry `index` of d: its byte address on disk / 32."""
        byte = index * DIRENT_SIZE
        c = self._chain(d)[byte // self.cluster_size]
        return (self.cluster_lba(c) * BLOCK_SIZE + byte % self.cluster_size) // DIRENT_SIZE

    def _entry_short(self, d: Inode, index: int) -> bytes:
        return self._read_chain(self._chain(d), index * DIRENT_SIZE, 11)

    def _node(self, d: Inode, r: _Raw) -> Inode:
        """The one Inode of entry r of directory d."""
        ino = self._ino(d, r.index)
        node = self._nodes.get(ino)
        if node is None:
            is_dir = bool(r.attr & ATTR_DIRECTORY)
            node = Inode(r.name, is_dir, r.cluster, 0 if is_dir else r.size, r.attr, d,
                         (d.first_cluster, r.index, r.first), ino, r.wdate, r.wtime)
            self._nodes[ino] = node
        return node

    def _write_entries(self, d: Inode, index: int, entries: Sequence[bytes]) -> None:
        chain = self._chain(d)
        for k, e in enumerate(entries):
            self._write_chain(chain, (index + k) * DIRENT_SIZE, e)

    def _mark_free(self, d: Inode, first: int, last: int) -> None:
        """Free entries first..last of d (an LFN set and its short entry)."""
        chain = self._chain(d)
        for i in range(first, last + 1):
            self._write_chain(chain, i * DIRENT_SIZE, bytes([DIR_ENTRY_FREE]))

    def _alias(self, d: Inode, name: str, own: bytes | None = None) -> tuple[bytes, bool]:
        """(11-byte short name, needs LFN entries) for a new entry called name in d.

        `own` is the short name of the entry being renamed, free for the new one to take.
        """
        exact = exact_short_name(name)
        if exact is not None:
            return exact, False
        taken = {r.short for r in self._scan(d, orphans=True)} - {own}
        base, ext, lossy = short_basis(name)
        if not lossy:
            short = (base.ljust(8) + ext.ljust(3)).encode("ascii")
            if short not in taken:
                return short, True
        for n in range(1, 1000000):
            tail = f"~{n}"
            short = ((base[:8 - len(tail)] + tail).ljust(8) + ext.ljust(3)).encode("ascii")
            if short not in taken:
                return short, True
        raise FsError(EEXIST, f"no short alias left for {name!r}")

    def _dir_entries(self, name: str, short: bytes, need_lfn: bool, attr: int, cluster: int,
                     size: int, wdate: int, wtime: int) -> list[bytes]:
        """The LFN entries (if any) and the short entry for a name, in disk order."""
        e = bytearray(DIRENT_SIZE)
        e[DIR_NAME:DIR_NAME + 11] = short
        e[DIR_ATTR] = attr
        struct.pack_into("<HHHHHHHI", e, DIR_CRT_TIME, wtime, wdate, wdate, cluster >> 16,
                         wtime, wdate, cluster & 0xFFFF, size)
        if not need_lfn:
            return [bytes(e)]
        units = list(struct.unpack(f"<{len(name.encode('utf-16-le', 'surrogatepass')) // 2}H",
                                   name.encode("utf-16-le", "surrogatepass")))
        nent = (len(units) + LFN_CHARS - 1) // LFN_CHARS
        if len(units) % LFN_CHARS:
            units.append(0)
            units.extend([LFN_PAD] * (nent * LFN_CHARS - len(units)))
        chk = lfn_checksum(short)
        out = []
        for ordinal in range(nent, 0, -1):
            u = units[(ordinal - 1) * LFN_CHARS:ordinal * LFN_CHARS]
            le = bytearray(DIRENT_SIZE)
            le[LDIR_ORD] = ordinal | (LAST_LONG_ENTRY if ordinal == nent else 0)
            struct.pack_into("<5H", le, LDIR_NAME1, *u[0:5])
            le[LDIR_ATTR] = ATTR_LONG_NAME
            le[LDIR_CHKSUM] = chk
            struct.pack_into("<6H", le, LDIR_NAME2, *u[5:11])
            struct.pack_into("<2H", le, LDIR_NAME3, *u[11:13])
            out.append(bytes(le))
        out.append(bytes(e))
        return out

    def _free_run(self, d: Inode, k: int) -> int:
        """Index of k consecutive free entries in d, growing d by zeroed clusters if needed."""
        chain = self._chain(d)
        per_cluster = self.cluster_size // DIRENT_SIZE
        total = len(chain) * per_cluster
        raw = self._read_chain(chain, 0, total * DIRENT_SIZE)
        run_start, run_len = 0, 0
        for i in range(total):
            b0 = raw[i * DIRENT_SIZE]
            if b0 == DIR_ENTRY_END:  # everything from here on is free
                run_start = i if run_len == 0 else run_start
                run_len = total - run_start
                break
            if b0 == DIR_ENTRY_FREE:
                if run_len == 0:
                    run_start = i
                run_len += 1
                if run_len == k:
                    return run_start
            else:
                run_len = 0
        if run_len >= k:
            return run_start
        if run_len == 0:
            run_start = total
        grow = (k - run_len + per_cluster - 1) // per_cluster
        if total + grow * per_cluster > MAX_DIR_ENTRIES:
            raise FsError(ENOSPC, f"directory {d.name!r} is full ({MAX_DIR_ENTRIES} entries)")
        self._grow(d, grow, zero=True)
        return run_start

    def _add(self, d: Inode, name: str, attr: int, cluster: int, size: int,
             stamp: tuple[int, int] | None = None) -> Inode:
        """Make a directory entry in d; EEXIST if the name is taken."""
        if not d.is_dir:
            raise FsError(ENOTDIR, f"{d.name!r} is not a directory")
        if d.nlink == 0:
            raise FsError(ENOENT, f"directory {d.name!r} was removed")
        name = _check_name(name)
        if self._find(d, name) is not None:
            raise FsError(EEXIST, f"{name!r} exists")
        short, need_lfn = self._alias(d, name)
        wdate, wtime = stamp or dos_datetime(self.clock())
        entries = self._dir_entries(name, short, need_lfn, attr, cluster, size, wdate, wtime)
        index = self._free_run(d, len(entries))
        self._write_entries(d, index, entries)
        r = _Raw(index + len(entries) - 1, index, name, short, attr, cluster, size, wdate, wtime)
        return self._node(d, r)

    def _update_entry(self, node: Inode, touch: bool = True) -> None:
        """Write the inode's first cluster, size and (if touch) write time to its entry."""
        if node.slot is None:
            return  # the root has no entry
        if touch:
            node.wdate, node.wtime = dos_datetime(self.clock())
        parent = node.parent
        if parent is None or parent.first_cluster != node.slot[0]:
            panic("fat32: a stale directory slot")
        fields = struct.pack("<HHHHI", node.first_cluster >> 16, node.wtime, node.wdate,
                             node.first_cluster & 0xFFFF, 0 if node.is_dir else node.size)
        self._write_chain(self._chain(parent), node.slot[1] * DIRENT_SIZE + DIR_FST_CLUS_HI,
                          fields)

    def _check_empty(self, d: Inode, name: str) -> None:
        """ENOTEMPTY unless directory d holds nothing but '.', '..' and orphans; EBUSY if it
        holds orphans (removing it would leave them nowhere before their release)."""
        held = [r for r in self._scan(d, orphans=True) if r.short not in (SHORT_DOT, SHORT_DOTDOT)]
        if any(not is_orphan(r.short, r.attr) for r in held):
            raise FsError(ENOTEMPTY, f"directory {name!r} is not empty")
        if held:
            raise FsError(EBUSY, f"directory {name!r} holds a removed file still open")

    def _cut(self, node: Inode, size: int) -> None:
        """Free the clusters of a file past what size bytes need (the entry is the caller's)."""
        chain = self._chain(node)
        keep = (size + self.cluster_size - 1) // self.cluster_size
        if keep < len(chain):
            self._free(chain[keep:])
            del chain[keep:]
            if keep:
                self._set(chain[-1], FAT_EOC)
            else:
                node.first_cluster = 0

    def _drop(self, node: Inode) -> None:
        """Remove node's entry and free its clusters; the node is dead afterwards."""
        parent = node.parent
        if parent is None or node.slot is None:
            panic("fat32: dropping the root")
        self._mark_free(parent, node.slot[2], node.slot[1])
        self._free(self._chain(node))
        self._nodes.pop(node.ino, None)
        node.nlink = 0
        node.first_cluster, node.size, node.clusters = 0, 0, []

    # ---- the inode interface for the VFS ---------------------------------------------------

    def lookup(self, d: Inode, name: str) -> Inode:
        """The inode called name in directory d ('.' and '..' included)."""
        if not d.is_dir:
            raise FsError(ENOTDIR, f"{d.name!r} is not a directory")
        if name in ("", "."):
            return d
        if name == "..":
            return d.parent or d
        r = self._find(d, name)
        if r is None:
            raise FsError(ENOENT, f"no {name!r} in {d.name!r}")
        return self._node(d, r)

    def lookup_path(self, path: str | Sequence[str]) -> Inode:
        """The inode at a path from the root ('a/b/c' or ['a', 'b', 'c'])."""
        parts = path.split("/") if isinstance(path, str) else path
        node = self.root
        for p in parts:
            node = self.lookup(node, p)
        return node

    def readdir(self, d: Inode) -> list[DirEntry]:
        """The names in directory d, without '.' and '..' (the VFS adds those)."""
        if not d.is_dir:
            raise FsError(ENOTDIR, f"{d.name!r} is not a directory")
        out = []
        for r in self._scan(d):
            if r.short in (SHORT_DOT, SHORT_DOTDOT):
                continue
            node = self._node(d, r)
            out.append(DirEntry(node.name, node.is_dir, node.size, node.ino))
        return out

    def read(self, node: Inode, offset: int, n: int) -> bytes:
        """Up to n bytes of a file from offset (b'' at or past the end)."""
        if node.is_dir:
            raise FsError(EISDIR, f"{node.name!r} is a directory")
        if offset < 0 or n < 0:
            raise FsError(EINVAL, "negative offset or count")
        n = min(n, node.size - offset)
        if n <= 0:
            return b""
        return self._read_chain(self._data(node), offset, n)

    def write(self, node: Inode, offset: int, data: bytes | bytearray | memoryview) -> int:
        """Write data at offset, growing the file (a gap reads as zeros); returns len(data)."""
        if node.is_dir:
            raise FsError(EISDIR, f"{node.name!r} is a directory")
        if node.nlink == 0 and not node.detached:
            raise FsError(ENOENT, f"{node.name!r} was removed")
        if offset < 0:
            raise FsError(EINVAL, "negative offset")
        n = len(data)
        if n == 0:
            return 0
        if offset + n > MAX_FILE_SIZE:
            raise FsError(EFBIG, f"file would exceed {MAX_FILE_SIZE} bytes")
        if offset > node.size:  # FAT has no holes: fill the gap
            data = bytes(offset - node.size) + bytes(data)
            offset = node.size
        end = offset + len(data)
        chain = self._data(node)
        need = (end + self.cluster_size - 1) // self.cluster_size - len(chain)
        if need > 0:
            self._grow(node, need)
        self._write_chain(chain, offset, data)
        node.size = max(node.size, end)
        self._update_entry(node)
        return n

    def truncate(self, node: Inode, size: int) -> None:
        """Make a file size bytes long: shrinking frees clusters, growing appends zeros."""
        if node.is_dir:
            raise FsError(EISDIR, f"{node.name!r} is a directory")
        if node.nlink == 0 and not node.detached:
            raise FsError(ENOENT, f"{node.name!r} was removed")
        if not 0 <= size <= MAX_FILE_SIZE:
            raise FsError(EINVAL if size < 0 else EFBIG, f"bad size {size}")
        if size > node.size:
            self._chain(node)
            need = ((size + self.cluster_size - 1) // self.cluster_size) - len(node.clusters or [])
            if need > self.free_clusters:
                raise FsError(ENOSPC, f"need {need} clusters, {self.free_clusters} free")
            while node.size < size:
                self.write(node, node.size, bytes(min(ZERO_CHUNK, size - node.size)))
            return
        self._cut(node, size)
        node.size = size
        self._update_entry(node)

    def create(self, d: Inode, name: str) -> Inode:
        """A new empty regular file in d (EEXIST if the name is taken)."""
        return self._add(d, name, ATTR_ARCHIVE, 0, 0)

    def mkdir(self, d: Inode, name: str) -> Inode:
        """A new directory in d, holding '.' and '..'."""
        if not d.is_dir:
            raise FsError(ENOTDIR, f"{d.name!r} is not a directory")
        self._chain(d)
        (c,) = self._alloc(1)
        try:  # the new cluster is written before the entry that points to it
            stamp = dos_datetime(self.clock())
            parent_c = 0 if d is self.root else d.first_cluster  # '..' of a root child is 0
            self._zero_clusters([c])
            dot = self._dir_entries(".", SHORT_DOT, False, ATTR_DIRECTORY, c, 0, *stamp)
            dotdot = self._dir_entries("..", SHORT_DOTDOT, False, ATTR_DIRECTORY, parent_c, 0,
                                       *stamp)
            self._write_chain([c], 0, b"".join(dot + dotdot))
            return self._add(d, name, ATTR_DIRECTORY, c, 0, stamp)
        except FsError:
            self._free([c])
            raise

    def unlink(self, d: Inode, name: str, keep_data: bool = False) -> None:
        """Remove a file and free its clusters (EISDIR for a directory). keep_data: the file
        is still open somewhere: only its entry goes; its clusters stay, readable and
        writable through the inode, until release(node) (POSIX's unlink of an open file)."""
        node = self.lookup(d, name)
        if node.is_dir:
            raise FsError(EISDIR, f"{name!r} is a directory")
        if not keep_data:
            self._drop(node)
            return
        parent, slot = node.parent, node.slot
        if parent is None or slot is None:
            panic("fat32: unlinking the root")
        # The entry stays, as an orphan: its long name goes, its short name becomes a hidden
        # one (its clusters stay owned on the disk, see "Orphans").
        taken = {r.short for r in self._scan(parent, orphans=True)}
        short = next((s for s in (f"{ORPHAN_BASE}{n:0{ORPHAN_DIGITS}X}{ORPHAN_EXT}".encode()
                                  for n in range(16 ** ORPHAN_DIGITS)) if s not in taken), None)
        if short is None:
            raise FsError(ENOSPC, f"no orphan name left in {parent.name!r}")
        if slot[2] < slot[1]:
            self._mark_free(parent, slot[2], slot[1] - 1)
        self._write_chain(self._chain(parent), slot[1] * DIRENT_SIZE + DIR_NAME,
                          short + bytes([ORPHAN_ATTR]))
        node.slot = (slot[0], slot[1], slot[1])
        self._nodes.pop(node.ino, None)
        self._orphans.add(node)
        node.nlink = 0
        node.detached = True                  # data kept until release()

    def release(self, node: Inode) -> None:
        """Remove the orphan entry of a file unlinked while it was open and free its clusters
        (its last close)."""
        if not node.detached:
            panic("fat32: releasing a linked file")
        chain = self._chain(node)
        if node.parent is not None and node.slot is not None:
            self._mark_free(node.parent, node.slot[1], node.slot[1])
            node.slot = None
        self._free(chain)
        self._orphans.discard(node)
        node.first_cluster, node.size, node.clusters = 0, 0, []
        node.detached = False

    def rmdir(self, d: Inode, name: str) -> None:
        """Remove an empty directory (ENOTEMPTY otherwise)."""
        if name in (".", ".."):
            raise FsError(EINVAL if name == "." else ENOTEMPTY, f"cannot remove {name!r}")
        node = self.lookup(d, name)
        if not node.is_dir:
            raise FsError(ENOTDIR, f"{name!r} is not a directory")
        self._check_empty(node, name)
        self._drop(node)

    def rename(self, od: Inode, oname: str, nd: Inode, nname: str) -> None:
        """Move entry oname of od to nname in nd, replacing a file or empty directory there."""
        if oname in (".", "..") or nname in (".", ".."):
            raise FsError(EBUSY, "cannot rename '.' or '..'")
        src = self.lookup(od, oname)
        nname = _check_name(nname)
        if not nd.is_dir:
            raise FsError(ENOTDIR, f"{nd.name!r} is not a directory")
        if src.is_dir:
            p: Inode | None = nd
            while p is not None:
                if p is src:
                    raise FsError(EINVAL, f"cannot move {oname!r} into itself")
                p = p.parent
        r = self._find(nd, nname)
        dst = self._node(nd, r) if r is not None else None
        if dst is src:  # the same entry: at most a change of case
            if src.name == nname:
                return
        elif dst is not None:
            if src.is_dir and not dst.is_dir:
                raise FsError(ENOTDIR, f"{nname!r} is not a directory")
            if not src.is_dir and dst.is_dir:
                raise FsError(EISDIR, f"{nname!r} is a directory")
            if dst.is_dir:
                self._check_empty(dst, nname)
            self._drop(dst)
        # The new entry first, then the old one goes: ENOSPC leaves the old name in place.
        old_slot = src.slot
        if old_slot is None:
            panic("fat32: renaming the root")
        own = self._entry_short(od, old_slot[1]) if dst is src else None
        short, need_lfn = self._alias(nd, nname, own)
        entries = self._dir_entries(nname, short, need_lfn, src.attr, src.first_cluster,
                                    0 if src.is_dir else src.size, src.wdate, src.wtime)
        index = self._free_run(nd, len(entries))
        self._write_entries(nd, index, entries)
        self._mark_free(od, old_slot[2], old_slot[1])
        self._nodes.pop(src.ino, None)
        short_index = index + len(entries) - 1
        src.parent, src.name = nd, nname
        src.slot = (nd.first_cluster, short_index, index)
        src.ino = self._ino(nd, short_index)
        self._nodes[src.ino] = src
        if src.is_dir and od is not nd:  # point its '..' at the new parent
            parent_c = 0 if nd is self.root else nd.first_cluster
            chain = self._chain(src)
            self._write_chain(chain, DIRENT_SIZE + DIR_FST_CLUS_HI,
                              struct.pack("<H", parent_c >> 16))
            self._write_chain(chain, DIRENT_SIZE + DIR_FST_CLUS_LO,
                              struct.pack("<H", parent_c & 0xFFFF))

    def stat(self, node: Inode) -> Stat:
        if node.is_dir:
            mode = S_IFDIR | DIR_PERM
        else:
            mode = S_IFREG | (READ_ONLY_PERM if node.attr & ATTR_READ_ONLY else FILE_PERM)
        nclus = len(self._chain(node))
        return Stat(node.ino, mode, (2 if node.is_dir else 1) if node.nlink else 0, node.size,
                    self.cluster_size, nclus * self.sectors_per_cluster,
                    unix_time(node.wdate, node.wtime))

    def statfs(self) -> tuple[int, int, int]:
        """(cluster size in bytes, clusters in the volume, free clusters)."""
        return self.cluster_size, self.nclusters, self.free_clusters

    def sync(self) -> None:
        """Write everything back in the crash-safe order of "Crash safety", FSInfo's free count
        last (left unknown while an orphan is on the disk), then flush the device."""
        self._write_back()
        if not self._orphans:
            self._write_fsinfo(self.free_clusters)
        self.dev.flush()

    # ---- ordered write-back (see "Crash safety") ---------------------------------------------

    def _write_back(self) -> None:
        """Steps 0 to 4 of a sync: every change on the disk, FSInfo's free count unknown."""
        if not self._fat_dirty and not self.cache.ndirty:
            return
        self._prepare_writes()
        self.cache.write_back()
        self._write_fat(_CUT)
        self._write_fat(_FREE)
        self._pending_free.clear()

    def _prepare_writes(self) -> None:
        """Steps 0 to 2: what must be on the disk before any block an entry on it points to."""
        self._write_fsinfo(FSI_UNKNOWN)
        self.cache.write_back(self._is_fresh)
        self._write_fat(_TAKE)
        self._write_fat(_EXTEND)

    def _before_eviction(self, lba: int) -> None:
        """The cache writes back dirty block lba to make room: steps 0 to 2 first."""
        if not self._is_fresh(lba):
            self._prepare_writes()

    def _is_fresh(self, lba: int) -> bool:
        """Is block lba in a cluster taken since the last sync (that nothing on the disk owns)?"""
        if lba < self.data_start:
            return False
        c = (lba - self.data_start) // self.sectors_per_cluster + FIRST_CLUSTER
        return (c <= self.max_cluster and self.disk_fat[c] & FAT_MASK == FAT_FREE
                and self.fat[c] & FAT_MASK != FAT_FREE)

    def _write_fat(self, upto: int) -> None:
        """Write to every FAT copy the changes of class `upto` or lower (_change_class) in the
        dirty FAT sectors; the others keep their values on the disk for now."""
        per = BLOCK_SIZE // FAT_ENTRY_SIZE
        fat, disk = self.fat, self.disk_fat
        copies = range(self.num_fats) if self.mirrored else [self.active_fat]
        for s in sorted(self._fat_dirty):
            lo, hi = s * per, (s + 1) * per
            sector = disk[lo:hi]
            changed = False
            for i in range(lo, hi):
                new, old = fat[i] & FAT_MASK, disk[i] & FAT_MASK
                if new != old and _change_class(old, new) <= upto:
                    sector[i - lo] = fat[i]
                    changed = True
            if not changed:
                continue
            disk[lo:hi] = sector
            if sys.byteorder != "little":
                sector.byteswap()
            for k in copies:
                self.dev.write_blocks(self.reserved_sectors + k * self.fat_sectors + s,
                                      sector.tobytes())
        if upto == _FREE:
            self._fat_dirty.clear()

    # ---- recovery after a crash (see "Crash safety") -----------------------------------------

    def _recover(self) -> Recovery:
        """Repair what an unfinished sync can leave; nothing if the volume has other damage."""
        rec = Recovery()
        try:
            orphans, long, strays, owned = self._recovery_walk()
            lost = [c for c in range(FIRST_CLUSTER, self.max_cluster + 1)
                    if self._get(c) not in (FAT_FREE, FAT_BAD) and c not in owned]
        except FsError as e:
            rec.skipped = str(e)
            return rec
        try:
            for node in orphans:
                self._drop(node)
            for node in long:
                self._cut(node, node.size)
                self._update_entry(node, touch=False)
            for d, i in strays:
                self._mark_free(d, i, i)
            self._free(lost)
            rec.fat_sectors = self._mirror_fat()
            self.sync()
        except (FsError, BlockDeviceError) as e:
            rec.skipped = f"while repairing: {e}"
            return rec
        rec.orphans, rec.cut_chains, rec.stray_names = len(orphans), len(long), len(strays)
        rec.lost_clusters = len(lost)
        return rec

    def _recovery_walk(self) -> tuple[list[Inode], list[Inode], list[tuple[Inode, int]],
                                      set[int]]:
        """(orphans, files with chains longer than their size, stray LFN entries as
        (directory, index), every cluster owned) of the whole tree; FsError on damage a
        crash of ours cannot leave (a cluster owned twice, a chain that is broken)."""
        owned = set(self._chain(self.root))
        orphans: list[Inode] = []
        long: list[Inode] = []
        strays: list[tuple[Inode, int]] = []
        todo = [self.root]
        while todo:
            d = todo.pop()
            lost: list[int] = []
            for r in self._scan(d, orphans=True, strays=lost):
                if r.short in (SHORT_DOT, SHORT_DOTDOT):
                    continue
                node = self._node(d, r)
                chain = self._chain(node)
                if owned.intersection(chain):
                    raise FsError(EIO, f"{node.name!r} shares clusters with another entry")
                owned.update(chain)
                if is_orphan(r.short, r.attr):
                    orphans.append(node)
                elif node.is_dir:
                    todo.append(node)
                elif len(chain) * self.cluster_size >= node.size + self.cluster_size:
                    long.append(node)
            strays += [(d, i) for i in lost]
        return orphans, long, strays, owned

    def _mirror_fat(self) -> int:
        """Copy the active FAT over the other copies where they differ; sectors written."""
        if not self.mirrored or self.num_fats < 2:
            return 0
        n = self.fat_used_sectors
        active = array("I", self.disk_fat)
        if sys.byteorder != "little":
            active.byteswap()
        want = active.tobytes()
        written = 0
        for k in range(self.num_fats):
            if k == self.active_fat:
                continue
            start = self.reserved_sectors + k * self.fat_sectors
            have = self.dev.read_blocks(start, n)
            for s in range(n):
                part = want[s * BLOCK_SIZE:(s + 1) * BLOCK_SIZE]
                if have[s * BLOCK_SIZE:(s + 1) * BLOCK_SIZE] != part:
                    self.dev.write_blocks(start + s, part)
                    written += 1
        return written
