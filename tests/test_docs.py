"""Every Python block in docs/ is a file the tests run, or says it is a fragment.

The README's rule (tests/test_readme.py), applied to each page under docs/:
a ```python block comes right after either

    <!-- example: examples/docs/flask_app.py#app -->    checked against the file
    <!-- fragment: why it cannot run on its own -->     shown, not run

or starts with a ``# fragment`` comment line (shown, not run),

so no snippet can use an undefined name or a field its model never had
without a test failing.  The example files are run by
tests/test_docs_examples.py and the quickstarts' own tests.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_readme import Block, expected_code, python_blocks

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").rglob("*.md"))
FRAMEWORK_PAGES = ["django.md", "flask.md", "starlette.md", "fastapi.md"]

_FRAGMENT = re.compile(r"<!--\s*fragment(?::[^>]*)?\s*-->")


def blocks(page: Path) -> list[tuple[Block, bool]]:
    """Each python block of ``page`` and whether it is marked a fragment."""
    text = page.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    for block in python_blocks(text):
        before = lines[block.line - 2].strip() if block.line >= 2 else ""
        marked = bool(_FRAGMENT.fullmatch(before)) or block.code.startswith("# fragment")
        found.append((block, marked))
    return found


ALL = [(page, block, fragment) for page in PAGES for block, fragment in blocks(page)]


def _id(page: Path, block: Block) -> str:
    return f"{page.relative_to(ROOT)}:{block.line}"


def test_every_python_block_is_an_example_or_a_fragment() -> None:
    unmarked = [_id(p, b) for p, b, fragment in ALL if b.path is None and not fragment]
    assert unmarked == [], "mark these with <!-- example: ... --> or <!-- fragment: ... -->"


@pytest.mark.parametrize(
    ("page", "block"),
    [(p, b) for p, b, _ in ALL if b.path is not None],
    ids=[_id(p, b) for p, b, _ in ALL if b.path is not None],
)
def test_block_is_the_example_file(page: Path, block: Block) -> None:
    assert (ROOT / str(block.path)).is_file(), f"{_id(page, block)}: no file {block.path}"
    assert block.code == expected_code(block), f"{_id(page, block)} differs from {block.path}"


@pytest.mark.parametrize("name", FRAMEWORK_PAGES)
def test_each_framework_page_covers_the_first_questions(name: str) -> None:
    text = (ROOT / "docs" / name).read_text(encoding="utf-8")
    headings = {line[3:].strip() for line in text.splitlines() if line.startswith("## ")}
    assert {"Install", "Mount", "Settings", "Auth", "CSRF", "Async", "Testing"} <= headings
    assert "settings.md" in text
    assert "GET, HEAD, POST" in text  # the default methods
    assert "ajaxkit.testing" in text
    assert any(b.path is not None for b, _ in blocks(ROOT / "docs" / name))
    # A file upload, the first thing past JSON: what type to ask for and what it holds.
    assert "`UploadedFile`" in text and "examples/docs/uploads.py" in text


def test_fragment_marks_are_recognised() -> None:
    page = ROOT / "docs" / "flask.md"
    assert all(isinstance(fragment, bool) for _, fragment in blocks(page))
    assert _FRAGMENT.fullmatch("<!-- fragment: needs a project -->")
    assert not _FRAGMENT.fullmatch("<!-- example: a.py -->")


def test_every_protocol_rule_has_a_conformance_test() -> None:
    text = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    rules = set(re.findall(r"^- \*\*([A-Z]\d+)\*\*", text, re.M))
    tested: set[str] = set()
    for module in (ROOT / "tests" / "conformance").glob("test_*.py"):
        tested |= set(re.findall(r"def test_([A-Z]\d+)_", module.read_text(encoding="utf-8")))
    assert rules, "no rules found in docs/protocol.md"
    assert sorted(rules - tested) == []


#: Every Markdown file with code in it: the README, the docs, the bench notes.
MARKDOWN = [ROOT / "README.md", *PAGES, *sorted((ROOT / "bench").rglob("*.md"))]


def test_python_blocks_in_markdown_are_ruff_formatted(tmp_path: Path) -> None:
    # scripts/test.sh's format check leaves *.md out, so a reformatted
    # example file could leave its quoted fragment behind unnoticed.
    ruff = [sys.executable, "-m", "ruff", "format", "--check", "--no-cache"]
    sample = tmp_path / "sample.md"
    sample.write_text('```python\nx = {"a":1}\n```\n', encoding="utf-8")
    probe = subprocess.run([*ruff, "--isolated", str(sample)], capture_output=True, check=False)
    if probe.returncode == 0:
        pytest.skip("this ruff does not format code blocks in Markdown")
    result = subprocess.run(
        [*ruff, *map(str, MARKDOWN)], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
