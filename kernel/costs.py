"""What kernel work costs: the cycles the kernel charges the cores it runs on.

ALMOS's kernel runs here as Python in the cores' traps, which takes no emulated time by
itself; this table says how many cycles each piece of kernel work costs on TSAR, so that a
system call, a page fault or a context switch shows in the clocks. Costs that touch memory
(zeroing or copying pages, walking page tables) go through the cache model when one is on.
No published ALMOS figures exist: every default is a documented guess (docs/TIMING.md).

Set in machine presets (a `[kernel]` table) or with `--set kernel.NAME=VALUE`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

MAX_COST = (1 << 24) - 1


@dataclass(frozen=True)
class KernelCosts:
    """Cycles of kernel work, charged to the core that does it."""

    syscall_entry: int = 60
    """Trap entry and exit of a system call: save and restore of the user context, the
    dispatch through the system call table. Guess (~60 MIPS instructions)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, int) or isinstance(v, bool):
                raise ValueError(f"kernel.{f.name} must be a whole number, not {v!r}")
            if not 0 <= v <= MAX_COST:
                raise ValueError(f"kernel.{f.name}={v}: must be in 0..{MAX_COST}")

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def with_values(self, values: dict[str, Any]) -> KernelCosts:
        """A copy with some fields changed; unknown names are a ValueError."""
        unknown = sorted(set(values) - set(self.names()))
        if unknown:
            raise ValueError(f"unknown kernel cost(s): {', '.join(unknown)} "
                             f"(known: {', '.join(self.names())})")
        return replace(self, **values)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
