"""Synchronisation objects: kernel wait queues behind mutexes, condition variables, semaphores,
barriers and read-write locks (ALMOS's sync services). Every object is keyed by its process and
its user-space address, created on first use (a zero-filled user object is a valid one).

The mutex shares a word with user space (docs/ABI.md): 0 free, 1 locked, 2 locked and maybe
waited for; libc takes and releases it without a system call when nobody waits.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from almos.kernel.kern.process import Thread


@dataclass(eq=False)
class Mutex:
    waiters: deque[Thread] = field(default_factory=deque)


@dataclass(eq=False)
class Cond:
    waiters: deque[tuple[Thread, int]] = field(default_factory=deque)   # (thread, mutex va)


@dataclass(eq=False)
class Semaphore:
    value: int = 0
    waiters: deque[Thread] = field(default_factory=deque)


@dataclass(eq=False)
class Barrier:
    count: int = 0
    arrived: list[Thread] = field(default_factory=list)


@dataclass(eq=False)
class RwLock:
    readers: int = 0
    writer: Thread | None = None
    waiters: deque[tuple[Thread, bool]] = field(default_factory=deque)  # (thread, wants write)


SyncObject = Mutex | Cond | Semaphore | Barrier | RwLock
