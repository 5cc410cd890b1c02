"""The VFS and the file system calls (kernel/fs/vfs.py, kernel/syscalls/sysfile.py) from inside the
guest: tests/kernel/progs/fsprobe.c (errno values, offsets, O_* flags, devfs, pipes, cwd) and the
userland's filetest, on a real image booted with `almos boot`; fsck.fat -n afterwards.
"""

from __future__ import annotations

from conftest import Disk


def _checks(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.endswith(": FAILED") or "FAILED" == line]


def test_fsprobe(disk: Disk, boot) -> None:
    r = boot(disk.path, ["cd /home", "fsprobe", "echo status $?"])
    assert "OK\n" in r.out and "status 0" in r.out, r.out + r.err
    assert not _checks(r.out)
    assert "tty says hi" in r.out
    assert not disk.exists("/home/probe.d")
    disk.fsck()


def test_filetest(disk: Disk, boot) -> None:
    r = boot(disk.path, ["filetest /home", "echo status $?"])
    assert "status 0" in r.out, r.out + r.err
    assert not _checks(r.out)
    disk.fsck()


def test_relative_paths_and_rmdir(disk: Disk, boot) -> None:
    r = boot(disk.path, ["cd /home", "mkdir a", "cd a", "mkdir ../b", "echo x > ../b/f",
                         "cd /", "cat home/b/f", "rm home/b/f", "rmdir home/b", "rmdir home/a",
                         "ls /home"])
    assert "x\n" in r.out
    assert not disk.exists("/home/a") and not disk.exists("/home/b")
    disk.fsck()
