"""Processes and threads (ALMOS's process and thread descriptors).

A PID is the owner cluster in the high 16 bits and a local index in the low 16 bits; a thread
id is its core's cluster in the high 16 bits and a per-cluster index below. A thread is bound
to one core at a time (chosen by the DQDT or pinned by its attributes; it moves when it asks to,
or when the load balancer moves it). Its CPU state lives in the core while it runs, and in a
saved Unicorn context while it does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from almos.kernel.mm.vmm import Vmm
    from almos.kernel.mm.vseg import Vseg


class State(Enum):
    RUNNABLE = "runnable"
    RUNNING = "running"
    BLOCKED = "blocked"
    ZOMBIE = "zombie"          # exited, waiting to be joined
    DEAD = "dead"


@dataclass(eq=False)
class Thread:
    tid: int
    process: Process
    gid: int                                  # the core it runs on (or waits for)
    state: State = State.RUNNABLE
    ctx: Any = None                           # saved Unicorn context, None before its first run
    start_regs: dict[str, int] = field(default_factory=dict)
    result: tuple[int, int] | None = None     # (v0, errno) to deliver when it runs again
    detached: bool = False
    joiner: Thread | None = None
    join_out: int = 0                         # where the joiner wants the value (user pointer)
    exit_value: int = 0
    stack: Vseg | None = None
    wake_at: int | None = None                # sleeping until this cycle of its core
    waiting_on: str = ""
    instructions: int = 0
    cycles: int = 0
    syscalls: int = 0
    kernel_cycles: int = 0                    # of its cycles, the kernel's work (kern/ktime.py)
    switches: int = 0
    migrations: int = 0                       # times it moved to another core
    fork_flags: int = 0                       # where its forks go (FORK_PLACE, syscalls/sysproc.py)
    fork_cpu: int = -1
    created_at: int = 0
    linux: Any = None                         # a Linux o32 thread's state (kernel/syscalls/linux/)
    _in_instr: int = 0                        # core counters when switched in
    _in_cycles: int = 0

    @property
    def alive(self) -> bool:
        return self.state not in (State.ZOMBIE, State.DEAD)

    @property
    def blocked(self) -> bool:
        """Waiting (on a pipe, the TTY, a lock...): a wake-up for it is still due."""
        return self.state is State.BLOCKED


@dataclass(eq=False)
class Process:
    pid: int
    name: str
    owner: int                                # owner cluster cxy
    vmm: Vmm
    argv: list[str] = field(default_factory=list)
    threads: dict[int, Thread] = field(default_factory=dict)
    peak_threads: int = 0               # most threads alive at once (--stats)
    parent: Process | None = None
    children: list[Process] = field(default_factory=list)
    fds: dict[int, Any] = field(default_factory=dict)
    cwd: str = "/"
    exit_status: int | None = None            # Linux-encoded wait status once it has exited
    killed_by: str = ""
    waiters: list[Thread] = field(default_factory=list)
    elf: Any = None
    ignored: set[int] = field(default_factory=set)   # signals set to SIG_IGN (fork keeps them)
    wait_queue: list[Any] = field(default_factory=list)  # threads in WAIT for a child (sysproc)
    linux: Any = None                         # a Linux o32 process's state (kernel/syscalls/linux/)

    @property
    def live_threads(self) -> list[Thread]:
        return [t for t in self.threads.values() if t.alive]
