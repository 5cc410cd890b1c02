"""Kernel invariants: one that breaks stops the kernel with a message that names it (xv6's
`panic`), instead of running on with corrupt state. Not for what a program or a disk image can
cause: those are errno values (kernel/libk/errno.py) or FsError (kernel/fs/fat32.py)."""

from __future__ import annotations

from typing import NoReturn


class KernelPanic(RuntimeError):
    """A broken kernel invariant: a bug of the kernel, never of its user."""


def panic(what: str) -> NoReturn:
    raise KernelPanic(what)
