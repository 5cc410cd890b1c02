"""Error numbers the kernel returns in $v1 (Linux numbering, docs/ABI.md)."""

EPERM = 1
ENOENT = 2
ESRCH = 3
EINTR = 4
EIO = 5
E2BIG = 7
ENOEXEC = 8
EBADF = 9
ECHILD = 10
EAGAIN = 11
ENOMEM = 12
EACCES = 13
EFAULT = 14
EBUSY = 16
EEXIST = 17
ENODEV = 19
ENOTDIR = 20
EISDIR = 21
EINVAL = 22
EMFILE = 24
EFBIG = 27
ENOSPC = 28
ESPIPE = 29
EPIPE = 32
ERANGE = 34
EDEADLK = 35
ENAMETOOLONG = 36
ENOSYS = 38
ENOTEMPTY = 39


NAMES = {v: k for k, v in dict(globals()).items() if k[:1] == "E" and isinstance(v, int)}


def errno_name(errno: int) -> str:
    """'ENOENT' for 2; the number itself for one this kernel does not name."""
    return NAMES.get(errno, str(errno))


class SysError(Exception):
    """A system call fails with this errno."""

    def __init__(self, errno: int) -> None:
        super().__init__(errno)
        self.errno = errno
