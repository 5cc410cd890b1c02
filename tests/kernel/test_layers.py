"""The kernel's folders are layers (ALMOS-MK's tree): each module's imports, read with ast,
go only to its own folder or to the folders below it, so there is no import cycle between
folders; kernel/ never imports the CLI (almos/), and emulator/ never imports the kernel.

From the bottom: libk/ (errno, panic, trace classes, service outcomes), mm/ (physical pages,
vsegs, the VMM, placement), devices/ (the block-device interface, the IOC driver, the TTY
console), fs/ (FAT32, the VFS), kern/ (the Kernel, processes, clusters, DQDT, RPC, time,
exec, boot, the GDB target), syscalls/ (the services; they plug into the Kernel through
kern/kernel.py's Services). An import under `if TYPE_CHECKING:` (for annotations only, never
run) may name an upper layer; one anywhere else, a function's body included, may not.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KERNEL = ROOT / "kernel"
LAYERS = ("libk", "mm", "devices", "fs", "kern", "syscalls")     # bottom first
RANK = {folder: i for i, folder in enumerate(LAYERS)}


def _module_name(path: Path) -> str:
    """kernel/mm/vmm.py: almos.kernel.mm.vmm (kernel/ and emulator/ are installed in almos)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["almos", *parts])


def _is_cli(module: str) -> bool:
    """A module of the CLI: almos's own, not the kernel's or the emulator's."""
    parts = module.split(".")
    return parts[0] == "almos" and (len(parts) < 2 or parts[1] not in ("kernel", "emulator"))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(path: Path) -> Iterator[tuple[str, int, bool]]:
    """(module imported, line, type_only) for every import in the file, nested ones too;
    `from a import b` counts as a.b (b may be a module) and as a."""
    tree = ast.parse(path.read_text(), str(path))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            type_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, id(node) in type_only
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            yield base, node.lineno, id(node) in type_only
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno, id(node) in type_only


def folder_of(module: str) -> str | None:
    """The layer folder of a kernel module (almos.kernel.mm.vmm: mm); None for the kernel
    package itself."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 else None


def kernel_files() -> list[Path]:
    return sorted(KERNEL.rglob("*.py"))


def kernel_imports() -> Iterator[tuple[Path, str, str, int, bool]]:
    """(file, its folder, the kernel module imported, line, type_only) for imports of
    kernel modules that exist (a `from a import name` of a class yields a.name too: skipped)."""
    known = {_module_name(f) for f in kernel_files()}
    for f in kernel_files():
        src = folder_of(_module_name(f))
        if src is None:
            continue
        for target, line, type_only in imports(f):
            if target in known and target.startswith("almos.kernel."):
                yield f, src, target, line, type_only


def folder_graph() -> dict[str, set[str]]:
    """Folder -> folders its modules import at run time."""
    graph: dict[str, set[str]] = {}
    for _, src, target, _, type_only in kernel_imports():
        dst = folder_of(target)
        if not type_only and dst is not None and dst != src:
            graph.setdefault(src, set()).add(dst)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that comes back to its start, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        for nxt in sorted(graph.get(node, ())):
            found = visit(nxt, path + [node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return None


def test_every_kernel_module_is_in_a_layer() -> None:
    misplaced = [str(f.relative_to(ROOT)) for f in kernel_files()
                 if f != KERNEL / "__init__.py"
                 and f.relative_to(KERNEL).parts[0] not in RANK]
    assert not misplaced, f"modules outside the layers {LAYERS}: {misplaced}"
    assert (KERNEL / "__init__.py").read_text().count("import") == 0


def test_no_layer_imports_a_layer_above_it() -> None:
    upward = [f"{f.relative_to(ROOT)}:{line} ({src}) imports {target}"
              for f, src, target, line, type_only in kernel_imports()
              if not type_only and RANK[folder_of(target) or src] > RANK[src]]
    assert not upward, "\n".join(upward)


def test_no_import_cycle_between_folders() -> None:
    graph = folder_graph()
    assert set(graph) >= {"mm", "devices", "fs", "kern", "syscalls"}   # the scan sees them
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_kernel_never_imports_the_cli() -> None:
    found = [f"{f.relative_to(ROOT)}:{line} imports {target}"
             for f in kernel_files() for target, line, _ in imports(f)
             if _is_cli(target)]
    assert not found, "\n".join(found)


def test_emulator_never_imports_the_kernel() -> None:
    found = [f"{f.relative_to(ROOT)}:{line} imports {target}"
             for f in sorted((ROOT / "emulator").rglob("*.py")) for target, line, _ in imports(f)
             if target.startswith("almos.kernel") or _is_cli(target)]
    assert not found, "\n".join(found)
