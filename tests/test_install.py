"""`pip install .` into a fresh virtualenv (from a copy of the repository without any build
output, so the install builds the C library and the programs itself): `almos` and `almos-gcc`
then work from any directory, with no checkout around: compile a program, run it, make a
disk image with the packaged userland and boot it, list the packaged presets.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_SOURCE = shutil.ignore_patterns(".venv", ".git", "disk.img", "build", "build-glibc",
                                    "*.egg-info", "__pycache__", "*.so", ".pytest_cache",
                                    ".ruff_cache", ".hypothesis")
INSTALL_TIMEOUT = 900            # seconds: pip builds the cffi module, the libc, the programs
RUN_TIMEOUT = 300
HELLO = r"""
#include <stdio.h>
#include <almos.h>
int main(int argc, char **argv)
{
    unsigned cxy, lid;
    get_core(&cxy, &lid);
    printf("installed %s on core %u\n", argc > 1 ? argv[1] : "?", lid);
    return 3;
}
"""


def test_pip_install_in_a_fresh_venv(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=NOT_SOURCE)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    r = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(src)],
                       capture_output=True, text=True, timeout=INSTALL_TIMEOUT, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    shutil.rmtree(src)                         # nothing may come from the source tree
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "hello.c").write_text(HELLO)
    almos, gcc = str(venv / "bin" / "almos"), str(venv / "bin" / "almos-gcc")

    def run(*cmd: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(list(cmd), capture_output=True, text=True, cwd=work,
                              timeout=RUN_TIMEOUT, input=stdin)

    r = run(gcc, "-O2", "-o", "hello", "hello.c")
    assert r.returncode == 0, r.stderr
    r = run(almos, "run", "-t", "1x1x1", "./hello", "pkg")
    assert (r.returncode, r.stdout) == (3, "installed pkg on core 0\n"), r.stderr
    r = run(almos, "info", "-t", "4x4x4")
    assert r.returncode == 0 and "clusters    16, cores 64" in r.stdout, r.stderr
    assert "2x2x4" in run(almos, "run", "--help").stdout              # presets packaged
    r = run(almos, "image", "disk.img")
    assert r.returncode == 0 and (work / "disk.img").exists(), r.stderr
    r = run(almos, "boot", "--cache", "off", "disk.img", stdin="ls /bin\n")
    assert r.returncode == 0, r.stderr
    assert {"init", "sh", "fft"} <= set(r.stdout.split()), r.stdout
    r = run(almos, "--version")
    assert r.stdout.startswith("almos ")
