"""File system calls (docs/ABI.md): descriptors, paths, directories, pipes.

Arguments are checked and copied here; the work is the VFS's (kernel/fs/vfs.py). READ and WRITE
stay in syscalls/syscalls.py: they go to the descriptor's object, whatever it is. A kernel booted
without a disk (`almos run`) gets a VFS with devfs only, so /dev/tty0 can still be opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from almos.kernel.fs.vfs import (
    O_CREAT,
    O_TRUNC,
    O_WRONLY,
    PATH_MAX,
    DirFile,
    make_pipe,
    stat_of,
    vfs_of,
)
from almos.kernel.kern.process import Process, Thread
from almos.kernel.libk import errno as E
from almos.kernel.libk.errno import SysError
from almos.kernel.mm.ppm import PAGE_SIZE
from almos.kernel.syscalls.syscalls import put_u32, s32, syscall

if TYPE_CHECKING:
    from almos.emulator.core import Core
    from almos.kernel.kern.kernel import Kernel

SYS_OPEN, SYS_CREAT, SYS_LSEEK, SYS_CLOSE, SYS_UNLINK, SYS_PIPE = 12, 13, 16, 17, 18, 19
SYS_CHDIR, SYS_MKDIR, SYS_MKFIFO, SYS_OPENDIR, SYS_READDIR, SYS_CLOSEDIR = 20, 21, 22, 23, 24, 25
SYS_GETCWD, SYS_GETATTR, SYS_STAT, SYS_RMDIR, SYS_CHMOD, SYS_FSYNC = 26, 38, 42, 45, 47, 48
SYS_DUP2 = 55                      # the project's own (docs/ABI.md)

OPEN_MAX = 64                      # descriptors per process


def _path(th: Thread, core: Core, va: int) -> str:
    """The path at va: EFAULT if it is not readable, ENAMETOOLONG if it has PATH_MAX bytes or
    more (read_str fails with EFAULT both ways: when its first PATH_MAX bytes all read, the
    string was too long)."""
    vmm = th.process.vmm
    try:
        return vmm.read_str(va, core.cxy, PATH_MAX)
    except SysError as e:
        if e.errno != E.EFAULT:
            raise
    for page in range(va - va % PAGE_SIZE, va + PATH_MAX, PAGE_SIZE):
        vmm.user_pa(max(page, va), False, core.cxy)
    raise SysError(E.ENAMETOOLONG)


def _fd(p: Process, fd: int) -> object:
    f = p.fds.get(s32(fd))
    if f is None:
        raise SysError(E.EBADF)
    return f


def install_fd(p: Process, f: object, lowest: int = 0) -> int:
    """Put f in the lowest free slot of p's table (EMFILE if full); f's reference is moved."""
    for fd in range(lowest, OPEN_MAX):
        if fd not in p.fds:
            p.fds[fd] = f
            return fd
    close = getattr(f, "close", None)
    if close is not None:
        close()
    raise SysError(E.EMFILE)


@syscall(SYS_OPEN)
def sys_open(k: Kernel, th: Thread, core: Core, path_va: int, flags: int, mode: int, *_):
    path = _path(th, core, path_va)
    return install_fd(th.process, vfs_of(k).open(th.process.cwd, path, flags))


@syscall(SYS_CREAT)
def sys_creat(k: Kernel, th: Thread, core: Core, path_va: int, mode: int, *_):
    path = _path(th, core, path_va)
    return install_fd(th.process,
                      vfs_of(k).open(th.process.cwd, path, O_WRONLY | O_CREAT | O_TRUNC))


@syscall(SYS_LSEEK)
def sys_lseek(k: Kernel, th: Thread, core: Core, fd: int, offset: int, whence: int, *_):
    f = _fd(th.process, fd)
    lseek = getattr(f, "lseek", None)
    if lseek is None:
        raise SysError(E.ESPIPE)
    return lseek(s32(offset), whence)


@syscall(SYS_CLOSE)
def sys_close(k: Kernel, th: Thread, core: Core, fd: int, *_):
    _fd(th.process, fd)
    f = th.process.fds.pop(s32(fd))
    close = getattr(f, "close", None)
    if close is not None:
        close()
    return 0


@syscall(SYS_CLOSEDIR)
def sys_closedir(k: Kernel, th: Thread, core: Core, fd: int, *_):
    if not isinstance(_fd(th.process, fd), DirFile):
        raise SysError(E.ENOTDIR)
    return sys_close(k, th, core, fd, 0, 0, 0)


@syscall(SYS_UNLINK)
def sys_unlink(k: Kernel, th: Thread, core: Core, path_va: int, *_):
    vfs_of(k).unlink(th.process.cwd, _path(th, core, path_va))
    return 0


@syscall(SYS_MKDIR)
def sys_mkdir(k: Kernel, th: Thread, core: Core, path_va: int, mode: int, *_):
    vfs_of(k).mkdir(th.process.cwd, _path(th, core, path_va))
    return 0


@syscall(SYS_RMDIR)
def sys_rmdir(k: Kernel, th: Thread, core: Core, path_va: int, *_):
    vfs_of(k).rmdir(th.process.cwd, _path(th, core, path_va))
    return 0


@syscall(SYS_MKFIFO)
def sys_mkfifo(k: Kernel, th: Thread, core: Core, *_):
    raise SysError(E.ENOSYS)           # FAT32 cannot hold a FIFO; pipes are anonymous


@syscall(SYS_CHDIR)
def sys_chdir(k: Kernel, th: Thread, core: Core, path_va: int, *_):
    p = th.process
    p.cwd = vfs_of(k).chdir(p.cwd, _path(th, core, path_va))
    return 0


@syscall(SYS_GETCWD)
def sys_getcwd(k: Kernel, th: Thread, core: Core, buf: int, size: int, *_):
    data = th.process.cwd.encode() + b"\0"
    if size < len(data):
        raise SysError(E.ERANGE)
    th.process.vmm.copy_out(buf, data, core.cxy)
    return 0


@syscall(SYS_STAT)
def sys_stat(k: Kernel, th: Thread, core: Core, path_va: int, out: int, *_):
    st = vfs_of(k).stat(th.process.cwd, _path(th, core, path_va))
    th.process.vmm.copy_out(out, st.pack(), core.cxy)
    return 0


@syscall(SYS_CHMOD)
def sys_chmod(k: Kernel, th: Thread, core: Core, path_va: int, mode: int, *_):
    vfs_of(k).stat(th.process.cwd, _path(th, core, path_va))   # FAT has no modes to change
    return 0


@syscall(SYS_GETATTR)
def sys_getattr(k: Kernel, th: Thread, core: Core, fd: int, out: int, *_):
    st = stat_of(_fd(th.process, fd))
    th.process.vmm.copy_out(out, st.pack(), core.cxy)
    return 0


@syscall(SYS_FSYNC)
def sys_fsync(k: Kernel, th: Thread, core: Core, fd: int, *_):
    fsync = getattr(_fd(th.process, fd), "fsync", None)
    if fsync is not None:
        fsync()
    return 0


@syscall(SYS_OPENDIR)
def sys_opendir(k: Kernel, th: Thread, core: Core, path_va: int, *_):
    path = _path(th, core, path_va)
    return install_fd(th.process, vfs_of(k).opendir(th.process.cwd, path))


@syscall(SYS_READDIR)
def sys_readdir(k: Kernel, th: Thread, core: Core, fd: int, out: int, *_):
    d = _fd(th.process, fd)
    if not isinstance(d, DirFile):
        raise SysError(E.ENOTDIR)
    vmm = th.process.vmm
    vmm.user_pa(out, True, core.cxy)                   # EFAULT before the position moves
    entry = d.next_entry()
    if entry is None:
        return 0
    try:
        vmm.copy_out(out, entry.pack(), core.cxy)
    except SysError:
        d.pos -= 1
        raise
    return 1


@syscall(SYS_PIPE)
def sys_pipe(k: Kernel, th: Thread, core: Core, out: int, *_):
    p = th.process
    for va in (out, out + 4):                          # EFAULT before anything is made
        p.vmm.user_pa(va, True, core.cxy)
    free = [fd for fd in range(OPEN_MAX) if fd not in p.fds][:2]
    if len(free) < 2:
        raise SysError(E.EMFILE)
    r, w = make_pipe(k)
    p.fds[free[0]], p.fds[free[1]] = r, w
    put_u32(th, core, out, free[0])
    put_u32(th, core, out + 4, free[1])
    return 0


@syscall(SYS_DUP2)
def sys_dup2(k: Kernel, th: Thread, core: Core, old: int, new: int, *_):
    p = th.process
    f = _fd(p, old)
    new = s32(new)
    if not 0 <= new < OPEN_MAX:
        raise SysError(E.EBADF)
    if new == s32(old):
        return new
    prev = p.fds.get(new)
    f.refs += 1  # type: ignore[attr-defined]
    p.fds[new] = f
    if prev is not None:
        close = getattr(prev, "close", None)
        if close is not None:
            close()
    return new
