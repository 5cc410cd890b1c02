"""`almos-gcc`: the installed command that compiles and links C programs for ALMOS, used
exactly like gcc; it runs the almos-gcc script of the C library (libc_stubs/almos-gcc) found
by almos/resources.py, which needs mipsel-linux-gnu-gcc on the PATH."""

from __future__ import annotations

import os
import shutil
import sys

from almos.resources import libc_dir

CROSS_GCC = "mipsel-linux-gnu-gcc"


def main() -> None:
    script = libc_dir() / "almos-gcc"
    bash = shutil.which("bash")
    if bash is None or not script.is_file():
        print(f"almos-gcc: {'bash' if bash is None else script} is missing", file=sys.stderr)
        sys.exit(2)
    cross = os.environ.get("ALMOS_CROSS", "mipsel-linux-gnu-") + "gcc"
    if shutil.which(cross) is None:
        print(f"almos-gcc: {cross} not found: install gcc-mipsel-linux-gnu (Debian)",
              file=sys.stderr)
        sys.exit(2)
    os.execv(bash, [bash, str(script), *sys.argv[1:]])


if __name__ == "__main__":
    main()
