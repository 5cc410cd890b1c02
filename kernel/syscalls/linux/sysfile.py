"""Linux file system calls (docs/LINUX.md), on the kernel's VFS (kernel/fs/vfs.py) and its
descriptor objects: paths relative to a directory descriptor (the *at calls), Linux's stat64,
statx and linux_dirent64 layouts, fcntl's descriptor flags, the terminal ioctls, vectored I/O.
Calls ALMOS has too (read, write, close, lseek, pipe, dup2, fsync ...) go to the same services.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from almos.kernel.devices.console import Console
from almos.kernel.fs.vfs import (
    DirFile,
    PipeEnd,
    RegularFile,
    Stat,
    Vfs,
    fs_errors,
    make_pipe,
    stat_of,
)
from almos.kernel.libk import errno as E
from almos.kernel.libk.errno import SysError
from almos.kernel.syscalls.linux import abi
from almos.kernel.syscalls.linux.abi import AT_FDCWD, o32, stack_arg
from almos.kernel.syscalls.syscalls import YIELD, put_u32, s32, sys_read, sys_write
from almos.kernel.syscalls.sysfile import (
    OPEN_MAX,
    _fd,
    _path,
    install_fd,
    sys_close,
    sys_dup2,
    sys_fsync,
    sys_lseek,
    vfs_of,
)

if TYPE_CHECKING:
    from almos.emulator.core import Core
    from almos.kernel.kern.kernel import Kernel
    from almos.kernel.kern.process import Process, Thread

TCGETS, TCSETS, TCSETSW, TCSETSF = 0x540D, 0x540E, 0x540F, 0x5410
TIOCGWINSZ, TIOCSWINSZ, TIOCGPGRP, TIOCSPGRP = 0x40087468, 0x80087467, 0x40047477, 0x80047476
FIONREAD = 0x467F
WINSIZE = (24, 80)
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC = 0, 1, 2, 3, 4, 1030
F_GETLK, F_SETLK, F_SETLKW = 14, 6, 7
POLLIN, POLLOUT, POLLNVAL = 1, 4, 0x20
POLLFD = struct.Struct("<ihh")
IOVEC = struct.Struct("<II")
IOV_MAX = 1024
# termios of an interactive terminal: ICRNL | IXON, OPOST | ONLCR, CS8 | CREAD | B38400,
# ISIG | ICANON | ECHO | ECHOE | ECHOK | IEXTEN | ECHOCTL | ECHOKE (MIPS values)
TERMIOS_DEFAULT = (0x500, 0x5, 0xBF, 0x8A3B)
TERMIOS_CC = bytes([3, 0x1C, 0x7F, 0x15, 1, 0, 0, 0, 0x11, 0x13, 0x1A, 0, 0x12, 0x0F, 0x17,
                    0x16, 4, 0, 0, 0, 0, 0, 0])
LFLAG_ICANON, LFLAG_ECHO = 0x2, 0x8                  # MIPS values


# ---- paths ----------------------------------------------------------------------------------
def at_path(k: Kernel, th: Thread, core: Core, dirfd: int, path_va: int) -> tuple[str, str]:
    """(directory, path) for a *at call: the process's cwd, or the directory dirfd names."""
    path = _path(th, core, path_va)
    dirfd = s32(dirfd & 0xFFFF_FFFF)          # a register, or AT_FDCWD from a caller here
    if path.startswith("/") or dirfd == AT_FDCWD:
        return th.process.cwd, path
    return dir_path(th.process, dirfd), path


def dir_path(p: Process, fd: int) -> str:
    f = _fd(p, fd)
    base = getattr(f, "linux_path", None)
    if base is None:
        raise SysError(E.ENOTDIR)
    return base


def _stat_at(k: Kernel, th: Thread, core: Core, dirfd: int, path_va: int, flags: int) -> Stat:
    if flags & abi.AT_EMPTY_PATH and path_va and not th.process.vmm.read_str(path_va,
                                                                            core.cxy):
        if s32(dirfd & 0xFFFF_FFFF) == AT_FDCWD:
            return vfs_of(k).stat(th.process.cwd, ".")
        return stat_of(_fd(th.process, dirfd))
    return vfs_of(k).stat(*at_path(k, th, core, dirfd, path_va))


# ---- open, close, descriptors ---------------------------------------------------------------
@o32("openat")
def sys_openat(k: Kernel, th: Thread, core: Core, dirfd: int, path_va: int, flags: int,
               mode: int):
    cwd, path = at_path(k, th, core, dirfd, path_va)
    vfs = vfs_of(k)
    f = vfs.open(cwd, path, flags & abi.O_KEPT)
    if isinstance(f, DirFile):
        f.linux_path = "/" + "/".join(Vfs.components(cwd, path))  # type: ignore[attr-defined]
    elif flags & abi.O_DIRECTORY:
        _close_obj(f)
        raise SysError(E.ENOTDIR)
    fd = install_fd(th.process, f)
    _set_cloexec(th.process, fd, bool(flags & abi.O_CLOEXEC))
    return fd


@o32("open")
def sys_open(k, th, core, path_va, flags, mode, *_):
    return sys_openat(k, th, core, AT_FDCWD, path_va, flags, mode)


@o32("creat")
def sys_creat(k, th, core, path_va, mode, *_):
    return sys_open(k, th, core, path_va, 0x301, mode)       # O_WRONLY | O_CREAT | O_TRUNC


def _close_obj(f: object) -> None:
    close = getattr(f, "close", None)
    if close is not None:
        close()


def _set_cloexec(p: Process, fd: int, on: bool) -> None:
    if on:
        p.linux.cloexec.add(fd)
    else:
        p.linux.cloexec.discard(fd)


@o32("close")
def sys_close_l(k, th, core, fd, *_):
    sys_close(k, th, core, fd)
    th.process.linux.cloexec.discard(s32(fd))
    return 0


def _dup_to(p: Process, f: object, lowest: int) -> int:
    f.refs += 1  # type: ignore[attr-defined]
    return install_fd(p, f, lowest)


@o32("dup")
def sys_dup(k, th, core, fd, *_):
    return _dup_to(th.process, _fd(th.process, fd), 0)


@o32("dup2")
def sys_dup2_l(k, th, core, old, new, *_):
    fd = sys_dup2(k, th, core, old, new)
    if fd != s32(old):
        th.process.linux.cloexec.discard(fd)
    return fd


@o32("dup3")
def sys_dup3(k, th, core, old, new, flags, *_):
    if s32(old) == s32(new):
        raise SysError(E.EINVAL)
    fd = sys_dup2_l(k, th, core, old, new)
    _set_cloexec(th.process, fd, bool(flags & abi.O_CLOEXEC))
    return fd


@o32("fcntl")
def sys_fcntl(k: Kernel, th: Thread, core: Core, fd: int, cmd: int, arg: int, *_):
    p = th.process
    f = _fd(p, fd)
    fd = s32(fd)
    if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
        if not 0 <= s32(arg) < OPEN_MAX:
            raise SysError(E.EINVAL)
        new = _dup_to(p, f, arg)
        _set_cloexec(p, new, cmd == F_DUPFD_CLOEXEC)
        return new
    if cmd == F_GETFD:
        return abi.FD_CLOEXEC if fd in p.linux.cloexec else 0
    if cmd == F_SETFD:
        _set_cloexec(p, fd, bool(arg & abi.FD_CLOEXEC))
        return 0
    if cmd == F_GETFL:
        return _status_flags(f)
    if cmd in (F_SETFL, F_SETLK, F_SETLKW):
        return 0                      # O_NONBLOCK is not kept; locks always granted
    if cmd == F_GETLK:
        return 0
    raise SysError(E.EINVAL)


o32("fcntl64")(sys_fcntl)


def _status_flags(f: object) -> int:
    if isinstance(f, RegularFile):
        acc = 2 if f.readable and f.writable else 1 if f.writable else 0
        return acc | (0x8 if f.append else 0)
    if isinstance(f, PipeEnd):
        return 1 if f.writing else 0
    if isinstance(f, Console):
        return {"stdin": 0, "stdout": 1, "stderr": 1}.get(f.mode, 2)
    return 0


@o32("ioctl")
def sys_ioctl(k: Kernel, th: Thread, core: Core, fd: int, req: int, arg: int, *_):
    f = _fd(th.process, fd)
    vmm = th.process.vmm
    tty = isinstance(f, Console) and f.interactive
    if req == FIONREAD and isinstance(f, PipeEnd | Console):
        put_u32(th, core, arg, 0)
        return 0
    if not tty or not isinstance(f, Console):
        raise SysError(abi.ENOTTY)
    tty_dev, ch = k.machine.tty, f.channel
    if req == TCGETS:
        settings = tty_dev.termios.get(ch) \
            or abi.TERMIOS.pack(*TERMIOS_DEFAULT, 0, TERMIOS_CC)
        vmm.copy_out(arg, settings, core.cxy)
        return 0
    if req in (TCSETS, TCSETSW, TCSETSF):  # line mode and echo reach the host's terminal
        settings = vmm.copy_in(arg, abi.TERMIOS.size, core.cxy)
        lflag = abi.TERMIOS.unpack(settings)[3]
        tty_dev.set_termios(ch, settings, bool(lflag & LFLAG_ICANON),
                            bool(lflag & LFLAG_ECHO))
        return 0
    if req in (TIOCSWINSZ, TIOCSPGRP):
        return 0
    if req == TIOCGWINSZ:
        vmm.copy_out(arg, struct.pack("<4H", *WINSIZE, 0, 0), core.cxy)
        return 0
    if req == TIOCGPGRP:
        put_u32(th, core, arg, th.process.pid)
        return 0
    raise SysError(E.EINVAL)


@o32("pipe")
def sys_pipe(k: Kernel, th: Thread, core: Core, *_):
    """o32's pipe() returns its two descriptors in $v0 and $v1."""
    r, w = _pipe_fds(k, th.process)
    core.set_gpr(3, w)
    return r


@o32("pipe2")
def sys_pipe2(k: Kernel, th: Thread, core: Core, out: int, flags: int, *_):
    p = th.process
    for va in (out, out + 4):
        p.vmm.user_pa(va, True, core.cxy)
    r, w = _pipe_fds(k, p)
    put_u32(th, core, out, r)
    put_u32(th, core, out + 4, w)
    for fd in (r, w):
        _set_cloexec(p, fd, bool(flags & abi.O_CLOEXEC))
    return 0


def _pipe_fds(k: Kernel, p: Process) -> tuple[int, int]:
    free = [fd for fd in range(OPEN_MAX) if fd not in p.fds][:2]
    if len(free) < 2:
        raise SysError(E.EMFILE)
    p.fds[free[0]], p.fds[free[1]] = make_pipe(k)
    return free[0], free[1]


# ---- reading and writing --------------------------------------------------------------------
o32("read")(sys_read)
o32("write")(sys_write)
o32("lseek")(sys_lseek)
o32("fsync")(sys_fsync)
o32("fdatasync")(sys_fsync)


def _iovecs(th: Thread, core: Core, iov: int, n: int) -> list[tuple[int, int]]:
    if not 0 <= s32(n) <= IOV_MAX:
        raise SysError(E.EINVAL)
    raw = th.process.vmm.copy_in(iov, IOVEC.size * n, core.cxy) if n else b""
    return [IOVEC.unpack_from(raw, i * IOVEC.size) for i in range(n)]


@o32("writev")
def sys_writev(k: Kernel, th: Thread, core: Core, fd: int, iov: int, n: int, *_):
    """One write of the gathered bytes (so a pipe's writer blocks, and wakes, once)."""
    data = b"".join(th.process.vmm.copy_in(b, ln, core.cxy) for b, ln in
                    _iovecs(th, core, iov, n) if ln)
    return k.write_fd(th, core, s32(fd), data)


@o32("readv")
def sys_readv(k: Kernel, th: Thread, core: Core, fd: int, iov: int, n: int, *_):
    """Into the first buffer that has room (a short read, as Linux may give)."""
    for base, ln in _iovecs(th, core, iov, n):
        if ln:
            return k.read_fd(th, core, s32(fd), base, ln)
    return 0


@o32("_llseek")
def sys_llseek(k: Kernel, th: Thread, core: Core, fd: int, hi: int, lo: int, out: int):
    whence = stack_arg(th, core, 4)
    offset = (s32(hi) << 32) | lo
    pos = sys_lseek(k, th, core, fd, offset, whence)  # type: ignore[call-arg]
    th.process.vmm.copy_out(out, struct.pack("<q", pos), core.cxy)
    return 0


def _at_offset(k: Kernel, th: Thread, core: Core, fd: int, off: int, op) -> object:
    f = _fd(th.process, fd)
    if not isinstance(f, RegularFile):
        raise SysError(E.ESPIPE)
    if off < 0:
        raise SysError(E.EINVAL)
    keep = f.offset
    f.offset = off
    try:
        return op()
    finally:
        f.offset = keep


@o32("pread64")
def sys_pread64(k: Kernel, th: Thread, core: Core, fd: int, buf: int, count: int, _pad: int):
    off = stack_arg(th, core, 4) | stack_arg(th, core, 5) << 32
    return _at_offset(k, th, core, fd, off, lambda: k.read_fd(th, core, s32(fd), buf, count))


@o32("pwrite64")
def sys_pwrite64(k: Kernel, th: Thread, core: Core, fd: int, buf: int, count: int, _pad: int):
    off = stack_arg(th, core, 4) | stack_arg(th, core, 5) << 32
    data = th.process.vmm.copy_in(buf, count, core.cxy)
    return _at_offset(k, th, core, fd, off, lambda: k.write_fd(th, core, s32(fd), data))


@o32("ftruncate64")
def sys_ftruncate64(k: Kernel, th: Thread, core: Core, fd: int, _pad: int, lo: int, hi: int):
    f = _fd(th.process, fd)
    if not isinstance(f, RegularFile) or not f.writable:
        raise SysError(E.EINVAL)
    with fs_errors():
        f.vfs.fs_().truncate(f.node, lo | hi << 32)
    f.vfs.dirty = True
    return 0


@o32("ftruncate")
def sys_ftruncate(k, th, core, fd, length, *_):
    return sys_ftruncate64(k, th, core, fd, 0, length, 0)


@o32("poll")
def sys_poll(k: Kernel, th: Thread, core: Core, fds: int, n: int, timeout: int, *_):
    """Every descriptor is ready for what it asks (a read or write that must wait blocks
    then); an empty set with a timeout gives the core away once."""
    vmm = th.process.vmm
    if n == 0:
        return YIELD if s32(timeout) else 0
    raw = bytearray(vmm.copy_in(fds, POLLFD.size * n, core.cxy))
    ready = 0
    for i in range(n):
        fd, events, _rev = POLLFD.unpack_from(raw, i * POLLFD.size)
        if fd < 0:
            rev = 0
        elif fd not in th.process.fds:
            rev = POLLNVAL
        else:
            rev = events & (POLLIN | POLLOUT)
        struct.pack_into("<h", raw, i * POLLFD.size + 6, rev)
        ready += rev != 0
    vmm.copy_out(fds, bytes(raw), core.cxy)
    return ready


# ---- stat, directories ----------------------------------------------------------------------
def _put(th: Thread, core: Core, va: int, data: bytes) -> int:
    th.process.vmm.copy_out(va, data, core.cxy)
    return 0


@o32("stat64")
def sys_stat64(k, th, core, path_va, out, *_):
    return _put(th, core, out, abi.stat64(vfs_of(k).stat(th.process.cwd,
                                                         _path(th, core, path_va))))


o32("lstat64")(sys_stat64)


@o32("fstat64")
def sys_fstat64(k, th, core, fd, out, *_):
    return _put(th, core, out, abi.stat64(stat_of(_fd(th.process, fd))))


@o32("fstatat64")
def sys_fstatat64(k, th, core, dirfd, path_va, out, flags):
    return _put(th, core, out, abi.stat64(_stat_at(k, th, core, dirfd, path_va, flags)))


@o32("statx")
def sys_statx(k: Kernel, th: Thread, core: Core, dirfd: int, path_va: int, flags: int,
              mask: int):
    out = stack_arg(th, core, 4)
    return _put(th, core, out, abi.statx(_stat_at(k, th, core, dirfd, path_va, flags)))


@o32("getdents64")
def sys_getdents64(k: Kernel, th: Thread, core: Core, fd: int, out: int, count: int, *_):
    d = _fd(th.process, fd)
    if not isinstance(d, DirFile):
        raise SysError(E.ENOTDIR)
    buf = bytearray()
    while d.pos < len(d.entries):
        e = d.entries[d.pos]
        rec = abi.dirent64(e.ino, d.pos + 1, e.type, e.name)
        if len(buf) + len(rec) > count:
            if not buf:
                raise SysError(E.EINVAL)
            break
        buf += rec
        d.pos += 1
    if buf:
        th.process.vmm.copy_out(out, bytes(buf), core.cxy)
    return len(buf)


@o32("getcwd")
def sys_getcwd(k: Kernel, th: Thread, core: Core, buf: int, size: int, *_):
    data = th.process.cwd.encode() + b"\0"
    if size < len(data):
        raise SysError(E.ERANGE)
    th.process.vmm.copy_out(buf, data, core.cxy)
    return len(data)


@o32("chdir")
def sys_chdir(k, th, core, path_va, *_):
    p = th.process
    p.cwd = vfs_of(k).chdir(p.cwd, _path(th, core, path_va))
    return 0


@o32("fchdir")
def sys_fchdir(k, th, core, fd, *_):
    p = th.process
    p.cwd = dir_path(p, fd)
    return 0


@o32("mkdirat")
def sys_mkdirat(k, th, core, dirfd, path_va, mode, *_):
    vfs_of(k).mkdir(*at_path(k, th, core, dirfd, path_va))
    return 0


@o32("mkdir")
def sys_mkdir(k, th, core, path_va, mode, *_):
    return sys_mkdirat(k, th, core, AT_FDCWD, path_va, mode)


@o32("unlinkat")
def sys_unlinkat(k, th, core, dirfd, path_va, flags, *_):
    cwd, path = at_path(k, th, core, dirfd, path_va)
    if flags & abi.AT_REMOVEDIR:
        vfs_of(k).rmdir(cwd, path)
    else:
        vfs_of(k).unlink(cwd, path)
    return 0


@o32("unlink")
def sys_unlink(k, th, core, path_va, *_):
    return sys_unlinkat(k, th, core, AT_FDCWD, path_va, 0)


@o32("rmdir")
def sys_rmdir(k, th, core, path_va, *_):
    return sys_unlinkat(k, th, core, AT_FDCWD, path_va, abi.AT_REMOVEDIR)


@o32("renameat")
def sys_renameat(k: Kernel, th: Thread, core: Core, olddir: int, old_va: int, newdir: int,
                 new_va: int):
    vfs = vfs_of(k)
    src = vfs._named(*at_path(k, th, core, olddir, old_va), E.EBUSY)
    dst = vfs._named(*at_path(k, th, core, newdir, new_va), E.EBUSY)
    with fs_errors():
        vfs.fs_().rename(*src, *dst)
    vfs.dirty = True
    return 0


o32("renameat2")(sys_renameat)          # flags (the fifth argument) are not supported


@o32("rename")
def sys_rename(k, th, core, old_va, new_va, *_):
    return sys_renameat(k, th, core, AT_FDCWD, old_va, AT_FDCWD, new_va)


@o32("faccessat")
def sys_faccessat(k, th, core, dirfd, path_va, mode, *_):
    vfs_of(k).stat(*at_path(k, th, core, dirfd, path_va))      # everything is allowed
    return 0


o32("faccessat2")(sys_faccessat)


@o32("access")
def sys_access(k, th, core, path_va, mode, *_):
    return sys_faccessat(k, th, core, AT_FDCWD, path_va, mode)


@o32("fchmodat")
def sys_fchmodat(k, th, core, dirfd, path_va, mode, *_):
    return sys_faccessat(k, th, core, dirfd, path_va, mode)   # FAT has no modes to change


@o32("chmod")
def sys_chmod(k, th, core, path_va, mode, *_):
    return sys_faccessat(k, th, core, AT_FDCWD, path_va, mode)


@o32("fchmod")
def sys_fchmod(k, th, core, fd, mode, *_):
    _fd(th.process, fd)
    return 0


@o32("readlinkat")
def sys_readlinkat(k, th, core, dirfd, path_va, buf, size):
    vfs_of(k).stat(*at_path(k, th, core, dirfd, path_va))      # FAT has no symbolic links
    raise SysError(E.EINVAL)


@o32("readlink")
def sys_readlink(k, th, core, path_va, buf, size, *_):
    return sys_readlinkat(k, th, core, AT_FDCWD, path_va, buf, size)


@o32("umask")
def sys_umask(k, th, core, mask, *_):
    lp = th.process.linux
    old, lp.umask = lp.umask, mask & 0o777
    return old


@o32("sync")
def sys_sync(k, th, core, *_):
    vfs_of(k).sync()
    return 0


def close_on_exec(p: Process) -> None:
    """execve succeeded: the descriptors marked close-on-exec go."""
    for fd in sorted(p.linux.cloexec):
        f = p.fds.pop(fd, None)
        if f is not None:
            _close_obj(f)
    p.linux.cloexec.clear()
