"""The `almos` command: inspect a machine, run a program, boot a disk image."""

import click


@click.group()
def main() -> None:
    """ALMOS on an emulated TSAR many-core."""


if __name__ == "__main__":
    main()
