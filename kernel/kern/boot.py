"""The boot sequence of `almos boot IMAGE` (docs/TSAR.md, "Disk image", "Userland"), the
kernel's side of it: almos/session.py builds the machine and kernel, then calls these.

Mount the image's FAT32 volume at / through the IOC driver (kernel/devices/iodev.py), devfs at /dev,
then start /bin/init with descriptors 0, 1 and 2 on /dev/tty0 (TTY channel 0, the host's
terminal). The machine powers off when no process is left (Kernel.exit_process); then the
buffer cache, the FAT and FSInfo are written back and the image file is made durable.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

from almos.emulator.elf import ElfError, parse_elf
from almos.kernel.devices.blockdev import BLOCK_SIZE, BlockDeviceError
from almos.kernel.devices.iodev import IocBlockDevice
from almos.kernel.fs.fat32 import Fat32, FsError
from almos.kernel.fs.vfs import TtyFile, Vfs
from almos.kernel.kern.exec import LoadError
from almos.kernel.libk import errno as E
from almos.kernel.libk.errno import SysError

if TYPE_CHECKING:
    from almos.emulator.machine import Machine
    from almos.kernel.kern.kernel import Kernel
    from almos.kernel.kern.process import Process

INIT = "/bin/init"
CONSOLE_CHANNEL = 0                     # /dev/tty0
INIT_ENV = ["PATH=/bin", "HOME=/", "TERM=dumb"]
STD_FDS = (0, 1, 2)


class BootError(Exception):
    """The image cannot be booted; the message is one line for the user."""


def check_image(image: str) -> None:
    """Fail early, with a clear message, on an image that cannot be a FAT32 disk."""
    try:
        st = os.stat(image)
    except OSError as e:
        raise BootError(f"cannot open disk image {image}: {e.strerror}") from None
    if not os.path.isfile(image):
        raise BootError(f"{image}: not a disk image file")
    if not os.access(image, os.R_OK | os.W_OK):
        raise BootError(f"cannot open disk image {image}: permission denied (read and write)")
    if st.st_size < BLOCK_SIZE:
        raise BootError(f"{image}: not a FAT32 file system: {st.st_size} bytes, "
                        "less than one sector")


def mount_root(kernel: Kernel, image: str) -> Vfs:
    """The image's FAT32 volume at / and devfs at /dev, on a kernel whose machine has the
    image as its disk (`almos boot`, `almos run --disk`: almos/session.py's mount). The
    caller powers the Vfs off at the end."""
    dev = IocBlockDevice(kernel)
    try:
        fs = Fat32(dev, clock=lambda: int(time.time()))
    except FsError as e:
        dev.power_off()
        raise BootError(f"{image}: {e}") from None
    except BlockDeviceError as e:
        dev.power_off()
        raise BootError(f"{image}: cannot read the disk: {e}") from None
    if fs.recovered is not None and fs.recovered.summary():
        print(f"almos: {image}: {fs.recovered.summary()}", file=sys.stderr)
    vfs = Vfs(kernel, fs, dev)
    kernel.vfs = vfs  # type: ignore[attr-defined]
    return vfs


def start_init(machine: Machine, kernel: Kernel, vfs: Vfs, image: str) -> Process:
    """Spawn /bin/init from the mounted image, descriptors 0, 1 and 2 on /dev/tty0."""
    try:
        data = vfs.read_file("/", INIT)
    except SysError as e:
        if e.errno in (E.ENOENT, E.ENOTDIR):
            raise BootError(f"{image}: no {INIT} on the disk (the image needs userland "
                            "programs: make -C userland, then make -C images)") from None
        why = os.strerror(e.errno)
        if e.errno == E.EIO:
            why += " (the image is damaged: fsck.fat -n tells more)"
        raise BootError(f"{image}: cannot read {INIT}: {why}") from None
    try:
        elf = parse_elf(data, INIT)
    except ElfError as e:
        raise BootError(f"{image}: {INIT}: {e}") from None
    try:
        p = kernel.spawn(elf, [INIT], INIT_ENV)
    except LoadError as e:
        raise BootError(f"{image}: {e}") from None
    kernel.init_process = p  # type: ignore[attr-defined]   # Ctrl-C spares it
    for f in p.fds.values():
        f.close()
    console = TtyFile(CONSOLE_CHANNEL, "rw", machine.tty.interactive(CONSOLE_CHANNEL))
    console.refs = len(STD_FDS)
    p.fds = {fd: console for fd in STD_FDS}
    return p
