"""The virtual file system: path names, the mount table, and the open-file objects.

Mounts: a FAT32 volume at / (kernel/fs/fat32.py, on the IOC through kernel/devices/iodev.py)
and devfs at /dev, which holds the terminals tty0..tty3 (docs/TSAR.md, "Disk image"). Paths
are resolved against the caller's working directory, lexically ('..' of / is /).

Every descriptor of a process's table is an object with `read(kernel, thread, core, buf,
count)`, `write(kernel, thread, core, data)`, `close()` and a reference count `refs` (one per
table entry that holds it: dup2 and fork add one, close drops one); kernel/devices/console.py is the
simplest. Here: regular files (an offset of their own, O_APPEND), directory handles (READDIR),
terminals, and the two ends of a pipe. `stat()` and `lseek()` are optional (ESPIPE without).

The buffer cache: one per mounted FAT32 volume (kernel/devices/blockdev.py's BlockCache), owned by
the I/O cluster, where the IOC and its bounce buffer are. It is write-back; the VFS syncs it
when the last descriptor of a file opened for writing is closed, on FSYNC, when a process
exits and at power-off, so "a write reaches the image on fsync, close, exit and power-off".
Every FS change is made whole inside one system call, so a guest that crashes between calls
leaves the file system consistent.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from stat import S_IFCHR, S_IFDIR, S_IFIFO
from typing import TYPE_CHECKING

from almos.kernel.devices.blockdev import BlockDeviceError
from almos.kernel.devices.console import Console
from almos.kernel.fs.fat32 import Fat32, FsError, Inode
from almos.kernel.libk import errno as E
from almos.kernel.libk.errno import SysError
from almos.kernel.libk.outcome import BLOCK, NORETURN
from almos.kernel.libk.panic import panic

if TYPE_CHECKING:
    from almos.emulator.core import Core
    from almos.kernel.devices.iodev import IocBlockDevice
    from almos.kernel.kern.kernel import Kernel
    from almos.kernel.kern.process import Thread

# open() flags (docs/ABI.md)
O_ACCMODE, O_RDONLY, O_WRONLY, O_RDWR = 3, 0, 1, 2
O_APPEND, O_CREAT, O_TRUNC, O_EXCL = 0x8, 0x100, 0x200, 0x400
SEEK_SET, SEEK_CUR, SEEK_END = 0, 1, 2

# struct almos_stat / almos_dirent (docs/ABI.md)
SIGPIPE = 13
DT_CHR, DT_DIR, DT_REG = 2, 4, 8
STAT_FORMAT = "<8I"
DIRENT_NAME = 255                        # bytes of d_name, its NUL included
DIRENT_FORMAT = f"<IB{DIRENT_NAME}s"

PATH_MAX = 4096
NAME_MAX = 255
DEV_MOUNT = "dev"                        # devfs is mounted at /dev
DEV_FAT, DEV_DEVFS, DEV_PIPE = 1, 2, 3   # st_dev of each file system
TTY_NAMES = ("tty0", "tty1", "tty2", "tty3")
TTY_MODE = S_IFCHR | 0o666
DEVDIR_MODE = S_IFDIR | 0o755
DEVDIR_INO, TTY_INO_BASE = 1, 2          # devfs inode numbers
PIPE_SIZE = 16384                        # bytes a pipe buffers before its writer blocks
PIPE_MODE = S_IFIFO | 0o600


@dataclass(frozen=True)
class Stat:
    dev: int
    ino: int
    mode: int
    nlink: int
    size: int
    blksize: int
    blocks: int
    mtime: int

    def pack(self) -> bytes:
        return struct.pack(STAT_FORMAT, self.dev, self.ino & 0xFFFF_FFFF, self.mode, self.nlink,
                           self.size, self.blksize, self.blocks, self.mtime & 0xFFFF_FFFF)


@contextmanager
def fs_errors() -> Iterator[None]:
    """File system and disk failures become the system call's errno."""
    try:
        yield
    except FsError as e:
        raise SysError(e.errno) from None
    except BlockDeviceError:
        raise SysError(E.EIO) from None


def core_cxy(k: Kernel, th: Thread) -> int:
    return k.topo.core_cxy(th.gid)


# ---- open-file objects -------------------------------------------------------------------------
class OpenFile:
    """What every VFS descriptor object shares: the reference count and the default answers."""

    def __init__(self) -> None:
        self.refs = 1

    def read(self, k: Kernel, th: Thread, core: Core, buf: int, count: int) -> object:
        raise SysError(E.EBADF)

    def write(self, k: Kernel, th: Thread, core: Core, data: bytes) -> object:
        raise SysError(E.EBADF)

    def lseek(self, offset: int, whence: int) -> int:
        raise SysError(E.ESPIPE)

    def fsync(self) -> None:
        """Nothing to write back by default."""

    def stat(self) -> Stat:
        raise NotImplementedError

    def close(self) -> None:
        self.refs -= 1
        if self.refs < 0:
            panic(f"vfs: {type(self).__name__} closed more often than opened")
        if self.refs == 0:
            self.release()

    def release(self) -> None:
        """The last descriptor is gone."""


class RegularFile(OpenFile):
    """A FAT32 file: its inode, an offset of its own, the access mode of its open()."""

    def __init__(self, vfs: Vfs, node: Inode, flags: int) -> None:
        super().__init__()
        self.vfs = vfs
        self.node = node
        vfs.opened[id(node)] = vfs.opened.get(id(node), 0) + 1
        acc = flags & O_ACCMODE
        self.readable = acc in (O_RDONLY, O_RDWR)
        self.writable = acc in (O_WRONLY, O_RDWR)
        self.append = bool(flags & O_APPEND)
        self.offset = 0

    def read_at(self, offset: int, size: int) -> bytes:
        """Up to size bytes of the file from offset, whatever the descriptor's offset (a file
        mapping's page); file system and disk failures as SysError."""
        with fs_errors():
            return self.vfs.fs_().read(self.node, offset, size)

    def write_at(self, offset: int, data: bytes) -> None:
        """data into the file at offset (a shared mapping's page written back)."""
        with fs_errors():
            self.vfs.fs_().write(self.node, offset, data)
        self.vfs.dirty = True

    def read(self, k: Kernel, th: Thread, core: Core, buf: int, count: int) -> int:
        if not self.readable:
            raise SysError(E.EBADF)
        with fs_errors():
            data = self.vfs.fs_().read(self.node, self.offset, count)
        th.process.vmm.copy_out(buf, data, core.cxy)
        self.offset += len(data)
        return len(data)

    def write(self, k: Kernel, th: Thread, core: Core, data: bytes) -> int:
        if not self.writable:
            raise SysError(E.EBADF)
        if self.append:
            self.offset = self.node.size
        with fs_errors():
            n = self.vfs.fs_().write(self.node, self.offset, data)
        self.vfs.dirty = True
        self.offset += n
        return n

    def lseek(self, offset: int, whence: int) -> int:
        base = {SEEK_SET: 0, SEEK_CUR: self.offset, SEEK_END: self.node.size}.get(whence)
        if base is None or base + offset < 0:
            raise SysError(E.EINVAL)
        self.offset = base + offset
        return self.offset

    def fsync(self) -> None:
        self.vfs.sync()

    def stat(self) -> Stat:
        return self.vfs.fat_stat(self.node)

    def release(self) -> None:
        opened = self.vfs.opened
        opened[id(self.node)] -= 1
        if not opened[id(self.node)]:
            del opened[id(self.node)]
            if self.node.nlink == 0:                # unlinked while open: its data goes now
                with fs_errors():
                    self.vfs.fs_().release(self.node)
                self.vfs.dirty = True
                self.vfs.sync()
                return
        if self.writable:
            self.vfs.sync()


@dataclass(frozen=True)
class Dirent:
    name: str
    ino: int
    type: int

    def pack(self) -> bytes:
        name = self.name.encode()[:DIRENT_NAME - 1]
        return struct.pack(DIRENT_FORMAT, self.ino & 0xFFFF_FFFF, self.type, name)


class DirFile(OpenFile):
    """A directory handle (OPENDIR): the listing taken at open time, and a position in it."""

    def __init__(self, entries: list[Dirent], st: Stat) -> None:
        super().__init__()
        self.entries = entries
        self.pos = 0
        self._stat = st

    def read(self, k: Kernel, th: Thread, core: Core, buf: int, count: int) -> int:
        raise SysError(E.EISDIR)

    def write(self, k: Kernel, th: Thread, core: Core, data: bytes) -> int:
        raise SysError(E.EBADF)

    def next_entry(self) -> Dirent | None:
        if self.pos >= len(self.entries):
            return None
        self.pos += 1
        return self.entries[self.pos - 1]

    def lseek(self, offset: int, whence: int) -> int:
        if whence != SEEK_SET or offset < 0:
            raise SysError(E.EINVAL)
        self.pos = offset
        return offset

    def stat(self) -> Stat:
        return self._stat


class TtyFile(Console):
    """/dev/ttyN: the console object of kernel/devices/console.py, with a devfs stat and no seek."""

    def lseek(self, offset: int, whence: int) -> int:
        raise SysError(E.ESPIPE)

    def fsync(self) -> None:
        """A terminal has nothing to write back."""

    def stat(self) -> Stat:
        return tty_stat(self.channel, self.interactive)


def tty_stat(channel: int, interactive: bool = True) -> Stat:
    """A terminal is a character device; one the host feeds from a pipe or a file reads as a
    FIFO, so that the guest's isatty() says no and the shell does not prompt."""
    mode = TTY_MODE if interactive else S_IFIFO | 0o666
    return Stat(DEV_DEVFS, TTY_INO_BASE + channel, mode, 1, 0, 0, 0, 0)


# ---- pipes ---------------------------------------------------------------------------------
@dataclass(eq=False)
class _Writer:
    th: Thread
    data: bytes
    done: int = 0


class Pipe:
    """A bounded byte buffer between the two ends of a pipe, and the threads waiting on it.

    A reader blocks while the buffer is empty and a writer is left; it gets 0 (end of file) once
    every write end is closed. A writer blocks until all its bytes are in the buffer; with no
    read end left it is killed by SIGPIPE, as on Linux, or gets EPIPE if it ignores SIGPIPE
    (or the count written so far).
    """

    ino_next = 1

    def __init__(self, k: Kernel) -> None:
        self.k = k
        self.buf = bytearray()
        self.readers = 1
        self.writers = 1
        self.rwait: deque[tuple[Thread, int, int]] = deque()
        self.wwait: deque[_Writer] = deque()
        self.ino = Pipe.ino_next
        Pipe.ino_next += 1

    def read(self, th: Thread, core: Core, buf: int, count: int) -> object:
        if count == 0:
            return 0
        if self.buf:
            n = min(count, len(self.buf))
            th.process.vmm.copy_out(buf, bytes(self.buf[:n]), core.cxy)
            del self.buf[:n]
            self.pump()
            return n
        if self.writers == 0 and not self.buf:
            return 0
        th.process.vmm.user_pa(buf, True, core.cxy)          # EFAULT now, not at wake-up
        self.rwait.append((th, buf, count))
        th.waiting_on = "pipe read"
        return BLOCK

    def write(self, th: Thread, core: Core, data: bytes) -> object:
        if self.readers == 0:
            if SIGPIPE in th.process.ignored:
                raise SysError(E.EPIPE)
            self.k.exit_process(th.process, 128 + SIGPIPE, signal=SIGPIPE)
            return NORETURN
        if not data:
            return 0
        w = _Writer(th, data)
        if not self.wwait:
            self._fill(w)
        self.pump()                      # before queueing: the pump wakes only blocked threads
        if w.data:
            self.wwait.append(w)
            th.waiting_on = "pipe write"
            return BLOCK
        return w.done

    def _fill(self, w: _Writer) -> None:
        room = PIPE_SIZE - len(self.buf)
        if room > 0 and w.data:
            self.buf += w.data[:room]
            w.done += min(room, len(w.data))
            w.data = w.data[room:]

    def pump(self) -> None:
        """Serve the blocked readers and writers as far as the buffer allows."""
        k = self.k
        progress = True
        while progress:
            progress = False
            while self.rwait and (self.buf or self.writers == 0):
                th, va, count = self.rwait.popleft()
                if not th.blocked:
                    continue
                data = bytes(self.buf[:count])
                try:
                    th.process.vmm.copy_out(va, data, core_cxy(k, th))
                except SysError as e:
                    k.make_runnable(th, (-1, e.errno))
                    continue
                del self.buf[:len(data)]
                k.make_runnable(th, (len(data), 0))
                progress = True
            while self.wwait:
                w = self.wwait[0]
                if not w.th.blocked:
                    self.wwait.popleft()
                    continue
                if self.readers == 0:
                    self.wwait.popleft()
                    if w.done:
                        k.make_runnable(w.th, (w.done, 0))
                    elif SIGPIPE in w.th.process.ignored:
                        k.make_runnable(w.th, (-1, E.EPIPE))
                    else:
                        k.exit_process(w.th.process, 128 + SIGPIPE, signal=SIGPIPE)
                    continue
                before = w.done
                self._fill(w)
                if w.done != before:
                    progress = True
                if w.data:
                    break
                self.wwait.popleft()
                k.make_runnable(w.th, (w.done, 0))

    def stat(self) -> Stat:
        return Stat(DEV_PIPE, self.ino, PIPE_MODE, 1, len(self.buf), PIPE_SIZE, 0, 0)


class PipeEnd(OpenFile):
    def __init__(self, pipe: Pipe, writing: bool) -> None:
        super().__init__()
        self.pipe = pipe
        self.writing = writing

    def read(self, k: Kernel, th: Thread, core: Core, buf: int, count: int) -> object:
        if self.writing:
            raise SysError(E.EBADF)
        return self.pipe.read(th, core, buf, count)

    def write(self, k: Kernel, th: Thread, core: Core, data: bytes) -> object:
        if not self.writing:
            raise SysError(E.EBADF)
        return self.pipe.write(th, core, data)

    def stat(self) -> Stat:
        return self.pipe.stat()

    def release(self) -> None:
        if self.writing:
            self.pipe.writers -= 1
        else:
            self.pipe.readers -= 1
        self.pipe.pump()


def make_pipe(k: Kernel) -> tuple[PipeEnd, PipeEnd]:
    """(read end, write end) of a new pipe."""
    p = Pipe(k)
    return PipeEnd(p, False), PipeEnd(p, True)


def stat_of(f: object) -> Stat:
    """fstat of any descriptor object (a kernel/devices/console.py Console included)."""
    st = getattr(f, "stat", None)
    if st is not None:
        return st()
    if isinstance(f, Console):
        return tty_stat(f.channel, f.interactive)
    raise SysError(E.EBADF)


# ---- the name space --------------------------------------------------------------------------
@dataclass(frozen=True)
class DevNode:
    """A devfs name: the /dev directory itself (channel None) or a terminal."""

    channel: int | None


Node = Inode | DevNode | None        # None: the root when no volume is mounted


class Vfs:
    """The mount table (FAT32 at /, devfs at /dev) and the path operations of sysfile.py."""

    def __init__(self, k: Kernel, fs: Fat32 | None = None,
                 dev: IocBlockDevice | None = None) -> None:
        self.k = k
        self.fs = fs
        self.dev = dev
        self.dirty = False                 # FAT32 state changed since the last sync
        self.opened: dict[int, int] = {}   # id(inode) -> open regular files on it
        self.ntty = min(len(TTY_NAMES), k.machine.tty.nchannels)

    def fs_(self) -> Fat32:
        if self.fs is None:
            raise SysError(E.ENOENT)
        return self.fs

    # ---- paths
    @staticmethod
    def components(cwd: str, path: str) -> list[str]:
        """The canonical components of path, relative to cwd if it is not absolute."""
        if not path:
            raise SysError(E.ENOENT)
        if len(path.encode()) >= PATH_MAX:
            raise SysError(E.ENAMETOOLONG)
        parts = [] if path.startswith("/") else [c for c in cwd.split("/") if c]
        for c in path.split("/"):
            if c in ("", "."):
                continue
            if c == "..":
                if parts:
                    parts.pop()
                continue
            if len(c.encode()) > NAME_MAX:
                raise SysError(E.ENAMETOOLONG)
            parts.append(c)
        return parts

    def lookup(self, parts: list[str]) -> Node:
        if parts and parts[0] == DEV_MOUNT:
            if len(parts) == 1:
                return DevNode(None)
            if len(parts) == 2 and parts[1] in TTY_NAMES[:self.ntty]:
                return DevNode(TTY_NAMES.index(parts[1]))
            raise SysError(E.ENOTDIR if len(parts) > 2 and parts[1] in TTY_NAMES
                           else E.ENOENT)
        if self.fs is None:
            if parts:
                raise SysError(E.ENOENT)
            return None
        node = self.fs.root
        with fs_errors():
            for c in parts:
                node = self.fs.lookup(node, c)
        return node

    def _parent(self, parts: list[str]) -> tuple[Inode, str]:
        """The FAT32 directory holding the last component, and that name."""
        if not parts:
            raise SysError(E.EBUSY)
        if parts[0] == DEV_MOUNT:
            raise SysError(E.EPERM)
        d = self.lookup(parts[:-1])
        if not isinstance(d, Inode):
            raise SysError(E.ENOENT)
        if not d.is_dir:
            raise SysError(E.ENOTDIR)
        return d, parts[-1]

    def _is_dir(self, node: Node) -> bool:
        return node is None or (isinstance(node, DevNode) and node.channel is None) or \
            (isinstance(node, Inode) and node.is_dir)

    # ---- stat
    def fat_stat(self, node: Inode) -> Stat:
        with fs_errors():
            s = self.fs_().stat(node)
        return Stat(DEV_FAT, s.ino, s.mode, s.nlink, s.size, s.blksize, s.blocks, s.mtime)

    def stat_node(self, node: Node) -> Stat:
        if isinstance(node, Inode):
            return self.fat_stat(node)
        if isinstance(node, DevNode) and node.channel is not None:
            return tty_stat(node.channel, self.k.machine.tty.interactive(node.channel))
        ino = DEVDIR_INO if isinstance(node, DevNode) else 1
        return Stat(DEV_DEVFS, ino, DEVDIR_MODE, 2, 0, 0, 0, 0)

    def stat(self, cwd: str, path: str) -> Stat:
        return self.stat_node(self.lookup(self.components(cwd, path)))

    # ---- open
    def open(self, cwd: str, path: str, flags: int) -> object:
        acc = flags & O_ACCMODE
        if acc == O_ACCMODE:
            raise SysError(E.EINVAL)
        parts = self.components(cwd, path)
        try:
            node = self.lookup(parts)
        except SysError as e:
            if e.errno != E.ENOENT or not flags & O_CREAT:
                raise
            d, name = self._parent(parts)
            with fs_errors():
                node = self.fs_().create(d, name)
            self.dirty = True
            return RegularFile(self, node, flags)
        if flags & O_CREAT and flags & O_EXCL:
            raise SysError(E.EEXIST)
        if self._is_dir(node):
            if acc != O_RDONLY:
                raise SysError(E.EISDIR)
            return self.opendir_node(parts, node)
        if isinstance(node, DevNode):
            if node.channel is None:
                panic("vfs: a device node without a channel")
            mode = {O_RDONLY: "stdin", O_WRONLY: "stdout"}.get(acc, "rw")
            return TtyFile(node.channel, mode, self.k.machine.tty.interactive(node.channel))
        if not isinstance(node, Inode):
            panic(f"vfs: open of a {type(node).__name__}")
        if flags & O_TRUNC and acc != O_RDONLY and node.size:
            with fs_errors():
                self.fs_().truncate(node, 0)
            self.dirty = True
        return RegularFile(self, node, flags)

    def opendir(self, cwd: str, path: str) -> DirFile:
        parts = self.components(cwd, path)
        node = self.lookup(parts)
        if not self._is_dir(node):
            raise SysError(E.ENOTDIR)
        return self.opendir_node(parts, node)

    def opendir_node(self, parts: list[str], node: Node) -> DirFile:
        st = self.stat_node(node)
        parent = self.stat_node(self.lookup(parts[:-1])) if parts else st
        entries = [Dirent(".", st.ino, DT_DIR), Dirent("..", parent.ino, DT_DIR)]
        if isinstance(node, DevNode):
            entries += [Dirent(TTY_NAMES[c], TTY_INO_BASE + c, DT_CHR)
                        for c in range(self.ntty)]
        else:
            if isinstance(node, Inode):
                with fs_errors():
                    listing = self.fs_().readdir(node)
                entries += [Dirent(e.name, e.ino, DT_DIR if e.is_dir else DT_REG)
                            for e in listing]
            if not parts and not any(e.name == DEV_MOUNT for e in entries):
                entries.append(Dirent(DEV_MOUNT, DEVDIR_INO, DT_DIR))
        return DirFile(entries, st)

    def read_file(self, cwd: str, path: str) -> bytes:
        """A whole regular file (exec)."""
        node = self.lookup(self.components(cwd, path))
        if not isinstance(node, Inode) or node.is_dir:
            raise SysError(E.EACCES)
        with fs_errors():
            return self.fs_().read(node, 0, node.size)

    # ---- name space changes
    def mkdir(self, cwd: str, path: str) -> None:
        d, name = self._named(cwd, path, E.EEXIST)
        with fs_errors():
            self.fs_().mkdir(d, name)
        self.dirty = True

    def _named(self, cwd: str, path: str, at_root: int) -> tuple[Inode, str]:
        """(parent directory, name) of a path that must name an entry: / and /dev are not
        (at_root: the errno for them, which depends on the call)."""
        parts = self.components(cwd, path)
        if not parts or parts == [DEV_MOUNT]:
            raise SysError(at_root)
        return self._parent(parts)

    def unlink(self, cwd: str, path: str) -> None:
        d, name = self._named(cwd, path, E.EISDIR)
        with fs_errors():
            fs = self.fs_()
            node = fs.lookup(d, name)
            fs.unlink(d, name, keep_data=id(node) in self.opened)
        self.dirty = True

    def rmdir(self, cwd: str, path: str) -> None:
        if path.rstrip("/").endswith("/.") or path.rstrip("/") == ".":
            raise SysError(E.EINVAL)
        d, name = self._named(cwd, path, E.EBUSY)
        with fs_errors():
            self.fs_().rmdir(d, name)
        self.dirty = True

    def chdir(self, cwd: str, path: str) -> str:
        """The new working directory, canonical."""
        parts = self.components(cwd, path)
        if not self._is_dir(self.lookup(parts)):
            raise SysError(E.ENOTDIR)
        return "/" + "/".join(parts)

    # ---- durability
    def sync(self) -> None:
        """Write the buffer cache, the FAT and FSInfo back to the disk (if anything changed)."""
        if self.fs is None or not self.dirty:
            return
        with fs_errors():
            self.fs.sync()
        self.dirty = False

    def power_off(self) -> None:
        """The machine stops: everything on the disk, the image file made durable."""
        try:
            self.sync()
        finally:
            if self.dev is not None:
                self.dev.power_off()


def vfs_of(k: Kernel) -> Vfs:
    """The kernel's VFS; one with devfs alone if nothing was mounted (no disk)."""
    v = getattr(k, "vfs", None)
    if v is None:
        v = Vfs(k)
        k.vfs = v  # type: ignore[attr-defined]
    return v
