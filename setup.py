"""Build hook: compiles the emulator's C hot paths (emulator/native) through cffi, and, for a
real (not editable) install, puts what building and booting programs needs into the package:
almos-gcc with the C library (built with make), crt0, the linker script and the headers
(almos/data/libc), the userland programs (almos/data/userland), the disk image recipe
(almos/data/images) and the machine presets (emulator/machines). almos/resources.py finds
them there, or in the repository for an editable install.
"""

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
LIBC_FILES = ("almos-gcc", "almos.ld", "include", "build/libc.a", "build/crt0.o")
RECIPE_FILES = ("Makefile", "rootfs")


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, dirs_exist_ok=True)
    else:
        shutil.copy2(src, dst)


class BuildWithSdk(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return                              # the repository's own files serve
        for d in ("libc_stubs", "userland"):    # needs gcc-mipsel-linux-gnu (make setup)
            subprocess.run(["make", "-s", "-C", str(ROOT / d)], check=True)
        lib = Path(self.build_lib)
        data = lib / "almos" / "data"
        for name in LIBC_FILES:
            _copy(ROOT / "libc_stubs" / name, data / "libc" / name)
        for prog in (ROOT / "userland" / "build").iterdir():
            if prog.is_file() and prog.stat().st_mode & 0o111:
                _copy(prog, data / "userland" / prog.name)
        for name in RECIPE_FILES:
            _copy(ROOT / "images" / name, data / "images" / name)
        for preset in (ROOT / "images" / "machines").glob("*.toml"):
            _copy(preset, lib / "almos" / "emulator" / "machines" / preset.name)


setup(cffi_modules=["emulator/native/build.py:ffibuilder"], cmdclass={"build_py": BuildWithSdk})
