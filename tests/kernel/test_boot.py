"""`almos boot IMAGE` end to end (kernel/kern/boot.py, kernel/devices/iodev.py, the CLI): real
FAT32 images from mkfs.fat + mcopy, the real init and shell reading commands from a pipe,
files crossing between host and guest, fsck.fat -n after every test that writes, and the
one-line errors.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from conftest import LIBC_INTERNAL, ROOT, Disk

BIG_BYTES = 5 * 1024 * 1024 + 1234     # several MiB, not a whole number of clusters


def test_ls_and_exit_status(disk: Disk, boot) -> None:
    r = boot(disk.path, ["ls /bin", "exit 3"])
    assert r.rc == 3, r.err
    for name in ("init", "sh", "hello", "fsprobe"):
        assert f"{name}\n" in r.out
    assert r.err == ""
    disk.fsck()


def test_end_of_input_powers_off(disk: Disk, boot) -> None:
    r = boot(disk.path, ["echo still here"])
    assert r.rc == 0, r.err
    assert "still here" in r.out


def test_halt(disk: Disk, boot) -> None:
    r = boot(disk.path, ["halt", "echo never"])
    assert r.rc == 0 and "never" not in r.out


def test_host_to_guest(disk: Disk, boot, tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("written on the host\nsecond line\n")
    disk.put(f, "/home/notes.txt")
    r = boot(disk.path, ["cat /home/notes.txt", "cd /home", "cat notes.txt"])
    assert r.out.count("written on the host\nsecond line\n") == 2, r.out + r.err


def test_guest_to_host(disk: Disk, boot) -> None:
    r = boot(disk.path, ["echo hi > /home/f", "echo again >> /home/f", "mkdir /home/d",
                         "echo deep > /home/d/g", "echo x > /home/gone", "rm /home/gone"])
    assert r.rc == 0, r.err
    assert disk.get("/home/f") == b"hi\nagain\n"
    assert disk.get("/home/d/g") == b"deep\n"
    assert not disk.exists("/home/gone")
    disk.fsck()


def test_big_copy_and_pipe(disk: Disk, boot, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(BIG_BYTES))
    disk.put(big, "/home/big.bin")
    r = boot(disk.path, ["cp /home/big.bin /home/copy.bin",
                         "cat /home/big.bin | cat > /home/piped.bin",
                         "cat < /home/copy.bin > /home/redir.bin"])
    assert r.rc == 0, r.err
    for name in ("copy.bin", "piped.bin", "redir.bin"):
        out = tmp_path / name
        disk.copy_out(f"/home/{name}", out)
        assert out.read_bytes() == big.read_bytes(), name
    disk.fsck()


def test_pipe_into_program(disk: Disk, boot) -> None:
    """What a program writes into `|` is what the next one reads: cat copies it to a file
    (with `|` ignored, the output would reach the console and the files stay empty)."""
    r = boot(disk.path, ["hello one | cat > /home/hello.txt", "ls /home | cat > /home/ls.txt"])
    assert r.rc == 0, r.err
    piped = disk.get("/home/hello.txt").decode()
    assert "hello from pid" in piped and "argv[1] = one" in piped, piped
    assert "README\n" in disk.get("/home/ls.txt").decode()
    assert "hello from pid" not in r.out, r.out
    disk.fsck()


def test_crash_leaves_fs_clean(disk: Disk, boot) -> None:
    r = boot(disk.path, ["echo before > /home/a", "fault_illegal > /home/b", "echo $?",
                         "echo after > /home/c"])
    assert "killed by SIGILL" in r.err
    assert "132" in r.out
    assert disk.get("/home/a") == b"before\n"
    assert disk.get("/home/c") == b"after\n"
    disk.fsck()


def test_dev_and_cwd(disk: Disk, boot) -> None:
    r = boot(disk.path, ["ls /dev", "cd /home", "pwd", "echo to the console > /dev/tty0"])
    assert "tty0\ntty1\ntty2\ntty3\n" in r.out
    assert "/home\n" in r.out and "to the console" in r.out


def test_image_with_cache_model(disk: Disk, boot) -> None:
    r = boot(disk.path, ["echo cached", "hello | cat", "ls /home"], cache="timing")
    assert "cached" in r.out and "hello from pid" in r.out and "README" in r.out, r.err


# ---- bad input: one line, exit status 2 ---------------------------------------------------------
def _one_line_error(r, text: str) -> None:
    assert r.rc == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("almos: ") and text in lines[0], r.err
    assert "Traceback" not in r.err


def test_missing_image(boot, tmp_path: Path) -> None:
    _one_line_error(boot(tmp_path / "none.img"), "No such file")


def test_not_fat32(boot, tmp_path: Path) -> None:
    bad = tmp_path / "random.img"
    bad.write_bytes(os.urandom(64 * 1024))
    _one_line_error(boot(bad), "not a FAT32 file system")
    empty = tmp_path / "empty.img"
    empty.write_bytes(b"")
    _one_line_error(boot(empty), "not a FAT32 file system")


def test_truncated_image(disk: Disk, boot) -> None:
    os.truncate(disk.path, 64 * 1024 * 1024)
    _one_line_error(boot(disk.path), "truncated")


def test_no_init(boot, tmp_path: Path) -> None:
    img = tmp_path / "noinit.img"
    subprocess.run(["mkfs.fat", "-C", "-F", "32", "-S", "512", "-s", "8", str(img), "266240"],
                   check=True, capture_output=True,
                   env={**os.environ, "PATH": os.environ["PATH"] + ":/usr/sbin:/sbin"})
    _one_line_error(boot(img), "no /bin/init")


def test_cli_help_lists_boot() -> None:
    r = subprocess.run([sys.executable, "-m", "almos.cli", "boot", "--help"], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0 and "--placement" in r.stdout and "IMAGE" in r.stdout


def test_piped_session_has_no_prompt(disk: Disk, boot) -> None:
    """The host feeds the terminal from a pipe: isatty() is false in the guest, no prompt."""
    r = boot(disk.path, ["echo one", "echo two"])
    assert r.out.endswith("one\ntwo\n") and "$ " not in r.out, r.out


def test_terminal_session_prompts(disk: Disk) -> None:
    """On a host terminal (a pty here) the shell prompts, as for a person typing."""
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([sys.executable, "-m", "almos.cli", "boot", "--cache", "off",
                              str(disk.path)], stdin=slave, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=ROOT)
        os.write(master, b"echo typed\nexit 5\n")
        out, err = p.communicate(timeout=120)
    finally:
        os.close(master)
        os.close(slave)
    assert p.returncode == 5, err
    assert b"$ typed\n$ " in out, out


def test_run_with_a_disk(disk: Disk) -> None:
    """`almos run --disk IMAGE`: a program run directly gets the image as its file system,
    and what it wrote is on the image afterwards."""
    r = subprocess.run([sys.executable, "-m", "almos.cli", "run", "--cache", "off", "--disk",
                        str(disk.path), str(ROOT / "userland" / "build" / "filetest"), "/home"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0 and r.stdout.rstrip().endswith("OK"), r.stdout + r.stderr
    disk.fsck()
    r = subprocess.run([sys.executable, "-m", "almos.cli", "run", "--disk", "/nonexistent.img",
                        str(ROOT / "userland" / "build" / "hello")], capture_output=True,
                       text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "disk image" in r.stderr


def test_syscall_fuzz_never_crashes_the_kernel(disk: Disk, tmp_path: Path) -> None:
    """Every system call number with hostile arguments (bad pointers, huge sizes, odd fds,
    with a file system mounted): each is answered as docs/ABI.md says ($v1 0, or $v0 -1 and
    a documented errno), the program ends normally, the image stays consistent. Then the
    classes of input the ABI gives an errno: ENOSYS, EBADF, EFAULT (GET_CONFIG and GET_CORE
    take NULL as "do not store")."""
    exe = tmp_path / "sysfuzz"
    subprocess.run([str(ROOT / "libc_stubs" / "almos-gcc"), "-O1", "-I", str(LIBC_INTERNAL),
                    "-o", str(exe), str(Path(__file__).parent / "progs" / "sysfuzz.c")], check=True,
                   capture_output=True)
    for extra in ([], ["--disk", str(disk.path)]):
        r = subprocess.run([sys.executable, "-m", "almos.cli", "run", "--cache", "off", "-t",
                            "2x2x2", *extra, str(exe)], capture_output=True, text=True,
                           cwd=ROOT, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "fuzz: 4320 calls answered" in r.stdout
        assert "errno checks: 4406, wrong 0" in r.stdout, r.stdout
        assert "Traceback" not in r.stderr
    disk.fsck()


def test_unlink_while_open(disk: Disk, tmp_path: Path) -> None:
    exe = tmp_path / "unlink_open"
    subprocess.run([str(ROOT / "libc_stubs" / "almos-gcc"), "-O2", "-o", str(exe),
                    str(Path(__file__).parent / "progs" / "unlink_open.c")], check=True,
                   capture_output=True)
    before = subprocess.run(["fsck.fat", "-n", str(disk.path)], capture_output=True,
                            text=True).stdout.splitlines()[-1]
    r = subprocess.run([sys.executable, "-m", "almos.cli", "run", "--cache", "off", "--disk",
                        str(disk.path), str(exe)], capture_output=True, text=True, cwd=ROOT,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == ("unlink: 0\nstat after unlink: -1\nread after unlink: 8 q\n"
                        "write after unlink: 4\nsize: 65536\nclose: 0\n")
    assert not disk.exists("/home/tmpfile")
    disk.fsck()
    after = subprocess.run(["fsck.fat", "-n", str(disk.path)], capture_output=True,
                           text=True).stdout.splitlines()[-1]
    assert before.split(",")[1] == after.split(",")[1]        # every cluster came back


def test_shell_refuses_what_would_lose_data(disk: Disk, boot) -> None:
    """cp onto itself (it would empty the file), an over-long line (it would run cut),
    bad numbers for sleep and exit: errors, not damage."""
    r = boot(disk.path, ["echo " + "y" * 3000 + " | cat > /home/long",
                         "cp /bin/hello /bin/hello", "echo cp $?", "sleep -1", "echo sleep $?",
                         "hello", "exit abc"])
    # the guest's stderr is its terminal, /dev/tty0: the host's stdout
    assert "line: too long" in r.out and not disk.exists("/home/long")
    assert "same file" in r.out and "cp 1" in r.out
    assert "sleep 2" in r.out and "numeric argument required" in r.out
    assert "argc 1" in r.out                    # hello still runs: the copy did not empty it
    assert r.rc == 2
    disk.fsck()


def test_exec_on_a_chosen_core(disk: Disk, boot) -> None:
    """`exec -p N prog` runs prog on core N of the 2x2x4 machine (whereami reports it)."""
    r = boot(disk.path, ["exec -p 99 hello", "echo $?", "exec -p 3 whereami",
                         "exec -p 14 whereami", "exec -p 3 hello"])
    assert "Invalid argument" in r.out and "\n127\n" in r.out
    assert "ran on core 3 (cxy 0 lid 3)\n" in r.out, r.out
    assert "ran on core 14 (cxy 0x11 lid 2)\n" in r.out, r.out
    assert "envp 3" in r.out                    # ALMOS_CORE is a request, not in the program's


def test_ctrl_d_on_a_terminal_ends_one_read(disk: Disk) -> None:
    """On a terminal, Ctrl-D ends the input of the program reading (cat > file), not the
    session: the shell goes on (typed like a person: a line at a time)."""
    import time
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([sys.executable, "-m", "almos.cli", "boot", "--cache", "off",
                              str(disk.path)], stdin=slave, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=ROOT)
        for keys in (b"cat > /home/typed.txt\n", b"line one\n", b"\x04", b"echo after $?\n",
                     b"exit 6\n"):
            time.sleep(1.5)
            os.write(master, keys)
        out, err = p.communicate(timeout=120)
    finally:
        os.close(master)
        os.close(slave)
    assert p.returncode == 6, err
    assert b"after 0" in out
    assert disk.get("/home/typed.txt") == b"line one\n"
    disk.fsck()
