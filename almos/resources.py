"""Where the files that are not Python live: the C library and almos-gcc, the userland
programs and the disk image recipe. An installed package has them under almos/data (setup.py
puts them there); a repository checkout (an editable install) uses its own folders."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parent.parent


def _first(installed: Path, repo: Path) -> Path:
    return installed if installed.exists() else repo


def libc_dir() -> Path:
    """almos-gcc, almos.ld, include/, build/libc.a and build/crt0.o."""
    return _first(PACKAGE_DATA / "libc", REPO / "libc_stubs")


def userland_dir() -> Path:
    """The built userland programs: init, sh, the benchmarks."""
    return _first(PACKAGE_DATA / "userland", REPO / "userland" / "build")


def image_recipe_dir() -> Path:
    """The disk image's Makefile and rootfs/."""
    return _first(PACKAGE_DATA / "images", REPO / "images")
