"""Linux o32 ABI facts the personality needs: the system call numbers it serves (4000 + n, from
arch/mips/kernel/syscalls/syscall_o32.tbl), flag values and struct layouts (stat64, statx,
linux_dirent64, timespec, utsname, rlimit, termios), and the helpers that read a call's
fifth and sixth arguments (o32 passes them on the user stack, at $sp + 16 and $sp + 20).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

from almos.kernel.fs.vfs import S_IFCHR, S_IFDIR, Stat
from almos.kernel.syscalls.linux import BASE, TABLE
from almos.kernel.syscalls.syscalls import Handler

if TYPE_CHECKING:
    from almos.emulator.core import Core
    from almos.kernel.kern.process import Thread

# ---- system call numbers (o32; BASE + n) -----------------------------------------------------
NR = {
    "exit": 1, "fork": 2, "read": 3, "write": 4, "open": 5, "close": 6, "waitpid": 7,
    "creat": 8, "unlink": 10, "execve": 11, "chdir": 12, "time": 13, "chmod": 15,
    "lseek": 19, "getpid": 20, "getuid": 24, "alarm": 27, "pause": 29, "access": 33,
    "sync": 36, "kill": 37, "rename": 38, "mkdir": 39, "rmdir": 40, "dup": 41, "pipe": 42,
    "times": 43, "brk": 45, "getgid": 47, "geteuid": 49, "getegid": 50, "ioctl": 54,
    "fcntl": 55, "setpgid": 57, "umask": 60, "dup2": 63, "getppid": 64, "getpgrp": 65,
    "setsid": 66, "getrlimit": 76, "getrusage": 77, "gettimeofday": 78, "readlink": 85,
    "mmap": 90, "munmap": 91, "ftruncate": 93, "fchmod": 94, "stat": 106, "lstat": 107,
    "fstat": 108, "wait4": 114, "sysinfo": 116, "fsync": 118, "clone": 120, "uname": 122,
    "mprotect": 125, "getpgid": 132, "fchdir": 133, "_llseek": 140, "getdents": 141,
    "_newselect": 142, "readv": 145, "writev": 146, "cacheflush": 147, "getsid": 151,
    "fdatasync": 152, "sched_yield": 162, "nanosleep": 166, "mremap": 167, "poll": 188,
    "prctl": 192, "rt_sigreturn": 193, "rt_sigaction": 194, "rt_sigprocmask": 195,
    "pread64": 200, "pwrite64": 201, "getcwd": 203, "sigaltstack": 206, "mmap2": 210,
    "ftruncate64": 212, "stat64": 213, "lstat64": 214, "fstat64": 215, "madvise": 218,
    "getdents64": 219, "fcntl64": 220, "gettid": 222, "tkill": 236, "futex": 238,
    "sched_getaffinity": 240, "exit_group": 246, "set_tid_address": 252,
    "clock_gettime": 263, "clock_getres": 264, "clock_nanosleep": 265, "tgkill": 266,
    "set_thread_area": 283, "openat": 288, "mkdirat": 289, "fstatat64": 293,
    "unlinkat": 294, "renameat": 295, "readlinkat": 298, "fchmodat": 299, "faccessat": 300,
    "pselect6": 301, "ppoll": 302, "dup3": 327, "pipe2": 328, "prlimit64": 338,
    "renameat2": 351, "getrandom": 353, "statx": 366, "clock_gettime64": 403,
    "clock_getres_time64": 406, "clock_nanosleep_time64": 407, "futex_time64": 422,
    "faccessat2": 439,
    # asked for by glibc's start-up, not served (ENOSYS): named for --trace
    "set_robust_list": 309, "rseq": 367,
}
NAMES = {BASE + n: name for name, n in NR.items()}

# ---- errno values the generic table (kernel/libk/errno.py) lacks, in generic numbering ----
EXDEV, ENOTTY, ETIMEDOUT, EOPNOTSUPP = 18, 25, 110, 95

# ---- flags -----------------------------------------------------------------------------------
AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EMPTY_PATH = 0x100, 0x200, 0x1000
O_NONBLOCK, O_DIRECTORY, O_CLOEXEC = 0x80, 0x10000, 0x80000
O_KEPT = 0x70F                   # access mode, O_APPEND, O_CREAT, O_TRUNC, O_EXCL: as the VFS's
FD_CLOEXEC = 1

# ---- struct layouts --------------------------------------------------------------------------
STAT64 = struct.Struct("<I12xQIIIII12xqiIiIiIII4xq")         # 104 bytes
STATX = struct.Struct("<IIQIIIH2xQQQQ")                      # up to stx_attributes_mask
STATX_TS = struct.Struct("<qI4x")
STATX_SIZE = 256
STATX_BASIC_STATS = 0x7FF
DIRENT64 = struct.Struct("<QqHB")                            # then the name, NUL, padding
TIMESPEC32, TIMESPEC64 = struct.Struct("<ii"), struct.Struct("<qq")
UTSNAME_FIELD = 65
TERMIOS = struct.Struct("<IIIIB23s")                         # MIPS: NCCS = 23
DEV_RDEV_TTY = (4 << 8) | 64                                 # major 4, minor 64 + channel


def stat64(st: Stat) -> bytes:
    rdev = DEV_RDEV_TTY + st.ino if st.mode & 0o170000 == S_IFCHR else 0
    return STAT64.pack(st.dev, st.ino, st.mode, st.nlink, 0, 0, rdev, st.size,
                       st.mtime, 0, st.mtime, 0, st.mtime, 0, st.blksize or 4096,
                       st.blocks)


def statx(st: Stat) -> bytes:
    head = STATX.pack(STATX_BASIC_STATS, st.blksize or 4096, 0, st.nlink, 0, 0,
                      st.mode & 0xFFFF, st.ino, st.size, st.blocks, 0)
    ts = STATX_TS.pack(st.mtime, 0)
    rdev = DEV_RDEV_TTY + st.ino if st.mode & 0o170000 == S_IFCHR else 0
    tail = struct.pack("<IIII", rdev >> 8, rdev & 0xFF, st.dev >> 8, st.dev & 0xFF)
    return (head + ts * 4 + tail).ljust(STATX_SIZE, b"\0")


def dirent64(ino: int, off: int, dtype: int, name: str) -> bytes:
    raw = name.encode()
    reclen = (DIRENT64.size + len(raw) + 1 + 7) & ~7
    return (DIRENT64.pack(ino, off, reclen, dtype) + raw + b"\0").ljust(reclen, b"\0")


def is_dir(st: Stat) -> bool:
    return st.mode & 0o170000 == S_IFDIR


def stack_arg(th: Thread, core: Core, i: int) -> int:
    """The i-th argument (from 0) of the current call when i >= 4: o32 puts it on the stack."""
    va = core.gpr(29) + 4 * i
    return int.from_bytes(th.process.vmm.copy_in(va, 4, core.cxy), "little")


def o32(name: str) -> Callable[[Handler], Handler]:
    """Register a handler for the o32 call `name`."""
    def register(fn: Handler) -> Handler:
        TABLE[BASE + NR[name]] = fn
        return fn
    return register
