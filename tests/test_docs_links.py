"""Every relative link in README.md and docs/*.md leads somewhere, and the README lists every page.

A link ``[text](path)``, ``[text](path#anchor)`` or ``[text](#anchor)`` must
name a file of the repository and, with an anchor, a heading of that
Markdown file (GitHub's slugs: lower case, punctuation dropped, spaces to
``-``, repeated headings numbered).  Links with a scheme (``https:``) and
links inside code are not checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\((?P<target>[^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*#*\s*$", re.M)


def prose(text: str) -> str:
    """``text`` without fenced blocks and inline code, where links are not links."""
    return _CODE.sub("", _FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every anchor GitHub makes for ``page``'s headings."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for match in _HEADING.finditer(_FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(match["text"])
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(page: Path) -> list[str]:
    """The relative links of ``page`` that lead to no file or no heading."""
    broken = []
    for match in _LINK.finditer(prose(page.read_text(encoding="utf-8"))):
        target = match["target"]
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue  # https:, mailto: ...
        path, _, anchor = target.partition("#")
        where = (page.parent / path).resolve() if path else page
        if not where.exists():
            broken.append(f"{target}: no file {path}")
        elif anchor and where.suffix == ".md" and anchor not in anchors(where):
            broken.append(f"{target}: no heading #{anchor} in {where.name}")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_the_readme_links_every_docs_page() -> None:
    readme = prose((ROOT / "README.md").read_text(encoding="utf-8"))
    linked = {m["target"].partition("#")[0] for m in _LINK.finditer(readme)}
    pages = {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")}
    assert sorted(pages - linked) == []


def test_the_checker_finds_broken_links(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## S — Success\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Top\n\n[ok](other.md#s--success) [self](#top) [web](https://example.com)\n"
        "[gone](missing.md) [no heading](other.md#nope) [no anchor](#bottom)\n"
        "`[code](nowhere.md)`\n",
        encoding="utf-8",
    )
    assert broken_links(page) == [
        "missing.md: no file missing.md",
        "other.md#nope: no heading #nope in other.md",
        "#bottom: no heading #bottom in page.md",
    ]


def test_slugs_follow_github() -> None:
    assert slug("The browser client") == "the-browser-client"
    assert slug("K — Batches (`api.batch()`, `POST <mount>/_batch`)") == (
        "k--batches-apibatch-post-mount_batch"
    )
