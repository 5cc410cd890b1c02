"""The shell (userland/sh.c) on a booted image: pipelines of several programs (their output
compared with the host's for the same data), ';', '&&' and '||', and on a terminal (a pty)
the history and line-editing keys.
"""

from __future__ import annotations

import os
import pty
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ALMOS_GCC, ROOT, Disk

# Two text filters, built for ALMOS here and matched by the host's `rev` and `tr a-z A-Z`.
FILTERS = {
    "rev": r"""
#include <stdio.h>
int main(void)
{
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        int n = 0;
        while (line[n] && line[n] != '\n')
            n++;
        for (int i = n - 1; i >= 0; i--)
            putchar(line[i]);
        if (line[n] == '\n')
            putchar('\n');
    }
    return 0;
}
""",
    "upper": r"""
#include <stdio.h>
int main(void)
{
    int c;
    while ((c = getchar()) != EOF)
        putchar(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return 0;
}
""",
}
DATA_LINES = 1500               # about 40 KB: more than two pipe buffers (16 KiB each)
KEY_UP, KEY_DOWN, KEY_LEFT = b"\x1b[A", b"\x1b[B", b"\x1b[D"
TYPING_PAUSE = 1.0              # seconds between lines typed on the pty, as a person would


@pytest.fixture
def filters(tmp_path: Path) -> dict[str, Path]:
    built = {}
    for name, source in FILTERS.items():
        src = tmp_path / f"{name}.c"
        src.write_text(source)
        exe = tmp_path / name
        r = subprocess.run([str(ALMOS_GCC), "-O2", "-Wall", "-o", str(exe), str(src)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        built[name] = exe
    return built


def _text(tmp_path: Path) -> Path:
    rng = random.Random(13)
    words = ["tsar", "almos", "cluster", "Core", "pipe", "ring", "NoC", "x86", "mips32"]
    data = tmp_path / "data.txt"
    data.write_text("".join(" ".join(rng.choice(words) for _ in range(rng.randint(0, 9)))
                            + "\n" for _ in range(DATA_LINES)))
    return data


def test_pipelines_match_the_host(disk: Disk, boot, filters: dict[str, Path],
                                  tmp_path: Path) -> None:
    data = _text(tmp_path)
    disk.put(data, "/home/data.txt")
    for name, exe in filters.items():
        disk.put(exe, f"/bin/{name}")
    r = boot(disk.path, ["cat /home/data.txt | rev | upper > /home/three.txt",
                         "cat < /home/data.txt | rev | upper | rev | cat > /home/five.txt",
                         "echo status $?"])
    assert r.rc == 0 and "status 0" in r.out, r.out + r.err
    host = subprocess.run(f"cat {data} | rev | tr a-z A-Z", shell=True, capture_output=True,
                          check=True).stdout
    assert disk.get("/home/three.txt") == host
    host = subprocess.run(f"cat {data} | rev | tr a-z A-Z | rev | cat", shell=True,
                          capture_output=True, check=True).stdout
    assert disk.get("/home/five.txt") == host
    disk.fsck()


def test_pipeline_status_is_the_last_program_s(disk: Disk, boot) -> None:
    r = boot(disk.path, ["echo a | cat | false", "echo s1 $?", "false | cat | true",
                         "echo s2 $?", "echo a | nosuch | cat", "echo s3 $?"])
    assert "s1 1\n" in r.out and "s2 0\n" in r.out and "s3 0\n" in r.out, r.out + r.err
    assert "sh: nosuch: not found" in r.out


def test_and_or_and_semicolon(disk: Disk, boot) -> None:
    r = boot(disk.path, ["false && echo x", "echo s1 $?",
                         "true && echo y",
                         "false || echo z",
                         "true || echo never",
                         "false && echo no || echo or",
                         "true && false && echo no; echo s2 $?",
                         "echo one; echo two;; echo three",
                         "cat /nosuch && echo no; echo s3 $?"])
    assert r.rc == 0, r.err
    assert r.out.splitlines() == ["s1 1", "y", "z", "or", "s2 1", "one", "two", "three",
                                  "sh: /nosuch: No such file or directory", "s3 1"], r.out


def test_syntax_error_runs_none_of_the_line(disk: Disk, boot) -> None:
    r = boot(disk.path, ["echo before && echo after &&", "echo s1 $?",
                         "echo before ; ls &", "echo s2 $?",
                         "&& echo x", "echo a || | cat"])
    lines = r.out.splitlines()
    assert "before" not in lines and "after" not in lines and "x" not in lines, r.out
    assert "s1 2" in r.out and "s2 2" in r.out, r.out
    assert "sh: syntax: empty command after &&" in r.out
    assert "sh: syntax: & alone (running in the background) is not supported" in r.out
    assert "sh: syntax: empty command before &&" in r.out
    assert "sh: syntax: empty command before |" in r.out


def _typed(disk: Disk, lines: list[bytes]) -> tuple[int, str, str]:
    """Boots on a pty and types the lines one at a time; returns (status, stdout, stderr)."""
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([sys.executable, "-m", "almos.cli", "boot", "--cache", "off",
                              str(disk.path)], stdin=slave, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=ROOT)
        for keys in lines:
            time.sleep(TYPING_PAUSE)
            os.write(master, keys)
        out, err = p.communicate(timeout=120)
    finally:
        os.close(master)
        os.close(slave)
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def test_up_arrow_runs_the_last_command_again(disk: Disk) -> None:
    rc, out, err = _typed(disk, [b"echo abd\n", KEY_UP + b"\n",
                                 KEY_UP + KEY_LEFT + b"c\n",
                                 b"echo other\n",
                                 KEY_UP + KEY_UP + KEY_UP + KEY_DOWN + b"\n",
                                 b"exit 4\n"])
    assert rc == 4, err
    # The shell shows the line the keys made, then its output.
    assert "$ abd\n$ echo abd\nabd\n$ echo abcd\nabcd\n$ other\n$ echo abcd\nabcd\n$ " \
        in out, out


def test_history_keys_are_plain_text_in_a_script(disk: Disk, boot) -> None:
    """Piped input (no terminal) has no history: an escape is a character like another."""
    r = boot(disk.path, ["echo abd", "echo x" + KEY_UP.decode() + "y"])
    assert "abd\nx\x1b[Ay\n" in r.out, r.out
