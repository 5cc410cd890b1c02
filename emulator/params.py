"""Tables of named whole-number parameters: the base of the timing model's parameters
(emulator/timing.py) and of the kernel's cost table (kernel/kern/costs.py).

A table is a frozen dataclass of int fields, each followed by its docstring in the source.
The base checks every value (a whole number in 0..MAX), lists the names, makes a copy with
some values changed (unknown names are a ValueError naming the known ones), gives the values
as a dict and the first sentence of a field's docstring (for `almos info`, read from the
source on first use only).
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import fields, replace
from typing import Any, ClassVar, Self

MAX_VALUE = (1 << 24) - 1


class ParamTable:
    """Mixin of a frozen dataclass of int parameters; subclasses set SECTION and WHAT."""

    SECTION: ClassVar[str] = ""          # the preset table and --set prefix, e.g. "timing"
    WHAT: ClassVar[str] = "parameter"    # how an error names one, e.g. "timing parameter"
    _docs: ClassVar[dict[type, dict[str, str]]] = {}

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if not isinstance(v, int) or isinstance(v, bool):
                raise ValueError(f"{self.SECTION}.{f.name} must be a whole number, not {v!r}")
            if not 0 <= v <= MAX_VALUE:
                raise ValueError(f"{self.SECTION}.{f.name}={v}: must be in 0..{MAX_VALUE}")

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]  # type: ignore[arg-type]

    def with_values(self, values: dict[str, Any]) -> Self:
        """A copy with some fields changed; unknown names are a ValueError."""
        unknown = sorted(set(values) - set(self.names()))
        if unknown:
            raise ValueError(f"unknown {self.WHAT}(s): {', '.join(unknown)} "
                             f"(known: {', '.join(self.names())})")
        return replace(self, **values)  # type: ignore[type-var]

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def doc(cls, name: str) -> str:
        """The first sentence of a parameter's description."""
        docs = cls._docs.get(cls)
        if docs is None:
            docs = cls._docs[cls] = _field_docs(cls)
        return docs.get(name, "").split(". ")[0].rstrip(".")


def _field_docs(cls: type) -> dict[str, str]:
    """Attribute docstrings, read from the class's source (kept next to each field)."""
    tree = ast.parse(inspect.getsource(cls))
    docs: dict[str, str] = {}
    body = tree.body[0].body  # type: ignore[attr-defined]
    for a, b in zip(body, body[1:], strict=False):
        if isinstance(a, ast.AnnAssign) and isinstance(a.target, ast.Name) \
                and isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant):
            docs[a.target.id] = " ".join(str(b.value.value).split())
    return docs
