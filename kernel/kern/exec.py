"""Program loading: an ELF image becomes a process's vsegs (code, data, heap, main stack),
filled on demand by page faults; argc, argv and envp are written on the new stack (docs/ABI.md;
a Linux program's stack has its auxiliary vector too, kernel/syscalls/linux/exec.py).
Executable segments are scanned for the long straight-line runs the machine must guard before
they run (emulator/codeguard.py).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

from almos.emulator.codeguard import segment_ranges
from almos.emulator.elf import KIND_LINUX, Elf, ElfError, parse_elf
from almos.kernel.fs.vfs import vfs_of
from almos.kernel.kern.process import Process, Thread
from almos.kernel.libk.errno import E2BIG, ENOEXEC, SysError
from almos.kernel.libk.trace import EXEC
from almos.kernel.mm.vmm import Vmm
from almos.kernel.mm.vseg import USTACK_MAX, USTACK_TOP, Vseg, VsegType

if TYPE_CHECKING:
    from almos.kernel.kern.kernel import Kernel

# How a Linux program starts (its signal trampoline mapped, then its initial stack: image,
# stack pointer, offset of argv), registered by the Linux personality
# (kernel/syscalls/linux/) that sits above this layer; None: Linux programs cannot run.
LINUX_START: Callable[[Vmm, Elf, list[str], list[str]], tuple[bytes, int, int]] | None = None

ARG_MAX = 64 << 10
PAGE = 0x1000
SELF_EXE = "/proc/self/exe"       # the caller's own program (busybox runs its applets so)
SCRIPT = b"#!"                    # "#!INTERPRETER [ARG]": e.g. the image's busybox applets
SCRIPT_LINE_MAX = 256


def exec_image(k: Kernel, p: Process, path: str, argv: list[str]) -> tuple[Elf, list[str]]:
    """The program exec runs for `path`, and its argv: the ELF file; the caller's own
    program for /proc/self/exe; for a "#!" script its interpreter, with argv
    [interpreter, (arg,) path, argv[1:]...] as Linux gives it. ENOEXEC if it is no program."""
    if path == SELF_EXE and p.elf is not None:
        return p.elf, argv
    vfs = vfs_of(k)
    data = vfs.read_file(p.cwd, path)
    if data.startswith(SCRIPT):
        line = data[2:SCRIPT_LINE_MAX].split(b"\n", 1)[0].decode(errors="replace").split()
        if not line:
            raise SysError(ENOEXEC)
        argv = [line[0], *line[1:2], path, *argv[1:]]
        path = line[0]
        data = vfs.read_file(p.cwd, path)
    try:
        return parse_elf(data, path), argv
    except ElfError:
        raise SysError(ENOEXEC) from None


class LoadError(SysError):
    """The program does not fit this kernel's address space layout (ENOEXEC for EXEC; the
    message is one line for the user)."""

    def __init__(self, message: str) -> None:
        super().__init__(ENOEXEC)
        self.message = message

    def __str__(self) -> str:
        return self.message


def check_layout(elf: Elf, name: str) -> None:
    """The main stack's area (docs/ABI.md, "Process start") must be free of segments."""
    low = USTACK_TOP - USTACK_MAX
    for seg in elf.segments:
        if seg.vaddr < USTACK_TOP and seg.vaddr + seg.memsz > low:
            raise LoadError(f"{name}: segment at {seg.vaddr:#x} overlaps the main stack "
                            f"({low:#x}..{USTACK_TOP:#x})")


def build_image(vmm: Vmm, elf: Elf) -> None:
    """Code and data vsegs from the ELF's loadable segments, then an empty heap after them."""
    top = 0
    for seg in elf.segments:
        base = seg.vaddr & ~(PAGE - 1)
        end = (seg.vaddr + seg.memsz + PAGE - 1) & ~(PAGE - 1)
        kind = VsegType.CODE if seg.executable and not seg.writable else VsegType.DATA
        data = elf.segment_bytes(seg)
        vmm.add(Vseg(kind, base, end, seg.writable, seg.executable,
                     file_data=data, file_base=seg.vaddr))
        if seg.executable:
            vmm.k.machine.code_guard.add(segment_ranges(base, end, seg.vaddr, data,
                                                        seg.writable))
            vmm.k.machine.code_guard.add_code(seg.vaddr & ~3, data)
        top = max(top, end)
    vmm.set_heap(top)


def stack_image(argv: list[str], envp: list[str]) -> tuple[bytes, int, int]:
    """The bytes to put just below USTACK_TOP: (image, sp, offset of argv array from sp)."""
    strings = bytearray()
    offs = []
    for s in argv + envp:
        offs.append(len(strings))
        strings += s.encode() + b"\0"
    if len(strings) > ARG_MAX:
        raise SysError(E2BIG)
    nptr = 1 + len(argv) + 1 + len(envp) + 1
    size = (nptr * 4 + len(strings) + 15) & ~15
    sp = USTACK_TOP - 64 - size
    str_base = sp + nptr * 4
    words = [len(argv)] + [str_base + o for o in offs[:len(argv)]] + [0] \
        + [str_base + o for o in offs[len(argv):]] + [0]
    img = struct.pack(f"<{len(words)}I", *words) + bytes(strings)
    return img.ljust(size, b"\0"), sp, 4


def load(k: Kernel, p: Process, elf: Elf, argv: list[str], envp: list[str], gid: int) -> Thread:
    """Give process p this program and a main thread on core gid (p.vmm is fresh)."""
    check_layout(elf, argv[0] if argv else p.name)
    build_image(p.vmm, elf)
    cxy = k.topo.core_cxy(gid)
    p.vmm.add_stack(cxy, main=True)
    if elf.kind == KIND_LINUX:
        if LINUX_START is None:
            raise SysError(ENOEXEC)
        img, sp, argv_off = LINUX_START(p.vmm, elf, argv, envp)
    else:
        img, sp, argv_off = stack_image(argv, envp)
    k.current_cxy = cxy
    p.vmm.copy_out(sp, img, cxy)
    p.elf = elf
    th = Thread(k.new_tid(cxy), p, gid)
    envp_va = sp + 4 * (2 + len(argv))
    th.start_regs = {"pc": elf.entry, "sp": sp, "a0": len(argv), "a1": sp + argv_off,
                     "a2": envp_va, "ra": 0}
    if k.tracer is not None and EXEC in k.tracer.categories:
        k.tracer.event("exec", core=k.machine.core(gid), process=p, argv=list(argv))
    return th

