"""The documentation is in the repository and every reference to it resolves: a docstring,
comment or page that says `docs/api.md#events` names a file that exists and a heading in it;
links between the pages of `docs/` resolve the same way; and nothing cites a document the
repository does not hold."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TEXT = {".py", ".md", ".yaml", ".yml", ".toml", ".html", ".js", ".cfg", ".txt", ".mako"}
# `docs/name.md` or `docs/name.md#heading`, as code and pages cite them.
REFERENCE = re.compile(r"docs/([\w./-]+\.md)(?:#([\w-]+))?")
# A link inside a page of docs/: `(api.md#events)`, `(#roles)`.
LINK = re.compile(r"\]\(([\w./-]*\.md)?(?:#([\w-]+))?\)")
ELSEWHERE = re.compile(r"\b(API|ARCHITECTURE|PRODUCT|STYLE)\.md\b")


def tracked() -> list[Path]:
    """Every text file of the repository (as git knows it, untracked new files included)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    here = Path(__file__).resolve()
    return [
        ROOT / name
        for name in listed
        if Path(name).suffix in TEXT and (ROOT / name).exists() and ROOT / name != here
    ]


def slug(heading: str) -> str:
    """The anchor of a Markdown heading, as GitHub makes it."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@cache
def anchors(page: Path) -> frozenset[str]:
    headings = re.findall(r"^#+\s+(.*)$", page.read_text(), re.M)
    return frozenset(slug(heading) for heading in headings)


def unresolved(page: Path, anchor: str | None) -> str | None:
    if not page.is_file():
        return f"{page.relative_to(ROOT)} does not exist"
    if anchor and anchor not in anchors(page):
        return f"{page.relative_to(ROOT)} has no heading #{anchor}"
    return None


def test_the_documentation_is_in_the_repository() -> None:
    assert (DOCS / "api.md").is_file()
    assert (DOCS / "architecture.md").is_file()


def test_every_reference_to_docs_resolves() -> None:
    broken = []
    found = 0
    for path in tracked():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            for name, anchor in REFERENCE.findall(line):
                found += 1
                problem = unresolved(DOCS / name, anchor or None)
                if problem:
                    broken.append(f"{path.relative_to(ROOT)}:{number}: {problem}")
    assert found > 0, "nothing cites docs/ at all"
    assert broken == []


def test_links_between_the_pages_resolve() -> None:
    broken = []
    for page in sorted(DOCS.rglob("*.md")):
        for name, anchor in LINK.findall(page.read_text()):
            problem = unresolved(page.parent / name if name else page, anchor or None)
            if problem:
                broken.append(f"{page.relative_to(ROOT)}: {problem}")
    assert broken == []


def test_nothing_cites_a_document_outside_the_repository() -> None:
    cited = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in tracked()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if ELSEWHERE.search(line)
    ]
    assert cited == []
