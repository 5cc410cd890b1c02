"""Trace events: what the kernel tells an observer about its work, for `--trace`.

The kernel formats nothing and knows nothing of who listens: it calls
`tracer.event(kind, **fields)` on the observer in `Kernel.tracer` (None: no calls at all)
for the categories in the observer's `categories`, and almos/trace.py writes the lines.

| category   | kind      | fields |
|------------|-----------|--------|
| `syscalls` | `syscall` | core, thread, nr, args (a0..a3), result (None: not yet), errno |
| `faults`   | `fault`   | core, thread, vaddr, access (read, write, fetch), handled |
| (always)   | `kill`    | core, thread, signal (its name), reason, pc: a user fault kills |
| `sched`    | `switch`  | core, thread (switched in), prev (the one before, or None) |
| `rpc`      | `rpc`     | name (the request), client, server (cxy) |
| `exec`     | `exec`    | core, process, argv (a process starts a program: spawn or exec) |
| `exec`     | `exit`    | process, status (its wait status) |

`kill` goes to every observer: the CLI names the faulting function and line and prints a
backtrace from it while the process's memory is still there.
"""

from __future__ import annotations

from typing import Any, Protocol

SYSCALLS, FAULTS, SCHED, RPC, EXEC = "syscalls", "faults", "sched", "rpc", "exec"
CATEGORIES = (SYSCALLS, FAULTS, SCHED, RPC, EXEC)


class Observer(Protocol):
    """What the kernel calls; categories says which events it wants (kill: always)."""

    categories: frozenset[str]

    def event(self, kind: str, **fields: Any) -> None: ...
