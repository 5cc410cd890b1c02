"""The documentation stands alone: nothing in the repository points outside it.

Users get the repository, never the notes its authors worked from. So no tracked file (the
CI scaffolding in .ci/ apart) may cite those notes, every `docs/<page>.md` a file mentions
must be a tracked file, and every section a file cites as `docs/<page>.md, "Title"` must be a
heading of that page. The files are the ones `git ls-files` lists from the repository root.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXEMPT = (".ci/",)
# Spelt in pieces so that this file does not match itself.
OUTSIDE = re.compile("|".join(re.escape(p) for p in (
    "REFERENCE" + ".md", "UNICORN" + "-NOTES", ".." + "/shared", "/work" + "/shared")))
DOC_PATH = re.compile(r"\bdocs/([A-Za-z0-9_-]+\.md)\b")
# `docs/<page>.md, "Title"` or `docs/<page>.md, "Title", "Other title"` (with optional backquotes)
CITATION = re.compile(r'\bdocs/([A-Za-z0-9_-]+\.md)`?,\s*((?:"[^"\n]{1,100}"(?:,\s*)?)+)')
# A line break inside a comment or docstring, with the comment marker of the next line.
WRAP = re.compile(r"[ \t]*\n[ \t]*(?:#+|\*|//)?[ \t]*")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*$", re.MULTILINE)


@cache
def tracked() -> tuple[str, ...]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    return tuple(p for p in out.stdout.decode().split("\0")
                 if p and not p.startswith(EXEMPT) and (ROOT / p).is_file())


@cache
def text(path: str) -> str:
    return (ROOT / path).read_bytes().decode("utf-8", errors="replace")


def headings(path: str) -> set[str]:
    """The page's section titles, also without a trailing parenthesis ("Structures" for
    "Structures (all fields 32-bit ...)")."""
    titles = {m.group(1) for m in HEADING.finditer(text(path))}
    return titles | {t.split(" (", 1)[0] for t in titles}


def test_the_repository_is_found() -> None:
    files = tracked()
    assert "README.md" in files and "docs/TSAR.md" in files and "tests/test_docs.py" in files


def test_no_file_points_outside_the_repository() -> None:
    hits = [f"{path}:{text(path).count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
            for path in tracked() for m in OUTSIDE.finditer(text(path))]
    assert not hits, "files cite notes users never see; cite docs/ instead:\n" + "\n".join(hits)


def test_every_cited_doc_exists() -> None:
    files = set(tracked())
    missing = sorted({f"{path}: docs/{m.group(1)}" for path in files
                      for m in DOC_PATH.finditer(text(path))
                      if f"docs/{m.group(1)}" not in files})
    assert not missing, "cited pages that are not in the repository:\n" + "\n".join(missing)


def test_cited_sections_exist() -> None:
    """Every `docs/<page>.md, "Title"` names a heading of that page, also when the citation
    is wrapped over comment lines. (A page that does not exist is for the test above.)"""
    files = set(tracked())
    bad = []
    for path in files:
        for m in CITATION.finditer(WRAP.sub(" ", text(path))):
            doc = f"docs/{m.group(1)}"
            if doc in files:
                have = headings(doc)
                bad += [f'{path}: {doc}, "{title}"'
                        for title in re.findall(r'"([^"]+)"', m.group(2)) if title not in have]
    assert not bad, "sections cited that their page does not have:\n" + "\n".join(sorted(bad))
